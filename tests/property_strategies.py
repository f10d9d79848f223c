"""Hypothesis strategies shared by the property tests (``test_properties_*.py``)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: any value a TOML file (or a caller's dict) could hold, nested a little
SCALARS = (st.none() | st.booleans() | st.integers(-10**6, 10**6)
           | st.sampled_from([10**400, -10**400])  # ints beyond the float range
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12))
KEYS = st.text(max_size=8) | st.integers(-3, 3)
JUNK = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(KEYS, inner, max_size=3), max_leaves=6)
PROPS = settings(max_examples=150, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])


def paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (keys and list indices) into a nested dict/list, the root included."""
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """``base`` after 1-3 random drops, renames or replacements anywhere in it."""
    raw: Any = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(raw)))
        action = draw(st.sampled_from(["drop", "rename", "replace"]))
        if not path:  # the root itself
            if action == "replace":
                raw = draw(JUNK)
            continue
        parent = raw
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        if action == "drop":
            del parent[last]
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = parent.pop(last)
        else:
            parent[last] = draw(JUNK)
        if not isinstance(raw, dict | list):
            break
    return raw
