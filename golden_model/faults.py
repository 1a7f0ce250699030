"""Faults the hardware can be generated with: cost noise, update noise and stuck parameters, in integers.

Ref: ``docs/fixed_point_spec.md`` ("Faults"); ``shared/design/MGD.md`` (the papers' claim that MGD trains
through a noisy cost, noisy updates and dead parameters). The float model has the same faults in real
units (``noise.cost_sigma``, ``noise.update_sigma``); :func:`float_sigma` converts.

Every fault is a generation-time option of the ``fixed`` section, off by default (a config without them
generates the Verilog it always did). This module owns what they are, for the model and the RTL alike:

Noise source
    A Galois LFSR of :data:`NOISE_LFSR_WIDTH` = 32 bits (the definition and taps of
    :mod:`golden_model.lfsr`), one for the cost and one per parameter for the update. A draw with ``b``
    bits and shift ``s`` reads the current state ``S``, takes its ``b`` low bits as a two's complement
    integer ``v`` in ``[-2**(b-1), 2**(b-1) - 1]`` and gives the odd integer ``(2 v + 1) · 2**s``:
    uniform on the ``2**b`` odd values of ``[-(2**b - 1), 2**b - 1]`` times ``2**s`` (over the period
    every non-zero state occurs once, so up to one draw in 2**32 the ``b`` bits are uniform), exactly
    symmetric, mean 0, amplitude :func:`amplitude` ``= (2**b - 1) · 2**s`` and standard deviation
    :func:`noise_std` ``= 2**s · sqrt((4**b - 1) / 3)``. Then the state jumps ``b`` LFSR steps (a fixed
    GF(2) matrix, :func:`jump_rows`: one clock in hardware), so the next draw's ``b`` low bits are the
    bits ``b .. 2b-1`` of this state XOR a function of this draw's bits (the feedback): independent of
    this draw over a uniform state. ``b <= 16`` keeps the two draws' bits apart.
Seeds
    From ``mgd.seed`` and a salt per fault (:data:`COST_SALT`, :data:`UPDATE_SALT`), so noise on or off
    leaves the perturbation signs and θ₀ unchanged: :func:`cost_seed`; the update noise is a bank of one
    lane per parameter, the sign bank's construction (``golden_model.lfsr.lane_seeds``: lanes at evenly
    spaced phases of one m-sequence, ``(2**32 - 1) // N`` steps apart) from :func:`update_seed`.
Stuck parameters
    :func:`stuck_indices`: ``fixed.stuck_params`` (explicit canonical indices) or
    ``round(fixed.stuck_fraction · N)`` indices drawn without replacement by
    ``numpy.random.default_rng([STUCK_SALT, mgd.seed, fixed.stuck_seed]).choice`` (numpy is pinned).
"""

from __future__ import annotations

import math

import numpy as np

from golden_model.lfsr import _apply, jump_matrix, taps_mask

__all__ = ["NOISE_LFSR_WIDTH", "MAX_NOISE_BITS", "COST_SALT", "UPDATE_SALT", "STUCK_SALT", "amplitude",
           "noise_std", "noise_value", "jump_rows", "NoiseLFSR", "cost_seed", "update_seed",
           "update_lane_seeds", "stuck_indices", "float_sigma"]

NOISE_LFSR_WIDTH = 32  # period 2**32 - 1: no noise source repeats within any run the toolkit makes
MAX_NOISE_BITS = 16  # b <= W/2: a draw's bits and the next draw's are different bits of the state
COST_SALT = 0xC057_0001  # fixed salts: the three sources differ for every mgd.seed
UPDATE_SALT = 0x7E7A_0002
STUCK_SALT = 0x57CC_0003

_PERIOD = (1 << NOISE_LFSR_WIDTH) - 1
_MASK = taps_mask(NOISE_LFSR_WIDTH)


