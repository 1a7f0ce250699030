"""A registered signed multiplier: operand registers, the product, a product register (two clocks).

Ref: ``../shared/design/FOLDED.md`` (multipliers between registers); the ECP5 sysDSP slice's MULT18X18D.

Yosys maps a ``$mul`` to an ECP5 MULT18X18D with every internal register bypassed (techlibs
``lattice/dsp_map_18x18.v``: ``REG_*_CLK = "NONE"``) and packs no flip-flop into it, so the registers
around a product stay in the fabric, and nextpnr places them wherever their other loads pull them: in the
folded core, 30 columns from their DSP on both sides (NIST7x7 P = 20 on the ECP5-25k: 4.2 + 3.9 + 4.6 ns
of a 13.2 ns operand → product path). Elaborated for an ECP5 (``platform.family == "ecp5"``: the synthesis
flow's :class:`rtl.synth.targets.SynthPlatform` or an amaranth-boards ECP5 platform), this component is
one MULT18X18D with its own input and output registers (``REG_INPUTA_CLK``, ``REG_INPUTB_CLK``,
``REG_OUTPUT_CLK`` on ``CLK0``), so the multiply itself is register to register inside the slice and only
a wire enters and leaves it. Elaborated for anything else (simulation, iCE40, ``platform=None``) it is the
same two clocks in Amaranth (on the iCE40 Yosys may pack the registers into the SB_MAC16: not re-checked
since). The two are equal cycle for cycle: ``testbench/test_multiplier.py`` runs both in Icarus against
random and extreme operands, with resets.
"""

from __future__ import annotations

from amaranth import Cat, ClockSignal, Const, Instance, Module, ResetSignal, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from rtl._validate import rejecting

__all__ = ["Multiplier", "LATENCY", "DSP_WIDTH", "uses_ecp5_dsp"]

#: clocks from ``a``/``b`` to ``p``
LATENCY = 2
#: widest signed operand the ECP5 MULT18X18D takes
DSP_WIDTH = 18
_P_WIDTH = 36
_CHUNK = DSP_WIDTH - 1  # the bits of a wide operand's low chunks (non-negative 18-bit signed operands)


def uses_ecp5_dsp(platform: object) -> bool:
    """``platform`` is an ECP5 (the synthesis flow's or an amaranth-boards one): instantiate MULT18X18D."""
    return getattr(platform, "family", None) == "ecp5"


class Multiplier(wiring.Component):
    """``p ← a · b``, signed, exact, :data:`LATENCY` clocks: the operands of cycle ``c`` are registered at
    the end of ``c``, their product at the end of ``c + 1``, so ``p`` holds it in cycle ``c + 2``. No
    enable: a new pair every clock. Both register stages reset to 0 with the ``sync`` domain (synchronous
    reset, ``RESETMODE = "SYNC"`` in the MULT18X18D).

    On an ECP5 the narrower operand must fit the MULT18X18D (≤ :data:`DSP_WIDTH` bits; else the pair is
    built in Amaranth and Yosys splits it, unregistered); a wider other operand is split into 17-bit
    chunks, one registered MULT18X18D each, and ``p`` is the sum of their shifted products: an adder
    after the output registers, in the consumer's cycle (Ĉ·a in node mode: 20 × 13 bits for NIST7x7, two
    slices). The portable version registers the whole product.

    Parameters
    ----------
    a_width, b_width : int
        Widths of the signed operands.

    Attributes
    ----------
    a : In(signed(a_width))
    b : In(signed(b_width))
    p : Out(signed(a_width + b_width))
        The exact product (no rounding, no overflow: ``a_width + b_width`` bits hold every product).
    """

    def __init__(self, a_width: int, b_width: int) -> None:
        with rejecting(self):
            for name, v in (("a_width", a_width), ("b_width", b_width)):
                if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                    raise ValueError(f"Multiplier {name} must be a positive integer, not {v!r}")
            self._fits_dsp = min(a_width, b_width) <= DSP_WIDTH
        super().__init__({"a": In(signed(a_width)), "b": In(signed(b_width)),
                          "p": Out(signed(a_width + b_width))})

    def elaborate(self, platform: object) -> Module:
        m = Module()
        if uses_ecp5_dsp(platform) and self._fits_dsp:
            wide, narrow = (self.a, self.b) if len(self.a) >= len(self.b) else (self.b, self.a)
            partials = []
            for k, chunk in enumerate(_chunks(wide)):
                part = Signal(signed(_P_WIDTH), name=f"p{k}")
                m.submodules[f"dsp{k}"] = _mult18x18d(chunk, narrow, part)
                partials.append(part << (_CHUNK * k))
            m.d.comb += self.p.eq(sum(partials[1:], partials[0]))
            return m
        a_r, b_r = Signal.like(self.a, name="a_r"), Signal.like(self.b, name="b_r")
        p_r = Signal.like(self.p, name="p_r")
        m.d.sync += [a_r.eq(self.a), b_r.eq(self.b), p_r.eq(a_r * b_r)]
        m.d.comb += self.p.eq(p_r)
        return m


def _chunks(v) -> list:
    """``v`` (signed) as ``Σ_k chunk_k · 2**(17 k)``: low chunks of :data:`_CHUNK` bits, zero-extended (so
    non-negative as signed 18-bit operands), the top chunk (at most :data:`DSP_WIDTH` bits) signed."""
    out, lsb = [], 0
    while len(v) - lsb > DSP_WIDTH:
        out.append(Cat(v[lsb:lsb + _CHUNK], Const(0, 1)).as_signed())
        lsb += _CHUNK
    out.append(v[lsb:].as_signed())
    return out


def _mult18x18d(a, b, p) -> Instance:
    """One MULT18X18D: ``p ← a · b`` (signed, sign-extended to 18 bits) through its input registers and
    output register on ``CLK0``, reset with the ``sync`` domain."""
    regs = {f"p_REG_{r}_{f}": v for r in ("INPUTA", "INPUTB", "OUTPUT")
            for f, v in (("CLK", "CLK0"), ("CE", "CE0"), ("RST", "RST0"))}
    return Instance(
        "MULT18X18D", **regs, p_REG_INPUTC_CLK="NONE", p_REG_PIPELINE_CLK="NONE", p_GSR="DISABLED",
        p_RESETMODE="SYNC", p_MULT_BYPASS="DISABLED", p_CAS_MATCH_REG="FALSE", p_SOURCEB_MODE="B_INPUT",
        i_SIGNEDA=Const(1, 1), i_SIGNEDB=Const(1, 1), i_SOURCEA=Const(0, 1), i_SOURCEB=Const(0, 1),
        i_CLK0=ClockSignal("sync"), i_CE0=Const(1, 1), i_RST0=ResetSignal("sync"),
        **{f"i_A{k}": a[k] if k < len(a) else a[-1] for k in range(DSP_WIDTH)},
        **{f"i_B{k}": b[k] if k < len(b) else b[-1] for k in range(DSP_WIDTH)},
        **{f"i_C{k}": Const(0, 1) for k in range(DSP_WIDTH)}, **{f"o_P{k}": p[k] for k in range(_P_WIDTH)})
