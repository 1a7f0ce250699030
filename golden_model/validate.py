"""One way to check what a user hands the toolkit, and one way to write what it hands back.

* **numbers** (:func:`check_int`, :func:`check_float`): a config field or a command-line count must lie in a
  finite range; the message names the field, the value and the range (both bounds).
* **output locations** (:func:`check_output`): a ``--out``/``--json``/``--vcd`` path is checked before any
  work: an existing file where a folder is wanted (or the reverse), a parent that is a file, a place that
  cannot be written, a folder of other files that a command would replace.
* **input files** (:func:`reading`, :func:`read_text`): a config file or a trace must be an existing regular
  file that can be read and parsed; every failure (``OSError``, ``UnicodeDecodeError``, a corrupt archive,
  a refused pickle, ...) becomes one :class:`PathError` naming the option, the path and what is wrong.
* **reports** (:func:`atomic_path`, :func:`write_text`, :func:`write_json`): written to a temporary file in
  the target's folder and renamed over the target (``os.replace``) only when complete, so an interrupted run
  (Ctrl-C, SIGTERM, a full disk) never leaves a half-written report: the target is the old file or absent.

Every error is an :class:`~golden_model.errors.MGDError` (the ``mgd`` command prints it as one line
``mgd: error: ...`` and exits with status 2).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from golden_model.errors import MGDError

__all__ = ["PathError", "check_int", "check_float", "int_range", "float_range", "check_output", "check_input",
           "reading", "read_text", "temporary_path", "commit", "discard", "atomic_path", "atomic_dir",
           "write_text", "write_json"]


class PathError(MGDError):
    """An output location or an input file that cannot be used."""


# ---- numbers -------------------------------------------------------------------------------------------

def _num(x: float) -> str:
    return str(x) if isinstance(x, int) else f"{x:g}"


def int_range(lo: int, hi: int) -> str:
    """How an integer range is said in messages: ``an integer from 1 to 10``."""
    return f"an integer from {lo} to {hi}"


def float_range(lo: float, hi: float, lo_open: bool = False, hi_open: bool = False) -> str:
    """How a number range is said in messages: ``a number > 0 and <= 1000``."""
    return f"a number {'>' if lo_open else '>='} {_num(lo)} and {'<' if hi_open else '<='} {_num(hi)}"


def check_int(name: str, value: Any, lo: int, hi: int, *, error: type[MGDError] = MGDError) -> int:
    """``value`` unchanged if it is an integer (not a bool) from ``lo`` to ``hi``; else raise ``error``."""
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise error(f"{name} must be {int_range(lo, hi)}, not {value!r}")
    return value


def check_float(name: str, value: Any, lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False,
                error: type[MGDError] = MGDError) -> float:
    """``value`` unchanged if it is a finite number (int or float, not a bool) in the range; else raise.

    NaN and infinities are refused (every bound is finite)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > lo if lo_open else value >= lo) and (value < hi if hi_open else value <= hi)
    if not ok:
        raise error(f"{name} must be {float_range(lo, hi, lo_open, hi_open)}, not {value!r}")
    return value


# ---- output locations ----------------------------------------------------------------------------------

