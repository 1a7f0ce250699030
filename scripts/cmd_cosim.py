"""``mgd cosim``: co-simulate the generated MGD core against the fixed-point golden model.

Thin wrapper over :func:`testbench.cosim.run_cosim`: prints one summary line (config, steps, updates and
parameters compared, cycles per step against the bound, simulator speed, bit-exact or the first mismatch)
and exits 0 only when every compared θ and G was bit-exact.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from scripts.common import UsageError, add_config_args, check_count, config_from_args

NAME = "cosim"
HELP = "co-simulate the generated MGD core (Icarus or Verilator) bit for bit against the golden model"
ORDER = 35


def _run(args: argparse.Namespace) -> int:
    from testbench.cosim import run_cosim

    check_count("--steps", args.steps)
    check_count("--free-steps", args.free_steps, minimum=0)
    from testbench.cosim import WAVE_FORMATS

    wanted = "vcd" if args.vcd else "fst" if args.fst else None
    if wanted and wanted != WAVE_FORMATS[args.sim]:
        raise UsageError(f"--{wanted} must be --{WAVE_FORMATS[args.sim]} with --sim {args.sim} (the waveform "
                         f"format it writes here), not --{wanted}")
    config = config_from_args(args, hardware=True)
    name = args.preset or (Path(args.config).stem if args.config else "xor")
    if args.overrides:
        name += "+" + ",".join(args.overrides)
    waves = args.vcd or args.fst
    result = run_cosim(config, args.sim, args.steps, name=name, free_steps=args.free_steps, waves=waves)
    print(result.summary())
    if waves and result.waves is None:
        print(f"mgd cosim: warning: the simulator wrote no waveform for {waves}")
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    return 0 if result.bit_exact else 1


def register(parser: argparse.ArgumentParser) -> None:
    add_config_args(parser)
    parser.add_argument("--sim", choices=("icarus", "verilator"), default="verilator",
                        help="simulator (default: verilator)")
    parser.add_argument("--steps", type=int, default=2000,
                        help="MGD steps compared with the golden model after every update (default 2000)")
    parser.add_argument("--free-steps", type=int, default=2000,
                        help="further steps run without pausing (checked at the end): the cycles-per-step "
                             "figure and the free-running speed (default 2000; 0 = none)")
    w = parser.add_mutually_exclusive_group()
    w.add_argument("--vcd", metavar="FILE", help="write a VCD waveform here (Verilator)")
    w.add_argument("--fst", metavar="FILE", help="write an FST waveform here (Icarus)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.set_defaults(func=_run)
