"""Training data sets, generated deterministically from a seed; nothing is downloaded.

Ref: ``shared/design/ARCHITECTURE.md`` ("Golden model": datasets) and ``MGD.md`` ("Experiments").

Every data set is float64 with inputs ``x`` in [0, 1] and targets ``t`` in {0.0, 1.0} of shape
``(n, n_out)``: one column for ``xor`` and ``parity``, one-hot for ``nist7x7`` (4 classes) and ``digits``
(10 classes). Training uses the samples in stored order (sample of step n is ``(n // tau_x) % n_train``),
so the generators below store the training set already shuffled by a seeded permutation where the
natural order would be sorted by class.

``nist7x7`` regenerated
    Paper 1's NIST7x7 file is not public. We rebuild it from its description: the letters N, I, S, T drawn
    as 5×5 glyphs (:data:`NIST_GLYPHS`), placed at each of the 3×3 = 9 positions inside a 7×7 grid (shifts
    of 0–2 pixels in each direction), and ``NIST_COPIES`` noisy copies of each, with Gaussian pixel noise
    of standard deviation ``NIST_NOISE`` clipped to [0, 1]. That gives 4 × 9 × 25 = 900 images, split by a
    seeded permutation into train and test (``task.test_fraction``), stratified so every letter and shift
    appears in both. The noise and the split depend only on ``task.data_seed``.
``digits``
    scikit-learn's bundled 8×8 digits (1797 images, 0–16 grey levels, shipped with the package), scaled
    to [0, 1], split by a seeded permutation (stratified per class).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden_model.config import TaskConfig

__all__ = ["Dataset", "load_dataset", "accuracy", "NIST_GLYPHS", "NIST_LETTERS", "NIST_NOISE", "NIST_COPIES"]

NIST_LETTERS = "NIST"
# 5x5 glyphs, '#' = 1. They are placed at every offset (0..2, 0..2) inside the 7x7 grid.
NIST_GLYPHS: dict[str, tuple[str, ...]] = {
    "N": ("#...#", "##..#", "#.#.#", "#..##", "#...#"),
    "I": ("#####", "..#..", "..#..", "..#..", "#####"),
    "S": (".####", "#....", ".###.", "....#", "####."),
    "T": ("#####", "..#..", "..#..", "..#..", "..#.."),
}
NIST_NOISE = 0.25  # standard deviation of the Gaussian pixel noise, before clipping to [0, 1]
NIST_COPIES = 25  # noisy copies of every (letter, shift)


@dataclass(frozen=True)
class Dataset:
    """A train/test pair. ``x_*``: (n, n_in) in [0, 1]; ``t_*``: (n, n_out) in {0, 1}; float64."""

    name: str
    x_train: np.ndarray
    t_train: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray

    @property
    def n_in(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_out(self) -> int:
        return self.t_train.shape[1]


def accuracy(y: np.ndarray, t: np.ndarray) -> float:
    """Fraction of samples classified right.

    One output: ``(y >= 0.5) == (t >= 0.5)``. Several outputs: ``argmax(y) == argmax(t)``, ties going to
    the lowest index (NumPy's ``argmax``). ``y`` and ``t`` have shape (n, n_out).
    """
    y = np.asarray(y, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    if t.ndim == 1:
        t = t[:, None]
    if t.shape[1] == 1:
        return float(np.mean((y[:, 0] >= 0.5) == (t[:, 0] >= 0.5)))
    return float(np.mean(np.argmax(y, axis=1) == np.argmax(t, axis=1)))


def _bits(n_bits: int) -> np.ndarray:
    """All ``2**n_bits`` input patterns in binary counting order, most significant bit first."""
    k = np.arange(1 << n_bits)
    return ((k[:, None] >> np.arange(n_bits - 1, -1, -1)) & 1).astype(np.float64)


def _parity(n_bits: int) -> Dataset:
    x = _bits(n_bits)
    t = (x.sum(axis=1) % 2)[:, None]
    name = "xor" if n_bits == 2 else f"parity{n_bits}"
    return Dataset(name, x, t, x.copy(), t.copy())


def _one_hot(labels: np.ndarray, n_classes: int) -> np.ndarray:
    return np.eye(n_classes)[labels]


def _stratified_split(groups: np.ndarray, test_fraction: float, rng: np.random.Generator
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test): within each group a seeded share goes to test; train order is shuffled."""
    train, test = [], []
    for g in np.unique(groups):
        idx = rng.permutation(np.flatnonzero(groups == g))
        n_test = int(round(test_fraction * len(idx)))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    train_idx = rng.permutation(np.concatenate(train))
    test_idx = np.sort(np.concatenate(test))
    return train_idx, test_idx


def nist7x7_images(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All 900 NIST7x7 images (n, 49), labels (index into ``NIST_LETTERS``) and (letter, shift) groups."""
    rng = np.random.default_rng(seed)
    images, labels, groups = [], [], []
    for c, letter in enumerate(NIST_LETTERS):
        glyph = np.array([[ch == "#" for ch in row] for row in NIST_GLYPHS[letter]], dtype=np.float64)
        for shift in range(9):
            dy, dx = divmod(shift, 3)
            clean = np.zeros((7, 7))
            clean[dy:dy + 5, dx:dx + 5] = glyph
            noisy = clean[None] + rng.normal(0.0, NIST_NOISE, size=(NIST_COPIES, 7, 7))
            images.append(np.clip(noisy, 0.0, 1.0).reshape(NIST_COPIES, 49))
            labels.append(np.full(NIST_COPIES, c))
            groups.append(np.full(NIST_COPIES, c * 9 + shift))
    return np.concatenate(images), np.concatenate(labels), np.concatenate(groups)


def _nist7x7(task: TaskConfig) -> Dataset:
    x, labels, groups = nist7x7_images(task.data_seed)
    tr, te = _stratified_split(groups, task.test_fraction, np.random.default_rng([task.data_seed, 1]))
    t = _one_hot(labels, len(NIST_LETTERS))
    return Dataset("nist7x7", x[tr], t[tr], x[te], t[te])


def _digits(task: TaskConfig) -> Dataset:
    from sklearn.datasets import load_digits  # bundled with scikit-learn; no download

    d = load_digits()
    x = np.asarray(d.data, dtype=np.float64) / 16.0
    labels = np.asarray(d.target)
    tr, te = _stratified_split(labels, task.test_fraction, np.random.default_rng([task.data_seed, 2]))
    t = _one_hot(labels, 10)
    return Dataset("digits", x[tr], t[tr], x[te], t[te])


def load_dataset(task: TaskConfig) -> Dataset:
    """The data set named by ``task.dataset``, deterministic from ``task.data_seed``.

    For ``xor`` and ``parity`` the test set is the whole truth table, equal to the training set.
    """
    if task.dataset == "xor":
        return _parity(2)
    if task.dataset == "parity":
        return _parity(task.parity_bits)
    if task.dataset == "nist7x7":
        return _nist7x7(task)
    return _digits(task)  # TaskConfig has already checked the name
