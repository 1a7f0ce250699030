"""``mgd faults``: final test accuracy under cost noise, update noise and stuck parameters (issue 13.5), the
fixed-point model next to the float model with the same noise, written as faults.json, .md and .png.

Thin front end of :mod:`golden_model.studies.faults`; the faults are ``docs/fixed_point_spec.md``
("Faults"). Every value is checked, and every configuration built, before any run.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from golden_model.config import PRESETS
from golden_model.faults import MAX_NOISE_BITS
from scripts.common import MAX_REPEATS, MAX_STEPS, MAX_WORKERS, Int, OutPath, UsageError, add_scheduler_arg

NAME = "faults"
HELP = "final accuracy vs cost noise, update noise and stuck parameters, fixed model next to float model"
ORDER = 66

OWN_FIELDS = ("mgd.seed", "fixed.cost_noise_bits", "fixed.cost_noise_shift", "fixed.update_noise_bits",
              "fixed.update_noise_shift", "fixed.stuck_fraction", "fixed.stuck_params")


def _levels(option: str, text: str) -> tuple[tuple[int, int], ...]:
    """``b:s,b:s,...`` noise levels (bits 1..16, shift >= 0); '' for none."""
    allowed = (f"comma-separated BITS:SHIFT pairs such as 4:6,4:8 (BITS 1 to {MAX_NOISE_BITS}, SHIFT >= 0), "
               "or ''")
    if text.strip() == "":
        return ()
    out = []
    for item in text.split(","):
        b, sep, s = item.partition(":")
        try:
            bits, shift = int(b), int(s)
        except ValueError:
            raise UsageError(f"{option} must be {allowed}, not {text!r}") from None
        if not sep or not 1 <= bits <= MAX_NOISE_BITS or not 0 <= shift <= 47:
            raise UsageError(f"{option} must be {allowed}, not {text!r}")
        out.append((bits, shift))
    return tuple(dict.fromkeys(out))


def _fractions(text: str) -> tuple[float, ...]:
    allowed = "comma-separated fractions above 0 and at most 1 such as 0.05,0.1, or ''"
    if text.strip() == "":
        return ()
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"--stuck must be {allowed}, not {text!r}") from None
    if not all(0 < v <= 1 for v in values):
        raise UsageError(f"--stuck must be {allowed}, not {text!r}")
    return tuple(dict.fromkeys(values))


def _run(args: argparse.Namespace) -> int:
    from golden_model.studies.faults import (
        fault_points,
        markdown_report,
        plot_faults,
        point_config,
        run_faults,
    )
    from golden_model.validate import write_json, write_text

    if args.preset not in PRESETS:
        raise UsageError(f"--preset must be one of {', '.join(map(repr, PRESETS))}, not {args.preset!r}")
    for item in args.overrides:
        if item.partition("=")[0].strip() in OWN_FIELDS:
            raise UsageError(f"--set must not set {', '.join(OWN_FIELDS)} (the study sets them from its own "
                             f"options), not {item!r}")
    points = fault_points(_levels("--cost-noise", args.cost_noise),
                          _levels("--update-noise", args.update_noise), _fractions(args.stuck))
    from golden_model.config import apply_overrides, from_preset

    base = apply_overrides(from_preset(args.preset), list(args.overrides))
    for p in points:  # every configuration is valid before any run starts
        point_config(base, p, 1)
    say = None if args.quiet else (lambda line: print(line, flush=True))
    command = shlex.join(["mgd", *sys.argv[1:]]) if sys.argv[1:2] == [NAME] else ""
    result = run_faults(args.preset, seeds=args.seeds, steps=args.steps, points=points,
                        overrides=tuple(args.overrides), with_float=not args.no_float, workers=args.workers,
                        scheduler=args.scheduler, progress=say)
    result["command"] = command
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "faults.json", result)
    md = markdown_report(result, command)
    write_text(out / "faults.md", md)
    plot_faults(result, out / "faults.png")
    print(md)
    print(f"-> {out}/faults.md, faults.json, faults.png ({result['wall_time_s']:.0f} s)")
    return 0


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", default="nist7x7", help="preset to train (default: nist7x7)")
    parser.add_argument("--seeds", default="5", type=Int(1, MAX_REPEATS),
                        help="seeds per point: mgd.seed = 1..N (default: 5)")
    parser.add_argument("--steps", default=None, type=Int(1, MAX_STEPS),
                        help="steps per run (default: the preset's task.steps)")
    from golden_model.studies.faults import COST_LEVELS, STUCK_FRACTIONS, UPDATE_LEVELS

    cost, update = (",".join(f"{b}:{s}" for b, s in levels) for levels in (COST_LEVELS, UPDATE_LEVELS))
    stuck = ",".join(f"{f:g}" for f in STUCK_FRACTIONS)
    parser.add_argument("--cost-noise", default=cost, metavar="B:S,...",
                        help=f"cost-noise levels, fixed.cost_noise_bits:fixed.cost_noise_shift "
                             f"(default: {cost}; '' for none)")
    parser.add_argument("--update-noise", default=update, metavar="B:S,...",
                        help=f"update-noise levels, fixed.update_noise_bits:shift (default: {update})")
    parser.add_argument("--stuck", default=stuck, metavar="F,...",
                        help=f"stuck fractions of θ (default: {stuck})")
    parser.add_argument("--no-float", action="store_true", help="skip the float model")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                        help="override for every run (repeatable)")
    parser.add_argument("--workers", default="2", type=Int(1, MAX_WORKERS),
                        help="worker processes (default: 2)")
    parser.add_argument("--out", required=True, metavar="DIR", type=OutPath("dir"), help="report folder")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    add_scheduler_arg(parser, "--workers")
    parser.set_defaults(func=_run)
