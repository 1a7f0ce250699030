"""The generated MGD core in Icarus and Verilator, bit for bit against the fixed-point golden model.

Every case trains on the RTL with every θ and G compared with :class:`golden_model.fixed_mgd.FixedMGD`
after every update (and mid-block every eighth block when τ_θ > 1), and checks the train accuracy the
RTL's θ reaches. Four format configurations (A, B, C below and the tuned presets' D), XOR and 4-bit parity,
weight and node mode.

Icarus runs this design about 10× (XOR) to 100× (parity, 49 parameters) slower than Verilator, so in
Icarus only :data:`ICARUS_TRAINS` train to 100 % (XOR, weight and node mode, formats A and C) and the other
cases check a bit-exact prefix of :data:`ICARUS_PREFIX` steps; Verilator trains every case.
"""

from __future__ import annotations

import pytest

from golden_model.config import apply_overrides, from_preset, to_toml
from testbench import runner
from testbench.cosim import REFUSAL_BENCH, run_cosim

pytestmark = pytest.mark.cosim

# Format configurations (fixed-point formats, rounding, overflow).
FORMAT_A = ["fixed.theta=Q3.12", "fixed.activation=UQ1.7", "fixed.cost=UQ3.12", "fixed.rounding=floor"]
FORMAT_B = ["fixed.theta=Q2.10", "fixed.activation=UQ1.6", "fixed.cost=UQ2.10", "fixed.rounding=half_up",
            "fixed.grad_width=24"]
FORMAT_C = ["fixed.theta=Q4.11", "fixed.activation=UQ1.8", "fixed.cost=UQ4.12", "fixed.rounding=convergent"]

# Everything a case depends on is pinned here, so retuned presets do not change what is tested.
PINNED = ["network.init_scale=1.0", "network.cost=mse", "mgd.optimizer=sgd", "mgd.tau_x=1", "mgd.tau_p=1",
          "mgd.tau_theta=1", "mgd.seed=1", "fixed.hw_activation=hard_sigmoid", "fixed.overflow=saturate",
          "fixed.momentum_shift=0", "fixed.grad_width=32", "fixed.lfsr_width=16"]
LAYERS = {"xor": "network.layers=[2,2,1]", "parity4": "network.layers=[4,8,1]"}

# name: (preset, overrides, steps to train, required train accuracy)
CASES = {
    "xor-weight-A": ("xor", ["mgd.perturbation=weight", *FORMAT_A, "fixed.amplitude_shift=4",
                             "fixed.eta_shift=0"], 6000, 1.0),
    "xor-node-C": ("xor", ["mgd.perturbation=node", *FORMAT_C, "fixed.amplitude_shift=4",
                           "fixed.eta_shift=0"], 10000, 1.0),
    "parity4-weight-A": ("parity4", ["mgd.perturbation=weight", *FORMAT_A, "fixed.amplitude_shift=3",
                                     "fixed.eta_shift=1", "mgd.seed=3"], 17000, 1.0),
    # seed 5: with the momentum rule of spec step 6 (M in G units, decay away from zero) seed 1 no longer
    # reaches 100 % within 100k steps here (3 of seeds 1-10 did with the old floor rule, 2 do now); seed 5
    # does at step 6000 and stays there
    "parity4-node-A-momentum": ("parity4", ["mgd.perturbation=node", *FORMAT_A, "fixed.amplitude_shift=3",
                                            "fixed.eta_shift=0", "fixed.momentum_shift=2", "mgd.seed=5"],
                                8000, 1.0),
}
# Icarus runs this design 10-100x slower than Verilator: there, two XOR cases (weight and node mode, two
# formats) train to 100 % and the other cases check a bit-exact prefix; Verilator trains every case.
ICARUS_TRAINS = ("xor-weight-A", "xor-node-C", "xor-preset-node")
ICARUS_PREFIX = {"xor": 1500, "parity4": 300}
# The presets as the fixed-point engineer tuned them (format D: Q3.12 / UQ1.11 / UQ1.16, half_up, 18-bit G,
# momentum): the steps to train are whatever the golden model needs (first evaluation at 100 %).
PRESET_CASES = {"xor-preset-weight": ("xor", "weight"), "xor-preset-node": ("xor", "node")}


def _config(name: str):
    if name in PRESET_CASES:
        preset, mode = PRESET_CASES[name]
        return apply_overrides(from_preset(preset), [f"mgd.perturbation={mode}"])
    preset, overrides, _, _ = CASES[name]
    return apply_overrides(from_preset(preset), [*PINNED, LAYERS[preset], *overrides])


def _steps_to_train(config) -> int:
    """First ``task.eval_every`` multiple at which the golden model's train accuracy is 100 %."""
    from golden_model.fixed_mgd import FixedMGD

    model = FixedMGD(config)
    while model.n < config.task.steps:
        model.run(config.task.eval_every, record=False)
        if model.evaluate()[1] >= 1.0:
            return model.n
    pytest.fail(f"the golden model itself does not train this preset within {config.task.steps} steps:\n"
                f"{to_toml(config)}")


