"""``mgd train --backend float|fixed|rtl``: train on one backend, write a JSON result and a learning curve.

Each backend is a function ``train(config, progress=True) -> golden_model.results.TrainResult`` in its own
module; this command only resolves the config, calls it, and writes the report files.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from scripts.common import OutPath, add_config_args, config_from_args

NAME = "train"
HELP = "train a network with MGD on the float model, the fixed-point model or the RTL"
ORDER = 20

# backend name -> "module:function"; imported only when chosen, so a backend's heavy imports stay lazy.
BACKENDS = {
    "float": "golden_model.float_mgd:train",
    "fixed": "golden_model.fixed_mgd:train",
    "rtl": "testbench.cosim:train",
}


def _run(args: argparse.Namespace) -> int:
    config = config_from_args(args, hardware=args.backend != "float")
    module, func = BACKENDS[args.backend].split(":")
    train = getattr(importlib.import_module(module), func)
    result = train(config, progress=not args.quiet)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result.write_json(out / f"train_{args.backend}.json")
    from golden_model.studies.plots import plot_learning_curves
    plot_learning_curves({args.backend: result}, out / f"learning_curve_{args.backend}.png")
    f = result.final
    print(f"backend={args.backend} dataset={config.task.dataset} layers={list(config.network.layers)} "
          f"steps={result.steps} cost={f.cost:.5g} train_acc={f.train_accuracy:.3f} "
          f"test_acc={f.test_accuracy:.3f} steps_to_target={result.steps_to_target} "
          f"wall={result.wall_time_s:.2f}s -> {out}")
    return 0 if (result.reached_target or not args.require_target) else 1


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=sorted(BACKENDS), default="float")
    add_config_args(parser)
    parser.add_argument("--out", default="out/train", type=OutPath("dir"),
                        help="report folder (default: out/train)")
    parser.add_argument("--require-target", action="store_true",
                        help="exit 1 unless the target accuracy was reached")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=_run)
