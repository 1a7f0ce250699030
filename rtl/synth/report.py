"""The synthesis report: what the netlist holds (Yosys cells, nextpnr utilisation, Fmax, critical paths),
and the parsers that read it from the tools' files.
"""

from __future__ import annotations

import dataclasses
import json
import re
import statistics
from dataclasses import dataclass, field
from typing import Any

from rtl.synth.targets import TARGETS

__all__ = ["SynthReport", "REPORT_JSON", "REPORT_MD", "cells", "count", "critical_paths", "log_utilisation",
           "memories"]

REPORT_JSON = "synth_report.json"
REPORT_MD = "synth_report.md"


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
    router : str
        nextpnr's ``--router`` that routed the design (``router1`` or ``router2``).
    router_tried : list of str
        Routers the flow tried first that did not route it, each with why (e.g. ``"router1: did not finish
        in 600 s"``); empty when the first one did.
    command : str
        The command line that produced the report, when run from ``mgd synth``.
    files : list of str
        Files in the output folder.
    seed_sweep : list of dict
        With several placement seeds (:func:`rtl.synth.synthesize`), one entry per seed in the order run:
        ``seed``, ``fmax_mhz``, ``router``, ``router_tried``, ``nextpnr_s``, ``critical_path``, or ``seed``
        and ``error``; this report is the fastest seed's. Empty for one seed.
    memories : dict
        Memory of the block (its path below the harness, e.g. ``theta_mem``) -> ``{"mapped_to", "cells"}``:
        the cell Yosys's ``memory_libmap`` chose (``$__PDPW16KD_``, ``$__TRELLIS_DPR16X4_``,
        ``$__ICE40_RAM4K_`` ...) or ``"logic"`` (``memory_map``: flip-flops, and LUTs for the read
        multiplexer or a ROM's contents), and the mapped cells of that memory by type.
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
    router: str = ""
    router_tried: list[str] = field(default_factory=list)
    command: str = ""
    files: list[str] = field(default_factory=list)
    memories: dict[str, dict[str, Any]] = field(default_factory=dict)
    seed_sweep: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def summary_line(self) -> str:
        """One line: target, LUT, FF, Fmax."""
        s = self.summary
        bound = " (harness-bound)" if s["fmax_harness_bound"] else ""
        seeds = (f", the best of {len(self.seed_sweep)} placement seeds (seed {self.seed})"
                 if self.seed_sweep else "")
        return (f"{self.target} ({self.part}): LUT {s['lut']}, FF {s['ff']}, "
                f"Fmax {s['fmax_mhz']:.1f} MHz{bound} (target {self.freq_mhz:g} MHz){seeds}")

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
            f"{self.router or 'default router'}"
            + "".join(f" (after {t})" for t in self.router_tried) + f", clock target {self.freq_mhz:g} MHz.",
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
        if self.seed_sweep:
            ok = sorted(r["fmax_mhz"] for r in self.seed_sweep if "fmax_mhz" in r)
            median = statistics.median(ok)
            lines += ["", "## Placement seeds", "",
                      f"{len(self.seed_sweep)} seeds placed and routed; this report is the fastest "
                      f"(seed {self.seed}). Fmax over the seeds that routed: best {ok[-1]:.2f}, median "
                      f"{median:.2f}, worst {ok[0]:.2f} MHz.", "",
                      "| seed | Fmax (MHz) | router | nextpnr (s) | worst path or error |",
                      "| ---: | ---: | --- | ---: | --- |"]
            for r in self.seed_sweep:
                if "error" in r:
                    lines.append(f"| {r['seed']} | — | — | — | failed: {r['error']} |")
                    continue
                routed = r["router"] + "".join(f" (after {t})" for t in r["router_tried"])
                lines.append(f"| {r['seed']} | {r['fmax_mhz']:.2f} | {routed} | {r['nextpnr_s']:.0f} | "
                             f"`{r['critical_path']}` |")
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
        if self.memories:
            lines += ["", "## Memories (where Yosys put them)", "",
                      "`memory_libmap`'s choice per memory and the cells it became; `logic` means "
                      "`memory_map` built it from flip-flops and LUTs.", "",
                      "| memory | mapped to | cells |", "| --- | --- | --- |"]
            for name, mem in self.memories.items():
                cells_text = ", ".join(f"{n} {c}" for c, n in sorted(mem["cells"].items())) or "-"
                lines.append(f"| `{name}` | `{mem['mapped_to']}` | {cells_text} |")
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


# ------------------------------------------------------------------------------------------- parsing

_UTIL_LINE = re.compile(r"^Info:\s+([A-Za-z0-9_ ]+?):\s+(\d+)/\s*(\d+)\s+\d+%", re.M)


def log_utilisation(log: str) -> dict[str, tuple[int, int]]:
    """``resource -> (used, available)`` from every utilisation table in a nextpnr log (last one wins)."""
    return {m.group(1).strip(): (int(m.group(2)), int(m.group(3))) for m in _UTIL_LINE.finditer(log)}


def cells(stat: dict[str, Any]) -> dict[str, int]:
    by_type = stat.get("design", {}).get("num_cells_by_type")
    if by_type is None:  # a single module: no "design" section
        mods = list(stat.get("modules", {}).values())
        by_type = mods[0].get("num_cells_by_type", {}) if mods else {}
    return {k: int(v) for k, v in sorted(by_type.items()) if not k.startswith("$scopeinfo")}


def count(cells: dict[str, int], prefixes: tuple[str, ...]) -> int:
    return sum(n for c, n in cells.items() if c.startswith(prefixes))


_LIBMAP = re.compile(r"^mapping memory (\S+) via (\S+)", re.M)
_MEMORY_MAP = re.compile(r"^Mapping memory (?:cell )?(\S+) in module", re.M)
_HARNESS_DUT = "dut."


def memories(yosys_log: str, netlist: dict[str, Any], top: str, tgt: Any) -> dict[str, dict[str, Any]]:
    """Where Yosys put each memory: ``memory_libmap``'s lines in ``yosys.log`` (and ``memory_map``'s for
    memories built from flip-flops and LUTs), with the memory cells of ``netlist.json`` named after each."""
    found: dict[str, str] = {}
    for mo in _LIBMAP.finditer(yosys_log):
        found[mo.group(1)] = mo.group(2)
    for mo in _MEMORY_MAP.finditer(yosys_log):
        found.setdefault(mo.group(1), "logic")
    kinds = set()
    for key in ("bram", "lutram", "spram"):
        kinds.update(tgt.cells.get(key, ()))
    module = netlist.get("modules", {}).get(top, {})
    out: dict[str, dict[str, Any]] = {}
    for path, via in sorted(found.items()):
        path = path.lstrip("\\")
        if path.startswith(f"{top}."):
            path = path[len(top) + 1:]
        counts: dict[str, int] = {}
        for name, cell in module.get("cells", {}).items():
            if name.startswith(path + ".") and cell.get("type") in kinds:
                counts[cell["type"]] = counts.get(cell["type"], 0) + 1
        short = path[len(_HARNESS_DUT):] if path.startswith(_HARNESS_DUT) else path
        out[short] = {"mapped_to": via, "cells": dict(sorted(counts.items()))}
    return out


# Cell names nextpnr derives from the harness's XOR-tree and output registers.
_HARNESS_SINKS = ("harness_xor", "serial_out")


def critical_paths(report: dict[str, Any]) -> list[dict[str, Any]]:
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
