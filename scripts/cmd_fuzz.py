"""``mgd fuzz``: seeded random valid configurations, each co-simulated bit for bit against the golden model.

Thin wrapper over :mod:`testbench.fuzz`: configuration ``i`` of ``--seed S`` is a pure function of
``(S, i)``, so ``--seed S --start i --count 1`` replays one. One line per configuration and simulator, then a
summary; a failure also prints the seed, the index, the cosim error and the configuration as TOML that
``mgd cosim --config`` replays. Exits 0 only when every run was bit-exact.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from golden_model.validate import write_json
from scripts.common import OutPath, check_count

NAME = "fuzz"
HELP = ("co-simulate seeded random valid configurations (both styles, modes, τ's, formats, ...) bit for bit "
        "against the golden model")
ORDER = 36


def _run(args: argparse.Namespace) -> int:
    from testbench import fuzz

    check_count("--count", args.count)
    check_count("--steps", args.steps)
    check_count("--seed", args.seed, minimum=0)
    check_count("--start", args.start, minimum=0)
    sims = ("icarus", "verilator") if args.sim == "both" else (args.sim,)
    t0 = time.perf_counter()
    if args.dry_run:
        for case in fuzz.cases(args.seed, args.count, args.start):
            print(f"fuzz seed={case.seed} index={case.index} refused_draws={case.refused} {case.describe()}")
        return 0
    refusals: Counter[str] = Counter()

    def report(res: fuzz.FuzzResult) -> None:
        print(res.line(), flush=True)
        if res.status != "pass":
            print(res.replay(), flush=True)

    results = []
    for case in fuzz.cases(args.seed, args.count, args.start):
        refusals.update(case.reasons)
        results += fuzz.run([case], sims, args.steps, keep=args.keep_builds, report=report)
    wall = time.perf_counter() - t0
    status = Counter(r.status for r in results)
    failed = sorted({(r.index, r.sim) for r in results if r.status != "pass"})
    why = ", ".join(f"{k} {v}" for k, v in refusals.most_common()) or "none"
    print(f"fuzz seed={args.seed} configs={args.count} (index {args.start}..{args.start + args.count - 1}) "
          f"sims={','.join(sims)} steps={args.steps} runs={len(results)} passed={status['pass']} "
          f"mismatches={status['mismatch']} errors={status['error']} refused_draws={sum(refusals.values())} "
          f"({why}) wall={wall:.0f} s ({wall / args.count:.1f} s per config)"
          + (f" failed: {', '.join(f'{i}/{s}' for i, s in failed)}" if failed else ""))
    if args.out:
        write_json(args.out, {"seed": args.seed, "start": args.start, "count": args.count,
                              "sims": list(sims), "steps": args.steps, "wall_s": wall,
                              "refused_draws": dict(refusals), "counts": dict(status),
                              "results": [r.to_dict() for r in results]}, name="--out", indent=1)
    if failed:
        print(f"mgd fuzz: {len(failed)} of {len(results)} runs failed (seed {args.seed}; replay each with "
              f"--seed {args.seed} --start INDEX --count 1)", file=sys.stderr)
    return 0 if not failed else 1


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--count", type=int, default=10, help="configurations to run (default 10)")
    parser.add_argument("--seed", type=int, default=1, help="fuzz seed (default 1)")
    parser.add_argument("--start", type=int, default=0,
                        help="index of the first configuration (default 0; --start I --count 1 replays I)")
    parser.add_argument("--sim", choices=("icarus", "verilator", "both"), default="both",
                        help="simulator(s) (default: both)")
    parser.add_argument("--steps", type=int, default=300,
                        help="MGD steps per configuration, compared after every update (default 300)")
    parser.add_argument("--out", metavar="FILE.json", type=OutPath("file"),
                        help="write every result (and failing configs) as JSON")
    parser.add_argument("--keep-builds", action="store_true",
                        help="keep the simulation models of passing configurations (deleted by default)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the configurations only, simulate nothing")
    parser.set_defaults(func=_run)
