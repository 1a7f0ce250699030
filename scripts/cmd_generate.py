"""``mgd generate BLOCK --out DIR``: write a block's Verilog, file list and parameters."""

from __future__ import annotations

import argparse

from rtl.generate import write_verilog
from scripts.blocks import add_block_args, build_block
from scripts.common import OutPath

NAME = "generate"
HELP = "generate Verilog for a hardware block"
ORDER = 30


def _run(args: argparse.Namespace) -> int:
    component, top, params = build_block(args)
    paths = write_verilog(component, top, args.out, params)
    for p in paths:
        print(p)
    return 0


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="out/verilog",
                        type=OutPath("dir", replaces=("files.f", "params.json")),
                        help="output folder, replaced as a whole (default: out/verilog)")
    add_block_args(parser)
    parser.set_defaults(func=_run)
