"""The ``mgd`` command line.

Each subcommand lives in its own module ``scripts/cmd_<name>.py`` that defines ``NAME``, ``HELP`` and
``register(parser)``, which adds the subcommand's arguments and sets ``func``. This module only finds those
modules and dispatches; it has no logic of its own. Errors a user can fix (bad config, bad block parameter)
print one line ``mgd: error: ...`` and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import scripts
from golden_model.errors import MGDError

__all__ = ["main", "build_parser"]


class UsageError(MGDError):
    """A command-line value that is not allowed; printed as ``mgd: error: ...`` with exit status 2."""


def _commands() -> list:
    mods = []
    for info in sorted(pkgutil.iter_modules(scripts.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            mods.append(importlib.import_module(f"scripts.{info.name}"))
    return sorted(mods, key=lambda m: m.ORDER if hasattr(m, "ORDER") else 100)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mgd",
        description="Train neural networks in hardware with Multiplexed Gradient Descent: golden model, "
                    "Amaranth RTL, cocotb co-simulation and open-source synthesis.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for mod in _commands():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.register(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except MGDError as exc:
        print(f"mgd: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
