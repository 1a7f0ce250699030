"""``mgd bench``: throughput figures of the toolkit, one section per component.

Add a section by appending ``(name, "module:function")`` to :data:`SECTIONS`; the function takes no
required argument and returns a dict of figures (numbers or strings; a nested dict is printed indented).
Modules are imported only when their section runs. ``--only NAME`` runs one section.
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
from pathlib import Path
from typing import Any

from scripts.cli import UsageError

NAME = "bench"
HELP = "measure throughput (float model steps/s, ...) and print the figures with their configuration"
ORDER = 80

SECTIONS: list[tuple[str, str]] = [
    ("float", "golden_model.bench:float_steps_per_second"),
    ("fixed", "golden_model.fixed_bench:fixed_steps_per_second"),
    ("cosim", "testbench.bench:cosim_throughput"),
    ("synth", "testbench.bench:synth_per_target"),
]


def _print(figures: dict[str, Any], indent: str = "  ") -> None:
    for key, value in figures.items():
        if isinstance(value, dict):
            print(f"{indent}{key}:")
            _print(value, indent + "  ")
        else:
            print(f"{indent}{key}: {value}")


def _run(args: argparse.Namespace) -> int:
    names = [n for n, _ in SECTIONS]
    if args.only is not None and args.only not in names:
        raise UsageError(f"--only must be one of {', '.join(map(repr, names))}, not {args.only!r}")
    report: dict[str, Any] = {}
    for name, target in SECTIONS:
        if args.only is not None and name != args.only:
            continue
        module, func = target.split(":")
        t0 = time.perf_counter()
        figures = getattr(importlib.import_module(module), func)()
        print(f"[{name}] ({time.perf_counter() - t0:.1f} s)")
        _print(figures)
        report[name] = figures
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", metavar="NAME",
                        help="run one section: " + ", ".join(n for n, _ in SECTIONS))
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.set_defaults(func=_run)
