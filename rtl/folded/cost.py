"""The folded cost unit: the cost of one pass, accumulated over the output layer's groups, pipelined.

Ref: ``docs/fixed_point_spec.md`` ("Cost"); golden twin :func:`golden_model.fixed_network.cost`; the
spatial style's :class:`rtl.cost.CostUnit` takes every output at once, this one a group per clock.
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_model.fixed_network import FixedSpec
from rtl._validate import rejecting
from rtl.arith import fit, round_shift, tree_sum
from rtl.multiplier import Multiplier
from rtl.pipeline import elements, flat_width

__all__ = ["LaneCost", "COST_LATENCY"]

#: clocks from a group's outputs at the inputs to ``done`` (with the pass's cost) after the final group
COST_LATENCY = 5
_QUAD = 4  # terms summed per register of the first adder stage


def _as_signed(v):
    return v if v.shape().signed else Cat(v, Const(0, 1)).as_signed()


class LaneCost(wiring.Component):
    """``C_exact = Σ_k (y_k − t_k)²`` (mse) or ``Σ_k |y_k − t_k|`` (l1), a group of ``lanes`` outputs per
    clock, then ``C = sat_O(round_R(C_exact, F − C_f), fixed.cost)`` (rounding ``fixed.rounding``, overflow
    ``fixed.overflow``; F = 2 A_f for mse, A_f for l1).

    Pipeline (a group presented in cycle c): inputs registered (end of c); ``d = y − t`` of the masked lanes
    (c+1); the terms ``d²`` (one multiplier per lane between registers) or ``|d|`` (c+2); sums of four terms
    (c+3); ``C_exact`` accumulated (c+4); in cycle c+5 ``done`` is high after the final group and ``cost``
    holds ``C`` (combinational from ``C_exact``). Groups may arrive back to back.

    Parameters
    ----------
    spec : FixedSpec
    lanes : int
        Outputs per group: ``min(P, n_L)`` (:attr:`rtl.folded.layout.FoldedLayout.cost_lanes`).

    Attributes
    ----------
    valid : In(1)
        ``y``/``t``/``mask`` hold one group of outputs this cycle.
    first, final : In(1)
        The group is the pass's first (the sum restarts) / last (``done`` follows).
    tag : In(1)
        Carried with the group to ``done`` (the core: baseline or perturbed pass).
    y, t : In(lanes · W_a)
        Outputs and targets, activation format.
    mask : In(lanes)
        Lanes holding an output (the last group may be partly idle).
    done : Out(1)
        :data:`COST_LATENCY` cycles after the ``final`` group: ``cost`` holds the pass's cost.
    done_tag : Out(1)
        The final group's ``tag``, with ``done``.
    cost : Out(unsigned(W_C))
        ``C``, cost format.

    Netlist: ``lanes`` subtractors and squarers (mse: one :class:`rtl.multiplier.Multiplier` each, a
    registered MULT18X18D / SB_MAC16 whose operand registers hold ``d``) or absolute values
    (l1), a two-stage adder tree and the ``C_exact`` register; no memory.
    """

    def __init__(self, *, spec: FixedSpec, lanes: int) -> None:
        with rejecting(self):
            if not isinstance(spec, FixedSpec):
                raise TypeError(f"LaneCost spec must be a FixedSpec, not {spec!r}")
            if not isinstance(lanes, int) or isinstance(lanes, bool) or lanes < 1:
                raise ValueError(f"LaneCost lanes must be a positive integer, not {lanes!r}")
            self._spec, self._lanes = spec, lanes
        wa = spec.act.width
        super().__init__({"valid": In(1), "first": In(1), "final": In(1), "tag": In(1),
                          "y": In(flat_width(lanes, wa)), "t": In(flat_width(lanes, wa)), "mask": In(lanes),
                          "done": Out(1), "done_tag": Out(1), "cost": Out(unsigned(spec.cost_fmt.width))})

    def elaborate(self, platform: object) -> Module:
        m = Module()
        s, n = self._spec, self._lanes
        wa = s.act.width
        # flags through the four register stages before the accumulator
        flags = Cat(self.valid, self.first, self.final, self.tag)
        stages = []
        for k in range(4):
            reg = Signal(4, name=f"cost_flags{k}")
            m.d.sync += reg.eq(flags if k == 0 else stages[-1])
            stages.append(reg)
        # c: inputs registered
        y_r, t_r, mask_r = Signal.like(self.y), Signal.like(self.t), Signal.like(self.mask)
        m.d.sync += [y_r.eq(self.y), t_r.eq(self.t), mask_r.eq(self.mask)]
        # c+1: masked differences (mse: the multiplier's operand registers); c+2: terms
        terms = []
        ys, ts = elements(y_r, n, wa, s.act.signed), elements(t_r, n, wa, s.act.signed)
        for p, (y, t) in enumerate(zip(ys, ts)):
            d = Signal(signed(wa + 2), name=f"cost_d{p}")
            term = Signal(unsigned(2 * (wa + 1)) if s.cost_kind == "mse" else unsigned(wa + 1),
                          name=f"cost_term{p}")
            diff = Mux(mask_r[p], _as_signed(y) - _as_signed(t), 0)
            if s.cost_kind == "mse":
                m.submodules[f"cost_square{p}"] = sq = Multiplier(wa + 2, wa + 2)
                m.d.comb += [d.eq(diff), sq.a.eq(d), sq.b.eq(d), term.eq(sq.p)]
            else:
                m.d.sync += [d.eq(diff), term.eq(Mux(d < 0, -d, d))]
            terms.append(term)
        # c+3: sums of four
        quads = []
        for i in range(0, n, _QUAD):
            part = tree_sum(terms[i:i + _QUAD])
            q = Signal(part.shape(), name=f"cost_quad{i // _QUAD}")
            m.d.sync += q.eq(part)
            quads.append(q)
        # c+4: the pass's exact cost
        valid4, first4, final4, tag4 = stages[3]
        c_exact = Signal(signed(s.widths()["C_exact"] + 1))
        with m.If(valid4):
            m.d.sync += c_exact.eq(Mux(first4, 0, c_exact) + tree_sum(quads))
        m.d.sync += [self.done.eq(valid4 & final4), self.done_tag.eq(tag4)]
        # c+5: C
        c_round = round_shift(c_exact, s.cost_frac_exact - s.C_f, s.rounding)
        m.d.comb += self.cost.eq(fit(c_round, s.cost_fmt.width, False, s.overflow))
        return m
