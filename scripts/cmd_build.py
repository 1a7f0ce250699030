"""``mgd build --board B [--preset P | --config F | --set ...] [--baud N] --out DIR``: the bitstream of a core
behind the UART host link for a board (:func:`rtl.board.build.build_board`)."""

from __future__ import annotations

import argparse
import shlex
import sys

from rtl.board.build import REPORT, board_clocks_per_bit, build_board, get_board
from rtl.board.top import BOARDS
from scripts.common import Int, OutPath, UsageError, add_config_args, config_from_args

NAME = "build"
HELP = "build a board bitstream: the core behind a UART host link (iCEBreaker, ULX3S-85F)"
DESCRIPTION = """\
Place, route and pack the core of the configuration behind the UART host link (protocol: README "Boards")
into a bitstream for a board, with the amaranth-boards platform and the YoWASP tools. Writes DIR/<board>.bin
(iCEBreaker) or DIR/<board>.bit (ULX3S), DIR/config.toml (what the host driver checks the bitstream
against), DIR/board_report.json (resources, Fmax at the board clock) and the tools' logs. Refused before
any tool runs: an unknown board, a baud rate the board clock cannot make, a configuration that does not fit
the part; after routing, a design that misses the board clock.

  mgd build --board icebreaker --out out/board/icebreaker
  iceprog out/board/icebreaker/icebreaker.bin
  mgd host --port /dev/ttyUSB1 --config out/board/icebreaker/config.toml train"""
ORDER = 45


def _run(args: argparse.Namespace) -> int:
    try:
        board = get_board(args.board)
        board_clocks_per_bit(board, args.baud)
    except Exception as exc:  # BoardBuildError: an argument, before anything is built
        raise UsageError(str(exc)) from None
    config = config_from_args(args, hardware=True)
    report = build_board(config, board.name, args.baud, args.out, seed=args.pnr_seed,
                         command=shlex.join(["mgd", *sys.argv[1:]]),
                         progress=None if args.quiet else lambda s: print(f"mgd build: {s} ...",
                                                                         file=sys.stderr, flush=True))
    util = ", ".join(f"{bel} {u['used']}/{u['available']}" for bel, u in report["utilisation"].items())
    print(f"{report['board']} ({report['part']}): Fmax {report['fmax_mhz']:.2f} MHz at a "
          f"{report['clock_mhz']:g} MHz clock, {util}; {report['seconds']:.0f} s")
    print(f"{args.out}/{report['bitstream']}")
    print(f"{args.out}/{REPORT}")
    print(f"program: {report['program']}")
    print(f"host:    {report['host']}")
    return 0


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--board", required=True, metavar="BOARD", help=f"one of: {', '.join(BOARDS)}")
    parser.add_argument("--baud", type=Int(1, 10_000_000), default=115200,
                        help="UART baud rate (default 115200; within 2 %% at the board clock, >= 4 clocks a "
                             "bit)")
    parser.add_argument("--out", required=True, type=OutPath("dir", replaces=(REPORT, "config.toml")),
                        help="output folder, replaced as a whole")
    parser.add_argument("--seed", dest="pnr_seed", type=Int(0, (1 << 31) - 1), default=1, metavar="SEED",
                        help="nextpnr placement seed (default 1)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    add_config_args(parser)
    parser.set_defaults(func=_run)
