"""The user's own data (``task.dataset = "file"``, ``task.data_file``): .npz and CSV files, their encoding
and split, training on them, and one refusal per defect naming the field, the file and where it is."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from golden_model.config import ConfigError, apply_overrides, from_preset, loads_toml, to_toml
from golden_model.datasets import data_file_digest, load_dataset
from golden_model.fixed_mgd import FixedMGD, train
from golden_model.validate import PathError

CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def xor_like(per_corner: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """XOR's four corners, ``per_corner`` copies each moved up to 3/16 towards the middle (exact in binary, so
    a CSV of their ``repr`` reads back the same floats); labels in corner order, not sorted by class."""
    rng = np.random.default_rng(seed)
    idx = np.tile(np.arange(4), per_corner)
    x = np.abs(CORNERS[idx] - rng.integers(0, 4, size=(len(idx), 2)) / 16)
    return x, np.array([0, 1, 1, 0])[idx]


def three_blobs(n: int = 60, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Three linearly separable classes in the unit square (labels 0, 1, 2 in turn)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    centers = np.array([[0.15, 0.15], [0.85, 0.2], [0.5, 0.85]])
    return np.clip(centers[labels] + rng.integers(-2, 3, size=(n, 2)) / 16, 0.0, 1.0), labels


def write_csv(path: Path, x: np.ndarray, y: np.ndarray, header: str | None = "a,b,label") -> Path:
    """One row per sample: the inputs, then the label (1-D ``y``) or the targets (2-D)."""
    y2 = y[:, None] if y.ndim == 1 else y
    rows = [",".join(repr(float(v)) if j < x.shape[1] else str(v) for j, v in enumerate([*r, *t]))
            for r, t in zip(x, y2.tolist())]
    path.write_text("".join(f"{line}\n" for line in ([header] if header else []) + rows))
    return path


def file_config(path: Path | str, *overrides: str, preset: str = "xor"):
    return apply_overrides(from_preset(preset), ["task.dataset=file", f"task.data_file={path}", *overrides])


# ---- reading and encoding --------------------------------------------------------------------------------

def test_npz_and_csv_give_the_same_data_set_and_the_same_training(tmp_path):
    x, y = xor_like()
    np.savez(tmp_path / "d.npz", x=x, y=y)
    write_csv(tmp_path / "d.csv", x, y)
    a, b = file_config(tmp_path / "d.npz"), file_config(tmp_path / "d.csv")
    da, db = load_dataset(a.task, a.network.layers), load_dataset(b.task, b.network.layers)
    for name in ("x_train", "t_train", "x_test", "t_test"):
        np.testing.assert_array_equal(getattr(da, name), getattr(db, name))
    assert da.t_train.shape[1] == 1 and set(np.unique(da.t_train)) == {0.0, 1.0}
    ma, mb = FixedMGD(a), FixedMGD(b)
    ma.run(3000, record=False)
    mb.run(3000, record=False)
    np.testing.assert_array_equal(ma.theta, mb.theta)
    np.testing.assert_array_equal(ma.G, mb.G)
    assert ma.evaluate() == mb.evaluate()


def test_fixed_model_trains_on_a_file(tmp_path):
    """The xor preset in node mode (seed 1; like XOR itself, some seeds of a 2-2-1 net stall at 75 %) on 24
    training and 8 test samples of jittered XOR."""
    x, y = xor_like()
    np.savez(tmp_path / "xor_like.npz", x=x, y=y)
    config = file_config(tmp_path / "xor_like.npz", "mgd.perturbation=node")
    r = train(config, progress=False)
    assert r.reached_target, r.curve[-3:]
    assert r.final.train_accuracy == 1.0 and r.final.test_accuracy == 1.0


def test_float_model_trains_on_the_same_file(tmp_path):
    """The float model takes its data from the same loader (the xor preset: momentum, weight mode)."""
    from golden_model.float_mgd import train as float_train

    x, y = xor_like()
    config = file_config(write_csv(tmp_path / "xor_like.csv", x, y), "task.steps=6000")
    r = float_train(config, progress=False)
    assert r.reached_target and r.final.test_accuracy == 1.0, r.curve[-3:]


def test_fixed_model_trains_three_classes_from_csv_labels(tmp_path):
    """Labels 0..2 of a CSV one-hot encoded for a 3-output network (node mode, the xor preset's formats)."""
    x, labels = three_blobs()
    config = file_config(write_csv(tmp_path / "blobs.csv", x, labels, header=None),
                         "network.layers=[2,4,3]", "mgd.perturbation=node", "fixed.grad_width=24")
    data = load_dataset(config.task, config.network.layers)
    assert data.t_train.shape == (45, 3) and data.t_test.shape == (15, 3)
    np.testing.assert_array_equal(data.t_train.sum(axis=1), 1.0)
    r = train(config, progress=False)
    assert r.final.train_accuracy == 1.0 and r.final.test_accuracy == 1.0


def test_labels_and_targets_encode_alike(tmp_path):
    """1-D labels are one-hot encoded; the same one-hot targets given as (n, 3) or as CSV target columns
    give the same data set; with one output a label is its own target."""
    x, labels = three_blobs(12)
    onehot = np.eye(3)[labels]
    np.savez(tmp_path / "labels.npz", x=x, y=labels)
    np.savez(tmp_path / "targets.npz", x=x, y=onehot)
    write_csv(tmp_path / "targets.csv", x, onehot.astype(int), header="a,b,t0,t1,t2")
    sets = [load_dataset(file_config(tmp_path / n, "network.layers=[2,3,3]").task, (2, 3, 3))
            for n in ("labels.npz", "targets.npz", "targets.csv")]
    for d in sets[1:]:
        np.testing.assert_array_equal(d.t_train, sets[0].t_train)
        np.testing.assert_array_equal(d.x_test, sets[0].x_test)
    soft = np.array([[0.25], [0.75], [1.0], [0.0]])
    np.savez(tmp_path / "soft.npz", x=CORNERS, y=soft, x_test=CORNERS, y_test=soft)
    d = load_dataset(file_config(tmp_path / "soft.npz").task, (2, 2, 1))
    np.testing.assert_array_equal(d.t_train, soft)  # targets in [0, 1] kept as they are


def test_a_given_test_set_is_used_in_the_files_order(tmp_path):
    x, y = xor_like(4)
    np.savez(tmp_path / "split.npz", x=x, y=y, x_test=CORNERS, y_test=np.array([0, 1, 1, 0]))
    d = load_dataset(file_config(tmp_path / "split.npz").task, (2, 2, 1))
    np.testing.assert_array_equal(d.x_train, x)
    np.testing.assert_array_equal(d.t_train[:, 0], y)
    np.testing.assert_array_equal(d.x_test, CORNERS)
    d.x_train[0, 0] = 0.5  # the caller's copy: the shared (cached) arrays stay as read
    again = load_dataset(file_config(tmp_path / "split.npz").task, (2, 2, 1))
    np.testing.assert_array_equal(again.x_train, x)


def test_seeded_split_is_stratified_shuffled_and_follows_data_seed(tmp_path):
    x, y = xor_like(10)
    path = write_csv(tmp_path / "d.csv", x, y)
    a = load_dataset(file_config(path, "task.data_seed=4").task, (2, 2, 1))
    b = load_dataset(file_config(path, "task.data_seed=4").task, (2, 2, 1))
    c = load_dataset(file_config(path, "task.data_seed=5").task, (2, 2, 1))
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)
    assert (len(a.x_train), len(a.x_test)) == (30, 10)  # test_fraction 0.25 of each class: 5 of 20
    assert a.t_test.sum() == 5
    both = np.vstack([a.x_train, a.x_test])
    np.testing.assert_array_equal(both[np.lexsort(both.T)], x[np.lexsort(x.T)])  # every sample once
    assert not np.array_equal(a.t_train[:, 0], np.sort(a.t_train[:, 0]))  # shuffled, not sorted by class
    d = load_dataset(file_config(path, "task.test_fraction=0.5").task, (2, 2, 1))
    assert (len(d.x_train), len(d.x_test)) == (20, 20)


