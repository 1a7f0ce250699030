"""The foreign device (golden_model.device) and the fixed-point step with a pluggable cost source."""

from __future__ import annotations

import numpy as np
import pytest

from golden_model.config import resolve
from golden_model.device import ForeignDevice, train_model_loop, trainer_config
from golden_model.fixed_mgd import FixedMGD, Pass

NOISE = ["noise.gain_sigma=0.1", "noise.offset_sigma=0.05", "noise.cost_sigma=0.001"]


@pytest.mark.parametrize("mode", ["weight", "node"])
def test_step_asks_its_cost_source_for_the_schedules_passes(mode):
    """A cost source that records and delegates to the core's own network gives the default step's state,
    and is asked for a baseline pass exactly where the schedule takes one, with the model's θ."""
    config = resolve("xor", None, [f"mgd.perturbation={mode}", "mgd.tau_x=2", "mgd.tau_theta=3",
                                   "fixed.grad_width=20"])
    a, b = FixedMGD(config), FixedMGD(config)
    asked: list[Pass] = []

    def source(p: Pass):
        np.testing.assert_array_equal(p.theta, b.theta)
        asked.append(p)
        return b.network_pass(p)

    for n in range(30):
        sa, sb = a.step(), b.step(source)
        np.testing.assert_array_equal(sa.theta, sb.theta, err_msg=f"step {n} ({mode})")
        np.testing.assert_array_equal(sa.G, sb.G, err_msg=f"step {n} ({mode})")
        assert (sa.C, sa.C0) == (sb.C, sb.C0)
    kinds = [p.baseline for p in asked]
    assert kinds.count(False) == 30 and kinds.count(True) == sum(n % 2 == 0 or n % 3 == 0 for n in range(30))


def test_a_constant_cost_source_moves_nothing():
    """C_hat = 0 on every step: G stays 0 and θ at θ₀ (the cost source really decides the step)."""
    m = FixedMGD(resolve("xor", None, []))
    for _ in range(50):
        m.step(lambda p: (1234, None))
    assert not m.G.any() and m.C == m.C0 == 1234
    np.testing.assert_array_equal(m.theta, m.theta0)


def test_ideal_device_with_the_hardware_activation_is_the_fixed_network():
    """No variation, no noise, the hardware's activation on the device too: the device's cost is the fixed
    network's up to quantisation: within 64 cost LSBs of UQ1.16 (seen: 29 at most; the fixed network rounds
    every activation to 11 fraction bits), while a perturbation of 2**-2 moves it by thousands."""
    hard = ["network.activation=hard_sigmoid", "network.output_activation=hard_sigmoid"]
    config = resolve("xor", None, hard)
    device, model = ForeignDevice(config), FixedMGD(config)
    rng = np.random.default_rng(7)
    for k in range(4):
        for baseline in (True, False):
            signs = rng.choice([-1, 1], size=model.spec.n_lanes)
            p = Pass(model.theta0 + rng.integers(-2000, 2000, model.n_params), signs, k, baseline)
            got, want = device.cost(p)[0], model.network_pass(p)[0]
            assert abs(got - want) <= 64, (k, baseline, got, want)


def test_device_is_seeded_and_its_cost_saturates():
    config = resolve("xor", None, ["noise.gain_sigma=0.2", "noise.cost_sigma=3.0"])
    theta = FixedMGD(trainer_config(config)).theta0
    passes = [Pass(theta, np.ones(9, dtype=np.int64), k % 4, k % 2 == 0) for k in range(200)]
    first = ForeignDevice(config)
    a = [first.cost(p)[0] for p in passes]
    d = ForeignDevice(config)
    b = [d.cost(p)[0] for p in passes]
    assert a == b and d.reads == 200
    top = d.spec.cost_fmt.max_int  # UQ1.16: noise of sigma 3 reaches below 0 and above the top
    assert min(a) == 0 and max(a) == top and all(0 <= c <= top for c in a)
    other = ForeignDevice(resolve("xor", None, ["noise.gain_sigma=0.2", "mgd.seed=2"]))
    assert not np.array_equal(other.net.variation.gain, d.net.variation.gain)


def test_node_mode_device_returns_the_layer_inputs():
    """Node mode: a baseline pass also returns every layer's input in activation LSBs; the first layer's
    is the sample as the trainer's own sample ROM holds it."""
    config = resolve("xor", None, ["mgd.perturbation=node", *NOISE])
    device, model = ForeignDevice(config), FixedMGD(trainer_config(config))
    for k in range(4):
        _, inputs = device.cost(Pass(model.theta0, np.ones(3, dtype=np.int64), k, True))
        assert [len(a) for a in inputs] == [2, 2]
        np.testing.assert_array_equal(inputs[0], model.data.x_train[k])
        assert all(0 <= v <= 1 << model.spec.A_f for v in inputs[1])
        assert device.cost(Pass(model.theta0, np.ones(3, dtype=np.int64), k, False))[1] is None


def test_fixed_trainer_trains_the_noisy_device():
    """The loop without RTL: XOR on a device with variation and cost noise reaches 100 % (seed 4)."""
    config = resolve("xor", None, [*NOISE, "mgd.seed=4"])
    r = train_model_loop(config, 1500, 100)
    assert r["final"][1] == 1.0 and r["steps_to_target"] is not None, r["curve"]
    assert r["reads"] == 3000
