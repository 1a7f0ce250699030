"""Compiled backprop reference (golden_model.studies.backprop): its gradient is float_network's backprop, its
update is SGD (with momentum) on that gradient, it reaches the XOR target, its timing leaves compile time out,
it is deterministic per seed, and bad arguments are refused. Float math: compared with assert_allclose."""

from __future__ import annotations

import json

import numpy as np
import pytest

from golden_model.config import NetworkConfig, apply_overrides, from_preset
from golden_model.float_network import FloatNetwork
from golden_model.params import init_theta
from golden_model.studies import backprop as bp
from golden_model.studies.backprop import BackpropError, compiled_time_to_accuracy, gradient


def _float_gradients(network: NetworkConfig, theta: np.ndarray, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    net = FloatNetwork(network)
    return np.array([net.backprop(theta[None], x[i:i + 1], t[i:i + 1])[0] for i in range(len(x))])


@pytest.mark.parametrize("layers, hidden, output, cost", [
    ((3, 4, 1), "sigmoid", "sigmoid", "mse"),
    ((3, 5, 4, 2), "tanh", "sigmoid", "l1"),
    ((3, 4, 2), "hard_sigmoid", "linear", "mse"),
    ((3, 4, 2), "relu", "sigmoid", "cross_entropy"),
    ((3, 4, 2), "clipped_relu", "hard_tanh", "mse"),
])
def test_gradient_equals_float_network_backprop(layers, hidden, output, cost):
    network = NetworkConfig(layers=layers, activation=hidden, output_activation=output, cost=cost)
    rng = np.random.default_rng(5)
    theta = init_theta(layers, 7, 2.0)
    x = rng.uniform(0.0, 1.0, size=(6, layers[0]))
    t = (rng.uniform(size=(6, layers[-1])) > 0.5).astype(np.float64)
    g = gradient(network, theta, x, t)
    assert g.shape == (6, theta.size)
    np.testing.assert_allclose(g, _float_gradients(network, theta, x, t), rtol=1e-9, atol=1e-12)


def _one_sample_run(network, theta0, x, t, eta, gamma, samples):
    layers, acts, cost_code = bp._codes(network)
    theta = theta0.copy()
    bp._train(theta, x, t, x, t, layers, acts, cost_code, eta, gamma, 0, samples, 0, 2.0)
    return theta


def test_training_steps_are_sgd_and_momentum_on_that_gradient():
    network = NetworkConfig(layers=(3, 4, 2))
    theta0 = init_theta(network.layers, 3)
    x, t = np.array([[0.2, 0.9, 0.4]]), np.array([[1.0, 0.0]])  # one sample: every step sees it
    eta, gamma = 0.7, 0.9
    g0 = _float_gradients(network, theta0, x, t)[0]
    np.testing.assert_allclose(_one_sample_run(network, theta0, x, t, eta, 0.0, 1), theta0 - eta * g0,
                               rtol=1e-12, atol=1e-15)
    v1 = -eta * g0
    theta1 = theta0 + v1
    v2 = gamma * v1 - eta * _float_gradients(network, theta1, x, t)[0]
    np.testing.assert_allclose(_one_sample_run(network, theta0, x, t, eta, gamma, 2), theta1 + v2,
                               rtol=1e-12, atol=1e-15)


def test_reaches_the_xor_target_within_its_budget():
    config = from_preset("xor")
    r = compiled_time_to_accuracy(config, repeats=3, seed=1)
    assert r.solve_rate == 1.0 and r.median_time_s is not None and r.median_time_s > 0
    assert (r.eta, r.momentum) == bp.TUNED["xor"] and r.max_epochs == bp.MAX_EPOCHS["xor"]
    assert all(0 < s <= r.max_epochs * r.n_train and s % r.eval_every == 0 for s in r.samples)
    assert all(a >= config.task.target_accuracy for a in r.final_accuracy)
    assert r.median_epochs == r.median_samples / 4
    json.dumps(r.to_dict())  # what summary.json stores
    assert r.to_dict()["solve_rate"] == 1.0 and r.to_dict()["reference"] == "compiled backprop (numba)"


def test_a_seed_that_misses_the_target_has_no_time():
    r = compiled_time_to_accuracy(from_preset("xor"), repeats=2, seed=1, max_epochs=1)
    assert r.solve_rate == 0.0 and r.median_time_s is None and r.median_epochs is None
    assert r.times_s == (None, None) and r.samples == (None, None)


def test_timing_excludes_compile():
    compile_s = bp.compile_seconds()  # compiles _train once per process, measured once
    assert compile_s > 0 and bp.compile_seconds() == compile_s
    signatures = list(bp._train.signatures)
    assert len(signatures) == 1
    r = compiled_time_to_accuracy(from_preset("xor"), repeats=2, seed=1)
    assert list(bp._train.signatures) == signatures  # the timed calls compiled nothing
    assert r.compile_s == compile_s and r.compile_cached == bp.compile_cached()
    if not r.compile_cached:
        assert max(r.times_s) < compile_s  # ~100 us of training vs seconds of compilation


def test_deterministic_for_a_seed():
    config = from_preset("xor")
    a = compiled_time_to_accuracy(config, repeats=3, seed=1, timing_repeats=1)
    b = compiled_time_to_accuracy(config, repeats=3, seed=1, timing_repeats=1)
    assert a.samples == b.samples and a.final_accuracy == b.final_accuracy
    # a seed's run does not depend on where the series of seeds starts
    c = compiled_time_to_accuracy(config, repeats=1, seed=2, timing_repeats=1)
    assert c.seeds == (2,) and c.samples[0] == a.samples[1]


def test_overrides_and_target():
    config = apply_overrides(from_preset("xor"), ["task.target_accuracy=0.75"])
    r = compiled_time_to_accuracy(config, repeats=2, seed=1, eta=0.5, momentum=0.0, eval_every=8)
    assert (r.eta, r.momentum, r.eval_every, r.target_accuracy) == (0.5, 0.0, 8, 0.75)
    assert all(a >= 0.75 for a in r.final_accuracy)


@pytest.mark.parametrize("kwargs, message", [
    ({"repeats": 0}, "repeats must be an integer >= 1, not 0"),
    ({"repeats": 1.5}, "repeats must be an integer >= 1, not 1.5"),
    ({"seed": -1}, "seed must be an integer >= 0, not -1"),
    ({"eta": 0.0}, "eta must be a finite number > 0, not 0.0"),
    ({"eta": float("inf")}, "eta must be a finite number > 0, not inf"),
    ({"momentum": 1.0}, "momentum must be a number >= 0 and < 1, not 1.0"),
    ({"max_epochs": 0}, "max_epochs must be an integer >= 1, not 0"),
    ({"eval_every": 0}, "eval_every must be an integer >= 1, not 0"),
    ({"timing_repeats": 0}, "timing_repeats must be an integer >= 1, not 0"),
    ({"target": 1.5}, "target must be a number from 0 to 1, not 1.5"),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(BackpropError, match="^" + message.replace(".", r"\.") + "$"):
        compiled_time_to_accuracy(from_preset("xor"), **kwargs)


def test_bad_config_and_shapes_are_refused():
    with pytest.raises(BackpropError, match="config must be an MGDConfig, not str"):
        compiled_time_to_accuracy("xor")
    network = NetworkConfig(layers=(2, 2, 1))
    with pytest.raises(BackpropError, match=r"theta must have shape \(9,\), not \(8,\)"):
        gradient(network, np.zeros(8), np.zeros((1, 2)), np.zeros((1, 1)))
    with pytest.raises(BackpropError, match=r"x and t must have shapes \(S, 2\) and \(S, 1\)"):
        gradient(network, np.zeros(9), np.zeros((1, 3)), np.zeros((1, 1)))
