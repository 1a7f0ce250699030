"""P = PE × SIMD multiply-accumulate lanes: the folded core's forward multipliers (one per lane, DSP blocks)
and PE exact accumulators, each adding its SIMD products a clock.

Ref: ``docs/fixed_point_spec.md`` ("Forward pass", steps 2 and 3: the exact pre-activation and the node
perturbation added to it); ``shared/design/FOLDED.md``.

SIMD inputs ``a_0 .. a_{SIMD-1}`` are broadcast, ``a_s`` to lane ``pe·SIMD + s`` of every neuron ``pe``;
each lane has its own operand, the (perturbed) weight ``w'``.
Operands are registered, then each lane's :class:`rtl.multiplier.Multiplier` registers them again and its
product (on the ECP5 inside the MULT18X18D), so that the long wires (from the θ memory's output register,
to the accumulators) run between flip-flops, never through the multiplier (NIST7x7 P = 20 on the
ECP5-25k with the multiply in the fabric's registers: the θ register sat 41 columns from its DSP and the
product register 36 columns on the other side, 9.6 of the path's 14.0 ns routing). The lanes are a
four-stage pipeline: operands in, the multiplier's operand registers, its product register, accumulator.
The node-mode correlation ``s_j·Ĉ·a_i`` does not use these multipliers: its product ``Ĉ·a_i`` is the same
for every lane (one broadcast input, one Ĉ), so the core computes it once per clock and input on SIMD
shared multipliers (:class:`rtl.folded.core.FoldedCore`).
"""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from rtl._validate import rejecting
from rtl.arith import tree_sum
from rtl.multiplier import Multiplier
from rtl.pipeline import elements, flat_width, pack

__all__ = ["MACLanes"]


class MACLanes(wiring.Component):
    """``prod_q ← op_q · a_{q mod SIMD}`` (operands registered, then a two-clock multiplier); on ``en``, for
    each neuron ``pe``: ``acc_pe ← (first ? init_pe : acc_pe) + (load ? load_z_pe : Σ_s prod_{pe·SIMD + s})``.

    Parameters
    ----------
    lanes : int
        P = PE × SIMD (a multiple of ``simd``).
    simd : int
        SIMD: inputs a clock, products summed per accumulator (default 1: one lane, one accumulator).
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
        Width of each signed ``init`` lane (PE of them: the node perturbation ``±2**(T_f + A_f - k_p)``,
        or 0).

    Attributes
    ----------
    op : In(P · op_width)
        Lane operands, flat (lane ``p`` in bits ``[p·op_width, (p+1)·op_width)``), cycle ``c``.
    a : In(SIMD · len(a_shape))
        The SIMD broadcast inputs, flat (``a_s`` in bits ``[s·len, (s+1)·len)``), cycle ``c``.
    prod : Out(P · prod_width)
        The products of cycle ``c``'s operands, valid in cycle ``c + 3`` (operand registers, the
        multiplier's operand and product registers), ``prod_width = op_width + len(a) + 1`` signed.
    en, first, load : In(1)
        Cycle ``c + 3`` (with ``prod``): accumulate; restart the sum (at ``init``); take ``load_z`` instead
        of the product (node mode's shared first-layer pre-activations).
    init : In(PE · init_width)
        Cycle ``c + 3``: the value a restarted sum begins at (node mode: the perturbation, added exactly).
    load_z : In(PE · z_width)
    z : Out(PE · z_width)
        The PE accumulators, valid in cycle ``c + 4`` (``T_f + A_f`` fraction bits).

    Latency: ``prod`` 3 clocks after ``op``/``a``; ``z`` 1 clock after ``en``: a MAC of the operands of
    cycle ``c`` is in ``z`` in cycle ``c + 4``.

    Netlist: P multipliers (one MULT18X18D / SB_MAC16 each when ``op_width`` and ``len(a) + 1`` fit the
    block; both register stages are the MULT18X18D's own REG_INPUT/REG_OUTPUT registers when elaborated
    for an ECP5, on the iCE40 what Yosys packs), registers for the SIMD inputs
    and the P operands in the fabric, and the PE accumulators, each behind an adder
    tree of its SIMD products (combinational, in the accumulator's cycle: ``⌈log2 SIMD⌉`` adders before the
    accumulating one).
    """

    def __init__(self, *, lanes: int, op_width: int, a_shape, z_width: int, init_width: int = 1,
                 simd: int = 1) -> None:
        with rejecting(self):
            for name, v in (("lanes", lanes), ("op_width", op_width), ("z_width", z_width),
                            ("init_width", init_width), ("simd", simd)):
                if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                    raise ValueError(f"MACLanes {name} must be a positive integer, not {v!r}")
            if lanes % simd:
                raise ValueError(f"MACLanes lanes must be a multiple of simd ({simd}), not {lanes!r}")
            self._lanes, self._op_width, self._simd = lanes, op_width, simd
            pe = lanes // simd
            self._z_width, self._init_width = z_width, init_width
            self._a_shape = a_shape
            self._prod_width = op_width + a_shape.width + 1
        super().__init__({
            "op": In(flat_width(lanes, op_width)), "a": In(flat_width(simd, a_shape.width)), "en": In(1),
            "first": In(1), "load": In(1), "init": In(flat_width(pe, init_width)),
            "load_z": In(flat_width(pe, z_width)),
            "prod": Out(flat_width(lanes, self._prod_width)), "z": Out(flat_width(pe, z_width)),
        })

    @property
    def prod_width(self) -> int:
        return self._prod_width

    def elaborate(self, platform: object) -> Module:
        m = Module()
        P, S, wz = self._lanes, self._simd, self._z_width
        PE = P // S
        a_rs = []
        for k, a in enumerate(elements(self.a, S, self._a_shape.width, self._a_shape.signed)):
            a_r = Signal(self._a_shape, name="a_r" if S == 1 else f"a_r{k}")
            m.d.sync += a_r.eq(a)
            a_rs.append(a_r)
        ops = elements(self.op, P, self._op_width, True)
        inits = elements(self.init, PE, self._init_width, True)
        loads = elements(self.load_z, PE, wz, True)
        prods, accs = [], []
        for p in range(P):
            op_r = Signal(signed(self._op_width), name=f"op_r{p}")
            m.d.sync += op_r.eq(ops[p])
            m.submodules[f"mul{p}"] = mul = Multiplier(self._op_width, self._a_shape.width + 1)
            m.d.comb += [mul.a.eq(op_r), mul.b.eq(a_rs[p % S])]
            prods.append(mul.p)
        for pe in range(PE):
            acc = Signal(signed(wz), name=f"acc{pe}")
            total = tree_sum(prods[pe * S:(pe + 1) * S])
            with m.If(self.en):
                m.d.sync += acc.eq(Mux(self.first, inits[pe], acc) + Mux(self.load, loads[pe], total))
            accs.append(acc)
        m.d.comb += [self.prod.eq(pack(prods)), self.z.eq(pack(accs))]
        return m
