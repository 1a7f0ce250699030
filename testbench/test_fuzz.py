"""The fuzz generator (:mod:`testbench.fuzz`): deterministic in (seed, index), only valid configurations,
and spread over every axis it is meant to cover. No simulation (``test_fuzz_cosim.py`` runs some)."""

from __future__ import annotations

from collections import Counter

import pytest

from golden_model.config import loads_toml, to_toml
from golden_model.fixed_network import FixedSpec
from golden_model.schedule import fold
from rtl.cores import core_inputs
from testbench import fuzz

N = 40


@pytest.fixture(scope="module")
def drawn() -> list[fuzz.FuzzCase]:
    return list(fuzz.cases(1, N))


def test_config_i_of_seed_s_is_a_pure_function_of_both(drawn):
    assert [fuzz.draw(1, i) for i in (0, 7, N - 1)] == [drawn[0], drawn[7], drawn[N - 1]]
    assert list(fuzz.cases(1, 3, start=5)) == drawn[5:8]
    assert [c.index for c in drawn] == list(range(N)) and all(c.seed == 1 for c in drawn)
    other = list(fuzz.cases(2, 5))
    assert [c.config for c in other] != [c.config for c in drawn[:5]]
    with pytest.raises(ValueError, match="non-negative"):
        fuzz.draw(-1, 0)


def test_every_config_is_valid_and_replays_from_toml(drawn):
    for case in drawn:
        c = case.config
        core_inputs(c)  # the RTL's own checks (and the fixed model's)
        need = FixedSpec.min_grad_width(c)
        assert need <= c.fixed.grad_width <= need + 3, case.describe()
        assert loads_toml(to_toml(c)) == c
        assert c.task.dataset in ("xor", "parity") and max(c.network.layers) <= 6
        if c.hardware.style == "folded":  # PE x SIMD (fold refuses what it cannot split)
            pe, simd = fold(c.network.layers, c.hardware.lanes)
            assert 1 <= pe <= max(c.network.layers[1:]) and simd in (1, 2, 4), case.describe()


def test_configs_cover_every_axis(drawn):
    configs = [c.config for c in drawn]

    def values(get) -> set:
        return {get(c) for c in configs}

    assert values(lambda c: c.hardware.style) == {"spatial", "folded"}
    assert values(lambda c: c.mgd.perturbation) == {"weight", "node"}
    assert values(lambda c: (c.hardware.style, c.mgd.perturbation)) == {
        (s, p) for s in ("spatial", "folded") for p in ("weight", "node")}
    assert values(lambda c: c.fixed.rounding) == {"floor", "half_up", "convergent"}
    assert values(lambda c: c.fixed.overflow) == {"saturate", "wrap"}
    assert values(lambda c: c.network.cost) == {"mse", "l1"}
    assert values(lambda c: c.fixed.hw_activation) == {"hard_sigmoid", "clipped_relu", "relu", "hard_tanh"}
    assert values(lambda c: c.fixed.momentum_shift > 0) == {True, False}
    assert len(values(lambda c: c.fixed.momentum_shift)) >= 3
    assert len(values(lambda c: len(c.network.layers))) >= 3  # depths 1-3 hidden layers
    assert len(values(lambda c: c.mgd.tau_theta)) >= 4 and len(values(lambda c: c.mgd.tau_x)) >= 3
    assert len(values(lambda c: c.mgd.tau_p)) >= 3
    assert len(values(lambda c: c.hardware.lanes if c.hardware.style == "folded" else None)) >= 4
    assert values(lambda c: fold(c.network.layers, c.hardware.lanes)[1] if c.hardware.style == "folded"
                  else 1) >= {1, 2}  # P above the widest layer too
    assert len(values(lambda c: (c.fixed.theta, c.fixed.activation, c.fixed.cost))) >= N - 2
    assert len(values(lambda c: c.task.parity_bits if c.task.dataset == "parity" else 2)) >= 3
    assert values(lambda c: c.fixed.cost_noise_bits > 0) == {True, False}
    assert values(lambda c: c.fixed.update_noise_bits > 0) == {True, False}
    assert values(lambda c: c.fixed.stuck_fraction > 0) == {True, False}


def test_refused_draws_are_counted_and_redrawn(drawn):
    reasons = Counter(r for c in drawn for r in c.reasons)
    assert sum(c.refused for c in drawn) == sum(reasons.values()) > 0
    assert all(r.startswith(("fixed.", "hardware.", "network.", "mgd.", "task.")) for r in reasons), reasons
