"""``mgd trace write|compare``: the fixed-point model's per-step trace as a ``.npz`` file, and a bit-exact
comparison of two traces (e.g. the golden model's and one a bench or another tool wrote).

Format and fields: :mod:`golden_model.trace`. ``compare`` exits 0 only when the traces are identical, and
otherwise prints the first differences (step, field, index, expected and actual value). ``write --out``
gets ``.npz`` appended unless it ends in ``.npz``; the path printed is the one written.
"""

from __future__ import annotations

import argparse

from scripts.common import Int, OutPath, UsageError, add_config_args, config_from_args

NAME = "trace"
HELP = "write the fixed-point model's per-step trace (.npz), or compare two traces bit for bit"
ORDER = 25

MAX_TRACE_STEPS = 10**8
MAX_TRACE_BYTES = 1 << 30  # the trace is held in memory (twice, while its chunks are joined)


def _trace_bytes_per_step(lanes: int, n_params: int) -> int:
    # n, sample, C0, C, C_hat, sat_events (int64); baseline, updated (bool); per lane a sign byte and an int64
    # LFSR state; per parameter theta, G, M (int64)
    return 6 * 8 + 2 + lanes * 9 + n_params * 3 * 8


def _write(args: argparse.Namespace) -> int:
    from golden_model.fixed_mgd import FixedMGD

    config = config_from_args(args, hardware=True)
    model = FixedMGD(config)
    per_step = _trace_bytes_per_step(model.spec.n_lanes, model.n_params)
    most = MAX_TRACE_BYTES // per_step
    if args.steps > most:
        raise UsageError(f"--steps must be an integer from 1 to {most} for this config (a trace of "
                         f"{args.steps} steps would take {args.steps * per_step / 2**30:.1f} GiB of memory; "
                         f"at most {MAX_TRACE_BYTES >> 30} GiB), not {str(args.steps)!r}")
    trace = model.run(args.steps)
    trace.save(args.out)
    print(f"trace: {args.steps} steps, {trace.theta.shape[1]} parameters, {trace.lfsr.shape[1]} lanes "
          f"-> {args.out}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from golden_model.trace import Trace

    expected = Trace.load(args.expected, name="EXPECTED")
    actual = Trace.load(args.actual, name="ACTUAL")
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
    w.add_argument("--steps", type=Int(1, MAX_TRACE_STEPS), default=1000,
                   help="steps to record (default 1000; the trace must fit in 1 GiB of memory)")
    w.add_argument("--out", default="out/trace.npz", type=OutPath("file", suffix=".npz"),
                   help="output .npz (default: out/trace.npz; .npz is appended to another name)")
    w.set_defaults(func=_write)
    c = sub.add_parser("compare", help="compare two traces bit for bit; exit 0 only when identical")
    c.add_argument("expected", help="reference trace (.npz)")
    c.add_argument("actual", help="trace to check (.npz)")
    c.set_defaults(func=_compare)
