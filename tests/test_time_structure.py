"""Time structure (issue 14, item 1): period effects, AR(1) errors, group intercepts, onsets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayes_alliance as ba
from bayes_alliance.data.build_outcomes import exit_onset, intervention_years, war
from bayes_alliance.errors import SpecError
from bayes_alliance.fit import fit_model
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.models.priors import resolve_priors
from bayes_alliance.models.spec import check_spec_against_panel, load_spec, parse_spec
from bayes_alliance.models.time_structure import period_of, previous_rows

BREAK = 1980
WARS = {"A": range(1962, 1967), "B": range(1970, 1975), "C": range(1983, 1988),
        "D": range(1992, 1997)}


def _raw(**changes) -> dict:
    raw = {"name": "ts", "priors": "weak",
           "year_effects": {"kind": "period", "breaks": [BREAK]},
           "ally_effects": {"correlated": False, "centered": False},
           "outcomes": [
               {"name": "milex", "column": "milex_gdp", "family": "lognormal", "ar1": True,
                "terms": ["threat"]},
               {"name": "intervene", "column": "intervene", "family": "bernoulli",
                "group_effects": "war", "terms": ["threat"]}]}
    raw.update(changes)
    return raw


# ------------------------------------------------------------------------- parsing
def test_time_options_parse_and_label_periods() -> None:
    spec = parse_spec(_raw(year_effects={"kind": "period", "breaks": [1970, 1990]}),
                      where="t")
    assert spec.year_breaks == (1970, 1990)
    assert spec.period_labels == ("-1969", "1970-1989", "1990-")
    assert list(period_of(spec, np.array([1950, 1969, 1970, 1989, 1990, 2010]))) == \
        [0, 0, 1, 1, 2, 2]
    assert spec.outcome("milex").ar1 and spec.outcome("intervene").group_effects == "war"
    assert type(spec).from_dict(spec.to_dict()) == spec


def test_specs_without_time_options_keep_their_dict_and_hash() -> None:
    spec = load_spec("joint-real")
    d = spec.to_dict()
    assert "year_breaks" not in d and "latent_innovations" not in d
    assert all("ar1" not in o and "group_effects" not in o for o in d["outcomes"])
    assert type(spec).from_dict(d) == spec


@pytest.mark.parametrize(("year", "message"), [
    ({"kind": "iid", "breaks": [1990]}, "'breaks' only applies to kind = \"period\""),
    ({"kind": "period"}, "'breaks' must be a non-empty list of increasing years"),
    ({"kind": "period", "breaks": []}, "'breaks' must be a non-empty list"),
    ({"kind": "period", "breaks": [1990, 1970]}, "strictly increasing"),
    ({"kind": "period", "breaks": [1990.5]}, "'breaks' must be a non-empty list"),
    ({"kind": "periods"}, "kind 'periods' is unknown; valid: none, iid, period"),
])
def test_bad_period_declarations_name_the_key(year, message) -> None:
    with pytest.raises(SpecError, match="year_effects") as err:
        parse_spec(_raw(year_effects=year), where="t")
    assert message in str(err.value)


def test_ar1_needs_a_continuous_family() -> None:
    raw = _raw()
    raw["outcomes"][1]["ar1"] = True
    with pytest.raises(SpecError, match="'ar1' .* needs a continuous family .*not 'bernoulli'"):
        parse_spec(raw, where="t")
    raw = _raw()
    raw["outcomes"][0]["ar1"] = "yes"
    with pytest.raises(SpecError, match="'ar1' must be true or false"):
        parse_spec(raw, where="t")


def test_group_column_is_checked_against_the_panel(sim_panel) -> None:
    spec = parse_spec(_raw(), where="t")
    check_spec_against_panel(spec, sim_panel)
    frame = sim_panel.frame.drop(columns="war")
    with pytest.raises(SpecError, match="group_effects column 'war' is not in the panel"):
        check_spec_against_panel(spec, ba.load_panel(frame))
    frame = sim_panel.frame.assign(war="A")
    with pytest.raises(SpecError, match="has 1 level.* at least 2 groups"):
        check_spec_against_panel(spec, ba.load_panel(frame))


def test_time_parameters_resolve_through_the_prior_sets() -> None:
    spec = parse_spec(_raw(), where="t")
    for name in ("weak", "theory", "skeptical", "sbc"):
        resolved = resolve_priors(spec, name)
        assert set(resolved.cells["period"]) == {("milex", "1980-"), ("intervene", "1980-")}
        assert set(resolved.cells["rho"]) == {("milex",)}
        assert set(resolved.cells["sd_group"]) == {("intervene",)}
    bare = {"name": "bare", "priors": {"intercept": {"dist": "Normal", "mu": 0, "sigma": 1},
                                       "beta": {"dist": "Normal", "mu": 0, "sigma": 1},
                                       "sd_ally": {"dist": "HalfNormal", "sigma": 1},
                                       "sigma": {"dist": "HalfNormal", "sigma": 1}}}
    with pytest.raises(SpecError, match=r"no prior for period\[milex, 1980-\]; add a selector"):
        resolve_priors(spec, bare)
    with pytest.raises(SpecError, match="'rho' cannot take a HalfNormal prior"):
        resolve_priors(spec, {**bare, "priors": {**bare["priors"],
                                                 "rho": {"dist": "HalfNormal", "sigma": 1}}})


# --------------------------------------------------------------------- the panel columns
def test_exit_onset_on_a_hand_made_example() -> None:
    rows = [("AAA", 1950, 1), ("AAA", 1951, 1), ("AAA", 1952, 0), ("AAA", 1953, 0),
            ("AAA", 1954, 1), ("AAA", 1955, 1), ("AAA", 1956, 0),
            ("BBB", 1960, 0), ("BBB", 1961, 0), ("BBB", 1963, 1), ("BBB", 1964, 0),
            ("BBB", 1965, 1)]
    pursuit = pd.DataFrame(rows, columns=["ally", "year", "exit_pursuit"])
    out = exit_onset(pursuit)
    onset = [None if pd.isna(v) else int(v) for v in out["exit_onset"]]
    # AAA: left-censored spell, at risk 1952-53, onset 1954, continuing 1955, at risk 1956;
    # BBB: a gap before 1963 leaves that spell's onset unobserved
    assert onset == [None, None, 0, 0, 1, None, 0, 0, 0, None, 0, 1]
    assert out["exit_duration"].tolist() == [0, 0, 1, 2, 3, 0, 1, 1, 2, 0, 1, 2]


def test_real_panel_onsets_and_wars() -> None:
    f = ba.load_panel("real").frame
    onsets = f.loc[f["exit_onset"] == 1, ["ally", "year"]].itertuples(index=False)
    assert ("ROK", 1970) in {tuple(r) for r in onsets}
    assert f["exit_onset"].sum() == 10  # NOR and UKG were pursuing in 1950: not onsets
    in_spell = f["exit_pursuit"] == 1
    assert f.loc[~in_spell, "exit_onset"].eq(0).all()
    assert (f.loc[in_spell, "exit_onset"].fillna(1) == 1).all()
    keys = pd.DataFrame({"ally": ["X", "X", "X"], "year": [1960, 1966, 2005]})
    assert [None if pd.isna(w) else w for w in war(keys, None)["war"]] == \
        [None, "Vietnam War", "Afghanistan + Iraq War"]
    assert f["war"].notna().equals(f["year"].isin(intervention_years()))


# ----------------------------------------------------------------------- the model
def _at(model, out, point):
    """Value of the graph ``out`` at a point of the model's (transformed) value variables."""
    out = model.replace_rvs_by_values([out])[0]
    return model.compile_fn(out, inputs=model.value_vars, on_unused_input="ignore")(point)


