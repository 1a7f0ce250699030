"""``mgd explore``: search a space of MGD and hardware settings for the fastest hardware time to the task's
target accuracy, with the fixed model (steps over seeds), the core's schedule (cycles) and synthesis (Fmax).

Thin front end of :mod:`scripts.flows.explore` and :mod:`golden_model.studies.explore`. Every option and
every point of the space is checked before any run starts.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from golden_model.config import MAX_LANES
from scripts.common import (
    MAX_REPEATS,
    MAX_WORKERS,
    Int,
    Number,
    OutPath,
    UsageError,
    add_config_args,
    add_scheduler_arg,
    config_from_args,
    int_list,
)

NAME = "explore"
HELP = ("search MGD settings (shifts, momentum, taus, mode) and lane counts for the fastest hardware time to "
        "the target accuracy: fixed model over seeds, core schedule, synthesis")
ORDER = 67
MAX_SYNTH = 50


def _run(args: argparse.Namespace) -> int:
    from golden_model.studies.explore import default_axes, parse_axis, point_configs
    from rtl.synth import TARGETS
    from scripts.flows.explore import run_explore
    from scripts.flows.scaling import format_seconds

    base = config_from_args(args, hardware=True)
    target = args.target or base.hardware.target
    if target not in TARGETS:
        raise UsageError(f"--target must be one of {', '.join(map(repr, TARGETS))}, not {target!r}")
    axes = [parse_axis(text) for text in args.vary] if args.vary else default_axes(base)
    lanes = None if args.lanes is None else int_list("--lanes", args.lanes, MAX_LANES, "8,16,32")
    if lanes is not None and base.hardware.style != "folded":
        raise UsageError(f"--lanes is for hardware.style = 'folded', not {base.hardware.style!r} (the "
                         "spatial core has one multiplier per weight, no lanes)")
    if lanes is not None:
        from golden_model.schedule import fold

        for p in lanes:
            try:
                fold(base.network.layers, p)
            except ValueError as exc:
                raise UsageError(f"--lanes must be lane counts the folded core can use on "
                                 f"{list(base.network.layers)}, not {p} ({exc})") from None
    point_configs(base, axes)  # every point valid before anything runs
    say = None if args.quiet else (lambda line: print(line, flush=True))
    result = run_explore(args.out, base, axes, target=target, seeds=args.seeds, lanes=lanes, synth=args.synth,
                         freq=args.freq, workers=args.workers, scheduler=args.scheduler,
                         command=shlex.join(["mgd", *sys.argv[1:]]) if sys.argv[1:2] == [NAME] else "",
                         progress=say)
    rows = result["rows"]
    reached = [r for r in rows if r["cycles_to_target"] is not None]
    for rank, r in enumerate(reached[:args.top], 1):
        p = "" if r["lanes"] is None else f" P={r['lanes']} ({r['fold']})"
        ctt = f"{r['cycles_to_target']:,} cycles"
        why = "" if r["fits"] else " (does not fit)"
        t = f", {format_seconds(r['time_s'])} at {r['fmax_mhz']:.1f} MHz" if r.get("time_s") else ""
        print(f"{rank}. {r['values']}{p}: {r['solved']}/{r['seeds']} seeds, {ctt}{t}{why}")
    if result["best"] is None:
        print("no point reached the target on its median seed with a core that fits", target)
    else:
        b = rows[result["best"]]
        print(f"best: {b['values']}" + ("" if b["lanes"] is None else f" P={b['lanes']}")
              + (f": {format_seconds(b['time_s'])}" if b.get("time_s") else ": (not synthesized)"))
    print(f"-> {args.out}/explore.md, explore.json")
    return 0


def register(parser: argparse.ArgumentParser) -> None:
    add_config_args(parser)
    parser.add_argument("--target", default=None, metavar="PART",
                        help="FPGA part to fit and synthesize for (default: the config's hardware.target)")
    parser.add_argument("--vary", action="append", default=[], metavar="FIELD[,FIELD...]=V1,V2,...",
                        help="an axis of the space, e.g. fixed.eta_shift=5,6,7 or "
                             "mgd.tau_x,mgd.tau_theta=1,2 "
                             "(tied fields take the same value; repeatable; default: eta_shift -1/0/+1, "
                             "momentum_shift 0 and the config's or 2, tau_x = tau_theta 1 and 2)")
    parser.add_argument("--lanes", default=None, metavar="P[,P...]",
                        help="folded core lane counts to try (default: powers of two, the widest layer and "
                             "its multiples, the config's; each checked against the part)")
    parser.add_argument("--seeds", default="10", type=Int(1, MAX_REPEATS),
                        help="seeds per point: mgd.seed = 1..N (default: 10)")
    parser.add_argument("--synth", default="1", type=Int(0, MAX_SYNTH),
                        help="synthesize this many candidates with the fewest cycles to target, for their "
                             "Fmax and hardware time (default 1; 0: model and schedule only)")
    parser.add_argument("--freq", type=Number(1, 1000, unit=" (MHz)"), default=None, metavar="MHZ",
                        help="clock target for nextpnr (default: per part)")
    parser.add_argument("--workers", default="2", type=Int(1, MAX_WORKERS),
                        help="worker processes for the fixed-model runs (default: 2)")
    parser.add_argument("--top", default="10", type=Int(1, 10_000), help="rows to print (default 10)")
    parser.add_argument("--out", required=True, metavar="DIR", type=OutPath("dir"), help="report folder")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    add_scheduler_arg(parser, "--workers")
    parser.set_defaults(func=_run)
