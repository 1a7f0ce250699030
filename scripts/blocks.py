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
    # From those parameters: the label in the FuseSoC core's name and the core's one-line description.
    label: Callable[[dict[str, Any]], tuple[str, str]]


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


def _sign_bank_label(params: dict[str, Any]) -> tuple[str, str]:
    lanes, width, seed = params["lanes"], params["width"], params["seed"]
    return (f"{lanes}x{width}_seed{seed}",
            f"MGD LFSR perturbation-sign bank: {lanes} lanes of {width} bits, base seed {seed}")


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


def _core_label(params: dict[str, Any]) -> tuple[str, str]:
    from golden_model.config import loads_toml

    config = loads_toml(params["config"])
    hw, layers, mode = config.hardware, config.network.layers, config.mgd.perturbation
    style = hw.style if hw.style == "spatial" else f"{hw.style}_p{hw.lanes}"
    store = "_stream" if hw.samples == "stream" else ""
    shape = "x".join(map(str, layers))
    text = f"{hw.style} style" + (f", {hw.lanes} MAC lanes" if hw.style != "spatial" else "")
    text += ", samples streamed in" if hw.samples == "stream" else ""
    return (f"{style}{store}_{shape}_{mode}",
            f"MGD training core: {'-'.join(map(str, layers))} network, {mode} perturbation, {text}, "
            f"{params['n_params']} parameters")


def _trainer_args(p: argparse.ArgumentParser) -> None:
    from rtl.spatial.standalone import MAX_DEVICE_LATENCY
    from scripts.common import Int, add_config_args

    add_config_args(p)
    p.add_argument("--latency", type=Int(1, MAX_DEVICE_LATENCY), default=4,
                   help=f"cycles from issue_valid to the cost being back, 1..{MAX_DEVICE_LATENCY} "
                        "(default 4)")


def _trainer_build(a: argparse.Namespace) -> tuple[wiring.Component, str, dict[str, Any]]:
    from golden_model.config import to_toml
    from golden_model.device import trainer_config
    from rtl.spatial.standalone import TOP, build_trainer
    from scripts.common import config_from_args

    config = config_from_args(a, hardware=True)
    trainer = build_trainer(config, latency=a.latency)
    s = trainer.spec
    return trainer, TOP, {"block": "trainer", "config": to_toml(trainer_config(config)),
                          "latency": trainer.latency, "schedule_latency": trainer.schedule_latency,
                          "n_params": s.layout.n_params, "lanes": s.n_lanes, "theta0": trainer.theta0}


def _trainer_label(params: dict[str, Any]) -> tuple[str, str]:
    from golden_model.config import loads_toml

    config = loads_toml(params["config"])
    layers, mode = config.network.layers, config.mgd.perturbation
    return (f"{'x'.join(map(str, layers))}_{mode}_lat{params['latency']}",
            f"MGD trainer alone (parameters out, cost in): {'-'.join(map(str, layers))} network, {mode} "
            f"perturbation, {params['n_params']} parameters, cost source latency {params['latency']}")


BLOCKS: dict[str, Block] = {
    "sign-bank": Block("sign-bank", "LFSR perturbation-sign bank (rtl.lfsr.SignBank)",
                       _sign_bank_args, _sign_bank_build, _sign_bank_label),
    "core": Block("core", "MGD training core of a config, in its [hardware] style (rtl.cores.build_core)",
                  _core_args, _core_build, _core_label),
    "trainer": Block("trainer", "MGD trainer alone, parameters out and cost in, for a device outside the "
                     "FPGA (rtl.spatial.standalone)", _trainer_args, _trainer_build, _trainer_label),
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
