"""Data sets: exact truth tables, determinism from the seed, NIST7x7 construction, digits split, accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from golden_model.config import TaskConfig
from golden_model.datasets import NIST_COPIES, accuracy, load_dataset, nist7x7_images


def test_xor_truth_table():
    d = load_dataset(TaskConfig(dataset="xor"))
    np.testing.assert_array_equal(d.x_train, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(d.t_train, [[0], [1], [1], [0]])
    np.testing.assert_array_equal(d.x_test, d.x_train)
    assert d.x_train.dtype == np.float64 and d.t_train.dtype == np.float64


@pytest.mark.parametrize("bits", [2, 3, 4, 7])
def test_parity_is_whole_truth_table(bits):
    d = load_dataset(TaskConfig(dataset="parity", parity_bits=bits))
    assert d.x_train.shape == (2 ** bits, bits) and d.t_train.shape == (2 ** bits, 1)
    assert len({tuple(r) for r in d.x_train}) == 2 ** bits
    np.testing.assert_array_equal(d.t_train[:, 0], d.x_train.sum(axis=1) % 2)
    np.testing.assert_array_equal(d.t_test, d.t_train)


@pytest.mark.parametrize("name,n_in,n_out", [("nist7x7", 49, 4), ("digits", 64, 10)])
def test_image_sets_shapes_ranges_one_hot(name, n_in, n_out):
    d = load_dataset(TaskConfig(dataset=name, data_seed=3))
    for x, t in ((d.x_train, d.t_train), (d.x_test, d.t_test)):
        assert x.shape[1] == n_in and t.shape[1] == n_out
        assert x.min() >= 0.0 and x.max() <= 1.0
        np.testing.assert_array_equal(t.sum(axis=1), 1.0)
        assert set(np.unique(t)) == {0.0, 1.0}
    n_test, n_all = len(d.x_test), len(d.x_test) + len(d.x_train)
    assert abs(n_test / n_all - 0.25) < 0.02
    # every class in both parts; training order is shuffled (not sorted by class)
    assert (d.t_test.sum(axis=0) > 0).all() and (d.t_train.sum(axis=0) > 0).all()
    assert len(np.unique(d.t_train[:20].argmax(axis=1))) > 1


@pytest.mark.parametrize("name", ["nist7x7", "digits"])
def test_deterministic_from_seed(name):
    a = load_dataset(TaskConfig(dataset=name, data_seed=5))
    b = load_dataset(TaskConfig(dataset=name, data_seed=5))
    c = load_dataset(TaskConfig(dataset=name, data_seed=6))
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.t_test, b.t_test)
    assert not np.array_equal(a.x_train, c.x_train), "seeds 5 and 6 gave the same split"


def test_nist7x7_is_letters_shifted_plus_noise():
    x, labels, groups = nist7x7_images(seed=0)
    assert x.shape == (4 * 9 * NIST_COPIES, 49)
    # the mean of the noisy copies of one (letter, shift) is close to the clean glyph: I at shift 0
    mean_i = x[groups == 1 * 9 + 0].mean(axis=0).reshape(7, 7)
    assert (mean_i[0, :5] > 0.7).all() and (mean_i[:, 5:] < 0.3).all(), mean_i.round(2)
    # shifted by one row down: the top row is empty
    mean_shift = x[groups == 1 * 9 + 3].mean(axis=0).reshape(7, 7)
    assert (mean_shift[0] < 0.3).all() and (mean_shift[1, :5] > 0.7).all()
    # letters are distinguishable: nearest clean-mean classifier is near perfect on the noisy images
    centers = np.stack([x[groups == g].mean(axis=0) for g in range(36)])
    nearest = np.argmin(((x[:, None, :] - centers[None]) ** 2).sum(-1), axis=1) // 9
    assert np.mean(nearest == labels) > 0.95


def test_accuracy_rules():
    t1 = np.array([[0.0], [1.0], [1.0]])
    assert accuracy(np.array([[0.49], [0.5], [0.2]]), t1) == pytest.approx(2 / 3)
    t = np.eye(3)
    y_tie = np.array([[0.7, 0.7, 0.0], [0.7, 0.7, 0.0], [0.1, 0.1, 0.1]])  # ties go to the lowest index
    assert accuracy(y_tie, t) == pytest.approx(1 / 3)
    assert accuracy(np.array([0.9, 0.1]), np.array([1.0, 0.0])) == 1.0
