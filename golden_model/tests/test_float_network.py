"""Float network: activation and cost definitions, a hand-computed forward pass, backprop against finite
differences (also with device variation)."""

from __future__ import annotations

import numpy as np
import pytest

from golden_model.config import NetworkConfig, NoiseConfig
from golden_model.errors import MGDError
from golden_model.float_network import DeviceVariation, FloatNetwork, activate, cost
from golden_model.params import init_theta

SEED = 11


def test_activation_definitions():
    z = np.array([-3.0, -1.0, 0.0, 0.5, 1.0, 3.0])
    np.testing.assert_allclose(activate("hard_sigmoid", z), [0.0, 0.25, 0.5, 0.625, 0.75, 1.0])
    np.testing.assert_allclose(activate("hard_tanh", z), [-1.0, -1.0, 0.0, 0.5, 1.0, 1.0])
    np.testing.assert_allclose(activate("clipped_relu", z), [0.0, 0.0, 0.0, 0.5, 1.0, 1.0])
    np.testing.assert_allclose(activate("relu", z), [0.0, 0.0, 0.0, 0.5, 1.0, 3.0])
    np.testing.assert_allclose(activate("sigmoid", np.array([0.0])), [0.5])
    with pytest.raises(MGDError, match="activation must be one of .*, not 'swish'"):
        activate("swish", z)


def test_cost_definitions():
    y, t = np.array([[0.25, 0.5]]), np.array([[1.0, 0.0]])
    assert cost("mse", y, t)[0] == pytest.approx(0.75 ** 2 + 0.5 ** 2)  # sum over outputs, no 1/2
    assert cost("l1", y, t)[0] == pytest.approx(1.25)
    assert cost("cross_entropy", y, t)[0] == pytest.approx(-np.log(0.25) - np.log(0.5))


def test_forward_2_2_1_by_hand():
    net = FloatNetwork(NetworkConfig(layers=(2, 2, 1)))
    # canonical order: neuron by neuron, weights then bias
    theta = np.array([[1.0, -1.0, 0.5, 2.0, 1.0, -1.0, 1.0, -2.0, 0.25]])
    x = np.array([[1.0, 0.0]])
    s = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    h = [s(1.0 + 0.5), s(2.0 - 1.0)]
    y = s(1.0 * h[0] - 2.0 * h[1] + 0.25)
    assert net.forward(theta, x)[0, 0, 0] == pytest.approx(y, rel=1e-14)


def test_node_delta_equals_bias_shift():
    cfg = NetworkConfig(layers=(3, 4, 2))
    net = FloatNetwork(cfg)
    theta = init_theta(cfg.layers, SEED)[None]
    x = np.random.default_rng(SEED).uniform(size=(5, 3))
    d = np.zeros((1, 6))
    d[0, 1], d[0, 5] = 0.3, -0.2
    shifted = theta.copy()
    shifted[0, 1 * 4 + 3] += 0.3  # bias of hidden neuron 1
    shifted[0, 16 + 1 * 5 + 4] -= 0.2  # bias of output neuron 1
    np.testing.assert_allclose(net.forward(theta, x, node_delta=d), net.forward(shifted, x), rtol=1e-13)


def _numeric_grad(net, theta, x, t, h=1e-6):
    g = np.zeros_like(theta)
    for i in range(theta.shape[1]):
        e = np.zeros_like(theta)
        e[:, i] = h
        g[:, i] = (net.costs(theta + e, x, t).mean(1) - net.costs(theta - e, x, t).mean(1)) / (2 * h)
    return g


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu", "hard_sigmoid", "hard_tanh", "clipped_relu",
                                 "linear"])
@pytest.mark.parametrize("cost_name", ["mse", "l1", "cross_entropy"])
def test_backprop_matches_finite_difference(act, cost_name):
    out_act = "sigmoid" if cost_name == "cross_entropy" else act
    cfg = NetworkConfig(layers=(3, 5, 2), activation=act, output_activation=out_act, cost=cost_name)
    rng = np.random.default_rng(SEED)
    net = FloatNetwork(cfg)
    theta = np.stack([init_theta(cfg.layers, s, 2.0) for s in (SEED, SEED + 1)])
    x, t = rng.uniform(size=(4, 3)), rng.integers(0, 2, size=(4, 2)).astype(float)
    np.testing.assert_allclose(net.backprop(theta, x, t), _numeric_grad(net, theta, x, t), atol=1e-6,
                               err_msg=f"seed {SEED}")


def test_backprop_with_device_variation_and_node_gradient():
    cfg = NetworkConfig(layers=(3, 4, 2), activation="tanh")
    var = DeviceVariation.draw(NoiseConfig(gain_sigma=0.2, offset_sigma=0.1, saturation_sigma=0.1), 6, [SEED])
    net = FloatNetwork(cfg, var)
    theta = init_theta(cfg.layers, SEED, 2.0)[None]
    rng = np.random.default_rng(SEED)
    x, t = rng.uniform(size=(1, 3)), np.array([[1.0, 0.0]])
    ideal = FloatNetwork(cfg)
    assert not np.allclose(net.forward(theta, x), ideal.forward(theta, x)), "variation had no effect"
    np.testing.assert_allclose(net.backprop(theta, x, t), _numeric_grad(net, theta, x, t), atol=1e-7)
    # node gradient dC/dz: finite difference on the pre-activations
    gz = net.backprop(theta, x, t, node=True)
    for j in range(6):
        d = np.zeros((1, 6))
        d[0, j] = 1e-6
        num = (net.costs(theta, x, t, d) - net.costs(theta, x, t, -d))[0, 0] / 2e-6
        assert gz[0, j] == pytest.approx(num, abs=1e-7), f"neuron {j}, seed {SEED}"