@pytest.mark.parametrize("sim", runner.SIMULATORS)
@pytest.mark.parametrize("name", [*CASES, *PRESET_CASES])
def test_core_trains_bit_exact(name, sim):
    runner.require_simulator(sim)
    config = _config(name)
    preset = PRESET_CASES[name][0] if name in PRESET_CASES else CASES[name][0]
    short = sim == "icarus" and name not in ICARUS_TRAINS
    accuracy = 1.0
    if short:
        checked = ICARUS_PREFIX[preset]
    else:
        checked = _steps_to_train(config) if name in PRESET_CASES else CASES[name][2]
    r = run_cosim(config, sim, checked, name=name, free_steps=0 if short else 200 * config.mgd.tau_theta)
    print("\n" + r.summary())
    assert r.bit_exact, f"{name} in {sim}: {r.mismatch}"
    assert r.updates_compared >= checked // config.mgd.tau_theta and r.steps >= checked
    if not short:
        assert r.cycles_per_step == pytest.approx(r.bound_cycles_per_step), r.summary()
        assert r.final[1] >= accuracy, (f"{name} in {sim}: train accuracy {r.final[1]} < {accuracy} after "
                                        f"{checked} steps (seed {config.mgd.seed}); "
                                        f"config:\n{to_toml(config)}")


def test_core_with_taus_and_momentum_bit_exact():
    """τ_x < τ_θ, τ_p > 1, momentum, wrap overflow, l1 cost, another layer size (G also mid-block)."""
    runner.require_simulator("verilator")
    config = apply_overrides(from_preset("xor"), [
        "network.layers=[2,3,1]", "network.cost=l1", "mgd.perturbation=weight", "mgd.tau_x=2", "mgd.tau_p=3",
        "mgd.tau_theta=6", *FORMAT_B, "fixed.overflow=wrap", "fixed.momentum_shift=1",
        "fixed.amplitude_shift=4", "fixed.eta_shift=1", "mgd.seed=5"])
    r = run_cosim(config, "verilator", 3000, name="xor-231-taus-B", free_steps=600)
    print("\n" + r.summary())
    assert r.bit_exact, r.mismatch
    assert r.cycles_per_step == pytest.approx(r.bound_cycles_per_step)


def test_bench_catches_hardware_that_is_not_the_model():
    """Hardware generated from another seed (other θ₀ and signs) must fail with step/parameter/bits."""
    runner.require_simulator("icarus")
    config = _config("xor-weight-A")
    other = apply_overrides(config, ["mgd.seed=2"])
    r = run_cosim(config, "icarus", 20, name="wrong-seed", hardware=other)
    assert not r.bit_exact
    assert "reset state differs" in r.mismatch or "parameter" in r.mismatch, r.mismatch


def test_taus_are_run_time_registers():
    """Verilog generated with τ's = 1 runs τ_x = 3, τ_p = 2, τ_θ = 4 bit-exact: the bench loads them at
    run time."""
    runner.require_simulator("icarus")
    hardware = _config("xor-weight-A")
    config = apply_overrides(hardware, ["mgd.tau_x=3", "mgd.tau_p=2", "mgd.tau_theta=4"])
    r = run_cosim(config, "icarus", 200, name="run-time-taus", hardware=hardware)
    assert r.bit_exact, r.mismatch
    assert r.updates_compared == 50


@pytest.mark.parametrize("sim", runner.SIMULATORS)
def test_core_refuses_unrunnable_taus(sim):
    """Host protocol step 1 in the Verilog (:func:`testbench.core_tests.core_refuses_unrunnable_taus`): a
    start with τ_θ above the core's bound, a τ of 0, or other τ's after steps have run is refused with
    nothing changed, also when the check driver starts it; the config's τ's then run bit-exact. The model
    is the one xor-weight-A built."""
    runner.require_simulator(sim)
    r = run_cosim(_config("xor-weight-A"), sim, 4, name="refuse-taus", bench=REFUSAL_BENCH)
    assert r.bit_exact, r.mismatch
    assert r.steps == 12 and r.readbacks >= 10, r.summary()  # three runs; seven refusals, one a command


def test_core_with_faults_bit_exact():
    """Cost noise, update noise and a stuck parameter (spec "Faults") in the Verilog: every update
    bit-exact (the amaranth.sim benches check every step, ``testbench/sim/test_core.py``)."""
    runner.require_simulator("verilator")
    config = apply_overrides(_config("xor-weight-A"), [
        "fixed.cost_noise_bits=4", "fixed.cost_noise_shift=3", "fixed.update_noise_bits=2",
        "fixed.update_noise_shift=1", "fixed.stuck_params=[3]"])
    r = run_cosim(config, "verilator", 800, name="xor-weight-faults", free_steps=200)
    print("\n" + r.summary())
    assert r.bit_exact, r.mismatch
    assert r.updates_compared >= 800
