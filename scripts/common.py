"""Arguments and helpers shared by several ``mgd`` subcommands (no logic of the toolkit itself).

Option values are checked where they are parsed, before any command runs, by the argument types below
(:class:`Int`, :class:`Number`, :class:`OutPath`); a bad value raises :class:`UsageError` naming the option,
the value as typed and what is allowed, which ``mgd`` prints as one line ``mgd: error: ...`` (exit status 2).
The checks themselves are those of :mod:`golden_model.validate`, the one validation path of the toolkit.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import Any

from golden_model.config import MAX_STEPS, PRESETS, MGDConfig, resolve
from golden_model.errors import MGDError
from golden_model.validate import check_float, check_int, check_output, float_range, int_range

__all__ = ["UsageError", "Checked", "Int", "Number", "OutPath", "Scheduler", "MAX_STEPS", "MAX_REPEATS",
           "MAX_WORKERS", "add_config_args", "add_scheduler_arg", "config_from_args", "check_count",
           "int_list"]

MAX_REPEATS = 1000  # --backprop-repeats, --compiled-repeats, --seeds: seeds of one reference or study point
MAX_WORKERS = 64  # --workers, --jobs: worker processes


class UsageError(MGDError):
    """A command-line value that is not allowed; printed as ``mgd: error: ...`` with exit status 2."""


class Checked:
    """An argparse ``type`` whose :meth:`convert` knows the option it converts for, so that its error names
    it (``scripts.cli`` calls ``convert(option, text)``; called as a plain ``type`` it names no option)."""

    def convert(self, option: str, text: str) -> Any:
        raise NotImplementedError

    def __call__(self, text: str) -> Any:
        return self.convert("value", text)


class Int(Checked):
    """An integer from ``lo`` to ``hi``."""

    def __init__(self, lo: int, hi: int) -> None:
        self.lo, self.hi = lo, hi
        self.__name__ = "int"

    def convert(self, option: str, text: str) -> int:
        try:
            return check_int(option, int(text), self.lo, self.hi, error=UsageError)
        except (ValueError, UsageError):
            raise UsageError(f"{option} must be {int_range(self.lo, self.hi)}, not {text!r}") from None


class IntList(Checked):
    """Comma-separated distinct integers from ``lo`` to ``hi``, in the order given (a tuple)."""

    def __init__(self, lo: int, hi: int) -> None:
        self.lo, self.hi = lo, hi
        self.__name__ = "int list"

    def convert(self, option: str, text: str) -> tuple[int, ...]:
        allowed = f"one or more distinct comma-separated integers, each {int_range(self.lo, self.hi)}"
        try:
            values = tuple(int(v) for v in text.split(","))
        except ValueError:
            raise UsageError(f"{option} must be {allowed}, not {text!r}") from None
        if len(set(values)) != len(values) or any(not self.lo <= v <= self.hi for v in values):
            raise UsageError(f"{option} must be {allowed}, not {text!r}")
        return values


class Number(Checked):
    """A finite number in a range (``lo_open``/``hi_open``: the bound itself is excluded)."""

    def __init__(self, lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False,
                 unit: str = "") -> None:
        self.lo, self.hi, self.lo_open, self.hi_open, self.unit = lo, hi, lo_open, hi_open, unit
        self.__name__ = "float"

    def convert(self, option: str, text: str) -> float:
        allowed = float_range(self.lo, self.hi, self.lo_open, self.hi_open) + self.unit
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        try:
            return float(check_float(option, value, self.lo, self.hi, lo_open=self.lo_open,
                                     hi_open=self.hi_open, error=UsageError))
        except UsageError:
            raise UsageError(f"{option} must be {allowed}, not {text!r}") from None


class OutPath(Checked):
    """A place to write: ``kind`` ``"file"`` or ``"dir"`` (:func:`golden_model.validate.check_output`).

    ``suffix``: a file name without it gets it appended (the value is then the path written). ``replaces``:
    the command replaces the whole folder (see ``check_output``). The value stays a ``str``."""

    def __init__(self, kind: str = "dir", *, suffix: str = "",
                 replaces: tuple[str, ...] | None = None) -> None:
        self.kind, self.suffix, self.replaces = kind, suffix, replaces
        self.__name__ = "path"

    def convert(self, option: str, text: str) -> str:
        if self.suffix and text and not text.endswith(self.suffix) and not os.path.isdir(text):
            text += self.suffix
        check_output(option, text, kind=self.kind, replaces=self.replaces, error=UsageError)
        return text


class Scheduler(Checked):
    """The address of a running Dask scheduler with workers (:func:`golden_model.studies.executor.
    check_scheduler`: the form, then a connection within a few seconds), checked while the command line is
    parsed, before any work. The value is the address in Dask's form (``tcp://host:port``)."""

    def __init__(self) -> None:
        self.__name__ = "address"

    def convert(self, option: str, text: str) -> str:
        from golden_model.studies.executor import SchedulerError, check_scheduler

        try:
            return check_scheduler(text, option=option)
        except SchedulerError as exc:
            raise UsageError(str(exc)) from None


def add_scheduler_arg(parser: argparse.ArgumentParser, workers: str) -> None:
    """``--scheduler ADDRESS``: run the command's independent runs on a Dask cluster
    (:mod:`golden_model.studies.executor`) instead of the local processes of ``workers`` (its option)."""
    parser.add_argument("--scheduler", metavar="ADDRESS", type=Scheduler(), default=None,
                        help=f"run on the workers of the Dask scheduler at ADDRESS (tcp://HOST:PORT) instead "
                             f"of local processes ({workers} is then not used); the same table either way")


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


def int_list(option: str, text: str, hi: int, example: str) -> tuple[int, ...]:
    """``text`` as comma-separated integers from 1 to ``hi`` (sorted, each once); a :class:`UsageError`
    naming ``option``, the text and ``example`` otherwise."""
    allowed = f"comma-separated integers from 1 to {hi} such as {example}"
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"{option} must be {allowed}, not {text!r}") from None
    if not values or min(values) < 1 or max(values) > hi:
        raise UsageError(f"{option} must be {allowed}, not {text!r}")
    return tuple(sorted(set(values)))


def check_count(option: str, value: int, minimum: int = 1, maximum: int = MAX_STEPS) -> None:
    """Refuse an integer option outside ``minimum`` to ``maximum`` with the usual message."""
    check_int(option, value, minimum, maximum, error=UsageError)
