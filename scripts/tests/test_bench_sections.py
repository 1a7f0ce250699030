"""``mgd bench`` sections ``cosim``, ``synth`` and ``folded``: registered, and a tiny amaranth.sim run gives
sane figures.

No timing assertions: these are benchmarks. The amaranth.sim part needs no external simulator.
"""

from __future__ import annotations

import importlib

import pytest

from golden_model.config import apply_overrides, from_preset
from golden_model.studies.fixed_bench import FIXED_CASES
from rtl.folded.core import CORRELATE_GAP, LAYER_GAP, RUN_SETUP
from scripts.cmd_bench import SECTIONS
from scripts.flows.bench import (
    COSIM_CASES,
    CompareError,
    _wide_enough,
    amaranth_throughput,
    model_over_rtl,
)
from testbench import runner


@pytest.mark.parametrize("name", ["cosim", "synth", "folded"])
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


def test_folded_schedule_table_is_the_schedule_and_measures_it():
    """``mgd bench --only folded``: each point's derived cycles per step is golden_model.schedule's count
    (computed here from the fold by hand), ⌈MACs/P⌉ its pass bound; a P the fold cannot split is reported
    refused; one small point measured in Verilator equals the derivation."""
    from scripts.flows.bench import folded_schedule

    table = folded_schedule(tasks=("nist7x7",), lanes=(8, 32, 17), modes=("weight", "node"), measure=False)
    lg, cg = LAYER_GAP, CORRELATE_GAP
    # 49-16-4: P = 8 is 8 x 1 (2 groups x 50 items, 1 group x 17), P = 32 is 16 x 2 (1 x 25, 1 x 9)
    work8, work32 = 2 * 50 + 17, 25 + 9
    assert table["nist7x7 49-16-4 weight P=8"]["cycles/step derived"] == 3 * work8 + 2 * 2 * lg + cg
    assert table["nist7x7 49-16-4 weight P=32"]["cycles/step derived"] == 3 * work32 + 2 * 2 * lg + cg
    assert table["nist7x7 49-16-4 node P=32"]["cycles/step derived"] == 2 * work32 + 1 + 9 + 2 * 2 * lg + cg
    assert table["nist7x7 49-16-4 node P=32"]["PE x SIMD"] == "16 x 2"
    assert table["nist7x7 49-16-4 weight P=32"]["ceil(MACs/P) per pass"] == -(-(49 * 16 + 16 * 4) // 32)
    assert table["nist7x7 49-16-4 weight P=17"].startswith("refused: hardware.lanes must be at most 16")
    runner.require_simulator("verilator")
    [measured] = [v for k, v in folded_schedule(tasks=("xor",), lanes=(8,), modes=("node",), checked_steps=10,
                                                free_steps=40).items() if k != "configuration"]
    assert measured["bit_exact"] and measured["PE x SIMD"] == "2 x 4"
    assert measured["cycles/step measured"] == measured["cycles/step schedule of the run (setup included)"]
    # two passes of two layers (one item and a gap each), a sweep of two items and its gap, the run's setup
    # (the τ check's register and the sequencer's first clock) over the 40 free-running steps
    step = 2 * 2 * (1 + lg) + 2 + cg
    assert measured["cycles/step measured"] == pytest.approx(step + RUN_SETUP / 40), measured
