"""``mgd`` on the user's own data: ``--set task.dataset=file --set task.data_file=PATH`` trains, shows and
reloads like a built-in set (the refusals are in ``test_bad_inputs.py`` and ``golden_model/tests``)."""

from __future__ import annotations

import json

from golden_model import config as cfg
from scripts.cli import main

# XOR's corners, each also moved 1/8 towards the middle: 8 samples, 6 for training and 2 for test (one per
# class) with the default task.test_fraction = 0.25
ROWS = [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0),
        (0.125, 0.125, 0), (0.125, 0.875, 1), (0.875, 0.125, 1), (0.875, 0.875, 0)]


def _write(folder):
    path = folder / "xor_corners.csv"
    path.write_text("x0,x1,label\n" + "".join(f"{a},{b},{c}\n" for a, b, c in ROWS))
    return path


def test_train_fixed_on_a_csv_named_relative_to_the_working_directory(tmp_path, monkeypatch, capsys):
    path = _write(tmp_path)
    monkeypatch.chdir(tmp_path)
    # eta_shift 4: on these 8 points (not the preset's 4 corners) seed 1 reaches 100 % with it, not with the
    # preset's 5 (0.5 test accuracy at 20k steps); the test is about the file, not the shifts
    rc = main(["train", "--backend", "fixed", "--preset", "xor", "--set", "task.dataset=file", "--set",
               f"task.data_file={path.name}", "--set", "fixed.eta_shift=4", "--quiet", "--require-target",
               "--out", "report"])
    out = capsys.readouterr().out
    assert rc == 0, out
    result = json.loads((tmp_path / "report" / "train_fixed.json").read_text())
    assert result["config"]["task"]["data_file"] == str(path)
    assert result["final"]["train_accuracy"] == 1.0 and result["final"]["test_accuracy"] == 1.0
    assert "dataset=file" in out and (tmp_path / "report" / "learning_curve_fixed.png").is_file()


def test_config_show_names_the_file_absolutely_and_loads_back(tmp_path, monkeypatch, capsys):
    path = _write(tmp_path)
    monkeypatch.chdir(tmp_path)
    overrides = ["task.dataset=file", f"task.data_file={path.name}", "task.test_fraction=0.5"]
    assert main(["config", "show", *[a for o in overrides for a in ("--set", o)]]) == 0
    shown = capsys.readouterr().out
    assert f'data_file = "{path}"' in shown
    saved = tmp_path / "saved.toml"
    saved.write_text(shown)
    monkeypatch.chdir("/")
    assert cfg.load_toml(saved) == cfg.apply_overrides(cfg.from_preset("xor"), [
        "task.dataset=file", f"task.data_file={path}", "task.test_fraction=0.5"])
    assert main(["config", "show", "--config", str(saved)]) == 0
    assert capsys.readouterr().out == shown