def test_path_is_kept_absolute_and_the_config_round_trips(tmp_path, monkeypatch):
    x, y = xor_like()
    np.savez(tmp_path / "d.npz", x=x, y=y)
    monkeypatch.chdir(tmp_path)
    config = file_config("d.npz")
    assert config.task.data_file == str(tmp_path / "d.npz")
    monkeypatch.chdir(Path(__file__).parent)  # another working directory: the config still names the file
    again = loads_toml(to_toml(config))
    assert again == config
    np.testing.assert_array_equal(load_dataset(again.task, again.network.layers).x_train,
                                  load_dataset(config.task, config.network.layers).x_train)


def test_a_changed_file_is_read_again_and_changes_its_digest(tmp_path):
    x, y = xor_like()
    path = tmp_path / "d.npz"
    np.savez(path, x=x, y=y, x_test=x, y_test=y)
    config = file_config(path)
    before = data_file_digest(config.task)
    x2 = x.copy()
    x2[0, 0] = 0.5
    np.savez(path, x=x2, y=y, x_test=x, y_test=y)
    os.utime(path, ns=(0, 1))  # another modification time even on a coarse clock
    assert load_dataset(config.task, config.network.layers).x_train[0, 0] == 0.5
    assert data_file_digest(config.task) != before
    assert data_file_digest(from_preset("xor").task) is None