def _why_not_writable(folder: Path) -> str | None:
    """Why no file can be created in the existing folder ``folder`` (None: it can)."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"folder {str(folder)!r} is not writable"
    try:  # root passes os.access everywhere; a read-only mount or /proc only shows when one tries
        fd, probe = tempfile.mkstemp(prefix=".mgd-probe-", dir=folder)
    except OSError as exc:
        return f"folder {str(folder)!r} is not writable: {exc.strerror or exc}"
    os.close(fd)
    os.unlink(probe)
    return None


def check_output(name: str, path: str | os.PathLike, *, kind: str = "file",
                 replaces: tuple[str, ...] | None = None, error: type[MGDError] = PathError) -> Path:
    """Check that ``path`` can be written as a ``kind`` (``"file"`` or ``"dir"``) before any work starts.

    Refused: an empty path; an existing folder where a file is wanted, an existing file (or device, ...)
    where a folder is wanted, an existing non-regular file (a device, a pipe) where a file is wanted; a path
    whose nearest existing parent is a file or cannot be written. ``replaces`` (folders only): the command
    replaces the whole folder, so an existing non-empty folder must hold one of these names (one it wrote
    before). Missing parent folders are fine (they are created when the file is written). Returns the path.
    """
    text = os.fspath(path)
    what = "a writable file path" if kind == "file" else "a writable folder"

    def fail(why: str) -> None:
        raise error(f"{name} must be {what}, not {text!r} ({why})")

    if not text:
        fail("an empty path")
    p = Path(text)
    try:
        exists = p.exists()
        if exists and kind == "file":
            if p.is_dir():
                fail("an existing folder; give a file name")
            if not p.is_file():
                fail("an existing special file, not a regular file")
        elif exists and kind == "dir":
            if not p.is_dir():
                fail("an existing file, not a folder")
            if replaces is not None and any(p.iterdir()) and not any((p / m).exists() for m in replaces):
                fail("a folder of other files; the command replaces the whole folder, so give a new or empty "
                     "folder or one it wrote before")
        folder = p if exists and kind == "dir" else p.parent
        while not os.path.lexists(folder):
            folder = folder.parent
        if not folder.is_dir():
            fail(f"{str(folder)!r} is a file, not a folder")
    except MGDError:
        raise
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte, an unreadable parent
        fail(f"{getattr(exc, 'strerror', None) or exc}")
    why = _why_not_writable(folder)
    if why:
        fail(why)
    return p


# ---- input files ---------------------------------------------------------------------------------------

def check_input(name: str, path: str | os.PathLike, what: str, *, error: type[MGDError] = PathError) -> Path:
    """``path`` as a Path if it is an existing regular file that can be read; else raise ``error`` saying
    ``{name} must be {what}, not 'path' (why)``."""
    text = os.fspath(path)
    p = Path(text)
    try:
        if not p.exists():
            why = "no such file"
        elif p.is_dir():
            why = "a folder"
        elif not p.is_file():
            why = "not a regular file"
        elif not os.access(p, os.R_OK):
            why = "permission denied"
        else:
            return p
    except (OSError, ValueError) as exc:
        why = f"{getattr(exc, 'strerror', None) or exc}"
    raise error(f"{name} must be {what}, not {text!r} ({why})")


# what reading and parsing a file raises when the file is not what it should be
_READ_ERRORS = (OSError, UnicodeDecodeError, zipfile.BadZipFile, zlib.error, EOFError, ValueError, KeyError,
                TypeError, IndexError)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    text = str(exc).split("\n")[0].strip()
    if "pickle" in text:  # numpy's advice to allow_pickle is not for a file from elsewhere
        return "not an .npz archive of plain arrays (it would need pickle, which is never loaded)"
    if isinstance(exc, zipfile.BadZipFile | zlib.error | EOFError):
        return f"corrupt or truncated: {text or type(exc).__name__}"
    return text or type(exc).__name__


@contextmanager
def reading(name: str, path: str | os.PathLike, what: str, *,
            error: type[MGDError] = PathError) -> Iterator[Path]:
    """Check ``path`` (:func:`check_input`) and run the body that reads and parses it; any read or parse
    failure in the body becomes ``error`` naming ``name``, the path and why. An :class:`MGDError` the body
    raises itself passes unchanged."""
    p = check_input(name, path, what, error=error)
    try:
        yield p
    except MGDError:
        raise
    except _READ_ERRORS as exc:
        raise error(f"{name} must be {what}, not {os.fspath(path)!r} ({_reason(exc)})") from None


def read_text(name: str, path: str | os.PathLike, what: str, *, max_bytes: int = 1 << 24,
              error: type[MGDError] = PathError) -> str:
    """The UTF-8 text of the file ``path`` (at most ``max_bytes``), or ``error`` saying what is wrong."""
    with reading(name, path, what, error=error) as p:
        size = p.stat().st_size
        if size > max_bytes:
            raise error(f"{name} must be {what}, not {os.fspath(path)!r} ({size} bytes; at most {max_bytes})")
        return p.read_bytes().decode("utf-8")
    raise AssertionError("unreachable")  # pragma: no cover (for type checkers: reading() re-raises)


# ---- reports, written atomically -----------------------------------------------------------------------

def temporary_path(path: str | os.PathLike, *, name: str | None = None,
                   error: type[MGDError] = PathError) -> Path:
    """A free hidden name next to ``path`` (same suffix, folder created if missing) for a file to be moved
    over ``path`` by :func:`commit` once complete. Nothing is left at that name; the caller writes it."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(prefix=f".{target.name}.", suffix=f".part{target.suffix}",
                                         dir=target.parent) as reserved:
            return Path(reserved.name)
    except OSError as exc:
        raise error(f"{name or 'output file'} could not be written to {str(target)!r}: "
                    f"{exc.strerror or exc}") from None


