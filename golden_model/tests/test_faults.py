"""Faults in integers (issue 13.5, spec "Faults"): the noise source, the config checks and their messages, the
reference step and the compiled kernel bit-identical with every fault on, stuck parameters, the G bound
with cost noise, and the fault study end to end on a small run."""

from __future__ import annotations

import numpy as np
import pytest

from golden_model import faults
from golden_model.config import ConfigError, apply_overrides, from_preset
from golden_model.fixed_mgd import FixedMGD
from golden_model.fixed_network import FixedSpec
from golden_model.lfsr import jump, taps_mask


def test_draws_are_odd_symmetric_uniform_and_jump_b_steps():
    for bits, shift in ((1, 0), (3, 2), (8, 0)):
        src = faults.NoiseLFSR(faults.cost_seed(7), bits, shift)
        states, values = [], []
        for _ in range(4000):
            states.append(src.state)
            values.append(src.draw())
        v = np.array(values)
        amp = faults.amplitude(bits, shift)
        assert set(np.unique(v)) <= set(range(-amp, amp + 1, 2 << shift)), (bits, shift)
        assert abs(v.mean()) < 4 * faults.noise_std(bits, shift) / np.sqrt(len(v)), (bits, shift, v.mean())
        assert v.std() == pytest.approx(faults.noise_std(bits, shift), rel=0.08)
        if bits <= 3:  # every one of the 2**b values drawn, about equally often
            counts = np.unique(v, return_counts=True)[1]
            assert len(counts) == 1 << bits and counts.min() > 0.7 * len(v) / (1 << bits)
        # the state jumps b Galois steps per draw, and jump_rows is that map
        assert states[1] == jump(faults.NOISE_LFSR_WIDTH, states[0], bits)
        rows = faults.jump_rows(bits)
        nxt = sum((bin(states[5] & r).count("1") & 1) << i for i, r in enumerate(rows))
        assert nxt == states[6]


def test_update_bank_lanes_are_the_sign_bank_phases():
    seeds = faults.update_lane_seeds(5, 3)
    spacing = ((1 << 32) - 1) // 5
    assert seeds[0] == faults.update_seed(3)
    for i in range(1, 5):
        assert seeds[i] == jump(32, int(seeds[i - 1]), spacing, None)
    assert taps_mask(32) == (1 << 31) | (1 << 21) | (1 << 1) | 1


@pytest.mark.parametrize(("overrides", "message"), [
    (["fixed.cost_noise_bits=17"], "fixed.cost_noise_bits must be an integer from 0 to 16, not 17"),
    (["fixed.cost_noise_shift=2"],
     "fixed.cost_noise_shift must be 0 when fixed.cost_noise_bits is 0 (the noise is off), not 2"),
    (["fixed.cost_noise_bits=4", "fixed.cost_noise_shift=14"],
     "fixed.cost_noise_shift must be at most 13 with fixed.cost_noise_bits = 4"),
    (["fixed.update_noise_bits=16"], "fixed.update_noise_bits must be at most 15 for fixed.theta = Q3.12"),
    (["fixed.update_noise_bits=4", "fixed.update_noise_shift=12"],
     "fixed.update_noise_shift must be at most 11 with fixed.update_noise_bits = 4"),
    (["fixed.stuck_fraction=1.5"], "fixed.stuck_fraction must be a number >= 0 and <= 1, not 1.5"),
    (["fixed.stuck_params=[2,2]"], "fixed.stuck_params must be a list of distinct parameter indices"),
    (["fixed.stuck_params=[-1]"], "fixed.stuck_params must be a list of distinct parameter indices"),
    (["fixed.stuck_params=[1]", "fixed.stuck_fraction=0.1"],
     "fixed.stuck_params must be [] when fixed.stuck_fraction is set (0.1): give one or the other, not [1]"),
    (["fixed.stuck_seed=-3"], "fixed.stuck_seed must be an integer from 0 to"),
])
def test_bad_fault_fields_are_refused_with_one_clear_message(overrides, message):
    with pytest.raises(ConfigError) as info:
        apply_overrides(from_preset("xor"), ["fixed.cost=UQ1.16", *overrides])
    assert message in str(info.value)


def test_stuck_index_beyond_the_network_is_refused_by_the_spec():
    cfg = apply_overrides(from_preset("xor"), ["fixed.stuck_params=[3,9]"])
    with pytest.raises(ConfigError, match=r"fixed.stuck_params must hold parameter indices below 9 \(the "
                                          r"network \[2, 2, 1\] has 9 parameters\), not 9"):
        FixedSpec.from_config(cfg)


def test_cost_noise_widens_the_g_bound():
    base = apply_overrides(from_preset("xor"), ["fixed.cost=UQ3.16"])  # noiseless reads up to 2**16
    noisy = apply_overrides(base, ["fixed.cost_noise_bits=4", "fixed.cost_noise_shift=14",
                                   "fixed.grad_width=40"])
    w0, w1 = FixedSpec.from_config(base).widths(), FixedSpec.from_config(noisy).widths()
    assert w1["C_max"] == w0["C_max"] + 15 * 2**14 and w1["G"] == w0["G"] + 2 == 20
    with pytest.raises(ConfigError, match="fixed.grad_width must be at least 20 bits"):
        FixedSpec.from_config(apply_overrides(noisy, ["fixed.grad_width=18"]))
    # the cap: a read never exceeds the cost register
    capped = apply_overrides(from_preset("xor"), ["fixed.cost_noise_bits=16", "fixed.cost_noise_shift=1"])
    assert FixedSpec.from_config(capped).widths()["C_max"] == 2**17 - 1


