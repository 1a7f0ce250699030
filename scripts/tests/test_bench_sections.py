"""``mgd bench`` sections ``cosim`` and ``synth``: registered, and a tiny amaranth.sim run gives sane figures.

No timing assertions: these are benchmarks. The amaranth.sim part needs no external simulator.
"""

from __future__ import annotations

import importlib

import pytest

from golden_model.config import apply_overrides, from_preset
from golden_model.studies.fixed_bench import FIXED_CASES
from scripts.cmd_bench import SECTIONS
from scripts.flows.bench import (
    COSIM_CASES,
    CompareError,
    _wide_enough,
    amaranth_throughput,
    model_over_rtl,
)


@pytest.mark.parametrize("name", ["cosim", "synth"])
def test_section_is_registered_and_resolves(name):
    targets = dict(SECTIONS)
    assert name in targets
    module, func = targets[name].split(":")
    assert callable(getattr(importlib.import_module(module), func))


@pytest.mark.parametrize("taus", [(1, 1), (3, 2)])
def test_amaranth_sim_throughput_is_sane(taus):
    t, p = taus
    config = _wide_enough(apply_overrides(from_preset("xor"), [f"mgd.tau_x={t}", f"mgd.tau_theta={t}",
                                                                f"mgd.tau_p={p}"]))
    steps = 6 * t
    fig = amaranth_throughput(config, steps)
    assert fig["steps"] == steps
    assert fig["steps_per_s"] > 0 and fig["cycles_per_s"] > 0 and fig["seconds"] > 0
    # the core's own cycle counter over a free run equals its schedule, (T + 1 + L) / T with L = 5
    assert fig["cycles_per_step"] == fig["schedule_cycles_per_step"] == (t + 1 + 5) / t


def test_amaranth_sim_throughput_refuses_bad_steps():
    with pytest.raises(CompareError, match="steps must be an integer >= 1, not 0"):
        amaranth_throughput(from_preset("xor"), 0)


def test_fixed_bench_measures_the_same_runs_as_the_cosim_bench():
    """The model-vs-RTL ratio compares like with like: every co-simulated case is a fixed-model case too."""
    for name, case in COSIM_CASES.items():
        assert FIXED_CASES.get(name) == case, name


def test_model_over_rtl_divides_by_the_fastest_simulation():
    cosim = {"xor 2-2-1 weight": {
        "amaranth.sim": {"steps_per_s": 400.0},
        "icarus": {"free steps/s": 600.0, "checked steps/s": 450.0},
        "verilator": {"free steps/s": 25000.0, "checked steps/s": 8000.0}}}
    fixed = {"xor 2-2-1 weight: steps/s": 500000, "xor 2-2-1 weight: steps/s with trace": 100000}
    got = model_over_rtl(fixed, cosim)
    assert list(got) == ["xor 2-2-1 weight"]
    row = got["xor 2-2-1 weight"]
    assert row["fastest RTL simulation"] == "verilator free-running, 25000.0 steps/s"
    assert row["times the fastest RTL"] == 20.0 and row["times the fastest RTL, with trace"] == 4.0
    # a simulator that was not measured is reported as a string and left out of the comparison
    cosim["xor 2-2-1 weight"]["verilator"] = "not measured: verilator not found"
    fastest = model_over_rtl(fixed, cosim)["xor 2-2-1 weight"]["fastest RTL simulation"]
    assert fastest.startswith("icarus free")