def commit(tmp: Path, path: str | os.PathLike, *, name: str | None = None,
           error: type[MGDError] = PathError) -> None:
    """Rename the complete file ``tmp`` over ``path`` (atomic: ``path`` is the old file or the new one)."""
    try:
        os.replace(tmp, path)
    except OSError as exc:
        raise error(f"{name or 'output file'} could not be written to {os.fspath(path)!r}: "
                    f"{exc.strerror or exc}") from None


def discard(tmp: Path | None) -> None:
    """Remove the temporary file ``tmp`` if it is there (the write was interrupted or failed)."""
    if tmp is not None:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_path(path: str | os.PathLike, *, name: str | None = None,
                error: type[MGDError] = PathError) -> Iterator[Path]:
    """A temporary path in ``path``'s folder (same suffix) for the body to write; renamed over ``path``
    when the body returns, removed when it raises (KeyboardInterrupt included).

    The folder is created if missing. A body that writes nothing leaves ``path`` alone. ``OSError`` while
    creating, writing or renaming becomes ``error`` naming ``name`` (default: the path).
    """
    tmp = None
    try:
        tmp = temporary_path(path, name=name, error=error)
        try:
            yield tmp
        except OSError as exc:
            raise error(f"{name or 'output file'} could not be written to {os.fspath(path)!r}: "
                        f"{exc.strerror or exc}") from None
        if tmp.exists():
            commit(tmp, path, name=name, error=error)
    finally:
        discard(tmp)


@contextmanager
def atomic_dir(path: str | os.PathLike, *, tag: str = "") -> Iterator[Path]:
    """A new hidden folder next to ``path`` (``.<name>.<tag>…``, parents created) for the body to fill; it
    replaces ``path`` (an existing folder there is removed first) when the body returns, and is removed
    when the body raises (KeyboardInterrupt included), so ``path`` is never half-written."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.{tag}", dir=out.parent))
    try:
        yield tmp
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_text(path: str | os.PathLike, text: str, *, name: str | None = None) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (:func:`atomic_path`)."""
    with atomic_path(path, name=name) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path: str | os.PathLike, data: Any, *, name: str | None = None, **dumps: Any) -> Path:
    """Write ``data`` as JSON (indent 2 unless ``dumps`` says otherwise, newline at the end) atomically.

    A NaN or infinite float (not JSON) is written as ``null``."""
    dumps.setdefault("indent", 2)
    text = json.dumps(_finite(data), allow_nan=False, **dumps) + "\n"
    return write_text(path, text, name=name)


def _finite(x: Any) -> Any:
    """``x`` with every NaN or infinite float (in dicts, lists and tuples) replaced by None."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    return x
