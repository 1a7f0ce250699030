"""``mgd bench`` sections ``cosim`` and ``synth``: registered, and a tiny amaranth.sim run gives sane figures.

No timing assertions: these are benchmarks. The amaranth.sim part needs no external simulator.
"""

from __future__ import annotations

import importlib

import pytest

from golden_model.config import apply_overrides, from_preset
from scripts.cmd_bench import SECTIONS
from testbench.bench import CompareError, _grad_width_for, amaranth_throughput
from testbench.cosim import ideal_cycles_per_step


@pytest.mark.parametrize("name", ["cosim", "synth"])
def test_section_is_registered_and_resolves(name):
    targets = dict(SECTIONS)
    assert name in targets
    module, func = targets[name].split(":")
    assert callable(getattr(importlib.import_module(module), func))


@pytest.mark.parametrize("taus", [(1, 1), (3, 2)])
def test_amaranth_sim_throughput_is_sane(taus):
    t, p = taus
    config = apply_overrides(from_preset("xor"), [f"mgd.tau_x={t}", f"mgd.tau_theta={t}", f"mgd.tau_p={p}",
                                                   f"fixed.grad_width={_grad_width_for(t)}"])
    steps = 6 * t
    fig = amaranth_throughput(config, steps)
    assert fig["steps"] == steps
    assert fig["steps_per_s"] > 0 and fig["cycles_per_s"] > 0 and fig["seconds"] > 0
    # the core's own cycle counter over a free run equals the ideal one-pass-per-clock schedule
    ideal = ideal_cycles_per_step(config, fig["latency"], 0, steps)
    assert fig["cycles_per_step"] == pytest.approx(ideal, abs=1e-9)


def test_amaranth_sim_throughput_refuses_bad_steps():
    with pytest.raises(CompareError, match="steps must be an integer >= 1, not 0"):
        amaranth_throughput(from_preset("xor"), 0)
