"""``mgd compare``: hardware time to the target accuracy vs backprop on a CPU, for XOR, 4-bit parity,
NIST7x7 and digits (the presets: spatial cores for the first two, folded cores for the real datasets), in
one run.

Each task is one main job (:func:`scripts.flows.run.main_job`: golden model, RTL in Verilator bit-exact at
every update, synthesis, compiled (Numba) and scikit-learn backprop) plus the fixed model's steps to target
over ``--model-seeds`` seeds; the logic and the task list are in :mod:`scripts.flows.bench`.
Writes ``compare.json`` and ``compare.md`` (and each task's own report folder) into ``--out``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scripts.common import MAX_REPEATS, MAX_STEPS, MAX_WORKERS, Int, OutPath

NAME = "compare"
HELP = ("hardware time to target accuracy (RTL + synthesis) vs compiled and scikit-learn backprop, per task, "
        "in one table")
ORDER = 5


def _run(args: argparse.Namespace) -> int:
    from scripts.flows.bench import compare

    rows = compare(args.out, args.task or None, target=args.target,
                   fallback_targets=args.fallback_target or ("ecp5-85k",), sim=args.sim,
                   free_steps=args.free_steps, backprop_repeats=args.backprop_repeats,
                   compiled_repeats=args.compiled_repeats, model_seeds=args.model_seeds,
                   workers=args.workers, progress=not args.quiet)
    print()
    print((Path(args.out) / "compare.md").read_text(encoding="utf-8"))
    # a core that fits no part is a figure, not a failure; an RTL that is not bit-exact is a failure
    return 0 if all(r.get("bit_exact", True) for r in rows) else 1


def register(parser: argparse.ArgumentParser) -> None:
    from scripts.flows.bench import COMPARE_TASKS

    parser.add_argument("--task", action="append", choices=list(COMPARE_TASKS),
                        help="run only this task (repeatable; default: all four presets)")
    parser.add_argument("--target", default=None, choices=["ice40-up5k", "ecp5-25k", "ecp5-85k"],
                        help="synthesis target whose Fmax sets the hardware time (default: each preset's "
                             "hardware.target)")
    parser.add_argument("--fallback-target", action="append", choices=["ice40-up5k", "ecp5-25k", "ecp5-85k"],
                        help="larger part for a core that does not fit --target "
                             "(repeatable; default: ecp5-85k)")
    parser.add_argument("--sim", default="verilator", choices=["verilator", "icarus"],
                        help="simulator for the RTL training runs (default: verilator)")
    parser.add_argument("--free-steps", type=Int(0, MAX_STEPS), default=2000,
                        help="free-running steps after training to measure cycles/step (default: 2000)")
    parser.add_argument("--backprop-repeats", type=Int(0, MAX_REPEATS), default=3,
                        help="scikit-learn seeds per task, 0 = skip (default: 3)")
    parser.add_argument("--compiled-repeats", type=Int(0, MAX_REPEATS), default=10,
                        help="compiled (Numba) backprop seeds per task, 0 = skip (default: 10)")
    parser.add_argument("--model-seeds", type=Int(0, MAX_REPEATS), default=10,
                        help="fixed-model seeds per task for the median steps to target, 0 = skip "
                             "(default: 10)")
    parser.add_argument("--workers", type=Int(1, MAX_WORKERS), default=2,
                        help="worker processes for the fixed-model seeds (default: 2)")
    parser.add_argument("--out", default="out/compare", type=OutPath("dir"),
                        help="output folder (default: out/compare)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(func=_run)
