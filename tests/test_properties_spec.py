"""Property-based tests of spec parsing (``models/spec.py``).

Random mutations of the shipped ``joint`` spec either parse to a spec that
round-trips through :meth:`ModelSpec.to_dict` or raise :class:`SpecError`;
no other exception may escape the parser.
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bayes_alliance.errors import SpecError
from bayes_alliance.models.families import FAMILIES
from bayes_alliance.models.spec import (
    _ALLY_KEYS,
    _OUTCOME_KEYS,
    _TOP_KEYS,
    _YEAR_KEYS,
    TRANSFORMS,
    ModelSpec,
    load_spec,
    parse_spec,
)
from bayes_alliance.resources import models_path
from tests.property_strategies import JUNK, PROPS, mutated

with open(models_path("joint.toml"), "rb") as fh:
    JOINT: dict[str, Any] = tomllib.load(fh)

def check_round_trip(spec: ModelSpec) -> None:
    text = json.dumps(spec.to_dict(), sort_keys=True)  # JSON-serialisable
    back = ModelSpec.from_dict(json.loads(text))
    assert back == spec
    assert back.hash() == spec.hash()


def parse_or_spec_error(raw: Any) -> ModelSpec | None:
    """Parse ``raw``; return None when it raised SpecError (any other exception fails)."""
    try:
        spec = load_spec(raw) if isinstance(raw, dict) else parse_spec(raw, where="t")
    except SpecError as err:
        assert str(err)
        return None
    return spec


@PROPS
@given(mutated(JOINT))
def test_mutated_spec_parses_or_raises_spec_error(raw: Any) -> None:
    spec = parse_or_spec_error(raw)
    if spec is not None:
        check_round_trip(spec)


@PROPS
@given(key=st.sampled_from(["name", "outcomes"]))
def test_missing_required_top_key_raises(key: str) -> None:
    raw = copy.deepcopy(JOINT)
    del raw[key]
    with pytest.raises(SpecError, match=f"'{key}'"):
        load_spec(raw)


@PROPS
@given(i=st.integers(0, len(JOINT["outcomes"]) - 1),
       key=st.sampled_from(["name", "column", "family", "terms"]))
def test_missing_required_outcome_key_raises(i: int, key: str) -> None:
    raw = copy.deepcopy(JOINT)
    del raw["outcomes"][i][key]
    with pytest.raises(SpecError, match=f"#{i + 1}.*'{key}'"):
        load_spec(raw)


@PROPS
@given(i=st.integers(0, len(JOINT["outcomes"]) - 1),
       name=st.text(min_size=1, max_size=12).filter(lambda s: s not in FAMILIES))
def test_unknown_family_raises(i: int, name: str) -> None:
    raw = copy.deepcopy(JOINT)
    raw["outcomes"][i]["family"] = name
    with pytest.raises(SpecError, match="family"):
        load_spec(raw)


@PROPS
@given(where=st.sampled_from([(), ("ally_effects",), ("year_effects",), ("outcomes", 0)]),
       key=st.text(min_size=1, max_size=10), value=JUNK)
def test_unknown_key_raises_naming_it(where: tuple, key: str, value: Any) -> None:
    raw = copy.deepcopy(JOINT)
    table = raw
    for step in where:
        table = table[step]
    if key in _TOP_KEYS | _OUTCOME_KEYS | _ALLY_KEYS | _YEAR_KEYS:
        return
    table[key] = value
    with pytest.raises(SpecError, match="unknown key"):
        load_spec(raw)


@PROPS
@given(cov=st.text(max_size=10).filter(str.strip), tr=st.text(max_size=10))
def test_unknown_transform_raises(cov: str, tr: str) -> None:
    raw = copy.deepcopy(JOINT)
    raw["covariates"] = {cov: tr}
    if tr in TRANSFORMS:
        check_round_trip(load_spec(raw))
    else:
        with pytest.raises(SpecError, match="transform"):
            load_spec(raw)


#: path of a typed field in joint.toml -> the types it accepts
TYPED_FIELDS: dict[tuple, tuple[type, ...]] = {
    ("name",): (str,), ("description",): (str,), ("priors",): (str,),
    ("latent_outcome",): (str,), ("schema_version",): (int,), ("covariates",): (dict,),
    ("ally_effects",): (dict,), ("year_effects",): (dict,), ("outcomes",): (list,),
    ("ally_effects", "correlated"): (bool,), ("ally_effects", "lkj_eta"): (int, float),
    ("year_effects", "kind"): (str,), ("outcomes", 0): (dict,),
    ("outcomes", 0, "name"): (str,), ("outcomes", 0, "column"): (str,),
    ("outcomes", 0, "family"): (str,), ("outcomes", 0, "terms"): (list,),
    ("outcomes", 0, "exposure"): (str, type(None)), ("outcomes", 0, "optional"): (bool,),
}


@PROPS
@given(path=st.sampled_from(sorted(TYPED_FIELDS, key=str)), data=st.data())
def test_wrongly_typed_field_raises_naming_it(path: tuple, data) -> None:
    types = TYPED_FIELDS[path]
    value = data.draw(JUNK.filter(lambda v: not isinstance(v, types)
                                  or (isinstance(v, bool) and bool not in types)))
    raw = copy.deepcopy(JOINT)
    table = raw
    for step in path[:-1]:
        table = table[step]
    table[path[-1]] = value
    named = "#1" if path == ("outcomes", 0) else str(path[-1])
    with pytest.raises(SpecError, match=re.escape(named)):
        load_spec(raw)


TERM_PART = st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True)


@st.composite
def valid_raw_specs(draw: st.DrawFn) -> dict[str, Any]:
    """Random valid spec dicts (random names, families, terms, settings)."""
    names = draw(st.lists(TERM_PART, min_size=1, max_size=4, unique=True))
    outcomes = []
    for n in names:
        fam = draw(st.sampled_from(sorted(FAMILIES)))
        parts = draw(st.lists(TERM_PART.filter(lambda s: s != "reassurance"), max_size=4,
                              unique=True))
        interactions = [f"{a}:{b}" for a, b in zip(parts, parts[1:], strict=False)]
        o: dict[str, Any] = {"name": n, "column": draw(TERM_PART), "family": fam,
                             "terms": parts + interactions[:draw(st.integers(0, 2))]}
        if FAMILIES[fam].uses_exposure and draw(st.booleans()):
            o["exposure"] = draw(TERM_PART)
        if draw(st.booleans()):
            o["optional"] = draw(st.booleans())
        outcomes.append(o)
    raw: dict[str, Any] = {"name": draw(st.text(max_size=10).filter(str.strip)),
                           "outcomes": outcomes}
    if len(names) > 1 and draw(st.booleans()):  # latent terms in the other outcomes
        raw["latent_outcome"] = names[0]
        for o in outcomes[1:]:
            o["terms"] = [*o["terms"], "reassurance"]
    if draw(st.booleans()):
        raw["description"] = draw(st.text(max_size=20))
    if draw(st.booleans()):
        raw["covariates"] = draw(st.dictionaries(TERM_PART, st.sampled_from(TRANSFORMS),
                                                 max_size=3))
    if draw(st.booleans()):
        raw["ally_effects"] = {
            "correlated": draw(st.booleans()),
            "lkj_eta": draw(st.floats(0.1, 50)),
            "centered": draw(st.sampled_from([True, False, "auto"]))}
    if draw(st.booleans()):
        raw["year_effects"] = {"kind": draw(st.sampled_from(["none", "iid"]))}
    if draw(st.booleans()):
        raw["priors"] = draw(st.sampled_from(["weak", "theory", "skeptical"]))
    return raw


@PROPS
@given(valid_raw_specs())
def test_valid_specs_round_trip(raw: dict[str, Any]) -> None:
    spec = load_spec(raw)
    assert spec.outcome_names == tuple(o["name"] for o in raw["outcomes"])
    assert [o.family for o in spec.outcomes] == [o["family"] for o in raw["outcomes"]]
    assert dict(spec.transforms) == raw.get("covariates", {})
    check_round_trip(spec)
    # the hash sees the fields
    other = ModelSpec.from_dict({**spec.to_dict(), "name": spec.name + "x"})
    assert other.hash() != spec.hash()


def test_shipped_spec_round_trips() -> None:
    check_round_trip(load_spec(copy.deepcopy(JOINT)))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 10**400, 0, -1.5, True, "2"])
def test_lkj_eta_outside_its_domain_raises(value: Any) -> None:
    raw = copy.deepcopy(JOINT)
    raw["ally_effects"]["lkj_eta"] = value
    with pytest.raises(SpecError, match="lkj_eta must be a finite number > 0"):
        load_spec(raw)
