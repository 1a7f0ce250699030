"""P multiply-accumulate lanes: the folded core's forward multipliers (one per lane, DSP blocks) and exact
accumulators.

Ref: ``docs/fixed_point_spec.md`` ("Forward pass", steps 2 and 3: the exact pre-activation and the node
perturbation added to it); ``shared/design/FOLDED.md``.

One input ``a`` is broadcast to every lane; each lane has its own operand, the (perturbed) weight ``w'``.
Operands and products are registered (DSP-friendly: a multiplier between two registers), so the lanes
are a three-stage pipeline: operands in, product, accumulator. The node-mode correlation ``s_j·Ĉ·a_i`` does
not use these multipliers: its product ``Ĉ·a_i`` is the same for every lane (one broadcast input, one Ĉ),
so the core computes it once per clock on one shared multiplier (:class:`rtl.folded.core.FoldedCore`).
"""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from rtl._validate import rejecting
from rtl.pipeline import elements, flat_width, pack

__all__ = ["MACLanes"]


class MACLanes(wiring.Component):
    """``prod_p ← op_p · a`` (operands registered first); on ``en``:
    ``acc_p ← (first ? init_p : acc_p) + (load ? load_z_p : prod_p)``.

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
        Width of each accumulator: ``FixedSpec.widths()["z"]``, the worst-case pre-activation with the node
        perturbation, so the sum is exact (no rounding, no overflow: every pre-activation the spec allows
        fits; two's complement partial sums wrap harmlessly, the final sum is exact).
    init_width : int
        Width of each signed ``init`` lane (the node perturbation ``±2**(T_f + A_f - k_p)``, or 0).
    op_registered : bool
        ``op`` comes straight from registers one clock later (cycle ``c + 1``) and feeds the multipliers
        as it is: no operand registers of its own (node mode, whose operand is the registered θ word).

    Attributes
    ----------
    op : In(P · op_width)
        Lane operands, flat (lane ``p`` in bits ``[p·op_width, (p+1)·op_width)``), cycle ``c`` (cycle
        ``c + 1`` with ``op_registered``).
    a : In(a_shape)
        Broadcast input, cycle ``c``.
    prod : Out(P · prod_width)
        The products of cycle ``c``'s operands, valid in cycle ``c + 2`` (operand registers, product
        registers), ``prod_width = op_width + len(a) + 1`` signed.
    en, first, load : In(1)
        Cycle ``c + 2`` (with ``prod``): accumulate; restart the sum (at ``init``); take ``load_z`` instead
        of the product (node mode's shared first-layer pre-activations).
    init : In(P · init_width)
        Cycle ``c + 2``: the value a restarted sum begins at (node mode: the perturbation, added exactly).
    load_z : In(P · z_width)
    z : Out(P · z_width)
        The accumulators, valid in cycle ``c + 3`` (``T_f + A_f`` fraction bits).

    Latency: ``prod`` 2 clocks after ``op``/``a``; ``z`` 1 clock after ``en``: a MAC of the operands of
    cycle ``c`` is in ``z`` in cycle ``c + 3``.

    Netlist: P multipliers (one MULT18X18D / SB_MAC16 each when ``op_width`` and ``len(a) + 1`` fit the
    block), registers for ``a``, the P operands (unless ``op_registered``), the P products and the P
    accumulators.
    """

    def __init__(self, *, lanes: int, op_width: int, a_shape, z_width: int, init_width: int = 1,
                 op_registered: bool = False) -> None:
        with rejecting(self):
            for name, v in (("lanes", lanes), ("op_width", op_width), ("z_width", z_width),
                            ("init_width", init_width)):
                if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                    raise ValueError(f"MACLanes {name} must be a positive integer, not {v!r}")
            self._lanes, self._op_width = lanes, op_width
            self._z_width, self._init_width = z_width, init_width
            self._a_shape, self._op_registered = a_shape, bool(op_registered)
            self._prod_width = op_width + a_shape.width + 1
        super().__init__({
            "op": In(flat_width(lanes, op_width)), "a": In(a_shape), "en": In(1), "first": In(1),
            "load": In(1), "init": In(flat_width(lanes, init_width)),
            "load_z": In(flat_width(lanes, z_width)),
            "prod": Out(flat_width(lanes, self._prod_width)), "z": Out(flat_width(lanes, z_width)),
        })

    @property
    def prod_width(self) -> int:
        return self._prod_width

    def elaborate(self, platform: object) -> Module:
        m = Module()
        P, wz = self._lanes, self._z_width
        a_r = Signal(self._a_shape, name="a_r")
        m.d.sync += a_r.eq(self.a)
        ops = elements(self.op, P, self._op_width, True)
        inits = elements(self.init, P, self._init_width, True)
        loads = elements(self.load_z, P, wz, True)
        prods, accs = [], []
        for p in range(P):
            prod = Signal(signed(self._prod_width), name=f"prod{p}")
            acc = Signal(signed(wz), name=f"acc{p}")
            if self._op_registered:
                op_r = ops[p]
            else:
                op_r = Signal(signed(self._op_width), name=f"op_r{p}")
                m.d.sync += op_r.eq(ops[p])
            m.d.sync += prod.eq(op_r * a_r)
            with m.If(self.en):
                m.d.sync += acc.eq(Mux(self.first, inits[p], acc) + Mux(self.load, loads[p], prod))
            prods.append(prod)
            accs.append(acc)
        m.d.comb += [self.prod.eq(pack(prods)), self.z.eq(pack(accs))]
        return m
