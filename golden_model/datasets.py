"""Training data sets, generated deterministically from a seed (nothing is downloaded), or read from the
user's own file.

Ref: ``shared/design/ARCHITECTURE.md`` ("Golden model": datasets) and ``MGD.md`` ("Experiments").

Every data set is float64 with inputs ``x`` in [0, 1] and targets ``t`` in {0.0, 1.0} of shape
``(n, n_out)``: one column for ``xor`` and ``parity``, one-hot for ``nist7x7`` (4 classes) and ``digits``
(10 classes); a ``file`` may also give targets anywhere in [0, 1]. Training uses the samples in stored
order (sample of step n is ``(n // tau_x) % n_train``), so the generators below store the training set
already shuffled by a seeded permutation where the natural order would be sorted by class.

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
``file``
    The user's own data, ``task.data_file`` (:func:`read_data_file`): an ``.npz`` archive or a CSV file.
    Its widths are those of ``network.layers`` (``n_in = layers[0]``, ``n_out = layers[-1]``):

    * ``.npz``: arrays ``x`` (n, n_in) and ``y``, optionally ``x_test`` and ``y_test`` (both or neither; no
      other arrays). ``y`` of shape (n,) holds integer labels, of shape (n, n_out) targets.
    * ``.csv`` (comma-separated, UTF-8): one row per sample, the n_in inputs, then either one integer label
      column or n_out target columns (with one output the two are the same column). A first row with a
      field that is not a number is a header and is skipped; blank lines are skipped.

    Labels are integers 0 to n_out - 1, one-hot encoded as ``nist7x7`` and ``digits`` are (with one output:
    0 or 1, the target itself, as ``xor``); targets lie in [0, 1]. Inputs must already lie in [0, 1], the
    range the fixed-point input format holds (``fixed.activation``; spec "Initial parameters and data"):
    nothing is rescaled. A file with ``x_test``/``y_test`` gives its split, used in the file's order;
    otherwise a share ``task.test_fraction`` of every class goes to the test set by a permutation seeded
    with ``task.data_seed`` (as ``nist7x7``), and the training set is stored shuffled. Every defect (no such
    file, not an archive, arrays missing or misnamed, widths other than the network's, NaN or infinities,
    inputs or targets outside [0, 1], labels that are not integers of the network's classes, an empty
    training or test set) is refused with one :class:`~golden_model.validate.PathError` naming
    ``task.data_file``, the file, the array entry or the line and column, and the value (a split that
    leaves a set empty: :class:`~golden_model.config.ConfigError` naming ``task.test_fraction`` and the
    file); :class:`~golden_model.config.MGDConfig` reads the file when it is built, so before any work.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from golden_model.config import ConfigError, TaskConfig
from golden_model.validate import PathError, read_text, reading

__all__ = ["Dataset", "load_dataset", "accuracy", "read_data_file", "data_file_digest", "NIST_GLYPHS",
           "NIST_LETTERS", "NIST_NOISE", "NIST_COPIES", "NPZ_ARRAYS", "MAX_DATA_BYTES"]

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
    """A train/test pair. ``x_*``: (n, n_in) in [0, 1]; ``t_*``: (n, n_out) in {0, 1} (a file's: in [0, 1]);
    float64."""

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


# ---- the user's own data (task.dataset = "file") ----------------------------------------------------------

NPZ_ARRAYS = ("x", "y", "x_test", "y_test")  # the arrays a data .npz holds (x_test, y_test optional)
MAX_DATA_BYTES = 1 << 28  # a data file, and every array of an .npz once decompressed: 256 MiB
_NPZ_WHAT = "an .npz data file of arrays x and y (optionally x_test and y_test)"
_CSV_WHAT = "a CSV data file (one row per sample: the inputs, then one label or the targets)"
_INPUT_RANGE = "inputs must already lie in [0, 1], the range of the fixed-point input format"
_NAME = "task.data_file"


def _inputs(n_in: int) -> str:
    return f"network.layers[0] = {n_in} input{'s' if n_in > 1 else ''}"


def _outputs(n_out: int) -> str:
    return f"network.layers[-1] = {n_out} output{'s' if n_out > 1 else ''}"


def _fail(what: str, path: str, why: str) -> None:
    raise PathError(f"{_NAME} must be {what}, not {path!r} ({why})")


def _first(mask: np.ndarray) -> tuple[int, ...] | None:
    """Index of the first True entry of ``mask`` in row-major order (None: there is none)."""
    found = np.argwhere(mask)
    return tuple(int(v) for v in found[0]) if len(found) else None


def _check_values(values: np.ndarray, kind: str, where: Callable[[tuple[int, ...]], str],
                  fail: Callable[[str], None], n_out: int) -> None:
    """Refuse the first bad entry of ``values``, a float array: NaN or infinite; an input (``kind``
    ``"input"``) or target (``"target"``) outside [0, 1]; a label (``"label"``) that is not an integer from 0
    to ``n_out - 1`` (0 or 1 when ``n_out`` is 1). ``where(index)`` says where an entry is."""
    def value(i: tuple[int, ...]) -> float:
        return float(values[i])

    bad = _first(~np.isfinite(values))
    if bad is not None:
        fail(f"{where(bad)} is {value(bad)!r}; NaN and infinities are not data")
    if kind == "label":
        top = max(n_out - 1, 1)
        bad = _first(values != np.round(values))
        if bad is not None:
            fail(f"{where(bad)} = {value(bad)!r} is not an integer label")
        bad = _first((values < 0) | (values > top))
        if bad is not None:
            fail(f"{where(bad)} = {value(bad):g} is not a label from 0 to {top} ({_outputs(n_out)})")
        return
    bad = _first((values < 0.0) | (values > 1.0))
    if bad is not None:
        why = _INPUT_RANGE if kind == "input" else "targets must lie in [0, 1]"
        fail(f"{where(bad)} = {value(bad)!r} is outside [0, 1]: {why}")


def _targets(y: np.ndarray, n_out: int) -> np.ndarray:
    """Checked labels (1-D) as one-hot targets of ``n_out`` columns (one output: the label itself), or
    checked targets (2-D) unchanged; float64."""
    if y.ndim == 2:
        return y
    labels = y.astype(np.int64)
    return labels[:, None].astype(np.float64) if n_out == 1 else _one_hot(labels, n_out)


def _read_npz(path: str, n_in: int, n_out: int) -> tuple[np.ndarray, ...]:
    """``(x, t, x_test, t_test)`` of a data ``.npz`` (the test pair None when the file has none), checked."""
    def fail(why: str) -> None:
        _fail(_NPZ_WHAT, path, why)

    with reading(_NAME, path, _NPZ_WHAT) as p:
        if p.stat().st_size > MAX_DATA_BYTES:
            fail(f"{p.stat().st_size} bytes; at most {MAX_DATA_BYTES}")
        with open(p, "rb") as f:
            magic = f.read(6)
        if magic == b"\x93NUMPY":
            fail("a single .npy array, not an .npz archive")
        if not magic.startswith(b"PK"):  # np.load would take it for a pickle
            fail("not an .npz archive: no zip header")
        data = np.load(p, allow_pickle=False)
        with data:
            names = sorted(data.files)
            held = f"it holds {', '.join(names) if names else 'no arrays'}"
            unknown = [n for n in names if n not in NPZ_ARRAYS]
            one_test = ("x_test" in names) != ("y_test" in names)
            if unknown or "x" not in names or "y" not in names or one_test:
                fail(f"{held}; it needs x and y, and may hold x_test with y_test, nothing else")
            arrays = {}
            members = set(data.zip.namelist())
            for n in names:
                size = data.zip.getinfo(f"{n}.npy" if f"{n}.npy" in members else n).file_size
                if size > MAX_DATA_BYTES:
                    fail(f"array {n} is {size} bytes once decompressed; at most {MAX_DATA_BYTES}")
                arrays[n] = data[n]
    out: list[np.ndarray | None] = []
    for xn, yn in (("x", "y"), ("x_test", "y_test")):
        if xn not in arrays:
            out += [None, None]
            continue
        x, y = arrays[xn], arrays[yn]
        for n, a in ((xn, x), (yn, y)):
            if a.dtype.kind not in "biuf":
                fail(f"array {n} holds {a.dtype} values; numbers are needed")
        if x.ndim != 2:
            fail(f"array {xn} has shape {x.shape}; it must be (samples, inputs)")
        if y.ndim not in (1, 2):
            fail(f"array {yn} has shape {y.shape}; it must be (samples,) of labels or (samples, outputs) of "
                 "targets")
        if len(y) != len(x):
            fail(f"array {xn} has {len(x)} rows but {yn} has {len(y)}")
        if len(x) == 0:
            fail(f"array {xn} has no rows: the {'training' if xn == 'x' else 'test'} set would be empty")
        if x.shape[1] != n_in:
            fail(f"array {xn} has {x.shape[1]} columns, {_inputs(n_in)}")
        if y.ndim == 2 and y.shape[1] != n_out:
            fail(f"array {yn} has {y.shape[1]} columns, {_outputs(n_out)} (labels are an array of shape "
                 "(samples,))")
        x, y = x.astype(np.float64), y.astype(np.float64)
        _check_values(x, "input", lambda i, n=xn: f"{n}[{i[0]}, {i[1]}]", fail, n_out)
        _check_values(y, "target" if y.ndim == 2 else "label",
                      lambda i, n=yn: f"{n}[{', '.join(map(str, i))}]", fail, n_out)
        out += [x, _targets(y, n_out)]
    return tuple(out)


def _read_csv(path: str, n_in: int, n_out: int) -> tuple[np.ndarray, ...]:
    """``(x, t, None, None)`` of a data CSV, checked (see the module docstring for the convention)."""
    def fail(why: str) -> None:
        _fail(_CSV_WHAT, path, why)

    text = read_text(_NAME, path, _CSV_WHAT, max_bytes=MAX_DATA_BYTES)
    widths = sorted({n_in + 1, n_in + n_out})
    allowed = (f"{_inputs(n_in)}, then "
               + (f"1 label or {n_out} targets" if n_out > 1 else "1 target or label"))
    rows: list[list[float]] = []
    lines: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    first = True
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            try:
                values = [float(f) for f in fields]
            except ValueError:
                if first:  # a header row
                    first = False
                    continue
                col = next(j for j, f in enumerate(fields) if not _is_number(f))
                fail(f"line {line}, column {col + 1}: {fields[col]!r} is not a number")
            first = False
            if len(values) not in widths:
                fail(f"line {line} has {len(values)} columns; a row is {allowed}: "
                     f"{' or '.join(map(str, widths))} columns")
            if rows and len(values) != len(rows[0]):
                fail(f"line {line} has {len(values)} columns, line {lines[0]} has {len(rows[0])}")
            rows.append(values)
            lines.append(line)
    except csv.Error as exc:
        fail(f"line {reader.line_num}: {exc}")
    if not rows:
        fail("it has no data rows")
    table = np.array(rows, dtype=np.float64)

    def where(i: tuple[int, ...], offset: int = 0) -> str:
        return f"line {lines[i[0]]}, column {i[1] + 1 + offset}"

    x, y = table[:, :n_in], table[:, n_in:]
    _check_values(x, "input", where, fail, n_out)
    if y.shape[1] == 1 and n_out > 1:
        _check_values(y[:, 0], "label", lambda i: where((i[0], 0), n_in), fail, n_out)
        y = y[:, 0]
    else:
        _check_values(y, "target", lambda i: where(i, n_in), fail, n_out)
    return x, _targets(y, n_out), None, None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _reader(path: str) -> Callable[[str, int, int], tuple[np.ndarray | None, ...]]:
    """The reader of ``path``'s format by its suffix: :func:`_read_npz` (``.npz``), else :func:`_read_csv`."""
    return _read_npz if path.lower().endswith(".npz") else _read_csv


@functools.lru_cache(maxsize=4)
def _read_cached(path: str, stamp: tuple[int, ...], n_in: int, n_out: int) -> tuple[np.ndarray | None, ...]:
    """:func:`_read_npz` or :func:`_read_csv` of ``path`` as it was at ``stamp`` (size, mtime, inode,
    device), the arrays made read-only because every caller shares them."""
    arrays = _reader(path)(path, n_in, n_out)
    for a in arrays:
        if a is not None:
            a.setflags(write=False)
    return arrays


def read_data_file(path: str, layers: Sequence[int]) -> tuple[np.ndarray | None, ...]:
    """The checked arrays ``(x, t, x_test, t_test)`` of the data file ``path`` (``.npz`` or ``.csv``) for a
    network of ``layers``; targets one-hot encoded from labels; ``x_test, t_test`` None when the file gives
    no test set. Read-only float64 arrays, read again only when the file changed (size, modification time,
    inode). Raises :class:`~golden_model.validate.PathError` naming ``task.data_file``, the file and the
    defect (module docstring)."""
    n_in, n_out = int(layers[0]), int(layers[-1])
    try:
        st = os.stat(path)
    except (OSError, ValueError):  # reading() says why
        stamp = None
    else:
        stamp = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)
    if stamp is None:
        return _reader(path)(path, n_in, n_out)
    return _read_cached(path, stamp, n_in, n_out)


