"""The fixed-point MGD golden model: hand-computed steps, rails, determinism, fast path, bad formats."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

import golden_model.fixed_mgd as fm
from golden_model.config import ConfigError, FixedConfig, MGDConfig, apply_overrides, from_preset
from golden_model.errors import MGDError
from golden_model.fixed_mgd import FixedMGD, update
from golden_model.fixed_network import FixedSpec
from golden_model.trace import Trace

XOR = SimpleNamespace(x_train=np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float),
                      t_train=np.array([[0], [1], [1], [0]], dtype=float))
XOR.x_test, XOR.t_test = XOR.x_train, XOR.t_train


def _tiny(perturbation: str, rounding: str = "floor") -> tuple[MGDConfig, SimpleNamespace]:
    """A [2, 1, 1] network with the small formats of the hand computations below."""
    cfg = apply_overrides(MGDConfig(), [
        "network.layers=[2, 1, 1]", f"mgd.perturbation={perturbation}",
        "fixed.theta=Q3.4", "fixed.activation=UQ1.4", "fixed.cost=UQ2.4", "fixed.hw_activation=hard_sigmoid",
        "fixed.amplitude_shift=1", "fixed.eta_shift=1", "fixed.grad_width=10", f"fixed.rounding={rounding}",
    ])
    data = SimpleNamespace(x_train=np.array([[0.5, 0.25]]), t_train=np.array([[1.0]]))
    data.x_test, data.t_test = data.x_train, data.t_train
    return cfg, data


def test_hand_computed_weight_step() -> None:
    """One weight-mode step on paper (Q3.4 θ, UQ1.4 activations, UQ2.4 cost, floor, k_p = 1, k_η = 1).

    θ = [w00, w01, b0, v0, c0] = [16, -8, 4, 24, -12] LSBs = [1, -0.5, 0.25, 1.5, -0.75];
    x_q = [8, 4]; t_q = 16.
    Baseline: z0 = 16·8 − 8·4 + 4·16 = 160; a = (160 >> 6) + 8 = 10; z1 = 24·10 − 12·16 = 48;
    y = (48 >> 6) + 8 = 8; C0 = (8 − 16)² >> 4 = 4.
    Signs bits [0, 1, 1, 0, 1] → s = [+, −, −, +, −], amplitude 2^(4−1) = 8: θ' = [24, −16, −4, 32, −20].
    Perturbed: z0 = 192 − 64 − 64 = 64 → a = 1 + 8 = 9; z1 = 288 − 320 = −32 → y = (−32 >> 6) + 8 = 7;
    C = 81 >> 4 = 5; C_hat = 1; G = s·1 = [1, −1, −1, 1, −1]; v = G >> 1 = [0, −1, −1, 0, −1];
    θ = θ − v = [16, −7, 5, 24, −11], G cleared.
    """
    cfg, data = _tiny("weight")
    m = FixedMGD(cfg, data)
    np.testing.assert_array_equal(m.data.x_train, [[8, 4]])
    np.testing.assert_array_equal(m.data.t_train, [[16]])
    m.theta[:] = [16, -8, 4, 24, -12]
    m.bank.state[:] = [0b10, 0b11, 0b101, 0b110, 0b111]  # sign bits 0, 1, 1, 0, 1
    s = m.step()
    assert (s.n, s.sample, s.baseline, s.C0, s.C, s.C_hat, s.updated) == (0, 0, True, 4, 5, 1, True)
    np.testing.assert_array_equal(s.sign_bits, [0, 1, 1, 0, 1])
    np.testing.assert_array_equal(s.theta, [16, -7, 5, 24, -11])
    np.testing.assert_array_equal(s.G, [0, 0, 0, 0, 0])


def test_hand_computed_weight_step_before_update() -> None:
    """Same step with τ_θ = 2: G holds s·C_hat = [1, −1, −1, 1, −1] and θ is unchanged."""
    cfg, data = _tiny("weight")
    cfg = apply_overrides(cfg, ["mgd.tau_theta=2"])
    m = FixedMGD(cfg, data)
    m.theta[:] = [16, -8, 4, 24, -12]
    m.bank.state[:] = [0b10, 0b11, 0b101, 0b110, 0b111]
    s = m.step()
    assert not s.updated
    np.testing.assert_array_equal(s.G, [1, -1, -1, 1, -1])
    np.testing.assert_array_equal(s.theta, [16, -8, 4, 24, -12])


def test_hand_computed_node_step() -> None:
    """One node-mode step on paper (same formats; node amplitude 2^(4+4−1) = 128 on z).

    Baseline as in the weight test (layer inputs [8, 4 | 16] and [10 | 16], C0 = 4). Sign bits [1, 0] →
    s = [−, +]. Perturbed: z0 = 160 − 128 = 32 → a = 0 + 8 = 8; z1 = 24·8 − 192 + 128 = 128 → y = 2 + 8 = 10;
    C = 36 >> 4 = 2; C_hat = −2. Correlate round_floor(s·C_hat·a, 4): neuron 0 (s·C_hat = 2):
    [16 >> 4, 8 >> 4, 32 >> 4] = [1, 0, 2]; neuron 1 (−2): [−20 >> 4, −32 >> 4] = [−2, −2].
    Update v = G >> 1 = [0, 0, 1, −1, −1]; θ = [16, −8, 3, 25, −11].
    """
    cfg, data = _tiny("node")
    m = FixedMGD(cfg, data)
    m.theta[:] = [16, -8, 4, 24, -12]
    m.bank.state[:] = [0b11, 0b10]
    s = m.step()
    assert (s.C0, s.C, s.C_hat) == (4, 2, -2)
    np.testing.assert_array_equal(s.theta, [16, -8, 3, 25, -11])
    m2 = FixedMGD(apply_overrides(cfg, ["mgd.tau_theta=2"]), data)
    m2.theta[:] = [16, -8, 4, 24, -12]
    m2.bank.state[:] = [0b11, 0b10]
    np.testing.assert_array_equal(m2.step().G, [1, 0, 2, -2, -2])


@pytest.mark.parametrize("rounding, want", [("half_up", [15, -8, 4, 23, -12]),
                                            ("convergent", [16, -8, 4, 24, -12])])
def test_update_rounding_modes(rounding: str, want: list[int]) -> None:
    """G = [1, −1, −1, 1, −1] >> 1: half_up gives [1, 0, 0, 1, 0], convergent (ties to even) all 0."""
    cfg, _ = _tiny("weight", rounding)
    spec = FixedSpec.from_config(cfg)
    G = np.array([1, -1, -1, 1, -1])
    theta, _ = update(np.array([16, -8, 4, 24, -12]), G, np.zeros(5, np.int64), spec)
    np.testing.assert_array_equal(theta, want)


@pytest.mark.parametrize("overflow", ["saturate", "wrap"])
def test_theta_rails(overflow: str) -> None:
    """θ = Q3.4 (−128..127): pushing past either rail saturates there, or wraps if asked."""
    cfg, _ = _tiny("weight")
    cfg = apply_overrides(cfg, [f"fixed.overflow={overflow}"])
    spec = FixedSpec.from_config(cfg)
    theta = np.array([126, -127, 0])
    G = np.array([-20, 20, 0])  # v = G >> 1 = [-10, 10, 0]
    got, _ = update(theta, G, np.zeros(3, np.int64), spec)
    want = [127, -128, 0] if overflow == "saturate" else [136 - 256, -137 + 256, 0]
    np.testing.assert_array_equal(got, want)


def test_model_saturates_theta_and_cost_at_both_rails() -> None:
    """Through the model: an update past either rail of θ stops there; the cost register saturates."""
    cfg = apply_overrides(from_preset("xor"), ["mgd.tau_theta=2", "fixed.eta_shift=0", "fixed.cost=UQ0.2"])
    m = FixedMGD(cfg, XOR)
    hi, lo = m.spec.theta.max_int, m.spec.theta.min_int
    m.step()
    m.theta[:2] = [hi - 3, lo + 3]
    m.G[:2] = [-100000, 100000]  # v = G (k_eta = 0) pushes θ0 up and θ1 down by far more than 3 LSBs
    s = m.step()
    assert s.updated
    assert (s.theta[0], s.theta[1]) == (hi, lo)
    assert s.sat_events == 2, "one saturation event per parameter that hit a rail"
    for overflow, want in (("saturate", 3), ("wrap", 0)):
        # output bias at the top rail: y = 1.0 on sample 0 (t = 0), cost 1.0 = 4 LSBs of UQ0.2 (max 3)
        m = FixedMGD(apply_overrides(cfg, [f"fixed.overflow={overflow}"]), XOR)
        m.theta[-3:] = [0, 0, m.spec.theta.max_int]
        s = m.step()
        assert s.C0 == want, f"{overflow}: C0 = {s.C0}, want {want}"


def test_sat_events_count_one_per_parameter_and_update() -> None:
    """With momentum, an update whose M and θ both saturate is one event; G's accumulation counts apart."""
    cfg = apply_overrides(from_preset("xor"),
                          ["fixed.momentum_shift=2", "fixed.eta_shift=0", "mgd.tau_theta=1"])
    m = FixedMGD(cfg, XOR)
    spec = m.spec
    m_hi = (1 << (spec.momentum_width - 1)) - 1
    m.M[:2] = m_hi  # θ − M falls far below θ's bottom rail for both (M itself never saturates)
    m.theta[:2] = [spec.theta.min_int + 1, spec.theta.max_int]
    before = m.state()
    s = m.step()
    expected = 0  # recomputed here in Python integers from the state before the step
    G_seen = before.G + np.where(s.sign_bits == 1, -s.C_hat, s.C_hat)  # weight mode: G + s·C_hat
    for p in range(m.n_params):
        M = int(before.M[p])
        decay = -((-M) // 4) if M >= 0 else M // 4  # M / 2^k_m rounded away from zero
        m_total = M - decay + int(G_seen[p])
        m_new = min(max(m_total, -m_hi - 1), m_hi)
        t_total = int(before.theta[p]) - m_new  # k_eta = 0: round_R(M, 0) = M
        expected += (m_new != m_total) or not (spec.theta.min_int <= t_total <= spec.theta.max_int)
    np.testing.assert_array_equal(s.M, np.clip(before.M - fm.momentum_decay(before.M, 2) + G_seen,
                                               -m_hi - 1, m_hi))
    assert expected >= 2 and s.sat_events == expected


def _momentum_spec(*overrides: str) -> FixedSpec:
    """The hand-computation formats with half_up and a finer cost (G within ±256: a 10-bit bound)."""
    cfg, _ = _tiny("weight", "half_up")
    return FixedSpec.from_config(apply_overrides(cfg, ["fixed.cost=UQ2.8", "fixed.grad_width=16",
                                                       *overrides]))


def test_hand_computed_momentum_updates() -> None:
    """k_m = 2, k_η = 1, half_up, M in G units (spec step 6), on paper:

    M = 0, G = 6: d = 0, M = 6, θ −= round(6/2) = 3.   M = 6, G = 0: d = ceil(6/4) = 2, M = 4, θ −= 2.
    M = 4, G = −3: d = 1, M = 0, θ −= 0.   M = −5, G = 0: d = floor(−5/4) = −2, M = −3, θ −= round(−1.5) = −1.
    """
    spec = _momentum_spec("fixed.momentum_shift=2")
    assert spec.momentum_width == spec.widths()["G"] + 2 == 12
    theta, M = update(np.array([10, 10, 10, 10]), np.array([6, 0, -3, 0]), np.array([0, 6, 4, -5]), spec)
    np.testing.assert_array_equal(M, [6, 4, 0, -3])
    np.testing.assert_array_equal(theta, [7, 8, 10, 11])


@pytest.mark.parametrize("k_m", [1, 2, 4])
def test_momentum_decays_to_zero_without_bias(k_m: int) -> None:
    """With G = 0 every M reaches exactly 0 (and θ stops): the decay is odd, M · 2^-k_m rounded away from
    zero. The floor decay of the old rule left a positive M in [1, 2^k_m − 1] for good (θ falling by it
    every update: the digits preset drifted to θ's bottom rail)."""
    k = np.arange(-(1 << 10), 1 << 10)
    d = fm.momentum_decay(k, k_m)
    np.testing.assert_array_equal(d, -fm.momentum_decay(-k, k_m))
    assert np.all((d != 0) == (k != 0)) and np.all(np.abs(d) <= np.abs(k))
    np.testing.assert_array_equal(d, np.sign(k) * -((-np.abs(k)) // (1 << k_m)))
    spec = _momentum_spec(f"fixed.momentum_shift={k_m}", "fixed.eta_shift=0")
    M = np.array([1, (1 << k_m) - 1, 1 << k_m, 700, -1, -(1 << k_m), -700])
    theta = np.zeros_like(M)
    for _ in range(64 << k_m):
        theta, M = update(theta, np.zeros_like(M), M, spec)
    np.testing.assert_array_equal(M, 0)
    after = theta.copy()
    theta, M = update(theta, np.zeros_like(M), M, spec)
    np.testing.assert_array_equal(theta, after)


@pytest.mark.parametrize("k_m", [1, 3])
def test_momentum_register_can_neither_overflow_nor_be_narrower(k_m: int) -> None:
    """W_M = W_G + k_m (this G is narrower than its bound): from every M in the register and every G in its
    own, M − d + G stays in range (the ``fit`` of step 6 never acts), and constant G at its bottom rail
    drives M within 2^k_m of M's bottom rail."""
    spec = dataclasses.replace(_momentum_spec(f"fixed.momentum_shift={k_m}"), grad_width=5)
    wm = spec.momentum_width
    assert wm == 5 + k_m
    M = np.arange(-(1 << (wm - 1)), 1 << (wm - 1))
    for g in range(-16, 16):
        total = M - fm.momentum_decay(M, k_m) + g
        assert total.min() >= -(1 << (wm - 1)) and total.max() <= (1 << (wm - 1)) - 1, g
    M = np.zeros(1, dtype=np.int64)
    for _ in range(200 << k_m):
        M = M - fm.momentum_decay(M, k_m) - 16
    assert -(1 << (wm - 1)) <= M[0] < -(1 << (wm - 1)) + (1 << k_m) <= -(1 << (wm - 2))


def test_momentum_width_follows_the_gradient_bound() -> None:
    """W_M = min(W_G, widths G) + k_m and M_bound = 2^k_m · G_bound, for every preset with momentum."""
    for name in ("xor", "parity4", "nist7x7", "digits"):
        cfg = apply_overrides(from_preset(name), ["fixed.momentum_shift=3"])
        spec = FixedSpec.from_config(cfg)
        w = spec.widths()
        assert w["M"] == spec.momentum_width == w["G"] + 3 and w["M_bound"] == w["G_bound"] << 3
        assert w["M_bound"] <= (1 << (w["M"] - 1)) - 1 < 2 * w["M_bound"]
        wide = FixedSpec.from_config(apply_overrides(cfg, [f"fixed.grad_width={w['G'] + 5}"]))
        assert wide.momentum_width == spec.momentum_width
    assert FixedSpec.from_config(from_preset("digits")).widths()["M"] == 0


def test_momentum_matches_sgd_in_steady_state() -> None:
    """Constant G > 0 from M = 0: M rises to 2^k_m·(G − 1) + 1 (within 2^k_m − 1 of 2^k_m·G, the decay
    rounding away from zero), so θ moves about 2^k_m times the SGD step at the same k_η (γ = 1 − 2^-k_m);
    and steps below one θ LSB are not lost as in SGD: G = 3 at k_η = 4 moves θ by round(17/16) = 1 per
    update, where SGD's round(3/16) = 0 never moves it."""
    spec = _momentum_spec("fixed.momentum_shift=3", "fixed.eta_shift=4", "fixed.theta=Q11.4")
    theta, M = np.array([0, 0, 0]), np.array([0, 0, 0])
    G = np.array([40, 3, -3])
    for _ in range(200):
        theta, M = update(theta, G, M, spec)
    np.testing.assert_array_equal(M, [313, 17, -17])
    before = theta.copy()
    theta, M = update(theta, G, M, spec)
    np.testing.assert_array_equal(before - theta, [20, 1, -1])  # round half up of 19.56, 1.06, -1.06


def _configs() -> list[tuple[str, list[str]]]:
    return [
        ("xor", ["mgd.perturbation=weight"]),
        ("xor", ["mgd.perturbation=node"]),
        ("xor", ["mgd.tau_x=3", "mgd.tau_p=2", "mgd.tau_theta=5", "fixed.rounding=convergent"]),
        ("xor", ["mgd.perturbation=node", "mgd.tau_x=4", "mgd.tau_p=3", "mgd.tau_theta=8",
                 "fixed.rounding=half_up"]),
        ("xor", ["fixed.momentum_shift=3", "mgd.tau_theta=2"]),
        ("xor", ["mgd.perturbation=node", "fixed.momentum_shift=2", "fixed.overflow=wrap",
                 "fixed.hw_activation=clipped_relu"]),
        ("xor", ["fixed.momentum_shift=5", "fixed.eta_shift=4", "fixed.rounding=floor"]),
        ("xor", ["mgd.perturbation=node", "fixed.momentum_shift=1", "fixed.eta_shift=7", "mgd.tau_theta=3",
                 "fixed.rounding=convergent"]),
        ("xor", ["fixed.hw_activation=relu", "fixed.cost=UQ3.12", "network.cost=l1"]),
        ("xor", ["fixed.hw_activation=hard_tanh", "fixed.activation=Q1.10", "mgd.tau_x=2"]),
    ]


@pytest.mark.parametrize("preset, overrides", _configs())
def test_fast_path_bit_identical_to_reference(preset: str, overrides: list[str], monkeypatch) -> None:
    """``run`` (compiled, chunked) equals ``step`` repeated, on every field, across chunk boundaries and
    when the two paths are interleaved."""
    monkeypatch.setattr(fm, "_CHUNK", 97)
    cfg = apply_overrides(from_preset(preset), overrides + ["mgd.seed=7", "fixed.grad_width=24"])
    ref = FixedMGD(cfg, XOR).run_reference(600)
    fast = FixedMGD(cfg, XOR)
    parts = [fast.run(250), fast.run_reference(31), fast.run(319)]
    ref.assert_equal(Trace.concatenate(parts), f"seed=7 {preset} {overrides}")
    assert np.any(ref.C_hat != 0), "the run should see cost changes"
    assert np.any(ref.theta[-1] != ref.theta[0]), "the run should move θ"


@pytest.mark.parametrize("overflow", ["saturate", "wrap"])
def test_fast_path_bit_identical_with_a_64_bit_G(overflow: str) -> None:
    """``fixed.grad_width = 64`` (accepted, and what the studies use for "wide enough"): the compiled
    ``fit`` cannot build its 64-bit masks in int64 (``1 << 63`` overflows), and once gave θ = 32767 after
    3 steps where the reference gave [27, 2160, ...]."""
    cfg = apply_overrides(from_preset("xor"), ["fixed.grad_width=64", "fixed.eta_shift=8",
                                               "fixed.momentum_shift=0", f"fixed.overflow={overflow}"])
    ref = FixedMGD(cfg, XOR).run_reference(300)
    ref.assert_equal(FixedMGD(cfg, XOR).run(300), f"grad_width=64 overflow={overflow}")
    assert np.any(ref.theta[-1] != ref.theta[0]), "the run should move θ"


def test_long_run_determinism_and_npz_roundtrip(tmp_path) -> None:
    cfg = apply_overrides(from_preset("xor"), ["mgd.seed=11"])
    a = FixedMGD(cfg, XOR).run(20000)
    b = FixedMGD(cfg, XOR).run(20000)
    a.assert_equal(b, "seed=11, two runs")
    a.save(tmp_path / "t.npz")
    c = Trace.load(tmp_path / "t.npz")
    a.assert_equal(c, "seed=11, after save/load")
    assert "[fixed]" in c.config
    other = FixedMGD(apply_overrides(cfg, ["mgd.seed=12"]), XOR).run(20000)
    report = a.mismatches(other)
    assert report and "step 0" in "\n".join(report), "different seeds must give different traces"


def test_warm_up_leaves_the_state_alone() -> None:
    cfg = apply_overrides(from_preset("xor"), ["mgd.perturbation=node", "mgd.seed=3"])
    ref = FixedMGD(cfg, XOR).run(300)
    m = FixedMGD(cfg, XOR)
    m.warm_up()
    first = m.run(100)
    m.warm_up()
    ref.assert_equal(Trace.concatenate([first, m.run(200)]), "seed=3 xor node, warm_up before and mid-run")


def test_trace_file_without_a_field_is_refused_clearly(tmp_path) -> None:
    tr = FixedMGD(from_preset("xor"), XOR).run(5)
    arrays = {k: v for k, v in tr.arrays().items() if k != "sat_events"}
    np.savez_compressed(tmp_path / "old.npz", **arrays, config=np.array(tr.config))
    with pytest.raises(MGDError, match=r"old.npz' \(it lacks the fields sat_events; written by an older mgd"):
        Trace.load(tmp_path / "old.npz")


def test_trace_mismatch_report_names_step_field_and_index() -> None:
    cfg = from_preset("xor")
    a = FixedMGD(cfg, XOR).run(50)
    b = FixedMGD(cfg, XOR).run(50)
    b.theta[17, 3] += 1
    report = "\n".join(a.mismatches(b))
    assert "theta: 1 differing entries" in report and "step 17 index 3" in report
    with pytest.raises(AssertionError, match="trace mismatch"):
        a.assert_equal(b)


def test_controller_sequence() -> None:
    """Which step presents which sample, takes a baseline, advances signs, updates (spec 'One step n')."""
    cfg = apply_overrides(from_preset("xor"), ["mgd.tau_x=3", "mgd.tau_p=2", "mgd.tau_theta=4",
                                              "fixed.grad_width=24"])
    tr = FixedMGD(cfg, XOR).run(12)
    np.testing.assert_array_equal(tr.sample, [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
    np.testing.assert_array_equal(tr.baseline, [1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0])
    np.testing.assert_array_equal(tr.updated, [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1])
    same = np.all(tr.lfsr[1:] == tr.lfsr[:-1], axis=1)  # step n kept step n-1's signs
    np.testing.assert_array_equal(same, [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
    np.testing.assert_array_equal(tr.sign_bits, tr.lfsr & 1)
    assert np.all(tr.G[tr.updated] == 0)


def test_reset_state_and_api() -> None:
    cfg = from_preset("xor")
    m = FixedMGD(cfg)
    q = m.quantized_dataset()
    one = 1 << m.spec.A_f
    np.testing.assert_array_equal(q.x_train, [[0, 0], [0, one], [one, 0], [one, one]])
    np.testing.assert_array_equal(q.t_train, [[0], [one], [one], [0]])
    assert m.theta0.dtype == np.int64 and m.spec.theta.contains(m.theta0)
    np.testing.assert_array_equal(m.lane_seeds & 1, m.bank.bits)
    m.run(10)
    m.reset()
    np.testing.assert_array_equal(m.theta, m.theta0)
    assert m.n == 0


@pytest.mark.parametrize("overrides, match", [
    (["fixed.theta=Q3.4", "fixed.amplitude_shift=6"],
     r"fixed.amplitude_shift must be at most the fraction bits of fixed.theta \(Q3.4: 4\)"),
    (["mgd.tau_theta=100000", "fixed.grad_width=24"],
     r"fixed.grad_width must be at least \d+ bits .*tau_theta = 100000.*, not 24"),
    (["network.cost=cross_entropy"], r"network.cost must be 'mse' or 'l1' .*not 'cross_entropy'"),
    (["fixed.hw_activation=hard_tanh"], r"fixed.activation must be a signed Q-format .*hard_tanh"),
    (["fixed.theta=UQ3.12"], r"fixed.theta must be a signed Q-format"),
    (["fixed.cost=Q3.12"], r"fixed.cost must be an unsigned Q-format"),
    (["fixed.activation=UQ0.8"], r"fixed.activation must be a Q-format with at least 1 integer bit"),
    (["noise.cost_sigma=0.1"], r"noise.cost_sigma must be 0 for the fixed-point model"),
    (["mgd.multiplexing=walsh"], r"mgd.multiplexing must be 'code'"),
    (["fixed.theta=Q20.20", "fixed.activation=UQ10.20", "fixed.cost=UQ20.20"],
     r"fixed formats must keep every intermediate within 62"),
])
def test_bad_formats_rejected(overrides: list[str], match: str) -> None:
    with pytest.raises(MGDError, match=match):
        FixedMGD(apply_overrides(from_preset("xor"), overrides), XOR)


def test_grad_width_check_is_tight() -> None:
    """The width FixedSpec demands is exactly enough: G reaches its bound ±(2^(W-1) - 1) without overflow."""
    cfg = apply_overrides(from_preset("xor"), ["mgd.tau_theta=64", "fixed.grad_width=40"])
    w = FixedSpec.from_config(cfg).widths()
    ok = apply_overrides(cfg, [f"fixed.grad_width={w['G']}"])
    FixedSpec.from_config(ok)
    with pytest.raises(ConfigError, match="grad_width"):
        FixedSpec.from_config(apply_overrides(cfg, [f"fixed.grad_width={w['G'] - 1}"]))
    assert w["G_bound"] <= (1 << (w["G"] - 1)) - 1 < 2 * w["G_bound"]


def test_fixed_config_defaults_are_valid() -> None:
    f = FixedConfig()
    assert dataclasses.replace(f) == f
    FixedSpec.from_config(MGDConfig())


@pytest.mark.parametrize("mode", ["weight", "node"])
def test_fast_paths_bit_identical_on_a_nist7x7_size_network(mode: str) -> None:
    """A 49-4-4 network (220 parameters): the compiled path and the reference agree."""
    seed = 5
    rng = np.random.default_rng(seed)
    data = SimpleNamespace(x_train=rng.uniform(0, 1, (13, 49)), t_train=np.eye(4)[rng.integers(0, 4, 13)])
    data.x_test, data.t_test = data.x_train, data.t_train
    cfg = apply_overrides(from_preset("nist7x7"), [f"mgd.perturbation={mode}", f"mgd.seed={seed}",
                                                  "mgd.tau_x=2", "mgd.tau_theta=3", "fixed.grad_width=22"])
    ref = FixedMGD(cfg, data).run_reference(150)
    FixedMGD(cfg, data).run(150).assert_equal(ref, f"seed={seed} {mode}")
    assert np.any(ref.theta[-1] != ref.theta[0])


def test_lfsr_table_matches_sign_bank_and_falls_back() -> None:
    """The fast path's m-sequence lookup gives the SignBank's states; a bank written by hand is honoured."""
    cfg = apply_overrides(from_preset("xor"), ["mgd.tau_p=3"])
    m = FixedMGD(cfg, XOR)
    got = m._lane_states(0, 50).array()
    bank = m.bank.__class__(lanes=m.spec.n_lanes, width=m.spec.lfsr_width, seed=int(m.lane_seeds[0]))
    want = []
    for n in range(50):
        if n > 0 and n % 3 == 0:
            bank.advance()
        want.append(bank.state.copy())
    np.testing.assert_array_equal(got, np.array(want))
    np.testing.assert_array_equal(m.bank.state, want[-1])
    m.bank.state[:] = 5  # off the schedule: must step the bank itself
    out = m._lane_states(50, 4).array()
    np.testing.assert_array_equal(out[0], [5] * m.spec.n_lanes)


def test_bridge_maps_float_settings_to_shifts() -> None:
    from golden_model.bridge import fixed_to_float, float_to_fixed

    cfg = from_preset("xor")  # Δθ = 0.05, η = 0.1, N = 9: a = 0.0167 → k_p = 6
    f = float_to_fixed(cfg, theta="Q3.12", cost="UQ1.16")
    assert f.amplitude_shift == 6
    assert f.eta_shift == round(np.log2(2.0 ** -6 * 9 / 0.1) + 16 - 12) == 4
    back = fixed_to_float(cfg.replace(fixed=f))
    assert back["N"] == 9 and abs(back["delta"] - 0.05) / 0.05 < 0.07
    assert 0.5 < back["eta"] / 0.1 < 2.0
    node = float_to_fixed(apply_overrides(cfg, ["mgd.perturbation=node"]))
    assert node.amplitude_shift == 5  # N = 3 neurons: a = 0.029


@pytest.mark.parametrize("overrides, note", [
    ([], None),  # xor: float momentum, hardware shift momentum
    (["mgd.optimizer=adam"], "'adam' applies to the float model only: the fixed-point model and the RTL "
                             "update with shift momentum (fixed.momentum_shift = 1, gamma = 0.5)"),
    (["mgd.optimizer=momentum", "mgd.momentum=0.75", "fixed.momentum_shift=0"],
     "plain SGD (fixed.momentum_shift = 0); mgd.momentum = 0.75 maps to --set fixed.momentum_shift=2"),
    (["mgd.optimizer=sgd", "fixed.momentum_shift=0"], None),
])
def test_float_only_optimizer_settings_are_named(overrides: list[str], note: str | None) -> None:
    from golden_model.bridge import float_only_notes

    notes = float_only_notes(apply_overrides(from_preset("xor"), overrides))
    if note is None:
        assert notes == []
    else:
        assert len(notes) == 1 and note in notes[0], notes


@pytest.mark.parametrize("mode", ["weight", "node"])
def test_xor_preset_trains_to_100_percent(mode: str) -> None:
    """The xor preset trains on its default seed in both modes."""
    from golden_model.fixed_mgd import train

    cfg = apply_overrides(from_preset("xor"), [f"mgd.perturbation={mode}"])
    r = train(cfg, progress=False, stop_at_target=True)
    assert r.steps_to_target is not None, f"seed={cfg.mgd.seed} {mode}: final {r.final}"
    assert r.final.test_accuracy == 1.0


@pytest.mark.parametrize("preset", ["xor", "parity4", "nist7x7", "digits"])
@pytest.mark.parametrize("mode", ["weight", "node"])
def test_every_preset_is_a_valid_fixed_config(preset: str, mode: str) -> None:
    """The presets' fixed sections are accepted in both modes, with G exactly as wide as needed."""
    spec = FixedSpec.from_config(apply_overrides(from_preset(preset), [f"mgd.perturbation={mode}"]))
    assert spec.widths()["G"] == spec.grad_width
