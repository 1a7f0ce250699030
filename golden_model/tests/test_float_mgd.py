"""Float MGD against hand-computed cases: TDMA is a finite difference, Walsh is exact for a linear cost,
code and node perturbation estimate the gradient in expectation, baseline/update timing, optimizers, noise."""

from __future__ import annotations

import numpy as np
import pytest

from golden_model.config import (
    MGDConfig,
    MGDSettings,
    NetworkConfig,
    NoiseConfig,
    TaskConfig,
    apply_overrides,
)
from golden_model.datasets import Dataset
from golden_model.errors import MGDError
from golden_model.float_mgd import FloatMGD, cosine, run_batch, train
from golden_model.params import init_theta

SEED = 7


PARITY3 = TaskConfig(dataset="parity", parity_bits=3)


def _config(layers=(2, 2, 1), task: TaskConfig | None = None, **mgd) -> MGDConfig:
    net = NetworkConfig(layers=layers, activation=mgd.pop("activation", "sigmoid"),
                        output_activation=mgd.pop("output_activation", "sigmoid"),
                        cost=mgd.pop("cost", "mse"))
    noise = NoiseConfig(**mgd.pop("noise", {}))
    return MGDConfig(network=net, mgd=MGDSettings(seed=SEED, **mgd), noise=noise,
                     task=task or TaskConfig(dataset="xor", steps=100, eval_every=10))


def _one_sample(x, t) -> Dataset:
    x, t = np.atleast_2d(np.asarray(x, float)), np.atleast_2d(np.asarray(t, float))
    return Dataset("one", x, t, x, t)


def _run(engine: FloatMGD, steps: int) -> None:
    for _ in range(steps):
        engine.step()


