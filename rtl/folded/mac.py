"""P multiply-accumulate lanes: the folded core's multipliers (one per lane, DSP blocks) and accumulators.

Ref: ``docs/fixed_point_spec.md`` ("Forward pass", step 2: the exact pre-activation; "One step n", step 5:
node mode's product ``s·Ĉ·a``); ``shared/design/FOLDED.md``.

One input ``a`` is broadcast to every lane; each lane has its own operand: in a forward pass the (perturbed)
weight ``w'``, in the node-mode correlate sweep ``s_j·Ĉ``. The same P multipliers serve both, so a node-mode
core has P multipliers in all (the correlation's rank-1 outer product ``(s·Ĉ) aᵀ`` is a MAC pass without
the accumulation).
"""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from rtl._validate import rejecting
from rtl.pipeline import elements, flat_width, pack

__all__ = ["MACLanes"]


class MACLanes(wiring.Component):
    """``prod_p ← op_p · a`` every clock; ``acc_p ← (first ? 0 : acc_p) + prod_p`` (or ``load_p``) on ``en``.

    Parameters
    ----------
    lanes : int
        P.
    op_width : int
        Width of each signed lane operand.
    a_shape : amaranth Shape
        Shape of the broadcast input (the activation format widened by one bit, so ``2**A_f`` — the bias
        input — fits in every format).
    z_width : int
        Width of each accumulator: ``FixedSpec.widths()["z"]``, the worst-case pre-activation, so the sum is
        exact (no rounding, no overflow: every pre-activation the spec allows fits).

    Attributes
    ----------
    op : In(P · op_width)
        Lane operands, flat (lane ``p`` in bits ``[p·op_width, (p+1)·op_width)``).
    a : In(a_shape)
    en, first : In(1)
        Accumulate this cycle; restart the sum with this product.
    load : In(1)
        With ``en``: ``acc_p ← load_z_p`` instead (node mode's shared first-layer pre-activations).
    load_z : In(P · z_width)
    prod : Out(P · prod_width)
        The registered products, ``prod_width = op_width + len(a) + 1`` signed (T_f + A_f fraction bits in a
        forward pass; cost LSBs times ``A_f`` fraction bits in a correlate sweep).
    z : Out(P · z_width)
        The accumulators (``T_f + A_f`` fraction bits).

    Latency: ``prod`` 1 clock after ``op``/``a``; ``z`` 1 clock after ``en``. So a MAC of the item presented
    in cycle t is in ``z`` after the edge ending cycle t + 1.
    """

    def __init__(self, *, lanes: int, op_width: int, a_shape, z_width: int) -> None:
        with rejecting(self):
            for name, v in (("lanes", lanes), ("op_width", op_width), ("z_width", z_width)):
                if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                    raise ValueError(f"MACLanes {name} must be a positive integer, not {v!r}")
            self._lanes, self._op_width, self._z_width = lanes, op_width, z_width
            self._a_shape = a_shape
            self._prod_width = op_width + a_shape.width + 1
        super().__init__({
            "op": In(flat_width(lanes, op_width)), "a": In(a_shape), "en": In(1), "first": In(1),
            "load": In(1), "load_z": In(flat_width(lanes, z_width)),
            "prod": Out(flat_width(lanes, self._prod_width)), "z": Out(flat_width(lanes, z_width)),
        })

    @property
    def prod_width(self) -> int:
        return self._prod_width

    def elaborate(self, platform: object) -> Module:
        m = Module()
        P, wz = self._lanes, self._z_width
        ops = elements(self.op, P, self._op_width, True)
        loads = elements(self.load_z, P, wz, True)
        prods, accs = [], []
        for p in range(P):
            prod = Signal(signed(self._prod_width), name=f"prod{p}")
            acc = Signal(signed(wz), name=f"acc{p}")
            m.d.sync += prod.eq(ops[p] * self.a)
            with m.If(self.en):
                m.d.sync += acc.eq(Mux(self.load, loads[p], Mux(self.first, 0, acc) + prod))
            prods.append(prod)
            accs.append(acc)
        m.d.comb += [self.prod.eq(pack(prods)), self.z.eq(pack(accs))]
        return m