def amplitude(bits: int, shift: int) -> int:
    """Largest |noise| of a draw, in LSBs: ``(2**b - 1) · 2**s`` (0 when ``b = 0``, noise off)."""
    return ((1 << bits) - 1) << shift if bits else 0


def noise_std(bits: int, shift: int) -> float:
    """Standard deviation of a draw in LSBs: ``2**s · sqrt((4**b - 1) / 3)`` (0 when off)."""
    return (1 << shift) * math.sqrt(((1 << (2 * bits)) - 1) / 3) if bits else 0.0


def noise_value(state, bits: int, shift: int):
    """The draw of a state (int or int64 array): ``(2 v + 1) << s``, v the ``b`` low bits (two's
    complement)."""
    v = state & ((1 << bits) - 1)
    v = v - ((v >> (bits - 1)) << bits)
    return (2 * v + 1) << shift


def _step_n(state: int, n: int) -> int:
    for _ in range(n):
        state = (state >> 1) ^ (_MASK if state & 1 else 0)
    return state


def jump_rows(steps: int) -> list[int]:
    """The GF(2) map of ``steps`` LFSR steps as rows: bit ``i`` of the new state is the parity of
    ``state & rows[i]`` (what the RTL builds: one XOR tree per bit)."""
    power = jump_matrix(NOISE_LFSR_WIDTH, steps)
    return [sum(((power[k] >> i) & 1) << k for k in range(NOISE_LFSR_WIDTH)) for i in range(NOISE_LFSR_WIDTH)]


class NoiseLFSR:
    """A noise source of the reference model: :meth:`draw` returns the draw of the current state and
    jumps ``bits`` steps (module docstring)."""

    def __init__(self, seed: int, bits: int, shift: int) -> None:
        self.seed, self.bits, self.shift = seed, bits, shift
        self.state = seed

    def draw(self) -> int:
        value = int(noise_value(self.state, self.bits, self.shift))
        self.state = _step_n(self.state, self.bits)
        return value


def cost_seed(mgd_seed: int) -> int:
    """Reset state of the cost-noise LFSR: ``(mgd.seed ^ COST_SALT) % (2**32 - 1) + 1``."""
    return (mgd_seed ^ COST_SALT) % _PERIOD + 1


def update_seed(mgd_seed: int) -> int:
    """Base seed (lane 0) of the update-noise bank: ``(mgd.seed ^ UPDATE_SALT) % (2**32 - 1) + 1``."""
    return (mgd_seed ^ UPDATE_SALT) % _PERIOD + 1


def update_lane_seeds(n_params: int, mgd_seed: int) -> np.ndarray:
    """Reset states of the update-noise bank, lane ``i`` = parameter ``i``: the base seed advanced
    ``i · ((2**32 - 1) // N)`` steps (``golden_model.lfsr.lane_seeds``' phases, the jump matrix built
    once)."""
    jump = jump_matrix(NOISE_LFSR_WIDTH, _PERIOD // n_params)
    out = [update_seed(mgd_seed)]
    for _ in range(1, n_params):
        out.append(_apply(jump, out[-1]))
    return np.array(out, dtype=np.int64)


def stuck_indices(n_params: int, fraction: float, explicit: tuple[int, ...], mgd_seed: int,
                  stuck_seed: int) -> tuple[int, ...]:
    """Canonical indices of the stuck parameters, sorted (module docstring)."""
    if explicit:
        return tuple(sorted(explicit))
    count = int(math.floor(fraction * n_params + 0.5))
    if count == 0:
        return ()
    rng = np.random.default_rng([STUCK_SALT, mgd_seed, stuck_seed])
    return tuple(sorted(int(i) for i in rng.choice(n_params, size=count, replace=False)))


def float_sigma(bits: int, shift: int, lsb: float) -> float:
    """The float model's Gaussian σ with the same standard deviation as the integer draw, in real units
    (``lsb``: the real value of one LSB of the register the noise is added to)."""
    return noise_std(bits, shift) * lsb
