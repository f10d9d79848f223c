"""Property-based tests of covariate scaling (``models/design.py``).

For random finite training frames and transforms: the standardised training
columns have mean 0 and sd 1, the transform is the one the spec names,
:class:`Scaling` round-trips through :meth:`Scaling.to_dict` (and JSON) without
changing a single z-score, and new rows are standardised with the training
mean and sd.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bayes_alliance.errors import SpecError
from bayes_alliance.models.design import Scaling
from bayes_alliance.models.spec import TRANSFORMS, ModelSpec, load_spec
from tests.property_strategies import PROPS

FUNCTIONS = {"identity": lambda x: x, "log": np.log, "log1p": np.log1p}
#: the smallest value each transform accepts
LOWER = {"identity": -1e4, "log": 1e-3, "log1p": 0.0}


def spec_for(transforms: dict[str, str]) -> ModelSpec:
    """A one-outcome spec whose terms are the columns of ``transforms``."""
    return load_spec({"name": "s", "covariates": transforms,
                      "outcomes": [{"name": "y", "column": "y", "family": "bernoulli",
                                    "terms": list(transforms)}]})


@st.composite
def training_frames(draw: st.DrawFn) -> tuple[dict[str, str], pd.DataFrame]:
    """Random transforms and a finite frame whose columns each vary after the transform."""
    n = draw(st.integers(2, 40))
    names = draw(st.lists(st.from_regex(r"[a-z][a-z_]{0,6}", fullmatch=True)
                          .filter(lambda s: s not in ("reassurance", "y")),
                          min_size=1, max_size=4, unique=True))
    transforms = {c: draw(st.sampled_from(TRANSFORMS)) for c in names}
    columns = {}
    for c, tr in transforms.items():
        values = np.array(draw(st.lists(st.floats(LOWER[tr], 1e4), min_size=n, max_size=n)))
        f = FUNCTIONS[tr](values)
        assume(f.std() > 1e-6 * max(1.0, np.abs(f).max()))  # not (numerically) constant
        columns[c] = values
    return transforms, pd.DataFrame(columns)


@PROPS
@given(training_frames())
def test_standardised_training_columns_have_mean_0_sd_1(case) -> None:
    transforms, frame = case
    scaling = Scaling.from_frame(spec_for(transforms), frame)
    z = scaling.standardise(frame)
    assert set(z) == set(transforms)
    for c, tr in transforms.items():
        assert abs(z[c].mean()) < 1e-6
        assert z[c].std() == pytest.approx(1.0, rel=1e-6)
        # the transform named in the spec, then the training mean and sd
        f = FUNCTIONS[tr](frame[c].to_numpy(float))
        assert dict(scaling.transform)[c] == tr
        assert dict(scaling.mean)[c] == pytest.approx(f.mean(), rel=1e-9, abs=1e-9)
        np.testing.assert_allclose(z[c] * dict(scaling.sd)[c] + dict(scaling.mean)[c], f,
                                   rtol=1e-9, atol=1e-9 * max(1.0, np.abs(f).max()))


@PROPS
@given(training_frames(), st.integers(1, 10), st.randoms(use_true_random=False))
def test_round_trip_standardises_identically(case, rows: int, rng) -> None:
    transforms, frame = case
    scaling = Scaling.from_frame(spec_for(transforms), frame)
    back = Scaling.from_dict(json.loads(json.dumps(scaling.to_dict())))
    assert back == scaling
    # new rows (resampled from the training rows, shifted within each domain) use the
    # training mean and sd, before and after the round trip alike
    new = frame.sample(n=rows, replace=True, random_state=rng.randint(0, 2**31)) * 1.5
    for frame_ in (frame, new):
        z, z_back = scaling.standardise(frame_), back.standardise(frame_)
        for c in transforms:
            np.testing.assert_array_equal(z[c], z_back[c])
    for c, tr in transforms.items():
        expected = (FUNCTIONS[tr](new[c].to_numpy(float)) - dict(scaling.mean)[c]) \
            / dict(scaling.sd)[c]
        np.testing.assert_allclose(scaling.standardise(new)[c], expected, rtol=1e-12)


@PROPS
@given(n=st.integers(2, 20), value=st.floats(-1e4, 1e4))
def test_constant_column_raises_naming_it(n: int, value: float) -> None:
    with pytest.raises(SpecError, match="covariate 'x' is constant"):
        Scaling.from_frame(spec_for({"x": "identity"}), pd.DataFrame({"x": [value] * n}))


@PROPS
@given(tr=st.sampled_from(["log", "log1p"]),
       values=st.lists(st.floats(-1e4, 1e4), min_size=2, max_size=20))
def test_transform_outside_its_domain_raises(tr: str, values: list[float]) -> None:
    x = np.array(values)
    bad = np.any(x <= 0) if tr == "log" else np.any(x < 0)
    assume(bad)
    with pytest.raises(SpecError, match=f"covariate 'x'.*'{tr}'"):
        Scaling.from_frame(spec_for({"x": tr}), pd.DataFrame({"x": x}))


@PROPS
@given(n=st.integers(2, 20), bad=st.sampled_from([np.nan, np.inf, -np.inf]))
def test_non_finite_values_raise_naming_the_column(n: int, bad: float) -> None:
    x = np.arange(n, dtype=float)
    x[n // 2] = bad
    with pytest.raises(SpecError, match="covariate 'x' has missing or infinite values"):
        Scaling.from_frame(spec_for({"x": "identity"}), pd.DataFrame({"x": x}))
