"""The per-parameter correlator: the gradient accumulator G of one parameter.

Ref: ``docs/fixed_point_spec.md`` ("One step n", step 5); ``shared/design/MGD.md`` ("Correlate"). The
arithmetic is :mod:`rtl.mgd_arith`'s, shared with the folded style.
"""

from __future__ import annotations

from amaranth import Module, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_model.fixed_network import FixedSpec
from rtl._validate import rejecting
from rtl.mgd_arith import accumulate, node_term, signed_cost

__all__ = ["Correlator"]


class Correlator(wiring.Component):
    """``G ← sat_O(G + term, W_G)`` on every perturbed cost, ``G ← 0`` on an update.

    ``term`` is ``s * Ĉ`` (weight mode, and node mode's bias, whose input is exactly ``1.0``) or
    ``round_R(s * Ĉ * a, A_f)`` (node mode's weights, ``a`` the weight's input in the baseline pass).
    ``s = -1`` when ``sign`` is 1. The caller delays ``sign`` so that it is the sign of the pass whose Ĉ is
    presented (:class:`rtl.spatial.trainer.MGDTrainer` does, by exactly the pipeline latency).

    Parameters
    ----------
    spec : FixedSpec
        ``grad_width``, ``fixed.rounding``/``overflow``, cost and activation formats.
    node_input : bool
        ``True`` for a node-mode weight (the product with ``a``), ``False`` otherwise.

    Attributes
    ----------
    en : In(1)
        A perturbed pass's Ĉ is presented this cycle: accumulate.
    clear : In(1)
        ``G ← 0`` at this edge, whatever ``en`` says (the cycle the update unit consumes ``g``).
    sign : In(1)
    c_hat : In(signed(W_C + 1))
    a : In(activation format)
        The weight's baseline input (used only when ``node_input``).
    g : Out(signed(W_G))
        The accumulator (G units: one cost LSB, times one activation in node mode).
    g_next : Out(signed(W_G))
        What G becomes with this cycle's term (combinational), the value an update applies.
    overflow : Out(1)
        ``en`` and the accumulation left the ``W_G``-bit range this cycle (saturated or wrapped).

    Latency: ``g`` updates one clock after ``en``; ``g_next`` is combinational.
    """

    def __init__(self, *, spec: FixedSpec, node_input: bool) -> None:
        with rejecting(self):
            if not isinstance(spec, FixedSpec):
                raise TypeError(f"Correlator spec must be a FixedSpec, not {spec!r}")
            if not isinstance(node_input, bool):
                raise TypeError(f"Correlator node_input must be a bool, not {node_input!r}")
            self._spec, self._node_input = spec, node_input
            act = spec.act
        super().__init__({
            "en": In(1), "clear": In(1), "sign": In(1), "c_hat": In(signed(spec.cost_fmt.width + 1)),
            "a": In(signed(act.width) if act.signed else unsigned(act.width)),
            "g": Out(signed(spec.grad_width)), "g_next": Out(signed(spec.grad_width)), "overflow": Out(1),
        })

    @property
    def spec(self) -> FixedSpec:
        return self._spec

    @property
    def node_input(self) -> bool:
        return self._node_input

    def elaborate(self, platform: object) -> Module:
        m = Module()
        s = self._spec
        sc = signed_cost(self.sign, self.c_hat)
        term = node_term(sc * self.a, s) if self._node_input else sc
        g = Signal(signed(s.grad_width))
        g_next, event = accumulate(g, term, s)
        m.d.comb += [self.g.eq(g), self.g_next.eq(g_next), self.overflow.eq(self.en & event)]
        with m.If(self.clear):
            m.d.sync += g.eq(0)
        with m.Elif(self.en):
            m.d.sync += g.eq(self.g_next)
        return m
