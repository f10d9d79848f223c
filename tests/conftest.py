"""Shared test fixtures: headless plotting, paths, the shared real-data folder, fits.

Fits come two ways: ``tiny_joint_fit`` samples (for tests of sampling itself) and
``known_joint_fit`` / ``known_fit_factory`` plant known draws (everything else).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO_ROOT = Path(__file__).resolve().parents[1]
#: the workspace's real public source files sit beside the repository (never copied into it)
SHARED_DATA = Path(
    os.environ.get("BAYES_ALLIANCE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data")
)


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The folder of real source files; tests using it skip cleanly when it is absent."""
    if not (SHARED_DATA / "SHA256SUMS").is_file():
        pytest.skip("real source files not found (looked in ../shared/data); "
                    "set BAYES_ALLIANCE_SHARED_DATA to run these tests")
    return SHARED_DATA




# ---------------------------------------------------------------------- fits from known draws
#: auxiliary parameters of each likelihood family, as the joint model names them (``phi_<o>``)
AUX_PARAMETERS = {"negative_binomial": {"phi": (5.0, 0.5)}, "poisson": {},
                  "lognormal_t": {"sigma": (0.3, 0.02), "nu": (10.0, 1.0)},
                  "lognormal": {"sigma": (0.3, 0.02)}, "bernoulli": {}}


def known_beta_means(terms: list[str]) -> np.ndarray:
    """Posterior means planted for an outcome's slopes: 0.1, -0.2, 0.3, ... by term order."""
    return np.array([(-1) ** j * 0.1 * (j + 1) for j in range(len(terms))])


#: allies of the known-draws fits shared by the report, diagnostics and prediction tests
TINY_ALLIES = ["GFR", "JPN", "ROK", "UKG", "FRN", "ITA", "TUR", "AUL"]


def build_known_fit(*, chains: int = 2, draws: int = 500, seed: int = 0,
                    spec: str = "joint") -> Any:
    """A FitResult of ``spec`` on the 8-ally default panel whose draws are planted, not sampled.

    Every group a report reads is present with the joint model's names, dims
    and coordinates: ``posterior`` (i.i.d. normal draws around known means:
    intercepts 0.5, -0.5, ..., slopes :func:`known_beta_means`, ally sds 0.5,
    one ally correlation around 0.1), ``sample_stats`` (no divergences, i.i.d. energy and
    log density, so every chain passes), ``observed_data`` (the panel's
    outcomes on the model scale), ``posterior_predictive`` and
    ``prior_predictive`` (observations plus noise), ``prior`` and
    ``log_likelihood`` (a normal log density around each observation); as in
    :func:`~bayes_alliance.fit.fit_model`, the posterior-predictive and
    log-likelihood groups hold a thinned posterior (every 5th draw). Only
    the graph-free parts of the model are built: nothing compiles.
    """
    import arviz as az

    import bayes_alliance as ba
    from bayes_alliance.models.joint import observed_rows, observed_values
    from bayes_alliance.results import FitResult

    rng = np.random.default_rng(seed)
    frame = ba.load_panel("default").frame
    frame = frame[frame.ally.isin(TINY_ALLIES)].reset_index(drop=True)
    model = ba.AllianceModel.from_spec(spec, frame, priors="weak")
    outcomes = list(model.spec.outcomes)
    names = [o.name for o in outcomes]
    allies = sorted(model.panel.frame["ally"].unique())
    k, n_ally = len(names), len(allies)

    def params(c: int, scale: float) -> dict[str, np.ndarray]:
        def noise(*shape: int) -> np.ndarray:
            return rng.normal(0.0, 0.1 * scale, size=(c, draws, *shape))

        intercept = np.array([(-1) ** j * 0.5 for j in range(k)]) + noise(k)
        u = noise(n_ally, k) * 3
        rho = np.clip(0.1 + noise(1, 1), -0.3, 0.9)     # one shared correlation: positive definite
        corr = np.broadcast_to(rho, (c, draws, k, k)).copy()
        corr[..., np.arange(k), np.arange(k)] = 1.0
        out = {"intercept": intercept, "u_ally": u, "a_ally": intercept[:, :, None, :] + u,
               "sd_ally": np.abs(0.5 + noise(k)), "corr_ally": corr}
        for o in outcomes:
            out[f"beta_{o.name}"] = known_beta_means(list(o.terms)) + noise(len(o.terms))
            for prefix, (mean, sd) in AUX_PARAMETERS[o.family].items():
                out[f"{prefix}_{o.name}"] = np.abs(rng.normal(mean, sd * scale, (c, draws)))
        return out

    obs = {o.name: observed_values(o, model.panel.frame, observed_rows(o, model.panel.frame))
           for o in outcomes}
    obs_coords = {f"obs_{o.name}": observed_rows(o, model.panel.frame).tolist()
                  for o in outcomes}

    def replicate(c: int, n_draws: int) -> dict[str, np.ndarray]:
        out = {}
        for o in outcomes:
            y = obs[o.name].astype(float)
            shape = (c, n_draws, y.size)
            if o.family == "bernoulli":
                out[o.name] = rng.binomial(1, np.clip(0.8 * y + 0.1, 0, 1), size=shape)
            elif o.family in ("negative_binomial", "poisson"):
                out[o.name] = rng.poisson(y + 0.5, size=shape)
            else:
                out[o.name] = y + rng.normal(0.0, 0.3, size=shape)
        return out

    dims = {"intercept": ["outcome"], "u_ally": ["ally", "outcome"],
            "a_ally": ["ally", "outcome"], "sd_ally": ["outcome"],
            "corr_ally": ["outcome", "outcome_bis"],
            **{f"beta_{o.name}": [f"term_{o.name}"] for o in outcomes},
            **{o.name: [f"obs_{o.name}"] for o in outcomes}}
    coords = {"outcome": names, "outcome_bis": names, "ally": allies,
              **{f"term_{o.name}": list(o.terms) for o in outcomes}, **obs_coords}
    # like fit_model, the predictive groups hold a thinned posterior (every 5th draw)
    kept = np.arange(0, draws, 5)
    loglik = {}
    for o in outcomes:
        err = rng.normal(0.0, 0.2, size=(chains, kept.size, obs[o.name].size))
        loglik[o.name] = -0.5 * (err / 0.5) ** 2 - np.log(0.5 * np.sqrt(2 * np.pi))
    stats = {"diverging": np.zeros((chains, draws), bool),
             "energy": rng.normal(0.0, 1.0, size=(chains, draws)),
             "logp": rng.normal(-1000.0, 5.0, size=(chains, draws))}
    idata = az.from_dict(
        {"posterior": params(chains, 1.0), "sample_stats": stats, "observed_data": obs,
         "prior": params(1, 10.0), "prior_predictive": replicate(1, draws)},
        dims=dims, coords=coords)
    thinned = az.from_dict({"posterior_predictive": replicate(chains, kept.size),
                            "log_likelihood": loglik},
                           dims=dims, coords={**coords, "draw": kept})
    for group in ("posterior_predictive", "log_likelihood"):
        idata[group] = thinned[group]
    info = {"sampler": "known draws", "draws": draws, "tune": 0, "chains": chains, "cores": 1,
            "target_accept": 0.9, "random_seed": seed, "compile_s": 0.0, "sampling_s": 0.0,
            "wall_s": 0.0, "unused_prior_selectors": [], "versions": {}}
    return FitResult(idata=idata, spec=model.spec, panel=model.panel,
                     prior_set=model.priors.prior_set, scaling=model.scaling, info=info)


