"""Running the YoWASP tools (Yosys, nextpnr) the one WASI-safe way, and reading their versions."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from rtl.synth.targets import SynthesisError

__all__ = ["tool_path", "run_tool", "nextpnr_version", "pkg_version", "tail"]


# --------------------------------------------------------------------------------------------- tools


def tool_path(name: str) -> str:
    """The YoWASP executable ``name``: beside the running Python (the venv) first, then on ``PATH``."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise SynthesisError(f"synthesis tool {name!r} not found next to {sys.executable} or on PATH; "
                             f"install the PyPI package {name!r}")
    return found


def run_tool(name: str, args: list[str], cwd: Path,
             timeout_s: float | None = None) -> tuple[subprocess.CompletedProcess, bool]:
    """Run YoWASP tool ``name`` in ``cwd`` with file arguments relative to it (the one WASI-safe way).

    Returns the completed process and whether the tool compiled its WebAssembly first (a cold cache).
    With ``timeout_s`` the tool is killed after that many seconds and ``subprocess.TimeoutExpired`` raised.
    """
    for a in args:
        if os.path.isabs(a) or os.sep in a:
            raise SynthesisError(f"internal: YoWASP argument {a!r} must be a bare file name in the build "
                                 "folder (absolute paths are not the host's inside the WASI sandbox)")
    proc = subprocess.run([tool_path(name), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout_s)
    cold = "Preparing to run" in proc.stderr
    return proc, cold


@functools.cache
def nextpnr_version(name: str) -> str:
    with tempfile.TemporaryDirectory() as d:
        proc, _ = run_tool(name, ["--version"], Path(d))
    m = re.search(r"Version\s+([^)\s]+)", proc.stdout + proc.stderr)
    return m.group(1) if m else "unknown"


def pkg_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def tail(path: Path, text: str = "", lines: int = 15) -> str:
    body = path.read_text(errors="replace") if path.exists() else ""
    body = (body + "\n" + text).strip().splitlines()
    return "\n".join("    " + ln for ln in body[-lines:])
