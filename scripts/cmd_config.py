"""``mgd config show``: print the resolved configuration as TOML that loads back to the same config."""

from __future__ import annotations

import argparse

from golden_model.config import to_toml
from scripts.common import add_config_args, config_from_args

NAME = "config"
HELP = "show the resolved configuration as TOML"
ORDER = 10


def _show(args: argparse.Namespace) -> int:
    print(to_toml(config_from_args(args)), end="")
    return 0


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = sub.add_parser("show", help=HELP)
    add_config_args(show)
    show.set_defaults(func=_show)
