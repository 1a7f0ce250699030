"""The per-parameter weight-update unit: θ (and the momentum register M) of one parameter.

Ref: ``docs/fixed_point_spec.md`` ("One step n", step 6); ``shared/design/MGD.md`` ("Update"). The
arithmetic is :mod:`rtl.mgd_arith`'s, shared with the folded style.
"""

from __future__ import annotations

from amaranth import Const, Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_model.faults import NOISE_LFSR_WIDTH
from golden_model.fixed_network import FixedSpec
from rtl._validate import rejecting
from rtl.faults import noise_draw, noise_jump
from rtl.mgd_arith import update

__all__ = ["WeightUpdate"]


class WeightUpdate(wiring.Component):
    """``θ ← sat_O(θ − round_R(G, k_η))``, or with momentum (``k_m > 0``; M in G units)
    ``M ← sat_O(M − d + G, W_M bits)`` with ``d = M · 2**-k_m`` rounded away from zero (never
    saturates), ``θ ← sat_O(θ − round_R(M, k_η))``: :func:`rtl.mgd_arith.update`.

    Parameters
    ----------
    spec : FixedSpec
        θ format, ``eta_shift``, ``momentum_shift``, ``grad_width``, rounding and overflow.
    init : int
        Reset value of θ (θ₀ of this parameter, θ LSBs, within the θ format).
    stuck : bool
        A stuck parameter (spec "Faults"): θ is never written (M still is); only M's narrowing is an event.
    noise_seed : int
        With ``fixed.update_noise_bits > 0``: reset state of this parameter's update-noise LFSR
        (:func:`golden_model.faults.update_lane_seeds`); every update adds its draw ν before θ's narrowing
        and jumps it ``b_U`` steps (:mod:`rtl.faults`), stuck or not.

    Attributes
    ----------
    en : In(1)
        Apply the update this cycle.
    g : In(signed(W_G))
        The accumulated gradient to apply (the correlator's ``g`` register, holding the block's sum).
    theta : Out(signed(W_θ))
        The parameter register.
    momentum : Out(signed(W_M))
        The momentum register (constant 0 without momentum).
    overflow : Out(1)
        ``en`` and θ (or M) left its range this cycle (saturated or wrapped).

    Latency: ``theta`` updates one clock after ``en``.
    """

    def __init__(self, *, spec: FixedSpec, init: int, stuck: bool = False, noise_seed: int = 0) -> None:
        with rejecting(self):
            if not isinstance(spec, FixedSpec):
                raise TypeError(f"WeightUpdate spec must be a FixedSpec, not {spec!r}")
            if not isinstance(init, int) or isinstance(init, bool) or not spec.theta.contains(init):
                raise ValueError(f"WeightUpdate init must be an integer in the θ format {spec.theta} "
                                 f"[{spec.theta.min_int}, {spec.theta.max_int}], not {init!r}")
            if spec.update_noise_bits and not 0 < noise_seed < (1 << NOISE_LFSR_WIDTH):
                raise ValueError(f"WeightUpdate noise_seed must be a non-zero {NOISE_LFSR_WIDTH}-bit state, "
                                 f"not {noise_seed!r}")
            self._spec, self._init = spec, int(init)
            self._stuck, self._noise_seed = bool(stuck), int(noise_seed)
        super().__init__({"en": In(1), "g": In(signed(spec.grad_width)),
                          "theta": Out(signed(spec.theta.width)),
                          "momentum": Out(signed(spec.momentum_width)), "overflow": Out(1)})

    @property
    def spec(self) -> FixedSpec:
        return self._spec

    @property
    def init(self) -> int:
        return self._init

    def elaborate(self, platform: object) -> Module:
        m = Module()
        s = self._spec
        theta = Signal(signed(s.theta.width), init=self._init)
        mom = Signal(signed(s.momentum_width)) if s.k_m else None
        noise = None
        if s.update_noise_bits:
            state = Signal(NOISE_LFSR_WIDTH, init=self._noise_seed, name="update_noise")
            with m.If(self.en):
                m.d.sync += state.eq(noise_jump(state, s.update_noise_bits))
            noise = noise_draw(state, s.update_noise_bits, s.update_noise_shift)
        nxt = update(theta, self.g, mom, s, noise)
        with m.If(self.en):
            if not self._stuck:
                m.d.sync += theta.eq(nxt.theta)
            if s.k_m:
                m.d.sync += mom.eq(nxt.momentum)
        if s.k_m:
            m.d.comb += self.momentum.eq(mom)
        event = nxt.event if not self._stuck else (nxt.momentum_event if s.k_m else Const(0, 1))
        m.d.comb += [self.theta.eq(theta), self.overflow.eq(self.en & event)]
        return m
