"""Time one log density + gradient of the strategic model on the real panel.

Run from the repository root: ``python reports/validation/strategic/timing.py [grid_points]``.
Compiles the model's joint log density and its gradient with the numba backend
(what nutpie samples) and prints the median of 7 batches of 20 calls at the
model's initial point (wall and CPU time of this process), with the load average.
``MODE=FAST_RUN`` times the C backend instead.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pytensor

from bayes_alliance.models.strategic.model import StrategicModel
from bayes_alliance.models.strategic.spec import load_strategic_spec


def main() -> None:
    """Print the timing line."""
    spec = load_strategic_spec("strategic")
    if len(sys.argv) > 1:
        spec = type(spec)(**{**spec.__dict__, "grid_points": int(sys.argv[1])})
    model = StrategicModel.from_spec(spec, "default").pymc_model
    rows = len(model.coords["obs"])
    values = model.value_vars
    logp = model.logp()
    fn = pytensor.function(values, [logp, *pytensor.grad(logp, values)],
                           mode=os.environ.get("MODE", "NUMBA"))
    point = model.initial_point()
    args = [point[v.name] for v in values]
    fn(*args)
    wall, cpu = [], []
    for _ in range(7):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(20):
            fn(*args)
        wall.append((time.perf_counter() - t0) / 20)
        cpu.append((time.process_time() - c0) / 20)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"rows {rows}, grid points {spec.grid_points}: median {1e3 * np.median(wall):.2f} ms "
          f"wall, {1e3 * np.median(cpu):.2f} ms CPU per logp+grad; load {load}")


if __name__ == "__main__":
    main()