def data_file_digest(task: TaskConfig) -> str | None:
    """SHA-256 (hex) of the bytes of ``task.data_file`` for a file data set, None for the built-in sets
    (the config alone determines them): what a cache keyed on the config must add."""
    if task.dataset != "file":
        return None
    return hashlib.sha256(Path(task.data_file).read_bytes()).hexdigest()


def _file_dataset(task: TaskConfig, layers: Sequence[int]) -> Dataset:
    """The data set of ``task.data_file``: its own split, or a seeded stratified one (module docstring)."""
    x, t, x_test, t_test = read_data_file(task.data_file, layers)
    name = Path(task.data_file).name
    if x_test is not None:
        return Dataset(name, x.copy(), t.copy(), x_test.copy(), t_test.copy())
    groups = (t[:, 0] >= 0.5).astype(np.int64) if t.shape[1] == 1 else np.argmax(t, axis=1)
    tr, te = _stratified_split(groups, task.test_fraction, np.random.default_rng([task.data_seed, 3]))
    n_classes = len(np.unique(groups))
    size = (f"task.data_file {task.data_file!r} has {len(x)} sample{'s' if len(x) > 1 else ''} in "
            f"{n_classes} class{'es' if n_classes > 1 else ''}, split per class; or give x_test and y_test "
            "in an .npz")
    if len(te) == 0:
        raise ConfigError(f"task.test_fraction must be large enough to put a sample in the test set "
                          f"({size}), not {task.test_fraction!r}")
    if len(tr) == 0:
        raise ConfigError(f"task.test_fraction must be small enough to leave a sample in the training set "
                          f"({size}), not {task.test_fraction!r}")
    return Dataset(name, x[tr], t[tr], x[te], t[te])


def load_dataset(task: TaskConfig, layers: Sequence[int] | None = None) -> Dataset:
    """The data set named by ``task.dataset``, deterministic from ``task.data_seed``.

    For ``xor`` and ``parity`` the test set is the whole truth table, equal to the training set. ``layers``
    (``network.layers``) is needed by ``file`` only, whose widths and label encoding follow the network; the
    built-in sets have their own.
    """
    if task.dataset == "file":
        if layers is None:
            raise TypeError("load_dataset needs network.layers for task.dataset = 'file'")
        return _file_dataset(task, layers)
    if task.dataset == "xor":
        return _parity(2)
    if task.dataset == "parity":
        return _parity(task.parity_bits)
    if task.dataset == "nist7x7":
        return _nist7x7(task)
    return _digits(task)  # TaskConfig has already checked the name
