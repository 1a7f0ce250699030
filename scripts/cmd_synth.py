"""``mgd synth --target T --out DIR BLOCK [block args]``: synthesize a block and report LUT, FF and Fmax.

The flow is :func:`rtl.synth.synthesize`; blocks come from ``scripts/blocks.py`` exactly as for
``mgd generate``. Exit status 0 only when the run completed and the report is written; a design that does not
fit, an unknown target or a tool failure prints ``mgd: error: ...`` and exits non-zero.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from tqdm import tqdm

from rtl.synth import REPORT_JSON, REPORT_MD, TARGETS, get_target, synthesize
from rtl.synth.targets import ROUTERS
from scripts.blocks import add_block_args, build_block
from scripts.common import IntList, Number, OutPath, UsageError

NAME = "synth"
HELP = "synthesize a hardware block with Yosys + nextpnr and report resources and Fmax"
ORDER = 40

_STAGES = {"verilog": "Amaranth -> Verilog (harness)", "yosys": "Yosys synthesis",
           "nextpnr": "nextpnr place & route", "report": "report"}


def _run(args: argparse.Namespace) -> int:
    if args.target not in TARGETS:
        raise UsageError(f"--target must be one of {', '.join(map(repr, TARGETS))}, not {args.target!r}")
    target = get_target(args.target)  # fails fast, before building the block
    component, top, params = build_block(args)
    freq = args.freq if args.freq is not None else target.default_freq_mhz
    seeds = args.pnr_seed
    with tqdm(total=len(_STAGES) * len(seeds), desc=f"synth {top} [{target.name}]", unit="stage",
              file=sys.stderr, bar_format="{desc}: {n_fmt}/{total_fmt}{postfix} [{elapsed}]",
              disable=args.quiet) as bar:
        started: list[str] = []

        def progress(stage: str) -> None:
            if started:
                bar.update(1)
            started.append(stage)
            bar.set_postfix_str(_STAGES.get(stage, stage))

        report = synthesize(component, top, target.name, args.out, freq_mhz=freq,
                            seed=list(seeds),
                            router=args.router,
                            params=params, progress=progress,
                            command=shlex.join(["mgd", *sys.argv[1:]]))
        bar.update(1)
        bar.set_postfix_str("done")
    print(report.summary_line())
    print(f"{args.out}/{REPORT_JSON}")
    print(f"{args.out}/{REPORT_MD}")
    return 0


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", required=True, metavar="TARGET",
                        help=f"FPGA part, one of: {', '.join(TARGETS)}")
    parser.add_argument("--out", default="out/synth", type=OutPath("dir", replaces=(REPORT_JSON, "synth.ys")),
                        help="output folder, replaced as a whole (default: out/synth)")
    parser.add_argument("--freq", type=Number(1, 1000, unit=" (MHz)"), default=None,
                        metavar="MHZ",
                        help="clock target for nextpnr in MHz (default: per target; missing it is reported, "
                             "not an error)")
    # dest pnr_seed: a block's own --seed (sign-bank's LFSR seed) must not overwrite the placement seed
    parser.add_argument("--seed", dest="pnr_seed", type=IntList(0, (1 << 31) - 1), default=(1,),
                        metavar="SEED[,SEED...]",
                        help="nextpnr placement seed (default 1); several (e.g. 1,2,3): each is placed and "
                             "routed, the fastest kept, every seed's Fmax in the report's seed table")
    parser.add_argument("--router", choices=ROUTERS, default=None,
                        help="nextpnr's router, and only it (default per target: on ECP5 router1, which "
                             "gives the higher Fmax where it converges, for at most 10 minutes, then "
                             "router2, which always finished on the folded cores; router1 on iCE40)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_block_args(parser)
    parser.set_defaults(func=_run)
