"""P correlate-and-update lanes: the read-modify-write of one word of G, θ and M per clock.

Ref: ``docs/fixed_point_spec.md`` ("One step n", steps 5, 6, 7); the arithmetic is :mod:`rtl.mgd_arith`'s,
the same functions the spatial style's :class:`rtl.spatial.correlator.Correlator` and
:class:`rtl.spatial.update.WeightUpdate` build once per parameter.
"""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_model.fixed_network import FixedSpec
from rtl._validate import rejecting
from rtl.arith import tree_sum
from rtl.mgd_arith import accumulate, node_term, signed_cost, update
from rtl.pipeline import elements, flat_width, pack

__all__ = ["CorrelateLanes"]


class CorrelateLanes(wiring.Component):
    """For P parameters at once: ``G ← sat_O(G + term)``; on ``update`` also θ (and M) from that G, and
    ``G ← 0``. Combinational: the core reads the words, presents them here and writes the results back.

    ``term`` is ``s_p · Ĉ`` in weight mode (``s_p`` from the lane's LFSR state) and ``round_R(prod_p, A_f)``
    in node mode, ``prod_p = s_j · Ĉ · a_i`` from :class:`rtl.folded.mac.MACLanes` (``a = 2**A_f`` for a
    bias, so its term is exactly ``s_j · Ĉ``).

    Parameters
    ----------
    spec : FixedSpec
    lanes : int
    prod_width : int
        Width of each lane of ``prod`` (node mode).

    Attributes
    ----------
    g, theta, momentum : In(P · W)
        The words read (G, θ, and M with ``W_θ + k_m + 1`` bits when ``k_m > 0``).
    signs : In(P)
        Weight mode: the lanes' sign bits (1 = ``-``).
    c_hat : In(signed(W_C + 1))
    prod : In(P · prod_width)
    update : In(1)
        This sweep ends an update block (``(n + 1) % τ_θ == 0``).
    mask : In(P)
        Lanes holding a parameter (events of idle lanes are not counted).
    g_write, theta_next, momentum_next : Out(P · W)
        What to write back: ``0`` or the accumulated G; the updated θ and M (write them on ``update``).
    events : Out(range(2P + 1))
        Narrowings that acted this clock among the masked lanes (spec item 7: one per G accumulation, one
        per update whose θ or M left its range).

    Latency 0.
    """

    def __init__(self, *, spec: FixedSpec, lanes: int, prod_width: int) -> None:
        with rejecting(self):
            if not isinstance(spec, FixedSpec):
                raise TypeError(f"CorrelateLanes spec must be a FixedSpec, not {spec!r}")
            self._spec, self._lanes, self._prod_width = spec, lanes, prod_width
        wm = spec.momentum_width if spec.k_m else 1
        P = lanes
        super().__init__({
            "g": In(flat_width(P, spec.grad_width)), "theta": In(flat_width(P, spec.theta.width)),
            "momentum": In(flat_width(P, wm)), "signs": In(max(1, P)),
            "c_hat": In(signed(spec.cost_fmt.width + 1)), "prod": In(flat_width(P, prod_width)),
            "update": In(1), "mask": In(max(1, P)),
            "g_write": Out(flat_width(P, spec.grad_width)),
            "theta_next": Out(flat_width(P, spec.theta.width)),
            "momentum_next": Out(flat_width(P, wm)), "events": Out(range(2 * P + 1)),
        })

    def elaborate(self, platform: object) -> Module:
        m = Module()
        s, P = self._spec, self._lanes
        wm = s.momentum_width if s.k_m else 1
        gs = elements(self.g, P, s.grad_width, True)
        thetas = elements(self.theta, P, s.theta.width, True)
        moms = elements(self.momentum, P, wm, True)
        prods = elements(self.prod, P, self._prod_width, True)
        g_out, t_out, m_out, events = [], [], [], []
        for p in range(P):
            if s.perturbation == "node":
                term = node_term(prods[p], s)
            else:
                term = signed_cost(self.signs[p], self.c_hat)
            g_next = Signal(signed(s.grad_width), name=f"g_next{p}")
            g_total, g_event = accumulate(gs[p], term, s)
            m.d.comb += g_next.eq(g_total)
            upd = update(thetas[p], g_next, moms[p] if s.k_m else None, s)
            g_out.append(Mux(self.update, 0, g_next))
            t_out.append(upd.theta)
            m_out.append(upd.momentum if s.k_m else moms[p])
            events += [self.mask[p] & g_event, self.mask[p] & self.update & upd.event]
        m.d.comb += [self.g_write.eq(pack(g_out)), self.theta_next.eq(pack(t_out)),
                     self.momentum_next.eq(pack(m_out)), self.events.eq(tree_sum(events))]
        return m