@pytest.fixture(scope="session")
def known_fit_factory():
    """:func:`build_known_fit`, for tests that plant their own problems in fresh draws."""
    return build_known_fit


@pytest.fixture(scope="session")
def known_joint_fit():
    """One joint FitResult from planted draws (2 chains x 500 draws, 8 allies), no sampling."""
    return build_known_fit()


@pytest.fixture(scope="session")
def tiny_strategic_fit(tmp_path_factory):
    """A strategic fit through the CLI on a panel simulated from the game (ROK 1970-85 + 3).

    Returns the CLI result and the saved run's path (1 chain x 60 draws; slow tests only).
    """
    from typer.testing import CliRunner

    import bayes_alliance as ba
    from bayes_alliance.cli import app
    from bayes_alliance.models.strategic.model import StrategicModel
    from bayes_alliance.models.strategic.simulate import simulate_strategic

    frame = ba.load_panel("default").frame
    skeleton = frame[frame["ally"].isin(["ROK", "JPN", "TAW", "PHI"])
                     & frame["year"].between(1970, 1985)].reset_index(drop=True)
    gen = StrategicModel.from_spec("strategic", skeleton)
    sim, _ = simulate_strategic(gen, {"log_rationality": np.log(200.0)}, seed=3)
    tmp = tmp_path_factory.mktemp("strategic")
    sim.to_csv(tmp / "panel.csv", index=False)
    res = CliRunner().invoke(app, ["fit", "--data", str(tmp / "panel.csv"), "--spec",
                                   "strategic", "--chains", "1", "--draws", "60", "--tune", "60",
                                   "--out", str(tmp / "run.nc")])
    return res, tmp / "run.nc"


@pytest.fixture(scope="session")
def tiny_korea_joint_fit(tmp_path_factory) -> Path:
    """A sampled joint fit (2 x 100 draws) on ROK and three allies, saved; its path.

    Sampled, not planted: scenarios need every free parameter of the model.
    """
    import bayes_alliance as ba

    frame = ba.load_panel("default").frame
    frame = frame[frame.ally.isin(["ROK", "JPN", "TAW", "PHI"])]
    model = ba.AllianceModel.from_spec("joint", frame, priors="weak")
    path = tmp_path_factory.mktemp("joint") / "joint.nc"
    model.fit(draws=100, tune=100, chains=2, random_seed=1).save(path)
    return path
