"""golden_model.validate: numbers, output locations, input files and atomic report writes."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

from golden_model import validate as v
from golden_model.config import ConfigError, apply_overrides, from_preset, load_toml
from golden_model.trace import Trace, TraceError

# ---- numbers -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [0, 11, -1, 2.0, True, "3", None])
def test_check_int_refuses_with_the_range(value):
    with pytest.raises(v.MGDError, match=r"^n must be an integer from 1 to 10, not "):
        v.check_int("n", value, 1, 10)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 0.0, 1001, "1", True])
def test_check_float_refuses_non_finite_and_out_of_range(value):
    with pytest.raises(v.MGDError, match=r"^x must be a number > 0 and <= 1000, not "):
        v.check_float("x", value, 0.0, 1000.0, lo_open=True)


def test_check_float_open_upper_bound():
    assert v.check_float("b", 0.999, 0.0, 1.0, hi_open=True) == 0.999
    with pytest.raises(v.MGDError, match=r"^b must be a number >= 0 and < 1, not 1.0$"):
        v.check_float("b", 1.0, 0.0, 1.0, hi_open=True)


# every numeric config field has a finite range with both bounds in the message
@pytest.mark.parametrize(("override", "message"), [
    ("mgd.eta=inf", "mgd.eta must be a number > 0 and <= 1000, not inf"),
    ("mgd.eta=nan", "mgd.eta must be a number > 0 and <= 1000, not nan"),
    ("mgd.delta=1e6", "mgd.delta must be a number > 0 and <= 10, not 1000000.0"),
    ("noise.cost_sigma=inf", "noise.cost_sigma must be a number >= 0 and <= 10, not inf"),
    ("noise.update_sigma=-0.1", "noise.update_sigma must be a number >= 0 and <= 10, not -0.1"),
    ("mgd.beta2=1.0", "mgd.beta2 must be a number >= 0 and < 1, not 1.0"),
    ("mgd.beta1=1", "mgd.beta1 must be a number >= 0 and < 1, not 1"),
    ("mgd.momentum=1.0", "mgd.momentum must be a number >= 0 and < 1, not 1.0"),
    ("mgd.adam_eps=0", "mgd.adam_eps must be a number > 0 and <= 1, not 0"),
    ("mgd.tau_hp=inf", "mgd.tau_hp must be a number > 0 and <= 1e+09, not inf"),
    ("network.init_scale=1e9", "network.init_scale must be a number > 0 and <= 100, not 1000000000.0"),
    ("task.steps=100000000000000", "task.steps must be an integer from 1 to 1000000000, not 100000000000000"),
    ("task.eval_every=0", "task.eval_every must be an integer from 1 to 1000000000, not 0"),
    ("task.target_accuracy=inf", "task.target_accuracy must be a number >= 0 and <= 1, not inf"),
    ("fixed.theta=Q0.0", 'fixed.theta must be a Q-format with at least 1 fraction bit such as "Q3.12"'),
    ("network.layers=[2,100000,1]", "network.layers must be a list of 2 to 16 layer sizes, each an integer "
                                    "from 1 to 4096, not (2, 100000, 1)"),
    ("network.layers=[2,4096,4096,1]", "network.layers must be a network of at most 1000000 parameters (this "
                                       "one has 16797697), not [2, 4096, 4096, 1]"),
])
def test_config_numbers_have_finite_ranges(override, message):
    with pytest.raises(ConfigError) as exc:
        apply_overrides(from_preset("xor"), [override])
    assert str(exc.value).startswith(message)


def test_config_bounds_the_number_of_evaluations():
    with pytest.raises(ConfigError, match=r"^task.eval_every must be an integer >= 1000 for task.steps = "
                                          r"1000000000 \(at most 1000000 evaluations per run\), not 1$"):
        apply_overrides(from_preset("xor"), ["task.steps=1000000000", "task.eval_every=1"])
    apply_overrides(from_preset("xor"), ["task.steps=1000000000", "task.eval_every=1000"])


# ---- output locations ----------------------------------------------------------------------------------

def _fails(match: str, *args, **kw) -> None:
    with pytest.raises(v.PathError, match=match):
        v.check_output(*args, **kw)


def test_check_output(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    d = tmp_path / "d"
    d.mkdir()
    (d / "other").write_text("x")
    assert v.check_output("--json", tmp_path / "new" / "deeper" / "a.json") == tmp_path / "new/deeper/a.json"
    assert v.check_output("--out", d, kind="dir") == d
    assert v.check_output("--json", f) == f  # an existing file is replaced
    _fails(r"^--json must be a writable file path, not '.*d' \(an existing folder; give a file name\)$",
           "--json", d)
    _fails(r"^--out must be a writable folder, not '.*f' \(an existing file, not a folder\)$",
           "--out", f, kind="dir")
    _fails(r"^--out must be a writable folder, not '.*f/sub' \('.*f' is a file, not a folder\)$",
           "--out", f / "sub", kind="dir")
    _fails(r"^--json must be a writable file path, not '.*f/a/b.json' \('.*f' is a file, not a folder\)$",
           "--json", f / "a" / "b.json")
    _fails(r"\(an empty path\)$", "--out", "", kind="dir")
    _fails(r"\(an existing special file, not a regular file\)$", "--json", os.devnull)
    _fails(r"\(a folder of other files; the command replaces the whole folder", "--out", d, kind="dir",
           replaces=("files.f",))
    (d / "files.f").write_text("")
    assert v.check_output("--out", d, kind="dir", replaces=("files.f",)) == d
    _fails(r"File name too long", "--out", tmp_path / ("a" * 400), kind="dir")


def test_check_output_unwritable_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(v.os, "access", lambda p, mode: False)
    _fails(r"^--out must be a writable folder, not '.*x' \(folder '.*' is not writable\)$", "--out",
           tmp_path / "x", kind="dir")


def test_check_output_probes_what_access_allows(tmp_path, monkeypatch):
    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(v.tempfile, "mkstemp", refuse)
    _fails(r"\(folder '.*' is not writable: Permission denied\)$", "--json", tmp_path / "x.json")


# ---- input files ---------------------------------------------------------------------------------------

def test_read_text_errors(tmp_path, monkeypatch):
    what = "a readable UTF-8 TOML config file"
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"[mgd]\neta = 0.1 \xff\n")
    cases = {tmp_path / "none.toml": "no such file", tmp_path: "a folder",
             bad: "not UTF-8 text: byte 0xff at offset 16", os.devnull: "not a regular file"}
    for path, why in cases.items():
        with pytest.raises(ConfigError) as exc:
            load_toml(path)
        assert str(exc.value) == f"--config must be {what}, not {str(path)!r} ({why})"
    big = tmp_path / "big.toml"
    big.write_text("# x\n" * 300000)
    with pytest.raises(ConfigError, match=r"\(1200000 bytes; at most 1048576\)$"):
        load_toml(big)
    broken = tmp_path / "broken.toml"
    broken.write_text("[mgd\n")
    with pytest.raises(ConfigError, match=r"^--config must be .*broken.toml' \(not valid TOML: "):
        load_toml(broken)
    good = tmp_path / "good.toml"
    good.write_text("[mgd]\neta = 0.2\n")
    monkeypatch.setattr(v.os, "access", lambda p, mode: False)
    with pytest.raises(ConfigError, match=r"good.toml' \(permission denied\)$"):
        load_toml(good)


def test_reading_turns_os_errors_into_one_error(tmp_path):
    p = tmp_path / "x"
    p.write_text("x")
    with pytest.raises(v.PathError, match=r"^--in must be a file, not '.*x' \(Input/output error\)$"):
        with v.reading("--in", p, "a file"):
            raise OSError(5, "Input/output error")
    with pytest.raises(ValueError, match="^mine$"):  # an MGDError of the body passes unchanged
        with v.reading("--in", p, "a file"):
            raise v.PathError("mine")


def _trace(tmp_path):
    from golden_model.fixed_mgd import FixedMGD

    tr = FixedMGD(from_preset("xor")).run(20)
    path = tmp_path / "good.npz"
    tr.save(path)
    return tr, path


def test_trace_load_refuses_what_is_not_a_trace(tmp_path):
    tr, good = _trace(tmp_path)
    assert Trace.load(good) == tr
    arrays = {**tr.arrays(), "config": np.array(tr.config)}
    files = {
        "garbage.npz": (b"not a zip at all", "it would need pickle, which is never loaded"),
        "empty.npz": (b"", "corrupt or truncated"),
        "cut.npz": (good.read_bytes()[:200], "corrupt or truncated"),
    }
    for name, (data, _) in files.items():
        (tmp_path / name).write_bytes(data)
    np.save(tmp_path / "one.npy", np.arange(3))
    files["one.npy"] = (None, "a single .npy array, not an .npz archive")
    np.savez(tmp_path / "missing.npz", **{k: a for k, a in arrays.items() if k != "theta"})
    files["missing.npz"] = (None, "it lacks the fields theta")
    np.savez(tmp_path / "shape.npz", **{**arrays, "theta": arrays["theta"][:, 0]})
    files["shape.npz"] = (None, "field theta has shape (20,), not (20, n)")
    np.savez(tmp_path / "float.npz", **{**arrays, "C": arrays["C"].astype(float)})
    files["float.npz"] = (None, "field C holds float64 values, not integers")
    np.savez(tmp_path / "object.npz", **{**arrays, "n": np.array([{}] * 20, dtype=object)})
    files["object.npz"] = (None, "it would need pickle, which is never loaded")
    for name, (_, why) in files.items():
        with pytest.raises(TraceError) as exc:
            Trace.load(tmp_path / name, name="ACTUAL")
        text = str(exc.value)
        assert text.startswith(f"ACTUAL must be a trace .npz written by `mgd trace write`, not "
                               f"{str(tmp_path / name)!r} (") and why in text, (name, text)
        assert "allow_pickle" not in text


# ---- atomic writes -------------------------------------------------------------------------------------

def test_atomic_write_replaces_only_when_complete(tmp_path):
    target = tmp_path / "sub" / "report.json"
    v.write_json(target, {"a": 1, "nan": math.nan, "inf": [math.inf]})
    assert json.loads(target.read_text()) == {"a": 1, "nan": None, "inf": [None]}
    for exc in (KeyboardInterrupt, RuntimeError):
        with pytest.raises(exc):
            with v.atomic_path(target) as tmp:
                tmp.write_text('{"a": 2, "half')
                raise exc
        assert json.loads(target.read_text())["a"] == 1  # the old report, whole
        assert sorted(p.name for p in target.parent.iterdir()) == ["report.json"]  # no temporary left


def test_atomic_write_reports_os_errors(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(v.PathError, match=r"^--json could not be written to '.*f/x.json': "):
        v.write_text(tmp_path / "f" / "x.json", "{}", name="--json")


def test_trace_save_writes_exactly_the_path(tmp_path):
    tr, _ = _trace(tmp_path)
    tr.save(tmp_path / "plain")
    assert (tmp_path / "plain").is_file() and not (tmp_path / "plain.npz").exists()
    assert Trace.load(tmp_path / "plain") == tr


def test_atomic_dir_replaces_a_folder_only_when_complete(tmp_path):
    out = tmp_path / "new" / "out"
    with v.atomic_dir(out) as tmp:
        (tmp / "a.txt").write_text("first")
        assert not out.exists()
    assert sorted(p.name for p in out.iterdir()) == ["a.txt"]
    with pytest.raises(KeyboardInterrupt), v.atomic_dir(out, tag="build.") as tmp:
        (tmp / "b.txt").write_text("half")
        raise KeyboardInterrupt
    assert sorted(p.name for p in out.iterdir()) == ["a.txt"]  # the old folder, untouched
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]  # and no temporary left
    with v.atomic_dir(out) as tmp:
        (tmp / "c.txt").write_text("second")
    assert sorted(p.name for p in out.iterdir()) == ["c.txt"]
