"""The generated folded MGD core in Icarus and Verilator, bit for bit against the fixed-point golden model.

The same contract bench as the spatial core (:mod:`testbench.core_tests`): digests and status at every
check, every parameter read back through ``rd`` (after the core's ``readback_latency``) at intervals and at
the end. Cases span both perturbation modes, several P (including P that does not divide a layer, and P
above the widest layer: PE x SIMD), depths
1-3, τ's, momentum, roundings, wrap and l1, and a streamed sample store (``hardware.samples = "stream"``:
the bench loads the training set through ``load`` first), also with a training set the Verilog was not
generated for.
Icarus runs a short prefix of each (it is 10-50x slower on this design); Verilator runs longer and measures
cycles per step free-running against the core's own schedule.
"""

from __future__ import annotations

import numpy as np
import pytest

from golden_model.config import apply_overrides, from_preset, to_toml
from golden_model.fixed_network import FixedSpec
from rtl.cores import core_inputs
from testbench import runner
from testbench.cosim import REFUSAL_BENCH, run_cosim

pytestmark = pytest.mark.cosim

# Everything a case depends on is pinned, so that retuned presets change nothing here.
PINNED = ["network.init_scale=1.0", "network.cost=mse", "mgd.optimizer=sgd", "mgd.seed=1",
          "fixed.hw_activation=hard_sigmoid", "fixed.overflow=saturate", "fixed.rounding=half_up",
          "fixed.momentum_shift=0", "hardware.style=\"folded\""]

# name: (preset, overrides, icarus steps, verilator steps)
CASES = {
    "xor-231-weight-P2-taus-momentum": (
        "xor", ["network.layers=[2,3,1]", "mgd.perturbation=weight", "mgd.tau_x=2", "mgd.tau_p=3",
                "mgd.tau_theta=4", "fixed.momentum_shift=1", "fixed.rounding=convergent", "fixed.eta_shift=1",
                "fixed.amplitude_shift=4", "hardware.lanes=2"], 120, 3000),
    "parity4-4531-node-P3-l1-wrap": (
        "parity4", ["network.layers=[4,5,3,1]", "mgd.perturbation=node", "network.cost=l1",
                    "fixed.overflow=wrap", "fixed.cost=UQ2.12", "mgd.tau_theta=2", "mgd.tau_x=2",
                    "fixed.amplitude_shift=4", "fixed.eta_shift=2", "hardware.lanes=3"], 80, 3000),
    "nist-4944-weight-P4-floor": (
        "nist7x7", ["network.layers=[49,4,4]", "mgd.perturbation=weight", "fixed.rounding=floor",
                    "fixed.amplitude_shift=6", "fixed.eta_shift=3", "hardware.lanes=4"], 30, 1000),
    "nist-49164-node-P8": ("nist7x7", ["hardware.lanes=8"], 20, 1000),
    "nist-4944-weight-P4-stream": (
        "nist7x7", ["network.layers=[49,4,4]", "mgd.perturbation=weight", "fixed.amplitude_shift=6",
                    "fixed.eta_shift=3", "mgd.tau_theta=2", "hardware.lanes=4", "hardware.samples=stream"],
        20, 600),
    # P above the widest layer: PE x SIMD (16 x 2: rows 50 and 17, the second with an idle slot after the
    # bias; 2 x 4 with momentum)
    "nist-49164-node-P32-simd2": ("nist7x7", ["hardware.lanes=32", "mgd.tau_x=2"], 10, 600),
    "xor-221-weight-P8-simd4-momentum": (
        "xor", ["mgd.perturbation=weight", "fixed.momentum_shift=2", "fixed.eta_shift=1", "mgd.tau_theta=2",
                "fixed.rounding=convergent", "hardware.lanes=8"], 100, 3000),
}


def _config(name: str):
    preset, overrides, _, _ = CASES[name]
    config = apply_overrides(from_preset(preset), [*PINNED, *overrides])
    need = FixedSpec.min_grad_width(config)  # G wide enough for the case's τ_θ, whatever the preset has
    return apply_overrides(config, [f"fixed.grad_width={max(need, config.fixed.grad_width)}"])


@pytest.mark.parametrize("sim", runner.SIMULATORS)
@pytest.mark.parametrize("name", list(CASES))
def test_folded_core_bit_exact(name, sim):
    runner.require_simulator(sim)
    config = _config(name)
    _, _, icarus_steps, verilator_steps = CASES[name]
    checked = icarus_steps if sim == "icarus" else verilator_steps
    free = 0 if sim == "icarus" else 20 * config.mgd.tau_theta
    r = run_cosim(config, sim, checked, name=name, free_steps=free)
    print("\n" + r.summary())
    assert r.bit_exact, f"{name} in {sim}: {r.mismatch}"
    assert r.style == "folded"
    assert r.steps == checked + free and r.updates_compared >= checked // config.mgd.tau_theta
    assert r.readbacks >= 2 and r.digest_checks >= checked // config.mgd.tau_theta, r.summary()
    if free:  # measured busy cycles equal the core's own schedule exactly
        assert r.cycles_per_step == r.bound_cycles_per_step, r.summary()
    if config.hardware.samples == "stream":  # 684 samples of 13 input words and 1 target word, a beat a clock
        assert r.load_beats == 684 * 14 and r.load_cycles == r.load_beats, r.summary()


def test_streamed_folded_core_trains_on_data_it_was_not_built_with():
    """The streamed core's Verilog, generated for NIST7x7 with task.data_seed 0, loaded with the training
    set of data_seed 1 (the same shape and sample codes, other images): bit-exact with the golden model
    trained on that set."""
    runner.require_simulator("verilator")
    built = _config("nist-4944-weight-P4-stream")
    loaded = apply_overrides(built, ["task.data_seed=1"])
    assert not np.array_equal(core_inputs(built).x, core_inputs(loaded).x)
    r = run_cosim(loaded, "verilator", 300, name="nist-stream-other-data", hardware=built)
    print("\n" + r.summary())
    assert r.bit_exact, r.mismatch
    assert r.load_beats == 684 * 14 and r.steps == 300 and r.readbacks >= 2


def test_bench_catches_folded_hardware_that_is_not_the_model():
    """Folded hardware built from another seed (other θ₀ and signs) fails with the parameter and its bits."""
    runner.require_simulator("icarus")
    config = _config("xor-231-weight-P2-taus-momentum")
    other = apply_overrides(config, ["mgd.seed=2"])
    r = run_cosim(config, "icarus", 8, name="folded-wrong-seed", hardware=other)
    assert not r.bit_exact
    assert "reset state differs: theta[" in r.mismatch, f"{r.mismatch}\n{to_toml(config)}"


@pytest.mark.parametrize("sim", runner.SIMULATORS)
def test_folded_core_refuses_unrunnable_taus(sim):
    """Host protocol step 1 in the folded Verilog (:func:`testbench.core_tests.core_refuses_unrunnable_taus`):
    τ_θ above the core's bound, a τ of 0, or other τ's after steps have run: refused, nothing changed; the
    config's τ's then run bit-exact. The model is the one the xor-231 case built."""
    runner.require_simulator(sim)
    config = _config("xor-231-weight-P2-taus-momentum")
    r = run_cosim(config, sim, config.mgd.tau_theta, name="folded-refuse-taus", bench=REFUSAL_BENCH)
    assert r.bit_exact, r.mismatch
    assert r.steps == 3 * config.mgd.tau_theta and r.readbacks >= 10, r.summary()