def test_previous_rows_follow_consecutive_observed_years() -> None:
    frame = pd.DataFrame({"ally": ["A", "A", "A", "A", "B", "B"],
                          "year": [1950, 1951, 1953, 1954, 1950, 1951]})
    rows = np.array([0, 1, 2, 3, 5])  # B 1950 unobserved
    assert previous_rows(frame, rows).tolist() == [-1, 0, -1, 2, -1]


def test_ar1_likelihood_is_the_conditional_density(sim_panel) -> None:
    """The model's log-likelihood of log spending equals the AR(1) density by hand."""
    spec = parse_spec(_raw(), where="t")
    model = AllianceModel.from_spec(spec, sim_panel)
    m = model.pymc_model
    point = m.initial_point()
    point.update({"rho_milex_interval__": np.float64(0.8), "sigma_milex_log__": np.log(0.2),
                  "intercept": np.array([1.0, 0.0]),
                  "period_effect": np.array([[0.3], [0.0]]), "beta_milex": np.array([0.25])})
    logp = _at(m, m.logp(vars=[m["milex"]], sum=True), point)
    rho = float(np.tanh(0.4))  # interval transform of (-1, 1): rho = tanh(x / 2)
    f = sim_panel.frame
    u = _at(m, m["u_ally"], point)[:, 0]
    ally = f["ally"].map({a: i for i, a in enumerate(sim_panel.allies)}).to_numpy()
    z = (f["threat"] - f["threat"].mean()) / f["threat"].std(ddof=0)
    eta = 1.0 + u[ally] + 0.25 * z.to_numpy() + 0.3 * (f["year"] >= BREAK).to_numpy()
    y = np.log(f["milex_gdp"].to_numpy())
    first = (f["ally"] != f["ally"].shift()).to_numpy()
    resid = y - eta
    mu = eta + np.where(first, 0.0, rho * np.roll(resid, 1))
    sd = np.where(first, 0.2 / np.sqrt(1 - rho ** 2), 0.2)
    assert logp == pytest.approx(stats.norm.logpdf(y, mu, sd).sum(), rel=1e-8)


