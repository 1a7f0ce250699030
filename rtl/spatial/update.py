"""The per-parameter weight-update unit: θ (and the momentum register M) of one parameter.

Ref: ``docs/fixed_point_spec.md`` ("One step n", step 6); ``shared/design/MGD.md`` ("Update"). The
arithmetic is :mod:`rtl.mgd_arith`'s, shared with the folded style.
"""

from __future__ import annotations

from amaranth import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_model.fixed_network import FixedSpec
from rtl._validate import rejecting
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

    def __init__(self, *, spec: FixedSpec, init: int) -> None:
        with rejecting(self):
            if not isinstance(spec, FixedSpec):
                raise TypeError(f"WeightUpdate spec must be a FixedSpec, not {spec!r}")
            if not isinstance(init, int) or isinstance(init, bool) or not spec.theta.contains(init):
                raise ValueError(f"WeightUpdate init must be an integer in the θ format {spec.theta} "
                                 f"[{spec.theta.min_int}, {spec.theta.max_int}], not {init!r}")
            self._spec, self._init = spec, int(init)
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
        nxt = update(theta, self.g, mom, s)
        with m.If(self.en):
            m.d.sync += theta.eq(nxt.theta)
            if s.k_m:
                m.d.sync += mom.eq(nxt.momentum)
        if s.k_m:
            m.d.comb += self.momentum.eq(mom)
        m.d.comb += [self.theta.eq(theta), self.overflow.eq(self.en & nxt.event)]
        return m
