"""The named hardware blocks that ``mgd generate`` and ``mgd synth`` build.

A :class:`Block` says how to add its parameters to a command line and how to build the Amaranth component
from them; both commands share this table, so a block added here can be generated and synthesized.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from amaranth.lib import wiring

__all__ = ["Block", "BLOCKS", "add_block_args", "build_block", "MAX_BANK_LANES"]

MAX_BANK_LANES = 65536  # sign-bank --lanes: more lanes than any network here has parameters (digits: 2410)


@dataclass(frozen=True)
class Block:
    name: str
    help: str
    add_args: Callable[[argparse.ArgumentParser], None]
    # Returns the component, the Verilog top-module name and the parameters that define it.
    build: Callable[[argparse.Namespace], tuple[wiring.Component, str, dict[str, Any]]]


def _sign_bank_args(p: argparse.ArgumentParser) -> None:
    from scripts.common import Int

    p.add_argument("--lanes", type=Int(1, MAX_BANK_LANES), default=64,
                   help=f"number of sign lanes, 1..{MAX_BANK_LANES} (default 64)")
    p.add_argument("--width", type=Int(3, 32), default=16,
                   help="LFSR width of every lane, 3..32 (default 16)")
    p.add_argument("--seed", type=Int(1, (1 << 32) - 1), default=1,
                   help="base seed, non-zero, < 2**width (default 1)")


def _sign_bank_build(a: argparse.Namespace) -> tuple[wiring.Component, str, dict[str, Any]]:
    from rtl.lfsr import SignBank
    from scripts.common import UsageError

    if a.seed >= 1 << a.width:
        raise UsageError(f"--seed must be an integer from 1 to {(1 << a.width) - 1} (below 2**width for "
                         f"--width {a.width}), not {str(a.seed)!r}")
    bank = SignBank(lanes=a.lanes, width=a.width, seed=a.seed)
    return bank, "sign_bank", {"block": "sign-bank", "lanes": a.lanes, "width": a.width, "seed": a.seed,
                               "lane_seeds": bank.seeds}


def _core_args(p: argparse.ArgumentParser) -> None:
    from scripts.common import add_config_args

    add_config_args(p)


def _core_build(a: argparse.Namespace) -> tuple[wiring.Component, str, dict[str, Any]]:
    from golden_model.config import to_toml
    from rtl.cores import build_core
    from scripts.common import config_from_args

    config = config_from_args(a, hardware=True)
    core = build_core(config)  # rejects what the RTL cannot build, before generation
    return core, "mgd_core", {"block": "core", "config": to_toml(config), **core.describe(),
                              "theta0": [int(v) for v in core.theta0]}


BLOCKS: dict[str, Block] = {
    "sign-bank": Block("sign-bank", "LFSR perturbation-sign bank (rtl.lfsr.SignBank)",
                       _sign_bank_args, _sign_bank_build),
    "core": Block("core", "MGD training core of a config, in its [hardware] style (rtl.cores.build_core)",
                  _core_args, _core_build),
}


def add_block_args(parser: argparse.ArgumentParser) -> None:
    """One sub-parser per block under ``parser``, each with the block's own parameters."""
    sub = parser.add_subparsers(dest="block", metavar="BLOCK", required=True)
    for block in BLOCKS.values():
        p = sub.add_parser(block.name, help=block.help, description=block.help)
        block.add_args(p)
        p.set_defaults(block_spec=block)


def build_block(args: argparse.Namespace) -> tuple[wiring.Component, str, dict[str, Any]]:
    return args.block_spec.build(args)
