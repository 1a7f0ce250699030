"""``mgd reproduce``: rerun the seed's claims on the float model (:mod:`golden_model.studies.reproduce`)."""

from __future__ import annotations

import argparse

from scripts.common import MAX_WORKERS, Int, OutPath, UsageError, add_scheduler_arg

NAME = "reproduce"
HELP = "reproduce the papers' claims with the float model: plots, reproduce.json and reproduce.md"
ORDER = 70


def _say(message: str) -> None:
    print(message, flush=True)  # flushed: the experiments run in worker processes


def _run(args: argparse.Namespace) -> int:
    from golden_model.studies.reproduce import SECTIONS, reproduce

    only = args.only or None
    for name in only or []:
        if name not in SECTIONS:
            raise UsageError(f"--only must be one of {', '.join(map(repr, SECTIONS))}, not {name!r}")
    reproduce(args.out, quick=args.quick, only=only, workers=args.workers, scheduler=args.scheduler,
              progress=None if args.quiet else _say)
    print(f"wrote {args.out}/reproduce.md, reproduce.json and PNGs")
    return 0


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="out/reproduce", type=OutPath("dir"),
                        help="report folder (default: out/reproduce)")
    parser.add_argument("--only", action="append", metavar="SECTION",
                        help="run only this section (repeatable): gradient_quality, width_scaling, "
                             "backprop_comparison, xor_paper, solve_rates")
    parser.add_argument("--quick", action="store_true",
                        help="smoke-test sizes (seconds; numbers not meaningful)")
    parser.add_argument("--workers", type=Int(1, MAX_WORKERS), default=None,
                        help="worker processes (default: up to 2; the sizes are set for two cores)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    add_scheduler_arg(parser, "--workers")
    parser.set_defaults(func=_run)
