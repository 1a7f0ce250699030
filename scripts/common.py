"""Arguments and helpers shared by several ``mgd`` subcommands (no logic of the toolkit itself)."""

from __future__ import annotations

import argparse
import sys

from golden_model.config import PRESETS, MGDConfig, resolve
from golden_model.errors import MGDError

__all__ = ["UsageError", "add_config_args", "config_from_args", "check_count"]


class UsageError(MGDError):
    """A command-line value that is not allowed; printed as ``mgd: error: ...`` with exit status 2."""


def add_config_args(parser: argparse.ArgumentParser) -> None:
    """``--preset NAME``, ``--config FILE.toml`` and repeated ``--set section.field=value``."""
    g = parser.add_argument_group("configuration")
    g.add_argument("--preset", choices=sorted(PRESETS), help="built-in configuration (default: xor)")
    g.add_argument("--config", metavar="FILE.toml", help="configuration file")
    g.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                   help="override one field, e.g. --set mgd.eta=0.2 (repeatable)")


def config_from_args(args: argparse.Namespace, *, hardware: bool = False) -> MGDConfig:
    """The config of ``--preset/--config/--set``. ``hardware``: the command runs the fixed-point model or
    the RTL, so settings they do not follow are named on stderr (``mgd: note: ...``)."""
    config = resolve(args.preset, args.config, args.overrides)
    if hardware:
        from golden_model.bridge import float_only_notes

        for note in float_only_notes(config):
            print(f"mgd: note: {note}", file=sys.stderr)
    return config


def check_count(option: str, value: int, minimum: int = 1) -> None:
    """Refuse an integer option below ``minimum`` (1: positive, 0: non-negative) with the usual message."""
    if value < minimum:
        kind = "positive" if minimum == 1 else "non-negative" if minimum == 0 else f">= {minimum}"
        raise UsageError(f"{option} must be a {kind} integer, not {value}")
