"""The compiled inner loop of the fixed-point MGD model: ``FixedMGD.run``'s fast path.

Ref: ``docs/fixed_point_spec.md`` ("One step n", steps 3-6). This is the same integer arithmetic as
:meth:`golden_model.fixed_mgd.FixedMGD.step` (the readable NumPy reference, which stays the spec),
transcribed into loops over int64 NumPy arrays and compiled with Numba, because a Python-level step costs
≈15 µs of interpreter overhead at XOR size whatever the arithmetic, which would make the model slower than
a Verilator simulation of the same run. ``test_fixed_mgd.py`` proves the two bit-identical on every field.

Every value is an int64; ``FixedSpec`` proves every intermediate fits in 62 bits (``_INT64_SAFE_BITS``), so
int64 arithmetic is exact. ``>>`` on a signed int64 is the arithmetic shift (floor), as in NumPy.

What the kernel does not do: the θ-independent part of a step (which LFSR state each lane is in, sample
index, baseline and update flags) comes in from ``FixedMGD._schedule``; the kernel reads the sign bits
(bit 0 of each lane's state, 1 = negative) and runs passes, cost, correlation and update.

Narrowings (each names its rounding and overflow, as in the reference):

* activation: ``clamp(round_R(z, sh) + off, act_lo, act_hi)`` (``fixed.rounding``; clamp = the activation's
  own rails, not an overflow mode);
* cost: ``fit_O(round_R(sum, cost_shift), cost width, unsigned)`` (``fixed.rounding``, ``fixed.overflow``);
* correlation: weight mode ``G + s·C_hat``, node mode ``G + round_R(s·C_hat·a_i, A_f)``, then
  ``fit_O(·, grad_width, signed)`` (never acts: ``FixedSpec`` proves the bound);
* update: ``u = G``; momentum ``M = fit_O(M − d + G, W_M, signed)`` with ``d = M · 2**-k_m`` rounded
  away from zero (``(M + 2**k_m − 1) >> k_m`` for ``M >= 0``, else ``M >> k_m``; the fit never acts),
  ``u = M``; ``θ = fit_O(θ − round_R(u, k_eta) + ν, W_θ, signed)`` (ν the update noise, 0 when off; a
  stuck θ is not written); G cleared;
* a noisy cost read: ``clamp(C + draw, 0, cost max)`` (always saturating, whatever ``fixed.overflow``).

``sat_events`` counts the narrowings that acted: per parameter, a G accumulation, and an update whose θ or
M (one event for both) was saturated or wrapped.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from golden_model.faults import NOISE_LFSR_WIDTH
from golden_model.fixed_network import FixedSpec
from golden_model.lfsr import taps_mask

__all__ = ["KernelSpec", "run_steps"]

_ROUNDING_CODES = {"floor": 0, "half_up": 1, "convergent": 2}


class KernelSpec(NamedTuple):
    """The spec as plain ints, the form the compiled kernel takes (one Numba type for every config)."""

    weight_mode: int     # 1: perturb weights (lane per parameter); 0: node pre-activations (lane per neuron)
    amplitude: int       # perturbation amplitude 2**k_p, in θ LSBs (weight) or pre-activation LSBs (node)
    A_f: int             # activation fraction bits; a bias multiplies the constant input 2**A_f
    rounding: int        # 0 floor, 1 half_up, 2 convergent (``fixed.rounding``)
    wrap: int            # 1 when ``fixed.overflow`` is wrap, 0 for saturate
    act_shift: int       # pre-activation → activation: round_R(z, act_shift) + act_offset, then clamp
    act_offset: int
    act_lo: int
    act_hi: int
    cost_shift: int      # exact cost sum → cost register (≤ 0 shifts left)
    mse: int             # 1: squared error; 0: absolute error
    cost_width: int
    grad_width: int
    k_eta: int
    k_m: int             # momentum shift, 0 = no momentum
    momentum_width: int
    theta_width: int
    # faults (spec "Faults", golden_model.faults): noise draws of b bits and shift s, b = 0 off
    cost_noise_bits: int
    cost_noise_shift: int
    cost_max: int        # the cost register's largest value: a noisy read saturates at 0 and cost_max
    update_noise_bits: int
    update_noise_shift: int
    noise_mask: int      # feedback mask of the 32-bit noise LFSRs

    @classmethod
    def of(cls, spec: FixedSpec) -> KernelSpec:
        hard_sigmoid = spec.hw_activation == "hard_sigmoid"
        act_lo, act_hi = spec.activation_range()
        weight_mode = spec.perturbation == "weight"
        return cls(
            weight_mode=int(weight_mode),
            amplitude=spec.weight_amplitude if weight_mode else spec.node_amplitude,
            A_f=spec.A_f, rounding=_ROUNDING_CODES[spec.rounding], wrap=int(spec.overflow == "wrap"),
            act_shift=spec.T_f + 2 if hard_sigmoid else spec.T_f,
            act_offset=(1 << spec.A_f) >> 1 if hard_sigmoid else 0,
            act_lo=int(act_lo), act_hi=int(act_hi),
            cost_shift=spec.cost_frac_exact - spec.C_f, mse=int(spec.cost_kind == "mse"),
            cost_width=spec.cost_fmt.width, grad_width=spec.grad_width, k_eta=spec.k_eta, k_m=spec.k_m,
            momentum_width=spec.momentum_width, theta_width=spec.theta.width,
            cost_noise_bits=spec.cost_noise_bits, cost_noise_shift=spec.cost_noise_shift,
            cost_max=spec.cost_fmt.max_int, update_noise_bits=spec.update_noise_bits,
            update_noise_shift=spec.update_noise_shift, noise_mask=taps_mask(NOISE_LFSR_WIDTH))


@njit(cache=True, inline="always")
def _round_shift(v: int, s: int, rounding: int) -> int:
    """``qformat.round_shift``: drop ``s`` fraction bits (floor / half up / ties to even); ``s ≤ 0``
    shifts left, exact."""
    if s <= 0:
        return v << -s
    if rounding == 0:
        return v >> s
    half = 1 << (s - 1)
    if rounding == 1:
        return (v + half) >> s
    q = v >> s
    r = v & ((1 << s) - 1)
    if r > half or (r == half and (q & 1) == 1):
        q += 1
    return q


@njit(cache=True, inline="always")
def _fit(v: int, width: int, signed: bool, wrap: int) -> int:
    """``qformat.fit``: into ``width`` bits, two's-complement wrap or saturation. A signed 64-bit register
    holds every int64 (``fixed.grad_width`` may be 64): returned as it is, because ``1 << 63`` overflows
    int64 and the masks below would be wrong."""
    if signed and width >= 64:
        return v
    if wrap:
        u = v & ((1 << width) - 1)
        return u - ((u >> (width - 1)) << width) if signed else u
    lo = -(1 << (width - 1)) if signed else 0
    hi = (1 << (width - 1)) - 1 if signed else (1 << width) - 1
    return lo if v < lo else hi if v > hi else v


@njit(cache=True, inline="always")
def _draw(state: np.ndarray, k: int, bits: int, shift: int, mask: int) -> int:
    """``golden_model.faults.NoiseLFSR.draw`` on ``state[k]``: the draw of the current state, then ``bits``
    Galois steps."""
    v = state[k] & ((1 << bits) - 1)
    v -= (v >> (bits - 1)) << bits
    st = state[k]
    for _ in range(bits):
        st = (st >> 1) ^ (mask if st & 1 else 0)
    state[k] = st
    return (2 * v + 1) << shift


@njit(cache=True, inline="always")
def _noisy_cost(c: int, noise: np.ndarray, ks: KernelSpec) -> int:
    """A cost read: ``clamp(C + draw, 0, cost max)`` with cost noise on, else ``C``."""
    if ks.cost_noise_bits == 0:
        return c
    c += _draw(noise, 0, ks.cost_noise_bits, ks.cost_noise_shift, ks.noise_mask)
    return 0 if c < 0 else ks.cost_max if c > ks.cost_max else c


@njit(cache=True)
def _forward(w: np.ndarray, x: np.ndarray, u: np.ndarray, layers: np.ndarray, ks: KernelSpec,
             node_signs: np.ndarray) -> int:
    """One pass; returns the offset of the network output in ``u``.

    ``u`` holds every layer's input followed by the constant ``2**A_f`` of its bias, then the output:
    layer ``l``'s input starts where layer ``l − 1``'s bias slot ends. ``w`` is θ in canonical order
    (per neuron: weights, then bias). ``node_signs`` of length 0 means no node perturbation, else one sign
    per neuron (pre-activation += amplitude · sign).
    """
    node = len(node_signs) > 0
    for j in range(layers[0]):
        u[j] = x[j]
    start = 0
    p = 0
    neuron = 0
    for li in range(len(layers) - 1):
        n_in = layers[li]
        n_out = layers[li + 1]
        u[start + n_in] = 1 << ks.A_f
        nxt = start + n_in + 1
        for j in range(n_out):
            z = 0
            for i in range(n_in + 1):
                z += w[p + i] * u[start + i]
            p += n_in + 1
            if node:
                z += ks.amplitude * node_signs[neuron + j]
            r = _round_shift(z, ks.act_shift, ks.rounding) + ks.act_offset
            u[nxt + j] = ks.act_lo if r < ks.act_lo else ks.act_hi if r > ks.act_hi else r
        neuron += n_out
        start = nxt
    return start


@njit(cache=True)
def _cost(u: np.ndarray, out: int, t: np.ndarray, ks: KernelSpec) -> int:
    """Cost register of the output at ``u[out:]`` against target ``t`` (spec step 3's cost unit)."""
    total = 0
    for j in range(len(t)):
        d = u[out + j] - t[j]
        total += d * d if ks.mse else abs(d)
    return _fit(_round_shift(total, ks.cost_shift, ks.rounding), ks.cost_width, False, ks.wrap)


@njit(cache=True)
def run_steps(theta: np.ndarray, G: np.ndarray, M: np.ndarray, u0: np.ndarray, C0: int, sat_events: int,
              X: np.ndarray, T: np.ndarray, lfsr_table: np.ndarray, lfsr_offsets: np.ndarray,
              lane_phase: np.ndarray, samples: np.ndarray,
              baseline: np.ndarray, updated: np.ndarray, layers: np.ndarray, param_neuron: np.ndarray,
              param_input: np.ndarray, ks: KernelSpec, cost_noise: np.ndarray, update_noise: np.ndarray,
              stuck: np.ndarray, rec_scalars: np.ndarray, rec_theta: np.ndarray,
              rec_G: np.ndarray, rec_M: np.ndarray) -> tuple[int, int, int, int]:
    """Run ``len(samples)`` steps in place on ``theta``, ``G``, ``M`` (int64, one entry per parameter) and
    ``u0`` (the baseline pass's layer inputs, kept between steps for node-mode correlation).

    Per step ``i`` the controller's sequence: lane ``p``'s LFSR state is
    ``lfsr_table[(lfsr_offsets[i] + lane_phase[p]) % len(lfsr_table)]`` (its bit 0 is the sign,
    1 = negative), ``samples[i]`` is the row of ``X``/``T``, then ``baseline[i]`` and ``updated[i]``.
    ``param_neuron``/``param_input`` map a parameter to its neuron's lane and to its input's slot in ``u0``
    (node mode). When ``rec_scalars`` has rows, row ``i`` receives ``(C0, C, C_hat, sat_events)`` and
    ``rec_theta/G/M[i]`` the registers after step ``i``. Faults: ``cost_noise`` (one state) is the
    cost-noise LFSR, drawn on every cost read; ``update_noise`` (one state per parameter) the update-noise
    bank, drawn by every parameter at every update; ``stuck`` (per parameter, 1 = stuck) suppresses the
    write of θ (G and M run as for any parameter). The states advance in place.

    Returns ``(C0, C, C_hat, sat_events)`` after the last step; ``sat_events`` counts on from the value
    passed in: one per parameter whose G accumulation, or whose update (θ or M), was narrowed by ``fit``.
    """
    n_params = len(theta)
    record = rec_scalars.shape[0] > 0
    u1 = np.empty_like(u0)
    w = np.empty_like(theta)
    no_signs = np.empty(0, dtype=np.int64)
    s = np.empty(len(lane_phase), dtype=np.int64)
    period = len(lfsr_table)
    C = 0
    C_hat = 0
    for i in range(len(samples)):
        x = X[samples[i]]
        t = T[samples[i]]
        if i == 0 or lfsr_offsets[i] != lfsr_offsets[i - 1]:
            for p in range(len(s)):
                s[p] = 1 - 2 * (lfsr_table[(lfsr_offsets[i] + lane_phase[p]) % period] & 1)
        # 2. baseline pass
        if baseline[i]:
            C0 = _noisy_cost(_cost(u0, _forward(theta, x, u0, layers, ks, no_signs), t, ks), cost_noise, ks)
        # 3. perturbed pass
        if ks.weight_mode:
            for p in range(n_params):
                w[p] = theta[p] + ks.amplitude * s[p]
            out = _forward(w, x, u1, layers, ks, no_signs)
        else:
            out = _forward(theta, x, u1, layers, ks, s)
        C = _noisy_cost(_cost(u1, out, t, ks), cost_noise, ks)
        # 4. cost change
        C_hat = C - C0
        # 5. correlate
        for p in range(n_params):
            if ks.weight_mode:
                term = s[p] * C_hat
            else:
                term = _round_shift(s[param_neuron[p]] * C_hat * u0[param_input[p]], ks.A_f, ks.rounding)
            total = G[p] + term
            G[p] = _fit(total, ks.grad_width, True, ks.wrap)
            if G[p] != total:
                sat_events += 1
        # 6. update
        if updated[i]:
            for p in range(n_params):
                u = G[p]
                event = False
                if ks.k_m > 0:
                    mm = M[p]
                    decay = (mm + (1 << ks.k_m) - 1) >> ks.k_m if mm >= 0 else mm >> ks.k_m
                    total = mm - decay + u
                    M[p] = _fit(total, ks.momentum_width, True, ks.wrap)
                    event = M[p] != total
                    u = M[p]
                total = theta[p] - _round_shift(u, ks.k_eta, ks.rounding)
                if ks.update_noise_bits:
                    total += _draw(update_noise, p, ks.update_noise_bits, ks.update_noise_shift,
                                   ks.noise_mask)
                if stuck[p]:
                    if event:
                        sat_events += 1
                else:
                    theta[p] = _fit(total, ks.theta_width, True, ks.wrap)
                    if event or theta[p] != total:
                        sat_events += 1
                G[p] = 0
        if record:
            rec_scalars[i, 0] = C0
            rec_scalars[i, 1] = C
            rec_scalars[i, 2] = C_hat
            rec_scalars[i, 3] = sat_events
            rec_theta[i] = theta
            rec_G[i] = G
            rec_M[i] = M
    return C0, C, C_hat, sat_events
