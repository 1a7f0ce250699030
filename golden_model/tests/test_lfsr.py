"""The LFSR twin and the sign bank: periods, phases, decorrelation, parameter checks."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from golden_model import lfsr


@pytest.mark.parametrize("width", [w for w in lfsr.TAPS if w <= 24])
def test_full_period_by_running(width):
    """Running the twin from seed 1 visits 2**w - 1 distinct states before it returns to the seed."""
    mask = lfsr.taps_mask(width)
    state, n = lfsr.step(1, mask), 1
    while state != 1:
        assert state != 0, f"width {width}: reached the all-zero state after {n} steps"
        state = lfsr.step(state, mask)
        n += 1
    assert n == (1 << width) - 1, f"width {width}: period {n}, expected {(1 << width) - 1}"


@pytest.mark.parametrize("width", sorted(lfsr.TAPS))
def test_period_is_maximal_for_every_table_width(width):
    assert lfsr.period_is_maximal(width)


def test_order_test_rejects_a_non_primitive_polynomial():
    # x^4 + x^2 + 1 = (x^2 + x + 1)^2 is not primitive: period 6, not 15.
    assert not lfsr.period_is_maximal(4, (4, 2))


def test_generate_matches_step_and_jump():
    gen = lfsr.generate(16, 0xACE1)
    states = list(itertools.islice(gen, 1000))
    assert states[0] == 0xACE1
    mask = lfsr.taps_mask(16)
    for a, b in zip(states, states[1:]):
        assert b == lfsr.step(a, mask)
    for n in (0, 1, 17, 999):
        assert lfsr.jump(16, 0xACE1, n) == states[n]


def test_lane_phases_are_evenly_spaced():
    bank = lfsr.SignBank(lanes=8, width=12, seed=5)
    spacing = ((1 << 12) - 1) // 8
    for i, s in enumerate(bank.seeds):
        assert s == lfsr.jump(12, 5, i * spacing)
    assert len(set(bank.seeds)) == 8


def test_bank_advance_matches_scalar_lfsrs():
    bank = lfsr.SignBank(lanes=5, width=10, seed=3)
    gens = [lfsr.generate(10, s) for s in bank.seeds]
    expected = np.array([[next(g) & 1 for g in gens] for _ in range(300)], dtype=np.uint8)
    np.testing.assert_array_equal(bank.run(300), expected)


def test_lanes_are_decorrelated():
    """Pairwise correlation of the ±1 lanes, at lag 0 and at every small lag, stays within 5.5/sqrt(T).

    Bound: over T steps a pair of independent fair ±1 streams has correlation ~ N(0, 1/T). For 64 lanes
    and lags 0..8 there are about 64*63/2 * 17 ≈ 34,000 (pair, lag) tests; P(|N(0,1)| > 5.5) ≈ 3.8e-8,
    so the chance that any of them exceeds 5.5/sqrt(T) by luck is below 1.5e-3. A lane that is a short
    delay of another would show a correlation of 1 at that lag.
    """
    lanes, T, max_lag = 64, 20_000, 8
    s = 1.0 - 2.0 * lfsr.SignBank(lanes=lanes, width=16, seed=0xACE1).run(T + max_lag).astype(np.float64)
    bound = 5.5 / np.sqrt(T)
    worst = 0.0
    for lag in range(0, max_lag + 1):
        a, b = s[:T], s[lag:lag + T]
        c = a.T @ b / T  # c[i, j] = corr(lane i at n, lane j at n + lag)
        if lag == 0:
            c = c[~np.eye(lanes, dtype=bool)]
        worst = max(worst, float(np.abs(c).max()))
        assert np.abs(c).max() < bound, f"lag {lag}: max |corr| {np.abs(c).max():.4f} >= {bound:.4f}"
    assert worst > 0.0
    # Each lane alone is balanced: an m-sequence has one more 1 than 0 per period.
    assert np.abs(s.mean(axis=0)).max() < bound


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lanes": 4, "width": 2, "seed": 1},
         "LFSR width must be an integer from 3 to 32 (the tap table), not 2"),
        ({"lanes": 4, "width": 33, "seed": 1},
         "LFSR width must be an integer from 3 to 32 (the tap table), not 33"),
        ({"lanes": 4, "width": 16.0, "seed": 1}, "LFSR width must be an integer from 3 to 32, not 16.0"),
        ({"lanes": 0, "width": 16, "seed": 1}, "sign bank lanes must be a positive integer, not 0"),
        ({"lanes": 4, "width": 16, "seed": 0}, "LFSR seed must be a non-zero integer below 2**16, not 0"),
        ({"lanes": 1, "width": 8, "seed": 256}, "LFSR seed must be a non-zero integer below 2**8, not 256"),
        ({"lanes": 100, "width": 12, "seed": 1},
         "sign bank width must leave at least 64 steps between lanes; "
         "100 lanes of width 12 are only 40 apart"),
    ],
)
def test_bad_parameters_are_rejected(kwargs, message):
    with pytest.raises(lfsr.LFSRError, match="^" + re.escape(message)):
        lfsr.SignBank(**kwargs)


def test_bad_taps_are_rejected():
    with pytest.raises(lfsr.LFSRError, match="LFSR taps must be distinct positions from 1 to 8"):
        lfsr.taps_mask(8, (7, 3))
