"""Shared helpers of the block tests: specs from config overrides, and bit packing."""

from __future__ import annotations

import dataclasses

import numpy as np

from golden_model.config import apply_overrides, from_preset
from golden_model.fixed_network import FixedSpec

# Every field a block test depends on, pinned, so that retuned presets and defaults change nothing here.
PINNED = ["network.init_scale=1.0", "network.cost=mse", "mgd.optimizer=sgd", "mgd.perturbation=weight",
          "mgd.tau_x=1", "mgd.tau_p=1", "mgd.tau_theta=1", "mgd.seed=1",
          "fixed.theta=Q3.12", "fixed.activation=UQ1.7", "fixed.cost=UQ3.12",
          "fixed.hw_activation=hard_sigmoid",
          "fixed.amplitude_shift=6", "fixed.eta_shift=6", "fixed.momentum_shift=0", "fixed.grad_width=32",
          "fixed.lfsr_width=16", "fixed.rounding=floor", "fixed.overflow=saturate"]


def config_of(*overrides: str, preset: str = "xor"):
    """``preset`` with every field pinned (:data:`PINNED`), then ``overrides``."""
    layers = {"xor": ["network.layers=[2,2,1]"], "parity4": ["network.layers=[4,8,1]"]}.get(preset, [])
    return apply_overrides(from_preset(preset), [*PINNED, *layers, *overrides])


def spec_of(*overrides: str, preset: str = "xor", **fields) -> FixedSpec:
    """The golden model's spec of the pinned ``preset`` + overrides; ``fields`` replace spec fields directly
    (to reach corners the config checks keep away, e.g. a narrow G to test its rails)."""
    spec = FixedSpec.from_config(config_of(*overrides, preset=preset))
    return dataclasses.replace(spec, **fields) if fields else spec


def pack(values, width: int) -> int:
    mask = (1 << width) - 1
    return sum((int(v) & mask) << (i * width) for i, v in enumerate(values))


def unpack(word: int, n: int, width: int, signed: bool = True) -> np.ndarray:
    mask = (1 << width) - 1
    out = np.array([(word >> (i * width)) & mask for i in range(n)], dtype=np.int64)
    if signed:
        out = np.where(out >= 1 << (width - 1), out - (1 << width), out)
    return out