def test_predictions_are_marginal_in_the_ar_term(sim_panel) -> None:
    """The predictor's eta has no lagged residual: a row's eta ignores its ally's past y."""
    spec = parse_spec(_raw(), where="t")
    a = AllianceModel.from_spec(spec, sim_panel)
    changed = sim_panel.frame.copy()
    changed["milex_gdp"] = changed["milex_gdp"] * 3.0
    b = AllianceModel.from_spec(spec, ba.load_panel(changed))
    point = a.pymc_model.initial_point()
    point["beta_milex"] = np.array([0.5])
    eta_a = _at(a.pymc_model, a.graph.eta["milex"], point)
    np.testing.assert_allclose(eta_a, _at(b.pymc_model, b.graph.eta["milex"], point))
    assert np.ptp(eta_a) > 0


# ------------------------------------------------------------------------- recovery
TRUTH = {"rho": 0.7, "sigma": 0.15, "period_milex": 0.4, "beta_milex": 0.3,
         "war": {"A": -1.0, "B": 1.0, "C": -1.0, "D": 1.0}, "beta_intervene": 0.5}


@pytest.fixture(scope="module")
def sim_panel() -> ba.Panel:
    """16 allies x 1960-1999: AR(1) log spending with a period shift, war-specific participation."""
    rng = np.random.default_rng(14)
    years = np.arange(1960, 2000)
    f = ba.load_panel("default").frame
    span = f.groupby("ally")["year"].agg(["min", "max"])
    whole = span.index[(span["min"] <= years[0]) & (span["max"] >= years[-1])]
    base = f[(f["year"] == 1980) & f["ally"].isin(whole)].head(16)
    allies = base["ally"].tolist()
    rows = []
    for i in range(len(allies)):
        cov = base.iloc[i]
        for y in years:
            rows.append({**cov.to_dict(), "year": int(y),
                         "threat": float(cov["threat"] + rng.normal(0, 1))})
    frame = pd.DataFrame(rows)
    z = ((frame["threat"] - frame["threat"].mean()) / frame["threat"].std(ddof=0)).to_numpy()
    u = np.repeat(rng.normal(0, 0.3, len(allies)), len(years))
    eta = 1.0 + u + TRUTH["beta_milex"] * z + TRUTH["period_milex"] * (frame["year"] >= BREAK)
    e = np.zeros(len(frame))
    for i in range(len(frame)):
        first = i % len(years) == 0
        sd = TRUTH["sigma"] / np.sqrt(1 - TRUTH["rho"] ** 2) if first else TRUTH["sigma"]
        e[i] = (0.0 if first else TRUTH["rho"] * e[i - 1]) + rng.normal(0, sd)
    frame["milex_gdp"] = np.exp(eta + e)
    label = {y: w for w, span in WARS.items() for y in span}
    frame["war"] = pd.array([label.get(int(y), pd.NA) for y in frame["year"]], dtype="string")
    w = frame["war"].map(TRUTH["war"]).astype(float).to_numpy()
    ua = np.repeat(rng.normal(0, 0.3, len(allies)), len(years))
    p = 1 / (1 + np.exp(-(-0.3 + ua + TRUTH["beta_intervene"] * z + w)))
    frame["intervene"] = pd.array(np.where(frame["war"].isna(), pd.NA,
                                           (rng.random(len(frame)) < p).astype(int)),
                                  dtype="Int64")
    return ba.load_panel(frame)