FAULTY = {
    "xor-weight-all": ("xor", ["mgd.perturbation=weight", "fixed.cost_noise_bits=3",
                               "fixed.cost_noise_shift=2", "fixed.update_noise_bits=2",
                               "fixed.stuck_params=[1,5]"]),
    "xor-node-taus": ("xor", ["mgd.perturbation=node", "fixed.cost_noise_bits=16", "mgd.tau_theta=3",
                              "mgd.tau_x=2", "fixed.grad_width=24", "fixed.update_noise_bits=1",
                              "fixed.update_noise_shift=3", "fixed.stuck_fraction=0.3",
                              "fixed.overflow=wrap"]),
    "parity4-momentum-rails": ("parity4", ["fixed.momentum_shift=2", "fixed.update_noise_bits=4",
                                           "fixed.update_noise_shift=8", "fixed.stuck_fraction=0.2",
                                           "fixed.grad_width=20", "fixed.cost_noise_bits=5"]),
}


@pytest.mark.parametrize("name", sorted(FAULTY))
def test_reference_step_and_compiled_kernel_agree_with_faults(name):
    preset, overrides = FAULTY[name]
    cfg = apply_overrides(from_preset(preset), overrides)
    fast, ref = FixedMGD(cfg), FixedMGD(cfg)
    trace = fast.run(120)
    trace = type(trace).concatenate([trace, fast.run(180)])  # in slices, as a bench runs it
    trace.assert_equal(ref.run_reference(300))
    spec = fast.spec
    stuck = list(spec.stuck)
    assert stuck and (trace.theta[:, stuck] == fast.theta0[stuck]).all(), "a stuck θ moved"
    if spec.tau_theta > 1:  # G after a mid-block step: a stuck parameter's accumulates (only θ's write
        # is gone)
        assert (trace.G[:, stuck] != 0).any(), "a stuck parameter's G must accumulate"
    clean = FixedMGD(apply_overrides(from_preset(preset), [o for o in overrides
                                                           if "noise" not in o and "stuck" not in o]))
    ct = clean.run(300)
    if spec.cost_noise_bits:
        assert (trace.C[:1] != ct.C[:1]).all(), "cost noise must change the first read already"
        assert trace.C.min() >= 0 and trace.C.max() <= spec.cost_fmt.max_int
    np.testing.assert_array_equal(trace.sign_bits, ct.sign_bits)  # faults never touch the signs
    if name == "parity4-momentum-rails":
        assert trace.sat_events[-1] > 0, "this case is meant to saturate θ under update noise"


def test_update_noise_moves_theta_by_the_draws_when_g_is_zero():
    """η so small that round(G, k_η) = 0: every update moves θ by exactly its lane's draw."""
    cfg = apply_overrides(from_preset("xor"), ["fixed.eta_shift=40", "fixed.momentum_shift=0",
                                               "fixed.update_noise_bits=3", "fixed.update_noise_shift=1",
                                               "fixed.grad_width=40"])
    model = FixedMGD(cfg)
    lanes = [faults.NoiseLFSR(int(s), 3, 1) for s in faults.update_lane_seeds(9, cfg.mgd.seed)]
    theta = model.theta0.copy()
    for _ in range(50):
        theta = theta + np.array([src.draw() for src in lanes])
    model.run(50, record=False)
    np.testing.assert_array_equal(model.theta, theta)


def test_stuck_fraction_picks_round_f_n_indices_per_seed():
    a = FixedSpec.from_config(apply_overrides(from_preset("nist7x7"), ["fixed.stuck_fraction=0.1"]))
    b = FixedSpec.from_config(apply_overrides(from_preset("nist7x7"), ["fixed.stuck_fraction=0.1",
                                                                       "mgd.seed=2"]))
    c = FixedSpec.from_config(apply_overrides(from_preset("nist7x7"), ["fixed.stuck_fraction=0.1",
                                                                       "fixed.stuck_seed=5"]))
    assert len(a.stuck) == len(b.stuck) == 87 and a.stuck != b.stuck != c.stuck != a.stuck
    assert a.stuck == tuple(sorted(a.stuck)) and a.stuck_mask.sum() == 87


def test_fault_study_writes_its_table(tmp_path):
    from golden_model.studies.faults import FaultPoint, markdown_report, plot_faults, run_faults

    pts = [FaultPoint("none"), FaultPoint("cost", 3, 4), FaultPoint("update", 1, 2),
           FaultPoint("stuck", fraction=0.25)]
    r = run_faults("xor", seeds=2, steps=300, points=pts)
    assert [row["point"] for row in r["table"]] == ["none", "cost 3:4", "update 1:2", "stuck 0.25"]
    for row in r["table"]:
        assert len(row["fixed"]["test_accuracy"]) == 2 and len(row["float"]["test_accuracy"]) == 2
    assert r["table"][3]["stuck_params"] == 2  # round(0.25 · 9)
    assert r["table"][1]["sigma_lsb"] == pytest.approx(16 * np.sqrt(63 / 3))
    md = markdown_report(r, "mgd faults ...")
    assert "| cost 3:4 | cost_noise_bits=3, cost_noise_shift=4 |" in md and "/2 |" in md
    plot_faults(r, tmp_path / "faults.png")
    assert (tmp_path / "faults.png").stat().st_size > 10_000