def test_built_in_sets_do_not_need_layers_but_a_file_does(tmp_path):
    x, y = xor_like()
    np.savez(tmp_path / "d.npz", x=x, y=y)
    assert load_dataset(from_preset("xor").task).x_train.shape == (4, 2)
    with pytest.raises(TypeError, match="network.layers"):
        load_dataset(file_config(tmp_path / "d.npz").task)


# ---- refusals: one per defect, naming the field, the file and where -------------------------------------

def _bad_npz(**arrays):
    return lambda p: np.savez(p, **arrays)


def _npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as f:  # a single array under an .npz name
        np.save(f, array)


def _cut(path: Path, **arrays: np.ndarray) -> None:
    """The first 200 bytes of an .npz of ``arrays``: a truncated archive."""
    np.savez(path, **arrays)
    path.write_bytes(path.read_bytes()[:200])


def _text(content: str | bytes):
    return lambda p: p.write_bytes(content if isinstance(content, bytes) else content.encode())


X4 = CORNERS
Y4 = np.array([0, 1, 1, 0])
NAN_X = X4.copy()
NAN_X[1, 0] = np.nan
WIDE_X = np.hstack([X4, X4[:, :1]])
HIGH_X = X4.copy()
HIGH_X[3, 1] = 1.5
LOW_X = X4.copy()
LOW_X[2, 0] = -0.25
INF_T = Y4[:, None].astype(float)
INF_T[2, 0] = np.inf

