"""``mgd scaling``: steps and hardware time to a target NIST7x7 accuracy vs the hidden width, weight vs node
perturbation (the seed's scaling question on the folded core), written as scaling.json, .md and .png.

Thin front end of :mod:`scripts.flows.scaling` (the hardware part) and
:mod:`golden_model.studies.scaling` (the fixed-model runs). Every value is checked before any work.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from golden_model.config import MAX_LANES
from scripts.common import (
    MAX_REPEATS,
    MAX_STEPS,
    MAX_WORKERS,
    Int,
    Number,
    OutPath,
    UsageError,
    add_scheduler_arg,
    int_list,
)

NAME = "scaling"
HELP = ("steps and folded-core hardware time to 80 and 90 percent NIST7x7 test accuracy vs hidden width, "
        "weight vs node perturbation")
ORDER = 65

MAX_HIDDEN = 1024
# fields the study sets itself (from --hidden, --modes, --seeds, --steps, --eval-every, --targets, --lanes)
OWN_FIELDS = ("network.layers", "mgd.perturbation", "mgd.seed", "task.steps", "task.eval_every",
              "task.target_accuracy", "hardware.style", "hardware.lanes")


def _modes(text: str) -> tuple[str, ...]:
    modes = text.split(",")
    for m in modes:
        if m not in ("weight", "node"):
            raise UsageError(f"--modes must be 'weight', 'node' or weight,node, not {text!r}")
    return tuple(dict.fromkeys(modes))


def _targets(text: str) -> tuple[float, ...]:
    allowed = "comma-separated test accuracies above 0 and at most 1 such as 0.8,0.9"
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"--targets must be {allowed}, not {text!r}") from None
    if not values or not all(0 < v <= 1 for v in values):
        raise UsageError(f"--targets must be {allowed}, not {text!r}")
    return tuple(sorted(set(values)))


def _overrides(items: list[str]) -> tuple[str, ...]:
    for item in items:
        if item.partition("=")[0].strip() in OWN_FIELDS:
            raise UsageError(f"--set must not set {', '.join(OWN_FIELDS)} (the study sets them from its own "
                             f"options), not {item!r}")
    return tuple(items)


def _run(args: argparse.Namespace) -> int:
    from scripts.flows.scaling import fmax_from_args, format_seconds, run_scaling

    hidden = int_list("--hidden", args.hidden, MAX_HIDDEN, "4,8,16")
    modes = _modes(args.modes)
    seeds, lanes, workers, steps = args.seeds, args.lanes, args.workers, args.steps
    eval_every, confirm, fmax_mhz = args.eval_every, args.confirm_rtl, args.fmax
    targets = _targets(args.targets)
    overrides = _overrides(args.overrides)
    if fmax_mhz is not None and args.synth_report is not None:
        raise UsageError(f"--fmax and --synth-report must not both be given, not --fmax {fmax_mhz:g} and "
                         f"--synth-report {args.synth_report!r} (give one)")
    if fmax_mhz is None and args.synth_report is None:
        raise UsageError("--fmax MHZ or --synth-report FILE must be given (the Fmax that turns cycles per "
                         "step into hardware time)")
    fmax = fmax_from_args(fmax_mhz, args.synth_report, lanes)
    budgets = None if steps is None else dict.fromkeys(modes, steps)
    # every configuration must be valid before any training starts
    from golden_model.studies.scaling import scaling_config

    for m in modes:
        for h in hidden:
            scaling_config(h, m, 1, budget=steps, eval_every=eval_every, target=max(targets),
                           overrides=overrides)
    say = None if args.quiet else (lambda line: print(line, flush=True))
    result = run_scaling(args.out, hidden=hidden, modes=modes, seeds=seeds, lanes=lanes, fmax=fmax,
                         workers=workers, budgets=budgets, eval_every=eval_every, targets=targets,
                         overrides=overrides, confirm_steps=confirm,
                         command=shlex.join(["mgd", *sys.argv[1:]]) if sys.argv[1:2] == [NAME] else "",
                         progress=say, scheduler=args.scheduler)
    for r in result["table"]:
        t = r["time_s"]["median"]
        med = "not reached" if r["median"] is None else f"{r['median']:,.0f} steps"
        hw = "" if t is None else f", {format_seconds(t)}"
        print(f"{r['mode']} h={r['hidden']} to {r['target']:.0%}: {r['solved']}/{r['seeds']} solved, median "
              f"{med}{hw}")
    print(f"-> {args.out}/scaling.md, scaling.json, scaling.png ({result['wall_time_s']:.0f} s)")
    return 0


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hidden", default="4,8,16,32,64", help="hidden widths h (default: 4,8,16,32,64)")
    parser.add_argument("--modes", default="weight,node", help="weight, node or weight,node (default: both)")
    parser.add_argument("--seeds", default="10", type=Int(1, MAX_REPEATS),
                        help="seeds per (mode, h): mgd.seed = 1..N (default: 10)")
    parser.add_argument("--lanes", default="8", type=Int(1, MAX_LANES),
                        help="P, MAC lanes of the folded core (default: 8)")
    g = parser.add_argument_group("Fmax (one of)")
    g.add_argument("--fmax", metavar="MHZ", type=Number(0, 10000, lo_open=True, unit=" (MHz)"),
                   help="clock frequency to assume (reported as a placeholder)")
    g.add_argument("--synth-report", metavar="FILE",
                   help="synth_report.json written by `mgd synth`: its summary.fmax_mhz")
    parser.add_argument("--workers", default="2", type=Int(1, MAX_WORKERS),
                        help="worker processes (default: 2)")
    parser.add_argument("--steps", default=None, type=Int(1, MAX_STEPS),
                        help="step budget per run for every mode (default: 500000 weight, 150000 node)")
    parser.add_argument("--eval-every", default="500", type=Int(1, MAX_STEPS),
                        help="steps between test evaluations (default: 500)")
    parser.add_argument("--targets", default="0.8,0.9", help="test accuracies (default: 0.8,0.9)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                        help="override for every run, after the mode's settings, e.g. fixed.eta_shift=6 "
                             "(repeatable)")
    parser.add_argument("--confirm-rtl", default="0", metavar="STEPS", type=Int(0, MAX_STEPS),
                        help="also co-simulate seed 1 of every point on the core in Verilator, bit-exact at "
                             "every update, to the model's step at the highest target, at most STEPS steps "
                             "(default 0: off)")
    parser.add_argument("--out", required=True, metavar="DIR", type=OutPath("dir"), help="report folder")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    add_scheduler_arg(parser, "--workers")
    parser.set_defaults(func=_run)
