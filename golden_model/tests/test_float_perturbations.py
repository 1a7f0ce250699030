"""Perturbation generators: norm Δθ, code timing, Walsh orthogonality, time order, frequency RMS."""

from __future__ import annotations

import numpy as np
import pytest

from golden_model.errors import MGDError
from golden_model.perturbations import (
    CodePerturbation,
    FrequencyPerturbation,
    TimePerturbation,
    WalshPerturbation,
    hadamard,
    make_perturbation,
)

SEEDS = [3, 4]


@pytest.mark.parametrize("kind", ["code", "walsh", "time"])
def test_rms_norm_is_delta_every_step(kind):
    p = make_perturbation(kind, 13, 0.05, 1, SEEDS)
    for n in range(40):
        v = p.at(n)
        assert v.shape == (2, 13)
        np.testing.assert_allclose(np.linalg.norm(v, axis=1), 0.05, rtol=1e-12, err_msg=f"{kind} step {n}")


def test_frequency_rms_over_time_is_delta():
    p = FrequencyPerturbation(13, 0.05, 1, SEEDS)
    v = np.stack([p.at(n) for n in range(4000)])
    assert np.sqrt(np.mean(np.sum(v ** 2, axis=2))) == pytest.approx(0.05, rel=0.02)
    assert len(np.unique(p.freqs[0])) == 13 and p.freqs.max() < 0.5


def test_code_signs_change_every_tau_p_and_replicas_match_solo():
    p = CodePerturbation(7, 0.1, 3, SEEDS)
    a = 0.1 / np.sqrt(7)
    seq = np.stack([p.at(n).copy() for n in range(3000)])
    np.testing.assert_allclose(np.abs(seq), a)
    assert np.array_equal(seq[0], seq[2]) and not np.array_equal(seq[2], seq[3])
    solo = CodePerturbation(7, 0.1, 3, [SEEDS[1]])
    np.testing.assert_array_equal(np.stack([solo.at(n).copy() for n in range(3000)])[:, 0], seq[:, 1])
    # signs are balanced and uncorrelated across lanes (seed in message)
    s = np.sign(seq[::3, 0])
    corr = s.T @ s / len(s)
    assert np.abs(corr - np.eye(7)).max() < 0.1, f"seeds {SEEDS}"


def test_walsh_codes_orthogonal_over_one_period():
    p = WalshPerturbation(10, 0.2, 2, SEEDS)
    assert p.period == 16
    a = 0.2 / np.sqrt(10)
    v = np.stack([p.at(n) for n in range(0, 2 * p.period, 2)])  # one slot per tau_p
    for r in range(2):
        np.testing.assert_allclose(v[:, r].T @ v[:, r], a * a * p.period * np.eye(10), atol=1e-15)
    h = hadamard(8)
    np.testing.assert_array_equal(h @ h.T, 8 * np.eye(8))


def test_time_is_one_parameter_at_a_time_in_order():
    p = TimePerturbation(4, 0.05, 2, SEEDS)
    got = [int(np.flatnonzero(p.at(n)[0])[0]) for n in range(12)]
    assert got == [0, 0, 1, 1, 2, 2, 3, 3, 0, 0, 1, 1]
    assert p.at(5)[1].max() == 0.05


def test_bad_arguments():
    with pytest.raises(MGDError, match="mgd.multiplexing must be one of .*, not 'ofdm'"):
        make_perturbation("ofdm", 3, 0.1, 1, SEEDS)
    with pytest.raises(MGDError, match="delta must be a number > 0, not -1"):
        CodePerturbation(3, -1, 1, SEEDS)
    with pytest.raises(MGDError, match="tau_p must be an integer >= 1, not 0"):
        CodePerturbation(3, 0.1, 0, SEEDS)
    with pytest.raises(MGDError, match="Hadamard order must be a power of two, not 6"):
        hadamard(6)
