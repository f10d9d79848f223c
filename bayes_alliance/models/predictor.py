r"""Evaluate the model's own linear predictors on new rows, vectorised over draws.

:func:`~bayes_alliance.models.joint.build_model_graph` returns each outcome's
:math:`\eta` as a PyTensor expression of the model's free random variables and
its ``pm.Data`` inputs. :class:`Predictor` compiles, once, a function

.. math:: (\theta^{(1..S)}, \text{inputs}) \mapsto
          \eta^{(s)}_{k,r},\ g_k^{-1}(\eta^{(s)}_{k,r} + o_r)

by replacing every free random variable with a batched input (leading draw
axis, ``pytensor.graph.vectorize_graph``) and every ``pm.Data`` container with a
plain input. It is the fitted model's graph, evaluated: there is no second
implementation of the model to keep in step. One more input, the scenarios'
shift :math:`\delta_r` of the standardised latent intensity, is substituted into
that graph: :math:`\tilde\eta_R \to \tilde\eta_R + \delta_r` wherever it enters
(its within-ally part, with ``latent_entry = "within"``),
and the latent outcome's own predictor moves by :math:`\delta_r` times the
latent's model-implied sd (its denominator); :math:`\delta = 0` gives the fitted
predictors. :math:`g_k^{-1}` is the family's
inverse link and :math:`o_r` the log exposure of counting families (pass zeros
for the rate per unit of exposure).

With ``effects_as_inputs`` the ally effects :math:`u` (``u_ally``) and, when the
spec has them, the year effects (``year_effect``) are inputs too, with any
number of allies and years: out-of-sample prediction passes the fitted effects
extended by effects drawn from their population for allies or years the fit
never saw (:mod:`bayes_alliance.validation.out_of_sample`).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd
import pytensor
import pytensor.tensor as pt
from pytensor.graph import vectorize_graph
from pytensor.graph.replace import graph_replace
from pytensor.graph.traversal import ancestors

from bayes_alliance.errors import SpecError
from bayes_alliance.models.families import family
from bayes_alliance.models.joint import Inputs, ModelGraph, input_names
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.models.priors import resolve_priors
from bayes_alliance.models.spec import ModelSpec

#: deterministic group effects that ``effects_as_inputs`` turns into inputs
GROUP_EFFECTS = ("u_ally", "year_effect")


class Predictor:
    """The compiled map (parameter draws, inputs) -> per-outcome eta and natural values.

    Parameters
    ----------
    graph
        The model graph of a fit (:attr:`AllianceModel.graph`).
    spec
        Its spec (outcome order and families).
    effects_as_inputs
        Take the ally (and year) effects as inputs (:data:`GROUP_EFFECTS`,
        draws over any number of allies and years) instead of computing them
        from the fitted allies' parameters.
    """

    def __init__(self, graph: ModelGraph, spec: ModelSpec, *,
                 effects_as_inputs: bool = False) -> None:
        model = graph.model
        self.spec = spec
        outcomes = list(spec.outcome_names)
        shift = pt.vector("latent_shift", dtype=pytensor.config.floatX)
        eta = [graph.eta[o] for o in outcomes]
        if graph.latent is not None:
            entering = graph.latent_entering
            eta = graph_replace(eta, {entering: entering + shift}, strict=False)
            r = outcomes.index(spec.latent_outcome)
            eta[r] = eta[r] + graph.latent_scale * shift
        data_names = input_names(spec)
        data = {name: model[name] for name in data_names}
        log_exposure = data["log_exposure"]
        natural = [family(o.family).link.inverse_pt(family(o.family).offset(e, log_exposure))
                   for o, e in zip(spec.outcomes, eta, strict=True)]
        effects = [n for n in GROUP_EFFECTS if effects_as_inputs and n in model.named_vars]
        needed = set(ancestors(eta, blockers=[model[n] for n in effects]))
        self.parameters = [rv.name for rv in model.free_RVs if rv in needed] + effects
        self._dims = {n: tuple(model.named_vars_to_dims.get(n, ())) for n in self.parameters}
        batched = {model[n]: pt.tensor(f"{n}_draws", dtype=model[n].dtype,
                                       shape=(None, *((None,) * model[n].ndim if n in effects
                                                      else model[n].type.shape)))
                   for n in self.parameters}
        plain = {shared: shared.type(name) for name, shared in data.items()}
        out = vectorize_graph([*eta, *natural], replace={**batched, **plain})
        self._outputs = {"eta": out[:len(eta)], "natural": out[len(eta):]}
        self._inputs = [*batched.values(), *plain.values(), shift]
        self._data_names = data_names
        self._dtypes = [v.type.dtype for v in plain.values()]
        self._fns: dict[str, Any] = {}

    def draws_from(self, posterior: Any) -> dict[str, np.ndarray]:
        """The parameters this predictor needs, flattened to ``(chain * draw, ...)``.

        Raises
        ------
        SpecError
            When ``posterior`` lacks one of them (it was not drawn from this model).
        """
        missing = [n for n in self.parameters if n not in posterior]
        if missing:
            raise SpecError(f"the posterior lacks {', '.join(missing)}; it was not drawn from "
                            f"the model of spec '{self.spec.name}'")
        out = {}
        for name in self.parameters:
            da = posterior[name]
            dims = self._dims[name] or [d for d in da.dims if d not in ("chain", "draw")]
            da = da.transpose("chain", "draw", *dims)
            values = np.asarray(da.values)
            out[name] = values.reshape(-1, *values.shape[2:])
        return out

    def __call__(self, draws: dict[str, np.ndarray], inputs: Inputs, kind: str = "natural"
                 ) -> dict[str, np.ndarray]:
        r"""Per outcome, a ``(draws, rows)`` array of ``kind``.

        Parameters
        ----------
        draws
            Parameter values with a leading draw axis (:meth:`draws_from`).
        inputs
            The rows' design (:func:`~bayes_alliance.models.joint.make_inputs`).
        kind
            ``"eta"`` (linear predictor) or ``"natural"`` (:math:`g^{-1}(\eta + o)`).
        """
        if kind not in self._fns:  # compiled on first use of each kind
            self._fns[kind] = pytensor.function(self._inputs, self._outputs[kind],
                                                on_unused_input="ignore")
        values = inputs.values(self.spec)
        args = [draws[n] for n in self.parameters]
        args += [np.asarray(values[n], dtype=dt)
                 for n, dt in zip(self._data_names, self._dtypes, strict=True)]
        args.append(np.asarray(inputs.latent_shift, dtype=pytensor.config.floatX))
        return dict(zip(self.spec.outcome_names, self._fns[kind](*args), strict=True))


#: most recently used predictors, by fit structure (see :func:`predictor_for`)
_CACHE: OrderedDict[tuple[Any, ...], Predictor] = OrderedDict()
_CACHE_SIZE = 4


def predictor_for(result: Any, *, effects_as_inputs: bool = False) -> Predictor:
    """The :class:`Predictor` of a fit, compiled once per spec, panel, scaling and kind.

    The graph depends on the training panel (coordinates, the reassurance
    design's mean and covariance), the spec and the scaling, not on the draws,
    so copies of a fit with other draws share one compiled predictor.
    """
    frame = result.panel.frame
    key = (result.spec.hash(), result.scaling,
           int(pd.util.hash_pandas_object(frame, index=False).sum()), tuple(frame.columns),
           effects_as_inputs)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    model = AllianceModel(result.spec, result.panel,
                          resolve_priors(result.spec, result.prior_set), result.scaling)
    predictor = _CACHE[key] = Predictor(model.graph, result.spec,
                                        effects_as_inputs=effects_as_inputs)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return predictor