def test_tdma_equals_finite_difference():
    """Time multiplexing, one sample, no update: after N steps G_i = (C(θ + Δθ e_i) − C(θ)) / Δθ."""
    cfg = _config(multiplexing="time", delta=1e-3, tau_x=1000, tau_theta=1000)
    data = _one_sample([1.0, 0.0], [1.0])
    eng = FloatMGD(cfg, dataset=data)
    N = eng.n_perturbation
    assert N == 9
    _run(eng, N)
    theta = init_theta((2, 2, 1), SEED)[None]
    C0 = eng.net.costs(theta, data.x_train, data.t_train)[0, 0]
    fd = [(eng.net.costs(theta + 1e-3 * np.eye(9)[i], data.x_train, data.t_train)[0, 0] - C0) / 1e-3
          for i in range(9)]
    np.testing.assert_allclose(eng.G[0], fd, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(eng.theta[0], theta[0])  # no update yet


def test_walsh_exact_for_linear_cost_after_one_period():
    """Linear network, L1 cost with y > t everywhere: C is linear in θ, so one Walsh period gives
    G = (M/N)·∇C exactly (codes orthogonal, a²M/Δθ² = M/N)."""
    cfg = _config(layers=(3, 1), task=PARITY3, multiplexing="walsh", delta=0.01, tau_x=10 ** 5,
                  tau_theta=10 ** 5, activation="linear", output_activation="linear", cost="l1")
    data = _one_sample([0.2, 0.5, 0.9], [-10.0])
    eng = FloatMGD(cfg, dataset=data)
    M, N = eng.perturbation.period, eng.n_perturbation
    assert (M, N) == (4, 4)
    _run(eng, M)
    grad = np.array([0.2, 0.5, 0.9, 1.0])  # dC/dw = x, dC/db = 1
    np.testing.assert_allclose(eng.G[0], M / N * grad, rtol=1e-10)


@pytest.mark.parametrize("mode", ["weight", "node"])
@pytest.mark.parametrize("multiplexing", ["code", "frequency"])
def test_estimate_is_gradient_over_n_in_expectation(mode, multiplexing):
    cfg = _config(layers=(3, 4, 1), task=PARITY3, perturbation=mode, delta=1e-3, tau_x=10 ** 5,
                  tau_theta=10 ** 5, multiplexing=multiplexing)
    data = _one_sample([0.3, 0.9, 0.1], [1.0])
    eng = FloatMGD(cfg, dataset=data, seeds=[SEED, SEED + 1])
    T = 20000
    _run(eng, T)
    true = eng.net.backprop(eng.theta, data.x_train, data.t_train)
    est = eng.G / T * eng.n_perturbation
    c = cosine(est, true)
    assert (c > 0.97).all(), f"cosine {c}, seeds {eng.seeds}"
    ratio = np.linalg.norm(est, axis=1) / np.linalg.norm(true, axis=1)
    assert np.all(np.abs(ratio - 1) < 0.15), f"norm ratio {ratio}, seeds {eng.seeds}"


def test_node_and_weight_agree_in_expectation_on_one_layer_net():
    """One layer [49, 4], Walsh codes over one period: node-mode and weight-mode estimates, each scaled by
    its N (4 neurons vs 200 weights), both equal ∇C to first order in Δθ."""
    rng = np.random.default_rng(SEED)
    x = rng.uniform(size=(1, 49))
    t = np.array([[1.0, 0.0, 0.0, 0.0]])
    data = Dataset("one", x, t, x, t)
    net, task = NetworkConfig(layers=(49, 4)), TaskConfig(dataset="nist7x7")
    est = {}
    for mode in ("weight", "node"):
        settings = MGDSettings(seed=SEED, perturbation=mode, multiplexing="walsh", delta=1e-3,
                               tau_x=10 ** 5, tau_theta=10 ** 5)
        eng = FloatMGD(MGDConfig(network=net, mgd=settings, task=task), dataset=data)
        M = eng.perturbation.period
        _run(eng, M)
        est[mode] = eng.G[0] / M * eng.n_perturbation
        true = eng.net.backprop(eng.theta, x, t)[0]
    assert cosine(est["node"][None], est["weight"][None])[0] > 0.999, f"seed {SEED}"
    np.testing.assert_allclose(est["node"], true, rtol=2e-2, atol=1e-4, err_msg=f"seed {SEED}")
    np.testing.assert_allclose(est["weight"], true, rtol=2e-2, atol=1e-4, err_msg=f"seed {SEED}")


def test_baseline_pass_only_when_x_changes_or_theta_updated(monkeypatch):
    cfg = _config(tau_x=3, tau_theta=5, eta=1e-3)
    eng = FloatMGD(cfg)
    calls = []
    orig = eng._base_cost
    monkeypatch.setattr(eng, "_base_cost", lambda x, t: (calls.append(eng.n), orig(x, t))[1])
    _run(eng, 16)
    # x changes at 0,3,6,9,12,15; θ updated at the end of 4, 9, 14 -> baseline at 5, 10, 15
    assert calls == [0, 3, 5, 6, 9, 10, 12, 15]
    # C0 is the unperturbed cost of this step's sample at the current θ
    k = (15 // 3) % 4
    C0 = eng.net.costs(eng.theta, eng.x_train[k:k + 1], eng.t_train[k:k + 1])[:, 0]
    np.testing.assert_allclose(eng.C0, C0)


def test_analog_high_pass_follows_its_recursion_and_estimates_gradient():
    cfg = _config(cost_change="analog", tau_hp=50.0, tau_x=10 ** 5, tau_theta=4000, eta=1e-12, delta=1e-3)
    data = _one_sample([1.0, 1.0], [0.0])
    eng = FloatMGD(cfg, dataset=data, seeds=[SEED])
    Cs, hats = [], []
    for _ in range(6000):
        eng.step()
        Cs.append(eng.C[0])
        hats.append(eng.C_hat[0])
    k = 50 / 51
    expect = [0.0]
    for n in range(1, 6):
        expect.append(k * (expect[-1] + Cs[n] - Cs[n - 1]))
    np.testing.assert_allclose(hats[:6], expect, rtol=1e-12, atol=1e-18)
    true = eng.net.backprop(eng.theta, data.x_train, data.t_train)
    assert cosine(eng.G, true)[0] > 0.9, f"seed {SEED}"


def test_sgd_momentum_adam_by_hand():
    G1 = np.array([[0.5, -2.0]])
    from golden_model.optimizers import make_optimizer
    th = np.array([[1.0, 1.0]])
    make_optimizer(MGDSettings(optimizer="sgd", eta=0.1), th.shape).step(th, G1)
    np.testing.assert_allclose(th, [[0.95, 1.2]])
    th = np.array([[1.0, 1.0]])
    opt = make_optimizer(MGDSettings(optimizer="momentum", eta=0.1, momentum=0.5), th.shape)
    opt.step(th, G1)
    opt.step(th, G1)  # M1 = 0.1 G, M2 = 0.5*0.1 G + 0.1 G = 0.15 G
    np.testing.assert_allclose(th, 1.0 - 0.25 * G1)
    th = np.array([[1.0, 1.0]])
    opt = make_optimizer(MGDSettings(optimizer="adam", eta=0.01, adam_eps=1e-12), th.shape)
    opt.step(th, G1)  # first bias-corrected Adam step is η·sign(G)
    np.testing.assert_allclose(th, [[0.99, 1.01]])


def test_backprop_reference_steps_by_gradient_over_n():
    cfg = _config(eta=0.3)
    eng = FloatMGD(cfg, gradient="backprop")
    theta0 = eng.theta.copy()
    g = eng.net.backprop(theta0, eng.x_train[:1], eng.t_train[:1])
    eng.step()
    np.testing.assert_allclose(eng.theta, theta0 - 0.3 * g / 9, rtol=1e-12)


def test_cost_noise_and_update_noise():
    cfg = _config(delta=1e-9, eta=1e-12, noise={"cost_sigma": 0.01, "update_sigma": 0.001})
    eng = FloatMGD(cfg, seeds=list(range(SEED, SEED + 20)))
    theta0 = eng.theta.copy()
    hats = []
    for _ in range(2000):
        eng.step()
        hats.append(eng.C_hat[0])
    # C and C0 both noisy, C0 refreshed every step (τ_x = τ_θ = 1): std of C_hat = √2·σ
    assert np.std(hats) == pytest.approx(0.01 * np.sqrt(2), rel=0.1), f"seed {SEED}"
    # θ random-walks by σ per update: spread after 2000 updates ≈ σ√2000
    assert np.std(eng.theta - theta0) == pytest.approx(0.001 * np.sqrt(2000), rel=0.3), f"seed {SEED}"


def test_batch_replica_follows_solo_run():
    cfg = apply_overrides(_config(), ["mgd.eta=0.5", "mgd.perturbation=node"])
    batch = FloatMGD(cfg, seeds=[1, 2, 3])
    solo = FloatMGD(cfg, seeds=[2])
    _run(batch, 500)
    _run(solo, 500)
    np.testing.assert_allclose(batch.theta[1], solo.theta[0], rtol=1e-10, atol=1e-12)


def test_train_xor_reaches_target_and_reports():
    cfg = apply_overrides(_config(), ["network.layers=[2,4,1]", "mgd.eta=2.0", "task.steps=20000",
                                      "task.eval_every=500"])
    res = train(cfg, progress=False)
    assert res.reached_target, f"seed {SEED}: final {res.final}"
    assert res.final.test_accuracy == 1.0
    assert res.extra["n_perturbation_params"] == 17 and res.steps == 20000
    cos = [c for c in res.extra["gradient_cosine"] if c is not None]
    assert len(cos) == len(res.curve) - 1 and all(-1 <= c <= 1 for c in cos)
    assert res.to_dict()["final"]["test_accuracy"] == 1.0


def test_run_batch_stops_at_target_and_paper_xor_needs_many_steps():
    cfg = apply_overrides(_config(), ["network.layers=[2,4,1]", "mgd.eta=2.0"])
    run = run_batch(cfg, seeds=[1, 2], steps=50000, eval_every=500, stop_at_target=True)
    assert all(s is not None for s in run.steps_to_target) and run.steps_run < 50000


def test_bad_arguments():
    with pytest.raises(MGDError, match="gradient must be one of 'mgd', 'backprop', not 'fd'"):
        FloatMGD(_config(), gradient="fd")
    with pytest.raises(MGDError, match="dataset must have 2 inputs and 1 outputs, not 3 and 1"):
        FloatMGD(_config(), dataset=_one_sample([1.0, 0.0, 1.0], [1.0]))


def test_mgd_measures_the_gradient_of_the_varied_hardware():
    """With device variation MGD estimates the gradient of the network as built (model-free), which differs
    from the gradient of the ideal network the designer had in mind."""
    noise = {"gain_sigma": 0.5, "offset_sigma": 0.5, "saturation_sigma": 0.3}
    cfg = _config(layers=(3, 4, 1), task=PARITY3, delta=1e-3, tau_x=10 ** 5, tau_theta=10 ** 5,
                  multiplexing="walsh", noise=noise)
    data = _one_sample([0.3, 0.9, 0.1], [1.0])
    eng = FloatMGD(cfg, dataset=data)
    M = eng.perturbation.period
    _run(eng, M)
    est = eng.G / M * eng.n_perturbation
    varied = eng.net.backprop(eng.theta, data.x_train, data.t_train)
    ideal = FloatMGD(apply_overrides(cfg, ["noise.gain_sigma=0", "noise.offset_sigma=0",
                                           "noise.saturation_sigma=0"]), dataset=data)
    ideal_grad = ideal.net.backprop(ideal.theta, data.x_train, data.t_train)
    assert cosine(est, varied)[0] > 0.999, f"seed {SEED}"
    assert cosine(est, ideal_grad)[0] < cosine(est, varied)[0] - 0.01, f"seed {SEED}"