# (name, file writer or None for no file, extra overrides, error type, fragments of the message)
REFUSALS = [
    ("missing.npz", None, [], PathError, ["(no such file)"]),
    ("garbage.npz", _text(b"\x00not a zip"), [], PathError, ["not an .npz archive: no zip header"]),
    ("cut.npz", lambda p: _cut(p, x=X4, y=Y4), [], PathError, ["corrupt or truncated"]),
    ("single.npz", lambda p: _npy(p, X4), [], PathError, ["a single .npy array"]),
    ("pickle.npz", _bad_npz(x=X4, y=np.array([None] * 4, dtype=object)), [], PathError,
     ["pickle, which is never loaded"]),
    ("names.npz", _bad_npz(X=X4, Y=Y4), [], PathError, ["it holds X, Y; it needs x and y"]),
    ("half_test.npz", _bad_npz(x=X4, y=Y4, x_test=X4), [], PathError, ["it holds x, x_test, y"]),
    ("extra.npz", _bad_npz(x=X4, y=Y4, z=Y4), [], PathError, ["it holds x, y, z"]),
    ("strings.npz", _bad_npz(x=X4, y=np.array(["a", "b", "b", "a"])), [], PathError,
     ["array y holds <U1 values; numbers are needed"]),
    ("flat.npz", _bad_npz(x=X4.ravel(), y=Y4), [], PathError, ["array x has shape (8,)"]),
    ("cube.npz", _bad_npz(x=X4, y=np.zeros((4, 1, 1))), [], PathError, ["array y has shape (4, 1, 1)"]),
    ("rows.npz", _bad_npz(x=X4, y=Y4[:3]), [], PathError, ["array x has 4 rows but y has 3"]),
    ("empty.npz", _bad_npz(x=np.zeros((0, 2)), y=np.zeros(0)), [], PathError,
     ["array x has no rows: the training set would be empty"]),
    ("empty_test.npz", _bad_npz(x=X4, y=Y4, x_test=np.zeros((0, 2)), y_test=np.zeros(0)), [], PathError,
     ["array x_test has no rows: the test set would be empty"]),
    ("wide.npz", _bad_npz(x=WIDE_X, y=Y4), [], PathError,
     ["array x has 3 columns, network.layers[0] = 2 inputs"]),
    ("targets.npz", _bad_npz(x=X4, y=np.eye(4)[:, :2]), [], PathError,
     ["array y has 2 columns, network.layers[-1] = 1 output"]),
    ("nan.npz", _bad_npz(x=NAN_X, y=Y4), [], PathError, ["x[1, 0] is nan; NaN and infinities"]),
    ("inf.npz", _bad_npz(x=X4, y=INF_T), [], PathError, ["y[2, 0] is inf"]),
    ("high.npz", _bad_npz(x=HIGH_X, y=Y4), [], PathError,
     ["x[3, 1] = 1.5 is outside [0, 1]: inputs must already lie in [0, 1]"]),
    ("low.npz", _bad_npz(x=LOW_X, y=Y4), [], PathError, ["x[2, 0] = -0.25 is outside [0, 1]"]),
    ("test_nan.npz", _bad_npz(x=X4, y=Y4, x_test=NAN_X, y_test=Y4), [], PathError, ["x_test[1, 0] is nan"]),
    ("soft.npz", _bad_npz(x=X4, y=np.array([[0.0], [1.0], [1.25], [0.0]])), [], PathError,
     ["y[2, 0] = 1.25 is outside [0, 1]: targets must lie in [0, 1]"]),
    ("half_label.npz", _bad_npz(x=X4, y=np.array([0.0, 1.0, 0.5, 0.0])), [], PathError,
     ["y[2] = 0.5 is not an integer label"]),
    ("big_label.npz", _bad_npz(x=X4, y=np.array([0, 2, 1, 0])), [], PathError,
     ["y[1] = 2 is not a label from 0 to 1 (network.layers[-1] = 1 output)"]),
    ("class3.npz", _bad_npz(x=X4, y=np.array([0, 1, 3, 2])), ["network.layers=[2,4,3]"], PathError,
     ["y[2] = 3 is not a label from 0 to 2 (network.layers[-1] = 3 outputs)"]),
    ("negative.npz", _bad_npz(x=X4, y=np.array([0, -1, 1, 0])), [], PathError,
     ["y[1] = -1 is not a label from 0 to 1"]),
    ("latin1.csv", _text(b"a,b,y\n0,1,\xe91\n"), [], PathError, ["not UTF-8 text"]),
    ("word.csv", _text("a,b,y\n0,0,0\n0,abc,1\n"), [], PathError,
     ["line 3, column 2: 'abc' is not a number"]),
    ("blank.csv", _text("0,0,0\n0,,1\n"), [], PathError, ["line 2, column 2: '' is not a number"]),
    ("columns.csv", _text("a,b,y\n0,0,0,1\n"), [], PathError,
     ["line 2 has 4 columns; a row is network.layers[0] = 2 inputs, then 1 target or label: 3 columns"]),
    ("ragged.csv", _text("0,0,0\n0,1,0,1,0\n"), ["network.layers=[2,4,3]"], PathError,
     ["line 2 has 5 columns, line 1 has 3"]),
    ("header_only.csv", _text("a,b,y\n\n"), [], PathError, ["it has no data rows"]),
    ("csv_nan.csv", _text("0,0,0\nnan,1,1\n"), [], PathError, ["line 2, column 1 is nan"]),
    ("csv_high.csv", _text("a,b,y\n0,0,0\n\n0,1.5,1\n"), [], PathError,
     ["line 4, column 2 = 1.5 is outside [0, 1]: inputs must already lie in [0, 1]"]),
    ("csv_label.csv", _text("0,0,0\n0,1,3\n"), ["network.layers=[2,4,3]"], PathError,
     ["line 2, column 3 = 3 is not a label from 0 to 2"]),
    ("csv_target.csv", _text("0,0,0\n0,1,2\n"), [], PathError,
     ["line 2, column 3 = 2.0 is outside [0, 1]: targets must lie in [0, 1]"]),
    ("one.csv", _text("0,1,1\n"), [], ConfigError,
     ["task.test_fraction must be large enough to put a sample in the test set", "has 1 sample in 1 class"]),
    ("no_test.npz", _bad_npz(x=X4, y=Y4), ["task.test_fraction=0"], ConfigError,
     ["task.test_fraction must be large enough", "not 0"]),
    ("no_train.npz", _bad_npz(x=X4[1:3], y=Y4[:2]), ["task.test_fraction=0.9"], ConfigError,
     ["task.test_fraction must be small enough to leave a sample in the training set",
      "has 2 samples in 2 classes", "not 0.9"]),
]


