"""Throughput of the float model (``mgd bench --only float``): MGD steps per second.

Ref: ``shared/design/ARCHITECTURE.md`` ("Figures the toolkit must report about itself": golden-model
throughput). Measured, not asserted: this is a benchmark, never a timed test.
"""

from __future__ import annotations

import platform
import time
from typing import Any

import numpy as np

from golden_model.config import apply_overrides, from_preset
from golden_model.float_mgd import FloatMGD

__all__ = ["float_steps_per_second", "FLOAT_CASES"]

# name -> (preset, overrides)
FLOAT_CASES: dict[str, tuple[str, list[str]]] = {
    "xor 2-2-1 weight": ("xor", ["mgd.perturbation=weight"]),
    "xor 2-2-1 node": ("xor", ["mgd.perturbation=node"]),
    "nist7x7 49-16-4 weight": ("nist7x7", ["network.layers=[49,16,4]", "mgd.perturbation=weight",
                                            "mgd.optimizer=sgd"]),
    "nist7x7 49-16-4 node": ("nist7x7", ["network.layers=[49,16,4]", "mgd.perturbation=node",
                                          "mgd.optimizer=sgd"]),
}


def _rate(engine: FloatMGD, seconds: float) -> float:
    for _ in range(200):  # warm-up: first chunk of codes, caches
        engine.step()
    n, t0 = 0, time.perf_counter()
    while True:
        for _ in range(500):
            engine.step()
        n += 500
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return n / dt


def float_steps_per_second(seconds: float = 1.0, replicas: int = 20) -> dict[str, Any]:
    """Steps per second of one network (R = 1) and replica-steps per second of a batch of ``replicas``.

    Settings per case: the preset's (code multiplexing, digital cost change, SGD, τ's of the preset),
    perturbation as named. Returns a dict of figures (numbers rounded) and the configuration.
    """
    figures: dict[str, Any] = {}
    for name, (preset, overrides) in FLOAT_CASES.items():
        cfg = apply_overrides(from_preset(preset), overrides)
        single = _rate(FloatMGD(cfg, seeds=[1]), seconds)
        batch = _rate(FloatMGD(cfg, seeds=list(range(replicas))), seconds) * replicas
        figures[f"{name}: steps/s (1 network)"] = round(single)
        figures[f"{name}: replica-steps/s (batch of {replicas})"] = round(batch)
        figures[f"{name}: N perturbation params"] = FloatMGD(cfg).n_perturbation
    figures["configuration"] = {"python": platform.python_version(), "numpy": np.__version__,
                                "machine": platform.machine(), "processor": platform.processor() or "?",
                                "seconds_per_case": seconds, "multiplexing": "code",
                                "cost_change": "digital", "optimizer": "sgd"}
    return figures
