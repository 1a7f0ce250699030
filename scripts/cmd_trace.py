"""``mgd trace write|compare``: the fixed-point model's per-step trace as a ``.npz`` file, and a bit-exact
comparison of two traces (e.g. the golden model's and one a bench or another tool wrote).

Format and fields: :mod:`golden_model.trace`. ``compare`` exits 0 only when the traces are identical, and
otherwise prints the first differences (step, field, index, expected and actual value).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scripts.common import UsageError, add_config_args, check_count, config_from_args

NAME = "trace"
HELP = "write the fixed-point model's per-step trace (.npz), or compare two traces bit for bit"
ORDER = 25


def _write(args: argparse.Namespace) -> int:
    from golden_model.fixed_mgd import FixedMGD

    check_count("--steps", args.steps)
    config = config_from_args(args, hardware=True)
    trace = FixedMGD(config).run(args.steps)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    trace.save(args.out)
    print(f"trace: {args.steps} steps, {trace.theta.shape[1]} parameters, {trace.lfsr.shape[1]} lanes "
          f"-> {args.out}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from golden_model.trace import Trace

    for path in (args.expected, args.actual):
        if not Path(path).is_file():
            raise UsageError(f"trace file must be an existing .npz file, not {path!r}")
    expected, actual = Trace.load(args.expected), Trace.load(args.actual)
    report = expected.mismatches(actual)
    if not report:
        print(f"identical: {len(expected)} steps, every field bit-exact")
        return 0
    print(f"MISMATCH between {args.expected} (expected) and {args.actual} (actual):")
    for line in report:
        print(f"  {line}")
    return 1


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    w = sub.add_parser("write", help="run the fixed-point model and save its trace")
    add_config_args(w)
    w.add_argument("--steps", type=int, default=1000, help="steps to record (default 1000)")
    w.add_argument("--out", default="out/trace.npz", help="output .npz (default: out/trace.npz)")
    w.set_defaults(func=_write)
    c = sub.add_parser("compare", help="compare two traces bit for bit; exit 0 only when identical")
    c.add_argument("expected", help="reference trace (.npz)")
    c.add_argument("actual", help="trace to check (.npz)")
    c.set_defaults(func=_compare)