@pytest.mark.parametrize(("name", "write", "extra", "error", "fragments"), REFUSALS,
                         ids=[r[0] for r in REFUSALS])
def test_every_defect_is_refused_naming_the_field_the_file_and_where(tmp_path, name, write, extra, error,
                                                                      fragments):
    path = tmp_path / name
    if write is not None:
        write(path)
    with pytest.raises(error) as exc:
        file_config(path, *extra)
    message = str(exc.value)
    field = "task.test_fraction" if error is ConfigError else "task.data_file"
    assert message.startswith(f"{field} must be ") and repr(str(path)) in message, message
    for text in fragments:
        assert text in message, (text, message)
    assert "\n" not in message


def test_a_folder_is_refused(tmp_path):
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(PathError, match=r"^task.data_file must be .*\(a folder\)$"):
        file_config(tmp_path / "d.npz")


@pytest.mark.parametrize(("overrides", "message"), [
    (["task.dataset=file"],
     "task.data_file must be the path of a .npz or .csv data file for task.dataset = 'file', not ''"),
    (["task.dataset=file", "task.data_file=data.txt"],
     "task.data_file must be the path of a .npz or .csv data file for task.dataset = 'file', not 'data.txt'"),
    (["task.dataset=file", "task.data_file=3"], "task.data_file must be a path (a string), not 3"),
    (["task.data_file=d.npz"], "task.data_file must be '' for task.dataset = 'xor' (a built-in data set; set "
                               "task.dataset = 'file' to train on the file), not 'd.npz'"),
])
def test_the_fields_themselves_are_checked(overrides, message):
    with pytest.raises(ConfigError) as exc:
        apply_overrides(from_preset("xor"), overrides)
    assert str(exc.value) == message
