r"""Posterior tests of linear combinations of parameters, like brms ``hypothesis()``.

A hypothesis is text such as ``"beta[milex, threat] + beta[milex, threat:retrench] > 0"``:
two linear expressions in the readable parameter names of
:meth:`FitResult.parameters() <bayes_alliance.results.FitResult.parameters>`
(numbers, ``+ - * /`` with a numeric factor or divisor, parentheses), joined by
``>``, ``<`` or ``=``. It is read by a small tokenizer and recursive-descent
parser (never ``eval``) into

.. math:: c = \sum_j w_j \theta_j + w_0 \quad (\text{left side minus right side}),

and summarised over the posterior draws of :math:`c`: mean, sd, central
interval, the posterior probability of the hypothesis (:math:`P(c > 0)` for
``>``, :math:`P(c < 0)` for ``<``) and its evidence ratio
:math:`p / (1 - p)`. For ``=`` there is no probability of a point; the row
gives the interval and :math:`P(c > 0)` (a Savage-Dickey ratio would need
the prior and is not computed).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bayes_alliance.constants import CI_PROB
from bayes_alliance.errors import ReportError

if TYPE_CHECKING:
    from bayes_alliance.results import FitResult

#: token kinds: a number, a parameter name (with an optional [...] index), an operator
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*(?:\s*\[[^\[\]]*\])?)
  | (?P<compare><=|>=|==|<|>|=)
  | (?P<op>[-+*/()])
""", re.VERBOSE)
_COMPARE = {"<": "<", "<=": "<", ">": ">", ">=": ">", "=": "=", "==": "="}


@dataclass(frozen=True)
class Linear:
    r"""A linear form :math:`\sum_j w_j \theta_j + w_0` over named parameters."""

    weights: dict[str, float] = field(default_factory=dict)
    constant: float = 0.0

    def __add__(self, other: Linear) -> Linear:
        weights = dict(self.weights)
        for name, w in other.weights.items():
            weights[name] = weights.get(name, 0.0) + w
        return Linear(weights, self.constant + other.constant)

    def scaled(self, factor: float) -> Linear:
        """The form times a number."""
        return Linear({k: w * factor for k, w in self.weights.items()}, self.constant * factor)


@dataclass(frozen=True)
class ParsedHypothesis:
    """``lhs - rhs`` as one :class:`Linear` form, compared with 0 by ``direction``."""

    text: str
    form: Linear
    direction: str  # ">", "<" or "="


def normalise_name(name: str) -> str:
    """``beta[milex,threat]`` -> ``beta[milex, threat]`` (the spelling of ``parameters()``)."""
    if "[" not in name:
        return name.strip()
    head, _, rest = name.partition("[")
    inner = rest.rstrip().removesuffix("]")
    return f"{head.strip()}[{', '.join(p.strip() for p in inner.split(','))}]"


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ReportError(f"hypothesis '{text}': cannot read '{text[pos]}' at "
                              f"character {pos + 1}; use parameter names, numbers, + - * / "
                              "( ) and one of > < =")
        if m.lastgroup != "space":
            tokens.append((m.lastgroup, m.group(), pos))
        pos = m.end()
    return tokens


class _Parser:
    """Recursive descent over the tokens of one hypothesis.

    Grammar::

        hypothesis := expr compare expr
        expr       := term (("+" | "-") term)*
        term       := unary (("*" | "/") unary)*
        unary      := ("+" | "-") unary | atom
        atom       := number | name | "(" expr ")"
    """

    def __init__(self, text: str, names: Sequence[str]) -> None:
        self.text = text
        self.names = list(names)
        self.known = set(names)
        self.tokens = _tokenize(text)
        self.i = 0

    def error(self, what: str) -> ReportError:
        return ReportError(f"hypothesis '{self.text}': {what}. Write it like "
                           "'beta[milex, threat] + beta[milex, threat:retrench] > 0'")

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise self.error("it ends too early")
        self.i += 1
        return token

    def hypothesis(self) -> ParsedHypothesis:
        lhs = self.expr()
        token = self.take()
        if token[0] != "compare":
            raise self.error(f"expected > < or = at character {token[2] + 1}, got '{token[1]}'")
        rhs = self.expr()
        if self.peek() is not None:
            raise self.error(f"unexpected '{self.peek()[1]}' at character {self.peek()[2] + 1}")
        form = lhs + rhs.scaled(-1.0)
        if not any(form.weights.values()):
            raise self.error("it names no parameter (or the parameters cancel out)")
        return ParsedHypothesis(self.text, form, _COMPARE[token[1]])

    def expr(self) -> Linear:
        form = self.term()
        while (token := self.peek()) is not None and token[1] in "+-" and token[0] == "op":
            self.take()
            other = self.term()
            form = form + (other if token[1] == "+" else other.scaled(-1.0))
        return form

    def term(self) -> Linear:
        form = self.unary()
        while (token := self.peek()) is not None and token[1] in "*/" and token[0] == "op":
            self.take()
            other = self.unary()
            if token[1] == "*":
                if form.weights and other.weights:
                    raise self.error("a product of two parameters is not linear")
                form = (other.scaled(form.constant) if not form.weights
                        else form.scaled(other.constant))
            else:
                if other.weights or other.constant == 0:
                    raise self.error("divide only by a non-zero number")
                form = form.scaled(1.0 / other.constant)
        return form

    def unary(self) -> Linear:
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] in "+-":
            self.take()
            form = self.unary()
            return form.scaled(-1.0) if token[1] == "-" else form
        return self.atom()

    def atom(self) -> Linear:
        kind, value, pos = self.take()
        if kind == "number":
            return Linear({}, float(value))
        if kind == "name":
            return Linear({self.resolve(value): 1.0})
        if value == "(":
            form = self.expr()
            closing = self.take()
            if closing[1] != ")":
                raise self.error(f"expected ')' at character {closing[2] + 1}")
            return form
        raise self.error(f"unexpected '{value}' at character {pos + 1}")

    def resolve(self, raw: str) -> str:
        name = normalise_name(raw)
        if name in self.known:
            return name
        close = difflib.get_close_matches(name, self.names, n=3, cutoff=0.6)
        hint = (f"did you mean {' or '.join(repr(c) for c in close)}" if close else
                "the fit's parameters are " + ", ".join(self.names[:8])
                + (", ..." if len(self.names) > 8 else ""))
        raise ReportError(f"hypothesis '{self.text}': unknown parameter '{name}'; {hint}? "
                          "(result.parameters() lists every name)")


