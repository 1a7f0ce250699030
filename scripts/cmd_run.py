"""``mgd run``: the main job on a config (default: the embedded ``xor`` preset).

Golden model → RTL trained in Verilator with a bit-exact check at every update → synthesis → one summary
with the hardware time to train (logic: :mod:`scripts.flows.run`). Exits 0 only when the RTL was bit-exact.
"""

from __future__ import annotations

import argparse

from golden_model.config import HARDWARE_TARGETS
from scripts.common import MAX_REPEATS, Int, OutPath, add_config_args, config_from_args

NAME = "run"
HELP = "main job: train the core on the RTL bit-exactly, synthesize it, print hardware time to train"
ORDER = 0


def _run(args: argparse.Namespace) -> int:
    from scripts.flows.run import main_job

    config = config_from_args(args, hardware=True)
    target = args.target or config.hardware.target
    result = main_job(config, args.out, target=target, sim=args.sim, progress=not args.quiet,
                      backprop_repeats=args.backprop_repeats, compiled_repeats=args.compiled_repeats)
    print()
    for line in result.summary_lines():
        print(line)
    print(f"report      {args.out}/summary.md, summary.json, learning_curve.png, synth/{target}/")
    return 0 if result.ok else 1


def register(parser: argparse.ArgumentParser) -> None:
    add_config_args(parser)
    parser.add_argument("--target", default=None, choices=list(HARDWARE_TARGETS),
                        help="synthesis target (default: the config's hardware.target)")
    parser.add_argument("--sim", default="verilator", choices=["verilator", "icarus"],
                        help="simulator for the RTL training run (default: verilator)")
    parser.add_argument("--backprop-repeats", type=Int(0, MAX_REPEATS), default=5,
                        help="scikit-learn backprop seeds, 0 = skip (default: 5)")
    parser.add_argument("--compiled-repeats", type=Int(0, MAX_REPEATS), default=10,
                        help="compiled (Numba) backprop seeds, 0 = skip (default: 10)")
    parser.add_argument("--out", default="out/run", type=OutPath("dir"),
                        help="report folder (default: out/run)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(func=_run)