@pytest.mark.slow
def test_time_structure_recovers_known_parameters(sim_panel) -> None:
    spec = parse_spec(_raw(), where="t")
    model = AllianceModel.from_spec(spec, sim_panel)
    result = fit_model(model, draws=300, tune=300, chains=2, random_seed=3, prior_draws=10,
                       predictive=False)
    post = result.idata["posterior"]
    rho = post["rho_milex"].values.ravel()
    assert abs(rho.mean() - TRUTH["rho"]) < max(3 * rho.std(), 0.05)
    period = post["period_effect"].sel(outcome="milex", period="1980-").values.ravel()
    assert abs(period.mean() - TRUTH["period_milex"]) < 3 * period.std() + 0.02
    sigma = post["sigma_milex"].values.ravel()
    assert abs(sigma.mean() - TRUTH["sigma"]) < 3 * sigma.std() + 0.01
    eff = post["group_effect_intervene"]
    for low, high in (("A", "B"), ("C", "D")):  # true contrast +2 within each period
        diff = (eff.sel(group_intervene=high) - eff.sel(group_intervene=low)).values.ravel()
        assert (diff > 0).mean() > 0.95
        assert abs(diff.mean() - 2.0) < 3 * diff.std()
    # predictions are marginal in the AR(1) term: log spending spreads around eta with the
    # stationary sd sigma / sqrt(1 - rho^2), not the innovation sd
    eta = result.predict(kind="linpred", outcomes=["milex"])["milex"].values
    y = np.log(result.predict(kind="predict", outcomes=["milex"], random_seed=1)["milex"].values)
    spread = float((y - eta).std())
    stationary = TRUTH["sigma"] / np.sqrt(1 - TRUTH["rho"] ** 2)
    assert abs(spread - stationary) < 0.15 * stationary
    # a war row's predictor carries its war's intercept; without the label column (a covariate
    # grid) the row gets the average war's, 0
    rows = sim_panel.frame[sim_panel.frame["war"] == "B"].head(3)
    with_war, without = (result.predict(r, kind="linpred", outcomes=["intervene"])["intervene"]
                         for r in (rows, rows.drop(columns="war")))
    np.testing.assert_allclose((with_war - without).values,
                               np.repeat(eff.sel(group_intervene="B").values[..., None], 3, -1),
                               atol=1e-8)


def test_simulate_refuses_ar1_specs(sim_panel) -> None:
    """simulate() would draw each year given the *observed* lag, not an AR(1) path."""
    model = AllianceModel.from_spec(parse_spec(_raw(), where="t"), sim_panel)
    with pytest.raises(SpecError, match="AR\\(1\\)"):
        model.simulate({}, seed=1)
