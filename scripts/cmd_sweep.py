"""``mgd sweep``: fixed-point weight-width sweep (accuracy vs θ width), written as PNG + Markdown + JSON.

Thin front end of :mod:`golden_model.studies.sweep`; see there for how the shifts follow the width.
"""

from __future__ import annotations

import argparse
import os

from golden_model.config import PRESETS
from scripts.common import MAX_WORKERS, Int, OutPath, UsageError, add_scheduler_arg

NAME = "sweep"
HELP = "sweep the fixed-point weight width and report the minimum width that trains each task"
ORDER = 60


def _ints(text: str, name: str, lo: int, hi: int) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise UsageError(f"{name} must be comma-separated integers such as 6,8,12, not {text!r}") from None
    if not values or min(values) < lo or max(values) > hi:
        raise UsageError(f"{name} must be integers from {lo} to {hi}, not {text!r}")
    return values


def _check_configs(presets: tuple[str, ...], modes: tuple[str, ...], widths: tuple[int, ...],
                   overrides: tuple[str, ...], text: str) -> None:
    """Build every point's config before any training (the runs build them in worker processes)."""
    from golden_model.config import apply_overrides, from_preset
    from golden_model.errors import MGDError
    from golden_model.studies.sweep import MODE_OVERRIDES, at_width

    for preset in presets:
        for mode in modes:
            base = apply_overrides(from_preset(preset), [f"mgd.perturbation={mode}",
                                                         *MODE_OVERRIDES.get((preset, mode), ()), *overrides])
            for w in widths:
                try:
                    at_width(base, w)
                except (MGDError, ValueError) as exc:
                    raise UsageError(f"--widths must be θ widths every preset and mode can take, not "
                                     f"{text!r} (width {w} for {preset}/{mode}: {exc})") from None


def _run(args: argparse.Namespace) -> int:
    from golden_model.studies.sweep import min_widths, summarize, width_sweep, write_report

    presets = tuple(args.presets.split(","))
    for p in presets:
        if p not in PRESETS:
            raise UsageError(f"--presets must name presets among {', '.join(map(repr, PRESETS))}, not {p!r}")
    modes = tuple(args.modes.split(","))
    for m in modes:
        if m not in ("weight", "node"):
            raise UsageError(f"--modes must be 'weight', 'node' or both, not {m!r}")
    widths = _ints(args.widths, "--widths", 2, 48)
    seeds = _ints(args.seeds, "--seeds", 0, (1 << 32) - 1)
    _check_configs(presets, modes, widths, tuple(args.overrides), args.widths)
    rows = width_sweep(presets, widths, modes, tuple(args.overrides), seeds=seeds, jobs=args.jobs,
                       progress=not args.quiet, scheduler=args.scheduler)
    paths = write_report(rows, args.out)
    for key, width in min_widths(summarize(rows)).items():
        print(f"{key}: minimum θ width {width['min']} (every width from {width['stable']})")
    print(f"-> {paths['md']}, {paths['png']}, {paths['json']}")
    return 0


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--presets", default="xor,parity4,nist7x7", help="comma-separated presets")
    parser.add_argument("--modes", default="weight,node", help="weight, node or weight,node")
    parser.add_argument("--widths", default="6,8,10,12,14,16,20,24", help="θ widths in bits incl. sign")
    parser.add_argument("--seeds", default="1,2,3,4,5", help="mgd.seed values per point (default: 1,2,3,4,5)")
    parser.add_argument("--jobs", type=Int(1, MAX_WORKERS), default=min(4, os.cpu_count() or 1),
                        help="worker processes (default: CPU count, at most 4)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                        help="override applied to every preset before the width (repeatable)")
    parser.add_argument("--out", default="out/sweep", type=OutPath("dir"),
                        help="report folder (default: out/sweep)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_scheduler_arg(parser, "--jobs")
    parser.set_defaults(func=_run)
