"""``mgd bench``: throughput figures of the toolkit, one section per component.

Add a section by appending ``(name, "module:function")`` to :data:`SECTIONS`; the function takes no
required argument and returns a dict of figures (numbers or strings; a nested dict is printed indented).
Modules are imported only when their section runs. ``--only NAME[,NAME...]`` runs some sections. A figure
derived from two sections (:data:`DERIVED`) is printed after them when both ran.
"""

from __future__ import annotations

import argparse
import importlib
import time
from typing import Any

from golden_model.validate import write_json
from scripts.common import OutPath, UsageError

NAME = "bench"
HELP = "measure throughput (float model steps/s, ...) and print the figures with their configuration"
ORDER = 80

SECTIONS: list[tuple[str, str]] = [
    ("float", "golden_model.studies.float_bench:float_steps_per_second"),
    ("fixed", "golden_model.studies.fixed_bench:fixed_steps_per_second"),
    ("cosim", "scripts.flows.bench:cosim_throughput"),
    ("synth", "scripts.flows.bench:synth_per_target"),
    ("folded", "scripts.flows.bench:folded_schedule"),
]

# (name, (section, section), "module:function"): the function takes the two sections' figures
DERIVED: list[tuple[str, tuple[str, str], str]] = [
    ("fixed model vs RTL simulation", ("fixed", "cosim"), "scripts.flows.bench:model_over_rtl"),
]


def _print(figures: dict[str, Any], indent: str = "  ") -> None:
    for key, value in figures.items():
        if isinstance(value, dict):
            print(f"{indent}{key}:")
            _print(value, indent + "  ")
        else:
            print(f"{indent}{key}: {value}")


def _function(target: str) -> Any:
    module, func = target.split(":")
    return getattr(importlib.import_module(module), func)


def _run(args: argparse.Namespace) -> int:
    names = [n for n, _ in SECTIONS]
    only = names if args.only is None else args.only.split(",")
    for name in only:
        if name not in names:
            raise UsageError("--only must be one or more (comma-separated) of "
                             f"{', '.join(map(repr, names))}, not {name!r}")
    report: dict[str, Any] = {}
    for name, target in SECTIONS:
        if name not in only:
            continue
        t0 = time.perf_counter()
        figures = _function(target)()
        print(f"[{name}] ({time.perf_counter() - t0:.1f} s)")
        _print(figures)
        report[name] = figures
    for name, (a, b), target in DERIVED:
        if a in report and b in report:
            report[name] = _function(target)(report[a], report[b])
            print(f"[{name}]")
            _print(report[name])
    if args.json:
        write_json(args.json, report, name="--json")
    return 0


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", metavar="NAME[,NAME...]",
                        help="run these sections (comma-separated): " + ", ".join(n for n, _ in SECTIONS))
    parser.add_argument("--json", metavar="FILE", type=OutPath("file"), help="also write the figures as JSON")
    parser.set_defaults(func=_run)
