"""Property-based tests of prior-set parsing and resolution (``models/priors.py``).

Malformed selectors, distributions and tables raise :class:`SpecError` and
nothing else; valid random prior sets round-trip through
:meth:`PriorSet.to_dict` and resolve every cell of a spec to its most
specific selector.
"""

from __future__ import annotations

import copy
import json
import tomllib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bayes_alliance.errors import SpecError
from bayes_alliance.models.priors import (
    DIST_PARAMS,
    PARAMETERS,
    PriorSet,
    load_prior_set,
    parameter_cells,
    resolve_priors,
)
from bayes_alliance.models.spec import load_spec
from bayes_alliance.resources import models_path
from tests.property_strategies import JUNK, PROPS, mutated

with open(models_path("priors", "weak.toml"), "rb") as fh:
    WEAK: dict[str, Any] = tomllib.load(fh)
SPEC = load_spec("joint")


def load_or_spec_error(raw: Any) -> PriorSet | None:
    """Load ``raw``; None when it raised SpecError (any other exception fails the test)."""
    try:
        return load_prior_set(raw)
    except SpecError as err:
        assert str(err)
        return None


def check_round_trip(prior_set: PriorSet) -> None:
    d = json.loads(json.dumps(prior_set.to_dict()))
    assert load_prior_set(d) == prior_set


@PROPS
@given(mutated(WEAK))
def test_mutated_prior_set_loads_or_raises_spec_error(raw: Any) -> None:
    if not isinstance(raw, dict):
        return  # a non-dict is read as a name or path: not this property
    prior_set = load_or_spec_error(raw)
    if prior_set is not None:
        check_round_trip(prior_set)
        try:
            resolve_priors(SPEC, prior_set)
        except SpecError:
            pass  # e.g. a dropped selector leaves cells without a prior


@PROPS
@given(selector=st.text(max_size=20) | st.integers() | st.none(), value=JUNK)
def test_random_selector_and_value_raise_only_spec_error(selector: Any, value: Any) -> None:
    raw = copy.deepcopy(WEAK)
    raw["priors"] = {**raw["priors"], selector: value}
    prior_set = load_or_spec_error(raw)
    if prior_set is not None:  # only a well-formed selector with a well-formed prior loads
        assert isinstance(selector, str)
        check_round_trip(prior_set)


@PROPS
@given(family=st.sampled_from(sorted(PARAMETERS)),
       dist=st.sampled_from(sorted(DIST_PARAMS)),
       param=st.sampled_from(["mu", "sigma", "lam", "alpha", "beta"]),
       value=st.floats(allow_nan=True, allow_infinity=True) | st.booleans() | st.text()
       | st.integers(-10**400, 10**400))
def test_bad_parameter_values_raise_naming_the_selector(family: str, dist: str, param: str,
                                                        value: Any) -> None:
    prior: dict[str, Any] = {"dist": dist, **dict.fromkeys(DIST_PARAMS[dist], 1.0), param: value}
    raw = {"priors": {f"{family}[x]": prior}}
    ok = (dist in PARAMETERS[family] and set(prior) - {"dist"} == set(DIST_PARAMS[dist])
          and not isinstance(value, bool | str) and abs(value) < 1e308
          and (value > 0 or param == "mu"))
    if ok:
        assert load_prior_set(raw).priors[0][1].param(param) == float(value)
    else:
        with pytest.raises(SpecError, match=rf"{family}\[x\]"):
            load_prior_set(raw)


@st.composite
def prior_values(draw: st.DrawFn, family: str, dist: str | None = None) -> dict[str, Any]:
    """A valid prior table for ``family`` (of distribution ``dist`` when given)."""
    dist = dist or draw(st.sampled_from(PARAMETERS[family]))
    d: dict[str, Any] = {"dist": dist}
    for p in DIST_PARAMS[dist]:
        d[p] = draw(st.floats(-5, 5) if p == "mu" else st.floats(0.01, 10))
    if draw(st.booleans()):
        d["source"] = draw(st.text(min_size=1, max_size=8))
    return d


@st.composite
def valid_prior_sets(draw: st.DrawFn) -> dict[str, Any]:
    """A random valid prior set: one default selector per family, plus specific cells."""
    priors: dict[str, Any] = {}
    dists: dict[str, str] = {}
    for family in PARAMETERS:  # one default per family, so every cell resolves
        priors[family] = draw(prior_values(family))
        dists[family] = priors[family]["dist"]
    cells = parameter_cells(SPEC)
    for family, index in draw(st.lists(st.sampled_from(
            [(f, i) for f, idx in cells.items() for i in idx]), max_size=6, unique=True)):
        for k in range(1, len(index) + 1):
            # one variable takes one distribution
            priors[f"{family}[{', '.join(index[:k])}]"] = draw(prior_values(family,
                                                                            dists[family]))
    raw: dict[str, Any] = {"priors": priors}
    if draw(st.booleans()):
        raw["name"] = draw(st.text(min_size=1, max_size=8))
    if draw(st.booleans()):
        raw["description"] = draw(st.text(max_size=20))
    return raw


@PROPS
@given(valid_prior_sets())
def test_valid_prior_sets_round_trip_and_resolve_most_specific(raw: dict[str, Any]) -> None:
    prior_set = load_prior_set(raw)
    check_round_trip(prior_set)
    resolved = resolve_priors(SPEC, prior_set)
    by_selector = dict(prior_set.priors)
    for family, index_list in parameter_cells(SPEC).items():
        for index in index_list:
            for k in range(len(index), -1, -1):  # most specific selector present wins
                sel = f"{family}[{', '.join(index[:k])}]" if k else family
                if sel in by_selector:
                    assert resolved.cells[family][index] == by_selector[sel]
                    break
            dist, arrays = resolved.arrays(family, index_list)
            assert set(arrays) == set(DIST_PARAMS[dist])


@pytest.mark.parametrize("a, b", [("beta[milex]", "beta[ milex ]"),
                                  ("beta[milex, threat]", "beta [milex,threat]")])
def test_selectors_selecting_the_same_cells_raise(a: str, b: str) -> None:
    prior = {"dist": "Normal", "mu": 0.0, "sigma": 1.0}
    with pytest.raises(SpecError, match="select the same cells"):
        load_prior_set({"priors": {a: prior, b: prior}})


@pytest.mark.parametrize("name", ["weak", "theory", "skeptical", "sbc"])
def test_shipped_prior_sets_round_trip(name: str) -> None:
    check_round_trip(load_prior_set(name))
