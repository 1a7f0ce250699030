"""``mgd loop``: the MGD trainer alone trains a device it does not know (chip in the loop).

Thin wrapper over :func:`testbench.loop.run_loop`: the generated ``mgd_trainer`` (parameters out, cost in)
in Icarus or Verilator trains :class:`golden_model.device.ForeignDevice`, the float network of the config
with the device variation and cost noise of its ``noise`` section, which returns a quantised cost
``--latency`` cycles after each pass. Prints one summary line (steps, the device's train and test accuracy
with the trained θ, steps to target, bit-exact status of the trainer against the fixed-point model, time)
and exits 0 when the trainer stayed bit-exact (and, with ``--require-target``, the device reached the
target).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from golden_model.validate import write_json
from scripts.common import MAX_STEPS, Int, OutPath, add_config_args, config_from_args

NAME = "loop"
HELP = "the MGD trainer alone (RTL) trains a foreign float device with variation and cost noise"
ORDER = 36
DESCRIPTION = """\
The trainer alone (mgd generate trainer: sign bank, controller, baseline, correlators and update units;
parameters out, cost in) trains hardware whose gradient nobody can compute: the float network of the
config (network section) with the device variation and cost noise of the noise section (gain_sigma,
offset_sigma, saturation_sigma, cost_sigma), seeded by mgd.seed, which reads the trainer's θ, evaluates the
issued sample, adds cost noise and returns the cost in fixed.cost (round half up, saturate) --latency
cycles later. The trainer is checked bit for bit against the fixed-point model fed the very costs the
device returned, at every step and update. Accuracy is the device's as built (variation on, no cost
noise) with the trained θ. --sim model runs the same trainer in the fixed-point model only (fast, no RTL).

  mgd loop --preset xor --set noise.gain_sigma=0.1 --set noise.offset_sigma=0.05 \\
      --set noise.cost_sigma=0.001 --set mgd.seed=4 --steps 3000 --sim icarus"""


def _run(args: argparse.Namespace) -> int:
    from testbench.loop import run_loop

    config = config_from_args(args, hardware=True)
    name = args.preset or (Path(args.config).stem if args.config else "xor")
    if args.overrides:
        name += "+" + ",".join(args.overrides)
    steps = args.steps or config.task.steps
    result = run_loop(config, args.sim, steps, latency=args.latency, eval_every=args.eval_every, name=name)
    print(result.summary())
    if args.json:
        write_json(args.json, result.to_dict(), name="--json")
    if result.bit_exact is False:
        return 1
    return 1 if args.require_target and result.steps_to_target is None else 0


def register(parser: argparse.ArgumentParser) -> None:
    from rtl.spatial.standalone import MAX_DEVICE_LATENCY
    from testbench.loop import LOOP_SIMS

    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add_config_args(parser)
    parser.add_argument("--sim", choices=LOOP_SIMS, default="verilator",
                        help="simulator of the trainer's RTL, or model: the fixed-point trainer only "
                             "(default: verilator)")
    parser.add_argument("--steps", type=Int(1, MAX_STEPS), default=None,
                        help="MGD steps (default: task.steps)")
    parser.add_argument("--latency", type=Int(1, MAX_DEVICE_LATENCY), default=4,
                        help=f"cycles from a pass's issue to its cost being back from the device, "
                             f"1..{MAX_DEVICE_LATENCY} (default 4)")
    parser.add_argument("--eval-every", type=Int(1, MAX_STEPS), default=None,
                        help="steps between evaluations of the device (default: task.eval_every)")
    parser.add_argument("--require-target", action="store_true",
                        help="exit 1 unless the device reached task.target_accuracy (test set)")
    parser.add_argument("--json", metavar="FILE", type=OutPath("file"),
                        help="also write the figures, the learning curve and the trained θ as JSON")
    parser.set_defaults(func=_run)