def parse_hypothesis(text: str, names: Sequence[str]) -> ParsedHypothesis:
    """Parse one hypothesis over the parameter ``names``.

    Raises
    ------
    ReportError
        Naming the unreadable character, the unknown parameter (with the
        closest names) or the non-linear operation.
    """
    if not isinstance(text, str) or not text.strip():
        raise ReportError(f"a hypothesis must be non-empty text, got {text!r}")
    return _Parser(text.strip(), names).hypothesis()


def hypothesis(result: FitResult, hypotheses: str | Sequence[str] | Mapping[str, str], *,
               prob: float = CI_PROB) -> pd.DataFrame:
    """Posterior summary of one or more linear hypotheses about ``result``'s parameters.

    Parameters
    ----------
    result
        A fit.
    hypotheses
        One hypothesis, a list of them, or ``{label: hypothesis}``.
    prob
        Mass of the central (equal-tailed) interval.

    Returns
    -------
    pandas.DataFrame
        One row per hypothesis, indexed by its label (the text itself unless
        labelled), with ``hypothesis`` (the text), ``estimate`` (posterior
        mean of :math:`c`, left minus right side), ``sd``, ``lo`` and ``hi``
        (the interval), ``post_prob`` (:math:`P(c>0)` for ``>``,
        :math:`P(c<0)` for ``<``, NaN for ``=``), ``evid_ratio``
        (:math:`p/(1-p)`, infinite when every draw agrees), ``p_positive``
        (:math:`P(c > 0)`) and ``star`` (``"*"`` when the interval excludes 0 on
        the hypothesised side, or on either side for ``=``; with the default
        90% interval this is brms' ``*`` at ``alpha = 0.05``).

    Raises
    ------
    ReportError
        For an unreadable hypothesis or an unknown parameter name.
    """
    if not 0 < prob < 1:
        raise ReportError(f"prob must lie in (0, 1), got {prob}")
    if isinstance(hypotheses, str):
        labelled = {hypotheses: hypotheses}
    elif isinstance(hypotheses, Mapping):
        labelled = {str(k): v for k, v in hypotheses.items()}
    else:
        labelled = {h: h for h in hypotheses}
    if not labelled:
        raise ReportError("no hypothesis given; pass text such as 'beta[milex, threat] > 0'")
    params = result.parameters()
    names = [str(v) for v in params.data_vars]
    draws = {n: params[n].transpose("chain", "draw").to_numpy().ravel() for n in names}
    lo_q, hi_q = (1 - prob) / 2, (1 + prob) / 2
    rows = []
    for label, text in labelled.items():
        parsed = parse_hypothesis(text, names)
        c = parsed.form.constant + sum(w * draws[n] for n, w in parsed.form.weights.items())
        lo, hi = np.quantile(c, [lo_q, hi_q])
        p_pos = float(np.mean(c > 0))
        post = {">": p_pos, "<": float(np.mean(c < 0)), "=": np.nan}[parsed.direction]
        excludes = {">": lo > 0, "<": hi < 0, "=": lo > 0 or hi < 0}[parsed.direction]
        rows.append({
            "label": label, "hypothesis": parsed.text, "estimate": float(np.mean(c)),
            "sd": float(np.std(c, ddof=1)) if c.size > 1 else np.nan,
            "lo": float(lo), "hi": float(hi), "post_prob": post,
            "evid_ratio": _evidence_ratio(post), "p_positive": p_pos,
            "star": "*" if excludes else "",
        })
    table = pd.DataFrame(rows).set_index("label")
    table.attrs["prob"] = prob
    return table


def _evidence_ratio(p: float) -> float:
    if not np.isfinite(p):
        return np.nan
    return np.inf if p == 1 else p / (1 - p)


__all__ = ["Linear", "ParsedHypothesis", "hypothesis", "normalise_name", "parse_hypothesis"]
