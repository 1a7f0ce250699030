"""The folded cost unit: the cost of one pass, accumulated over the output layer's groups of P lanes.

Ref: ``docs/fixed_point_spec.md`` ("Cost"); golden twin :func:`golden_model.fixed_network.cost`; the
spatial style's :class:`rtl.cost.CostUnit` takes every output at once, this one P per clock.
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_model.fixed_network import FixedSpec
from rtl._validate import rejecting
from rtl.arith import fit, round_shift, tree_sum
from rtl.pipeline import elements, flat_width

__all__ = ["LaneCost"]


def _as_signed(v):
    return v if v.shape().signed else Cat(v, Const(0, 1)).as_signed()


class LaneCost(wiring.Component):
    """``C_exact = Σ_k (y_k − t_k)²`` (mse) or ``Σ_k |y_k − t_k|`` (l1), P outputs per clock, then
    ``C = sat_O(round_R(C_exact, F − C_f), fixed.cost)`` (rounding ``fixed.rounding``, overflow
    ``fixed.overflow``; F = 2 A_f for mse, A_f for l1).

    Parameters
    ----------
    spec : FixedSpec
    lanes : int

    Attributes
    ----------
    valid : In(1)
        ``y``/``t``/``mask`` hold one group of outputs this cycle.
    first, final : In(1)
        The group is the pass's first (the sum restarts) / last (the cost is ready next cycle).
    y, t : In(P · W_a)
        Outputs and targets, activation format.
    mask : In(P)
        Lanes holding an output (the last group may be partly idle).
    done : Out(1)
        The cycle after the ``final`` group: ``cost`` holds the pass's cost.
    cost : Out(unsigned(W_C))
        ``C``, cost format (combinational from the exact sum register).

    Latency: ``done``/``cost`` 1 clock after the final group.
    """

    def __init__(self, *, spec: FixedSpec, lanes: int) -> None:
        with rejecting(self):
            if not isinstance(spec, FixedSpec):
                raise TypeError(f"LaneCost spec must be a FixedSpec, not {spec!r}")
            self._spec, self._lanes = spec, lanes
        wa = spec.act.width
        super().__init__({"valid": In(1), "first": In(1), "final": In(1), "y": In(flat_width(lanes, wa)),
                          "t": In(flat_width(lanes, wa)), "mask": In(max(1, lanes)), "done": Out(1),
                          "cost": Out(unsigned(spec.cost_fmt.width))})

    def elaborate(self, platform: object) -> Module:
        m = Module()
        s, P = self._spec, self._lanes
        wa = s.act.width
        ys = elements(self.y, P, wa, s.act.signed)
        ts = elements(self.t, P, wa, s.act.signed)
        terms = []
        for p, (y, t) in enumerate(zip(ys, ts)):
            d = _as_signed(y) - _as_signed(t)
            term = d * d if s.cost_kind == "mse" else Mux(d < 0, -d, d)
            terms.append(Mux(self.mask[p], term, 0))
        c_exact = Signal(signed(s.widths()["C_exact"] + 1))
        with m.If(self.valid):
            m.d.sync += c_exact.eq(Mux(self.first, 0, c_exact) + tree_sum(terms))
        m.d.sync += self.done.eq(self.valid & self.final)
        c_round = round_shift(c_exact, s.cost_frac_exact - s.C_f, s.rounding)
        m.d.comb += self.cost.eq(fit(c_round, s.cost_fmt.width, False, s.overflow))
        return m
