"""Throughput of the fixed-point golden model (``mgd bench --only fixed``): MGD steps per second.

Ref: issue 4 ("Benchmark"), ``shared/design/ARCHITECTURE.md`` ("golden-model throughput"). Measured, not
asserted. The model must outpace the fastest RTL simulation of the same run by 10× or more to serve as the
reference of long co-simulations: the cases named like ``scripts.flows.bench.COSIM_CASES`` are those runs, and
``mgd bench`` prints the ratio when it runs both sections (``scripts.flows.bench.model_over_rtl``).
"""

from __future__ import annotations

import platform
import time
from typing import Any

import numba
import numpy as np

from golden_model import fixed_mgd
from golden_model.config import apply_overrides, from_preset
from golden_model.fixed_mgd import FixedMGD

__all__ = ["fixed_steps_per_second", "FIXED_CASES"]

# name -> (preset, overrides)
FIXED_CASES: dict[str, tuple[str, list[str]]] = {
    "xor 2-2-1 weight": ("xor", ["mgd.perturbation=weight"]),
    "xor 2-2-1 node": ("xor", ["mgd.perturbation=node"]),
    "parity4 4-8-1 weight": ("parity4", ["mgd.perturbation=weight"]),
    "nist7x7 49-4-4 weight": ("nist7x7", ["network.layers=[49,4,4]", "mgd.perturbation=weight"]),
    "nist7x7 49-4-4 node": ("nist7x7", ["network.layers=[49,4,4]", "mgd.perturbation=node"]),
    "nist7x7 49-16-4 weight": ("nist7x7", ["network.layers=[49,16,4]", "mgd.perturbation=weight"]),
    "nist7x7 49-16-4 node": ("nist7x7", ["network.layers=[49,16,4]", "mgd.perturbation=node"]),
    "digits 64-32-10 node, folded P = 32": ("digits", []),  # as scripts.flows.bench.COSIM_CASES
}


def _rate(model: FixedMGD, seconds: float, record: bool, chunk: int = 2000) -> float:
    model.run(200, record=record)  # warm-up (compiled kernel, m-sequence table, caches)
    n, t0 = 0, time.perf_counter()
    while True:
        model.run(chunk, record=record)
        n += chunk
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return n / dt


def fixed_steps_per_second(seconds: float = 1.0) -> dict[str, Any]:
    """Steps/s of the fast path without and with the per-step trace, and of the reference ``step()``."""
    figures: dict[str, Any] = {}
    for name, (preset, overrides) in FIXED_CASES.items():
        cfg = apply_overrides(from_preset(preset), overrides)
        model = FixedMGD(cfg)
        figures[f"{name}: steps/s"] = round(_rate(model, seconds, record=False))
        figures[f"{name}: steps/s with trace"] = round(_rate(model, seconds, record=True))
        model.reset()
        t0 = time.perf_counter()
        model.run_reference(500)
        figures[f"{name}: steps/s reference step()"] = round(500 / (time.perf_counter() - t0))
        figures[f"{name}: parameters"] = model.n_params
    figures["configuration"] = {"python": platform.python_version(), "numpy": np.__version__,
                                "machine": platform.machine(), "seconds_per_case": seconds,
                                "numba": numba.__version__,
                                "fast path": "Numba-compiled kernel (golden_model.fixed_kernel), chunks of "
                                             f"{fixed_mgd._CHUNK} steps; reference step() is NumPy"}
    return figures
