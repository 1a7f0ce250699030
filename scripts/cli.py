"""The ``mgd`` command line.

Each subcommand lives in its own module ``scripts/cmd_<name>.py`` that defines ``NAME``, ``HELP`` and
``register(parser)``, which adds the subcommand's arguments and sets ``func``. This module only finds those
modules and dispatches; it has no logic of its own. Errors a user can fix (bad config, bad block parameter,
an option value out of range, an output path that cannot be written, an unreadable input file) print one
line ``mgd: error: ...`` and exit with status 2; option values typed with a :class:`scripts.common.Checked`
type are checked while the command line is parsed, before any work. An interrupted run (Ctrl-C, SIGTERM)
prints ``mgd: interrupted`` and exits with 130 (SIGINT) or 143 (SIGTERM); reports are written atomically
(:mod:`golden_model.validate`), so it leaves none half-written.

A command's own options may be typed before or after the name of a sub-command (a block of ``mgd generate``
and ``mgd synth``, an action of ``mgd trace``): :func:`share_options` registers them on every sub-parser too.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import pkgutil
import signal
import sys
from collections.abc import Callable

import scripts
from golden_model.errors import MGDError
from scripts.common import Checked

__all__ = ["main", "build_parser", "share_options"]


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose required options may also be given after a sub-command.

    argparse checks a parser's required options against what that parser itself consumed, so ``--target``
    typed after the block name would still be "required". :func:`share_options` therefore makes such options
    optional for argparse and lists them in ``_shared_required``: they are checked here once the sub-parser
    has run, and shown as required in usage and help.
    """

    _shared_required: tuple[argparse.Action, ...] = ()

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        missing = ["/".join(a.option_strings) for a in self._shared_required
                   if not hasattr(namespace, a.dest)]
        if missing:
            self.error(f"the following arguments are required: {', '.join(missing)}")
        return namespace, extras

    def _get_value(self, action: argparse.Action, arg_string: str):
        # a Checked type raises UsageError naming the option: it reaches main() as one line, not argparse's
        if isinstance(action.type, Checked):
            name = max(action.option_strings, key=len) if action.option_strings else (
                action.metavar if isinstance(action.metavar, str) else action.dest).upper()
            return action.type.convert(name, arg_string)
        return super()._get_value(action, arg_string)

    def format_usage(self) -> str:
        return self._as_required(super().format_usage)

    def format_help(self) -> str:
        return self._as_required(super().format_help)

    def _as_required(self, format_text: Callable[[], str]) -> str:
        for action in self._shared_required:
            action.required = True
        try:
            return format_text()
        finally:
            for action in self._shared_required:
                action.required = False


def share_options(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``parser`` on each of its sub-parsers too, and so on down the tree.

    The copies default to ``argparse.SUPPRESS``, so one that is not typed after the sub-command leaves the
    value given before it (or the parent's default) alone. An option string a sub-parser already has stays
    the sub-parser's own (``mgd synth sign-bank --seed`` is the block's LFSR seed). Options that accumulate
    (``append``, ``count``) keep only what was typed after the sub-command when typed on both sides.
    """
    shared = [a for a in parser._actions if a.option_strings and not isinstance(a, argparse._HelpAction)]
    for subparsers in (a for a in parser._actions if isinstance(a, argparse._SubParsersAction)):
        seen: set[int] = set()
        for name, child in subparsers.choices.items():
            if id(child) in seen:  # an alias of a sub-parser already done
                continue
            seen.add(id(child))
            group = None
            for action in shared:
                strings = [s for s in action.option_strings if s not in child._option_string_actions]
                if not strings:
                    continue
                if action.required:
                    if not isinstance(parser, _Parser):
                        raise TypeError(f"{parser.prog}: a required option shared with sub-commands needs a "
                                        "parser made by scripts.cli.build_parser")
                    # argparse would refuse it when typed after the sub-command: _Parser checks it instead
                    action.required, action.default = False, argparse.SUPPRESS
                    parser._shared_required = (*parser._shared_required, action)
                dup = copy.copy(action)
                dup.option_strings, dup.default, dup.required = strings, argparse.SUPPRESS, False
                if isinstance(dup.help, str) and "%(default)s" in dup.help:
                    dup.help = dup.help.replace("%(default)s", str(action.default))
                if group is None:
                    group = child.add_argument_group(f"{parser.prog} options",
                                                     f"also accepted after {name!r}")
                group._add_action(dup)
            share_options(child)


def _commands() -> list:
    mods = []
    for info in sorted(pkgutil.iter_modules(scripts.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            mods.append(importlib.import_module(f"scripts.{info.name}"))
    return sorted(mods, key=lambda m: m.ORDER if hasattr(m, "ORDER") else 100)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mgd",
        description="Train neural networks in hardware with Multiplexed Gradient Descent: golden model, "
                    "Amaranth RTL, cocotb co-simulation and open-source synthesis.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for mod in _commands():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.register(p)
    share_options(parser)
    return parser


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that ``finally`` blocks (temporary files) run as on Ctrl-C."""


def _on_sigterm(signum, frame):
    raise _Terminated


def main(argv: list[str] | None = None) -> int:
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: no handler, SIGTERM keeps its default
        previous = None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except MGDError as exc:
        print(f"mgd: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, _Terminated)
        print(f"mgd: interrupted ({'SIGTERM' if terminated else 'SIGINT'})", file=sys.stderr)
        return 128 + (signal.SIGTERM if terminated else signal.SIGINT)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
