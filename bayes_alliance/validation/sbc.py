r"""Simulation-based calibration (SBC) of a model spec, fanned out on Dask.

For simulation :math:`s = 1..S`: draw every parameter :math:`\theta^{(s)}` from
the prior and outcomes :math:`y^{(s)}` from the model's own generative graph
(:meth:`~bayes_alliance.models.model.AllianceModel.simulate` with no fixed
parameters) on a small covariate skeleton (synthetic covariates, or the real
panel's design: covariates, exposure and the missingness of every outcome and
indicator; :mod:`bayes_alliance.validation.panels`), fit the *same* model and prior with
nutpie, thin the posterior to :math:`L` draws and record the rank of each
true population-level parameter among them,
:math:`r = \#\{l : \theta_l < \theta^{(s)}\} \in \{0, \dots, L\}`. If the
sampler and the model code are correct the ranks are uniform on
:math:`0..L` (Talts et al. 2018).

* Thinning: ``chains x draws`` posterior draws are thinned evenly to
  ``L = n_ranks`` draws; the minimum bulk ESS of each fit is recorded so that
  one can check that the kept draws are roughly independent (ESS >= L).
* Uniformity: a chi-square test per parameter on the ranks binned into
  equal-width bins, Holm-corrected across parameters; a parameter fails at
  family-wise level ``alpha`` (1 %) when its adjusted p-value is below it.
* Plot: the ECDF of the fractional ranks minus the uniform CDF, with a
  *simultaneous* band (Säilynoja, Bürkner & Vehtari 2022) computed here by
  simulating uniform ranks: the pointwise binomial band is narrowed to level
  :math:`\gamma` such that a whole uniform ECDF stays inside with probability
  ``band_prob``.
* Streaming and resume: one Dask task per simulation; each result is written
  atomically to ``OUT/sims/sim_NNNN.json`` as soon as it arrives, and a rerun
  with the same settings only runs the simulations that have no file. The
  seed of simulation ``i`` depends only on the run seed and ``i``.
* Degenerate prior draws: the ``weak`` prior set lets the Student-t degrees
  of freedom of log military spending go below 1 and the reassurance
  intercept produce counts beyond int32, so about 0.35 % of prior draws give
  non-finite or overflowing outcomes on the SBC skeleton. Rather than drop
  those simulations (which would bias the ranks), the default SBC prior set
  ``sbc`` (``models/priors/sbc.toml``) narrows those two priors, and it is
  used both to simulate and to fit, which keeps SBC exact. A simulation that
  still fails is recorded with its error, never skipped silently.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bayes_alliance.errors import ValidationRunError
from bayes_alliance.io import write_text_atomic, write_with
from bayes_alliance.models.spec import load_spec
from bayes_alliance.validation.cluster import dask_client
from bayes_alliance.validation.panels import describe_skeleton, generating_model, skeleton_frame
from bayes_alliance.validation.sampling import simulate_and_fit

SIM_DIR = "sims"
#: coverage of the simultaneous ECDF band in the plot and the ``outside_band`` flags
BAND_PROB = 0.99
CONFIG_FILE = "config.json"
SCHEMA = 1
#: kinds of covariate skeleton (:mod:`bayes_alliance.validation.panels`)
SKELETONS = ("synthetic", "real")


@dataclass(frozen=True)
class SBCConfig:
    """Everything that defines an SBC run (and must match to resume one).

    Attributes
    ----------
    spec, priors
        Model spec and prior set (names or paths); the same prior generates
        and fits.
    skeleton
        ``"synthetic"``: the first ``n_allies`` allies of
        :data:`~bayes_alliance.validation.panels.ALLY_ORDER` over ``n_years``
        years from ``first_year``, simulated covariates
        (:func:`~bayes_alliance.validation.panels.skeleton`). ``"real"``: the
        real panel's design on ``allies`` over the same window: its
        covariates, exposure, alliance years and the missingness of every
        outcome and indicator (:func:`~bayes_alliance.validation.panels.real_skeleton`).
    n_allies, first_year, n_years
        Size and window of the skeleton (real: ``n_allies`` is ``len(allies)``).
    allies
        Ally codes of a real skeleton (empty for a synthetic one).
    draws, tune, chains, target_accept
        NUTS settings of every fit (nutpie).
    n_ranks
        ``L``: posterior draws kept after thinning; ranks lie in ``0..L``.
    seed
        Run seed; simulation ``i`` uses :func:`simulation_seed` (seed, i).
    centered
        Override the spec's ally-effect parameterisation (None keeps it).
    covariate_seed
        Seed of the covariate skeleton (None: the default panel's).
    """

    spec: str = "joint"
    priors: str = "sbc"
    n_allies: int = 10
    first_year: int = 1962
    n_years: int = 18
    draws: int = 500
    tune: int = 500
    chains: int = 2
    target_accept: float = 0.9
    n_ranks: int = 99
    seed: int = 2018
    centered: bool | None = None
    covariate_seed: int | None = None
    skeleton: str = "synthetic"
    allies: tuple[str, ...] = ()
    schema: int = field(default=SCHEMA)

    def __post_init__(self) -> None:
        # JSON gives a list; a tuple keeps the config hashable for the model cache
        object.__setattr__(self, "allies", tuple(self.allies))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly mapping (stored as ``config.json``)."""
        return {**asdict(self), "allies": list(self.allies)}

    def check(self) -> None:
        """Raise :class:`ValidationRunError` for settings that cannot work."""
        if self.chains * self.draws < self.n_ranks:
            raise ValidationRunError(f"chains x draws ({self.chains * self.draws}) must be at "
                                     f"least n_ranks ({self.n_ranks})")
        if self.n_ranks < 1 or self.draws < 1 or self.chains < 1 or self.tune < 0:
            raise ValidationRunError("n_ranks, draws and chains must be >= 1, tune >= 0")
        if self.skeleton not in SKELETONS:
            raise ValidationRunError(f"unknown skeleton '{self.skeleton}'; use one of "
                                     f"{', '.join(SKELETONS)}")
        real = self.skeleton == "real"
        if real and (not self.allies or self.n_allies != len(self.allies)
                     or self.covariate_seed is not None):
            raise ValidationRunError("a real skeleton needs its ally codes (allies), n_allies "
                                     "equal to their number and no covariate_seed")
        if not real and self.allies:
            raise ValidationRunError("ally codes are for a real skeleton; a synthetic one takes "
                                     "the first n_allies allies of the fixed order")


def parse_allies(skeleton: str, allies: str) -> tuple[int, tuple[str, ...]]:
    """``(n_allies, ally codes)`` from the command line's ``--allies`` for ``skeleton``.

    Synthetic: a number (``"10"``: the first ten allies of the fixed order), no
    codes. Real: comma-separated ally codes (``"ROK,JPN,FRN"``).
    """
    text = allies.strip()
    if skeleton == "real":
        codes = tuple(c.strip().upper() for c in text.split(",") if c.strip())
        if not codes or any(c.isdigit() for c in codes):
            raise ValidationRunError(f"--allies '{allies}': a real skeleton takes ally codes "
                                     "separated by commas, e.g. --allies ROK,JPN,FRN")
        return len(codes), codes
    if not text.isdigit():
        raise ValidationRunError(f"--allies '{allies}': a synthetic skeleton takes a number of "
                                 "allies, e.g. --allies 10 (ally codes need --skeleton real)")
    return int(text), ()


def simulation_seed(seed: int, index: int) -> int:
    """Seed of simulation ``index`` of a run with seed ``seed`` (independent streams)."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def thin_indices(total: int, n_keep: int) -> np.ndarray:
    """``n_keep`` evenly spaced indices into ``total`` stacked draws."""
    return np.floor(np.arange(n_keep) * total / n_keep).astype(int)


def ranks_of(params: Any, truth: dict[str, float], n_ranks: int) -> dict[str, int]:
    """Rank of each true value among the evenly thinned posterior draws.

    Parameters
    ----------
    params
        Readable posterior draws (``xarray.Dataset`` with dims chain, draw).
    truth
        True value per parameter name.
    n_ranks
        Draws kept after thinning (``L``).
    """
    out = {}
    for name, value in truth.items():
        draws = np.asarray(params[name].values, float).reshape(-1)
        kept = draws[thin_indices(draws.size, n_ranks)]
        out[name] = int(np.sum(kept < value))
    return out


# ---------------------------------------------------------------------- one simulation
def generator(cfg: SBCConfig):
    """The generating model on the run's skeleton (cached per process)."""
    from dataclasses import replace


    spec = load_spec(cfg.spec)
    if cfg.centered is not None:
        spec = replace(spec, centered=cfg.centered)
    return generating_model(spec, cfg.priors, cfg.n_allies, cfg.first_year, cfg.n_years,
                            seed=cfg.covariate_seed,
                            real_allies=cfg.allies if cfg.skeleton == "real" else None)


def run_simulation(config: dict[str, Any], index: int) -> dict[str, Any]:
    """Simulate data set ``index`` from the prior, fit it and rank the truth.

    Runs inside a Dask worker; returns a JSON-friendly record. Errors are
    returned as ``{"index": ..., "error": ...}`` so that they are recorded,
    not lost.
    """
    cfg = SBCConfig(**config)
    seed = simulation_seed(cfg.seed, index)
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, true_values, params, stats = simulate_and_fit(
                generator(cfg), {}, seed=seed, draws=cfg.draws, tune=cfg.tune,
                chains=cfg.chains, target_accept=cfg.target_accept)
            import arviz as az

            ess = az.ess(params, method="bulk")
            min_ess = float(min(float(ess[v]) for v in ess.data_vars))
    except Exception as err:  # noqa: BLE001 - recorded in the result file, never dropped
        return {"index": index, "seed": seed, "error": f"{type(err).__name__}: {err}",
                "seconds": round(time.perf_counter() - t0, 2)}
    return {
        "index": index, "seed": seed, "n_ranks": cfg.n_ranks,
        "ranks": ranks_of(params, true_values, cfg.n_ranks),
        "truth": {k: round(v, 6) for k, v in true_values.items()},
        "post_mean": {k: round(float(params[k].mean()), 6) for k in true_values},
        "post_sd": {k: round(float(params[k].std()), 6) for k in true_values},
        "divergences": stats["divergences"], "min_ess_bulk": round(min_ess, 1),
        "sampling_s": stats["sampling_s"], "seconds": round(time.perf_counter() - t0, 2),
    }


# ---------------------------------------------------------------------- the run
def _check_config(out: Path, cfg: SBCConfig, *, force: bool) -> None:
    path = out / CONFIG_FILE
    if path.is_file():
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as err:
            raise ValidationRunError(f"{path} is not valid JSON ({err}); remove the folder "
                                     "or choose another --out") from err
        # keys added since a run was written (skeleton, allies) take their defaults
        saved = {**SBCConfig().to_dict(), **saved}
        if saved != cfg.to_dict():
            if not force:
                diff = sorted(k for k in set(saved) | set(cfg.to_dict())
                              if saved.get(k) != cfg.to_dict().get(k))
                raise ValidationRunError(
                    f"{out} holds an SBC run with other settings (differs in: "
                    f"{', '.join(diff)}); resume with the same settings, choose another "
                    "--out, or pass --force to discard it")
            for p in (out / SIM_DIR).glob("sim_*.json"):
                p.unlink()
    write_text_atomic(path, json.dumps(cfg.to_dict(), indent=1) + "\n", force=True)


def finished_indices(out: str | Path) -> set[int]:
    """Indices of simulations that already have a result file in ``out``."""
    return {int(p.stem.split("_")[1]) for p in (Path(out) / SIM_DIR).glob("sim_*.json")}


def run_sbc(cfg: SBCConfig, n_sims: int, out: str | Path, *, scheduler: str | None = None,
            workers: int = 2, force: bool = False, progress: Any = None) -> dict[str, Any]:
    """Run (or resume) ``n_sims`` SBC simulations, streaming each result to ``out``.

    Parameters
    ----------
    cfg
        Settings of the run.
    n_sims
        Total simulations wanted (finished ones are not redone).
    out
        Output folder (``config.json`` and ``sims/sim_NNNN.json``).
    scheduler
        Dask scheduler address; None starts a local cluster of ``workers``
        single-threaded processes.
    workers
        Worker processes of the local cluster.
    force
        Discard an existing run in ``out`` made with other settings.
    progress
        Callback ``progress(done, message)`` (see
        :func:`~bayes_alliance.progress.progress_bar`).

    Returns
    -------
    dict
        ``{"new": fits run now, "reused": results found on disk, "failed": ...}``.
    """
    from dask.distributed import as_completed


    cfg.check()
    if n_sims < 1:
        raise ValidationRunError(f"need at least one simulation, got {n_sims}")
    out = Path(out)
    _check_config(out, cfg, force=force)
    done = finished_indices(out)
    todo = [i for i in range(n_sims) if i not in done]
    reused = n_sims - len(todo)
    failed = 0
    if todo:
        with dask_client(scheduler, workers) as client:
            futures = [client.submit(run_simulation, cfg.to_dict(), i, pure=False,
                                     key=f"sbc-sim-{cfg.seed}-{i}-{time.time_ns()}")
                       for i in todo]
            for n, fut in enumerate(as_completed(futures), start=1):
                try:
                    res = fut.result()
                except Exception as err:  # a worker died: finished files are kept
                    raise ValidationRunError(
                        f"an SBC task failed outside the model ({type(err).__name__}: {err}); "
                        f"{n - 1} new results are saved in {out}; rerun the same command "
                        "to resume") from err
                name = f"sim_{res['index']:04d}.json"
                write_text_atomic(out / SIM_DIR / name, json.dumps(res) + "\n", force=True)
                if "error" in res:
                    failed += 1
                    msg = f"sim {res['index']} FAILED: {res['error'][:60]}"
                else:
                    msg = (f"sim {res['index']} {res['seconds']:.1f} s, "
                           f"{res['divergences']} div.")
                if progress is not None:
                    progress(reused + n, msg)
    return {"new": len(todo), "reused": reused, "failed": failed, "out": str(out)}


# ---------------------------------------------------------------------- analysis
def load_results(out: str | Path, n_sims: int | None = None) -> tuple[dict, list[dict]]:
    """Config and per-simulation records of the run in ``out`` (first ``n_sims``)."""
    out = Path(out)
    path = out / CONFIG_FILE
    if not path.is_file():
        raise ValidationRunError(f"{out} holds no SBC run (no {CONFIG_FILE}); run "
                                 "`bayes-alliance sbc --out DIR` first")
    cfg = json.loads(path.read_text(encoding="utf-8"))
    records = []
    for p in sorted((out / SIM_DIR).glob("sim_*.json")):
        rec = json.loads(p.read_text(encoding="utf-8"))
        if n_sims is None or rec["index"] < n_sims:
            records.append(rec)
    return cfg, sorted(records, key=lambda r: r["index"])


def rank_table(records: list[dict]) -> pd.DataFrame:
    """Ranks of the successful simulations: one row per simulation, one column per parameter."""
    ok = [r for r in records if "error" not in r]
    if not ok:
        raise ValidationRunError("no successful SBC simulation to analyse")
    return pd.DataFrame([r["ranks"] for r in ok], index=[r["index"] for r in ok])


def choose_bins(n_sims: int, n_ranks: int, max_bins: int = 20) -> int:
    """Equal-width bins of the ``n_ranks + 1`` rank values, about 5+ expected per bin."""
    values = n_ranks + 1
    candidates = [b for b in range(2, max_bins + 1) if values % b == 0 and n_sims / b >= 5]
    return max(candidates) if candidates else 2 if values % 2 == 0 else 1


def uniformity(ranks: pd.DataFrame, n_ranks: int, *, alpha: float = 0.01,
               bins: int | None = None) -> pd.DataFrame:
    """Chi-square test of uniform ranks per parameter, Holm-corrected.

    Parameters
    ----------
    ranks
        Output of :func:`rank_table`.
    n_ranks
        ``L``; ranks take the values ``0..L``.
    alpha
        Family-wise level.
    bins
        Equal-width bins of the ``L + 1`` rank values (default: :func:`choose_bins`).

    Returns
    -------
    pandas.DataFrame
        Per parameter: ``n``, ``bins``, ``chi2``, ``p``, ``p_holm``, ``ks_p``
        (KS test of the randomised fractional ranks, for reference),
        ``mean_rank`` (uniform: L/2), ``passed``.
    """
    from scipy import stats
    from statsmodels.stats.multitest import multipletests

    n = len(ranks)
    b = bins or choose_bins(n, n_ranks)
    width = (n_ranks + 1) // b if b > 1 else n_ranks + 1
    rng = np.random.default_rng(0)
    rows = []
    for name in ranks.columns:
        r = ranks[name].to_numpy(int)
        counts = np.bincount(np.minimum(r // width, b - 1), minlength=b)
        chi2, p = stats.chisquare(counts) if b > 1 else (0.0, 1.0)
        u = (r + rng.uniform(size=r.size)) / (n_ranks + 1)
        rows.append({"parameter": name, "n": n, "bins": b, "chi2": float(chi2), "p": float(p),
                     "ks_p": float(stats.kstest(u, "uniform").pvalue),
                     "mean_rank": float(r.mean())})
    table = pd.DataFrame(rows).set_index("parameter")
    table["p_holm"] = multipletests(table["p"].to_numpy(), alpha=alpha, method="holm")[1]
    table["passed"] = table["p_holm"] >= alpha
    return table[["n", "bins", "mean_rank", "chi2", "p", "p_holm", "ks_p", "passed"]]


def ecdf_band(n_sims: int, n_ranks: int, *, prob: float = 0.99, n_simulations: int = 4000,
              seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simultaneous band for the ECDF difference of ``n_sims`` uniform ranks on ``0..L``.

    Säilynoja et al. (2022), simulation method: draw ``n_simulations`` sets
    of uniform ranks, find for each the smallest two-sided pointwise binomial
    tail probability over the evaluation points, and take its
    ``1 - prob`` quantile as the pointwise level ``gamma``; the band is the
    binomial ``gamma/2`` and ``1 - gamma/2`` quantiles at each point.

    Returns
    -------
    z
        Evaluation points ``(k + 1) / (L + 1)``, ``k = 0..L-1`` (fractional rank).
    lower, upper
        Band of ``ECDF(z) - z``.
    """
    from scipy import stats

    values = n_ranks + 1
    z = np.arange(1, values) / values
    rng = np.random.default_rng(seed)
    sims = rng.integers(0, values, size=(n_simulations, n_sims))
    counts = np.stack([np.bincount(s, minlength=values) for s in sims])
    cum = np.cumsum(counts, axis=1)[:, :-1]  # number of ranks <= k
    lo_tail = stats.binom.cdf(cum, n_sims, z)
    hi_tail = stats.binom.sf(cum - 1, n_sims, z)
    gamma_each = np.min(2 * np.minimum(lo_tail, hi_tail), axis=1)
    gamma = float(np.quantile(gamma_each, 1 - prob))
    lower = stats.binom.ppf(gamma / 2, n_sims, z) / n_sims - z
    upper = stats.binom.ppf(1 - gamma / 2, n_sims, z) / n_sims - z
    return z, lower, upper


def ecdf_difference(ranks: np.ndarray, n_ranks: int) -> np.ndarray:
    """``ECDF(z) - z`` of the ranks at the points of :func:`ecdf_band`."""
    values = n_ranks + 1
    r = np.asarray(ranks, int)
    cum = np.cumsum(np.bincount(r, minlength=values))[:-1] / r.size
    return cum - np.arange(1, values) / values


def outside_band(ranks: pd.DataFrame, n_ranks: int, *, prob: float = 0.99) -> np.ndarray:
    """Whether each parameter's ECDF difference leaves the simultaneous ``prob`` band.

    The band is simultaneous over ranks, not over parameters: with ``k``
    parameters about ``k * (1 - prob)`` leave it by chance.
    """
    _, lower, upper = ecdf_band(len(ranks), n_ranks, prob=prob)
    out = []
    for name in ranks.columns:
        diff = ecdf_difference(ranks[name].to_numpy(), n_ranks)
        out.append(bool(np.any((diff < lower - 1e-12) | (diff > upper + 1e-12))))
    return np.array(out)


def plot_ecdf(ranks: pd.DataFrame, n_ranks: int, table: pd.DataFrame, *, prob: float = 0.99):
    """Grid of ECDF-difference plots, one per parameter, with the simultaneous band."""
    from matplotlib.figure import Figure

    names = list(ranks.columns)
    z, lower, upper = ecdf_band(len(ranks), n_ranks, prob=prob)
    ncol = 8 if len(names) > 24 else 6 if len(names) > 12 else min(4, len(names))
    nrow = int(np.ceil(len(names) / ncol))
    fig = Figure(figsize=(2.6 * ncol, 1.95 * nrow + 0.6))
    axes = fig.subplots(nrow, ncol, sharex=True, sharey=True, squeeze=False)
    lim = float(max(np.abs(lower).max(), np.abs(upper).max()) * 1.6)
    for ax, name in zip(axes.ravel(), names, strict=False):
        diff = ecdf_difference(ranks[name].to_numpy(), n_ranks)
        row = table.loc[name]
        outside = bool(np.any((diff < lower - 1e-12) | (diff > upper + 1e-12)))
        colour = "C3" if (not row["passed"] or outside) else "C0"
        ax.fill_between(z, lower, upper, step="post", color="0.85", lw=0)
        ax.step(z, diff, where="post", color=colour, lw=1.1)
        ax.axhline(0, color="0.5", lw=0.6)
        ax.set_title(f"{name}\np={row['p']:.2f}, Holm {row['p_holm']:.2f}", fontsize=7.5)
        ax.tick_params(labelsize=7)
        ax.set_ylim(-lim, lim)
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    for col in range(ncol):  # x labels on the lowest drawn panel of each column
        last = max(r for r in range(nrow) if r * ncol + col < len(names) or r == 0)
        axes[last, col].xaxis.set_tick_params(labelbottom=True)
        axes[last, col].set_xlabel("fractional rank", fontsize=7.5)
    for ax in axes[:, 0]:
        ax.set_ylabel("ECDF - uniform", fontsize=7.5)
    n_fail = int((~table["passed"]).sum())
    n_out = sum(np.any((ecdf_difference(ranks[c].to_numpy(), n_ranks) < lower - 1e-12)
                       | (ecdf_difference(ranks[c].to_numpy(), n_ranks) > upper + 1e-12))
                for c in names)
    fig.suptitle(f"SBC: {len(ranks)} simulations, ranks among L={n_ranks} thinned draws; "
                 f"grey: {prob:.0%} simultaneous band ({n_out} parameter(s) leave it, red); "
                 f"{n_fail} parameter(s) fail the Holm-corrected chi-square test at 1%",
                 fontsize=9)
    fig.tight_layout()
    return fig


def skeleton_of(cfg: dict[str, Any]) -> dict[str, Any]:
    """Kind, rows, allies, years and observed rows per column of a run's skeleton."""
    settings = SBCConfig(**{**SBCConfig().to_dict(), **cfg})
    spec = load_spec(settings.spec)
    frame = skeleton_frame(spec, settings.n_allies, settings.first_year, settings.n_years,
                           seed=settings.covariate_seed,
                           real_allies=settings.allies if settings.skeleton == "real" else None)
    return {"kind": settings.skeleton, **describe_skeleton(spec, frame)}


def summarise(out: str | Path, *, n_sims: int | None = None, alpha: float = 0.01,
              write: bool = True, command: str | None = None) -> dict[str, Any]:
    """Analyse the run in ``out``: ranks, uniformity table, ECDF plot, summary JSON.

    Writes ``ranks.csv``, ``uniformity.csv``, ``ecdf.png`` and ``summary.json``
    (and ``command.txt`` when ``command`` is given) into ``out`` when ``write``.
    """
    out = Path(out)
    cfg, records = load_results(out, n_sims)
    ranks = rank_table(records)
    L = int(cfg["n_ranks"])
    table = uniformity(ranks, L, alpha=alpha)
    table["outside_band"] = outside_band(ranks, L, prob=BAND_PROB)
    ok = [r for r in records if "error" not in r]
    failed = [{"index": r["index"], "error": r["error"]} for r in records if "error" in r]
    seconds = np.array([r["seconds"] for r in ok])
    divergences = np.array([r["divergences"] for r in ok])
    ess = np.array([r["min_ess_bulk"] for r in ok])
    summary = {
        "config": cfg, "skeleton": skeleton_of(cfg),
        "simulations": len(records), "successful": len(ok),
        "failed": failed, "alpha": alpha, "correction": "holm", "test": "chi-square",
        "bins": int(table["bins"].iloc[0]),
        "parameters": len(table), "n_failing": int((~table["passed"]).sum()),
        "failing": [str(p) for p in table.index[~table["passed"]]],
        "min_p_holm": float(table["p_holm"].min()),
        "band_prob": BAND_PROB,
        "outside_band": [str(p) for p in table.index[table["outside_band"]]],
        "seconds_per_sim": {"median": float(np.median(seconds)), "max": float(seconds.max())},
        "sims_with_divergences": int((divergences > 0).sum()),
        "total_divergences": int(divergences.sum()),
        "min_ess_bulk": {"median": float(np.median(ess)), "min": float(ess.min()),
                         "share_below_L": float(np.mean(ess < L))},
        "table": {k: {c: (bool(v) if c in ("passed", "outside_band") else float(v))
                      for c, v in row.items()}
                  for k, row in table.iterrows()},
    }
    if write:
        write_text_atomic(out / "ranks.csv", ranks.rename_axis("sim").to_csv(), force=True)
        write_text_atomic(out / "uniformity.csv", table.round(6).to_csv(), force=True)
        fig = plot_ecdf(ranks, L, table, prob=BAND_PROB)
        write_with(out / "ecdf.png", lambda p: fig.savefig(p, format="png", dpi=100),
                   force=True)
        if command:
            write_text_atomic(out / "command.txt", command + "\n", force=True)
        write_text_atomic(out / "summary.json", json.dumps(summary, indent=1) + "\n",
                          force=True)
    return summary
