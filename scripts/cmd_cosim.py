"""``mgd cosim``: co-simulate the generated MGD core against the fixed-point golden model.

Thin wrapper over :func:`testbench.cosim.run_cosim`: prints one summary line (config, steps, updates and
parameters compared, cycles per step against the bound, simulator speed, bit-exact or the first mismatch)
and exits 0 only when every compared θ and G was bit-exact.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from golden_model.validate import commit, discard, temporary_path, write_json
from scripts.common import MAX_STEPS, Int, OutPath, UsageError, add_config_args, config_from_args

NAME = "cosim"
HELP = "co-simulate the generated MGD core (Icarus or Verilator) bit for bit against the golden model"
ORDER = 35


def _run(args: argparse.Namespace) -> int:
    from testbench.cosim import WAVE_FORMATS, run_cosim

    wanted = "vcd" if args.vcd else "fst" if args.fst else None
    if wanted and wanted != WAVE_FORMATS[args.sim]:
        raise UsageError(f"--{wanted} must be --{WAVE_FORMATS[args.sim]} with --sim {args.sim} (the waveform "
                         f"format it writes here), not --{wanted}")
    waves = args.vcd or args.fst
    if waves and args.json and Path(waves).resolve() == Path(args.json).resolve():
        raise UsageError(f"--json must be another file than --{wanted}, not {args.json!r} (both would be "
                         "written there)")
    config = config_from_args(args, hardware=True)
    name = args.preset or (Path(args.config).stem if args.config else "xor")
    if args.overrides:
        name += "+" + ",".join(args.overrides)
    # the waveform is copied to a temporary file next to its target and renamed when complete
    tmp = temporary_path(waves, name=f"--{wanted}") if waves else None
    try:
        result = run_cosim(config, args.sim, args.steps, name=name, free_steps=args.free_steps,
                           waves=tmp)
        if tmp is not None and result.waves is not None and tmp.exists():
            commit(tmp, waves, name=f"--{wanted}")
            result = dataclasses.replace(result, waves=waves)
    finally:
        discard(tmp)
    print(result.summary())
    if waves and result.waves is None:
        print(f"mgd cosim: warning: the simulator wrote no waveform for {waves}")
    if args.json:
        write_json(args.json, result.to_dict(), name="--json")
    return 0 if result.bit_exact else 1


def register(parser: argparse.ArgumentParser) -> None:
    add_config_args(parser)
    parser.add_argument("--sim", choices=("icarus", "verilator"), default="verilator",
                        help="simulator (default: verilator)")
    parser.add_argument("--steps", type=Int(1, MAX_STEPS), default=2000,
                        help="MGD steps compared with the golden model after every update (default 2000)")
    parser.add_argument("--free-steps", type=Int(0, MAX_STEPS), default=2000,
                        help="further steps run without pausing (checked at the end): the cycles-per-step "
                             "figure and the free-running speed (default 2000; 0 = none)")
    w = parser.add_mutually_exclusive_group()
    w.add_argument("--vcd", metavar="FILE", type=OutPath("file"),
                   help="write a VCD waveform here (Verilator)")
    w.add_argument("--fst", metavar="FILE", type=OutPath("file"), help="write an FST waveform here (Icarus)")
    parser.add_argument("--json", metavar="FILE", type=OutPath("file"),
                        help="also write the figures as JSON")
    parser.set_defaults(func=_run)
