"""The ``mgd`` command line: subcommands, config resolution, generation, errors and exit codes."""

from __future__ import annotations

import filecmp
import json

import pytest

from golden_model import config as cfg
from scripts.cli import build_parser, main


def test_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in ("config", "generate", "train"):
        assert name in out


def test_config_show_round_trips(capsys):
    assert main(["config", "show", "--preset", "parity4", "--set", "mgd.eta=0.25"]) == 0
    shown = cfg.loads_toml(capsys.readouterr().out)
    assert shown == cfg.apply_overrides(cfg.from_preset("parity4"), ["mgd.eta=0.25"])


def test_bad_config_value_exits_2_with_one_line(capsys):
    assert main(["config", "show", "--set", "mgd.tau_theta=0"]) == 2
    err = capsys.readouterr().err
    assert err == "mgd: error: mgd.tau_theta must be an integer from 1 to 1048576, not 0\n"


def test_generate_sign_bank_is_byte_identical(tmp_path, capsys):
    args = ["sign-bank", "--lanes", "64", "--width", "16"]
    assert main(["generate", "--out", str(tmp_path / "a"), *args]) == 0
    assert main(["generate", "--out", str(tmp_path / "b"), *args]) == 0
    cmp = filecmp.dircmp(tmp_path / "a", tmp_path / "b")
    assert sorted(cmp.same_files) == ["files.f", "params.json", "sign_bank.v"] or not cmp.diff_files
    assert (tmp_path / "a" / "sign_bank.v").read_bytes() == (tmp_path / "b" / "sign_bank.v").read_bytes()
    assert (tmp_path / "a" / "files.f").read_text() == "sign_bank.v\n"
    params = json.loads((tmp_path / "a" / "params.json").read_text())
    assert params["lanes"] == 64 and len(params["lane_seeds"]) == 64
    assert "module sign_bank(" in (tmp_path / "a" / "sign_bank.v").read_text()


def test_generate_bad_parameter_writes_nothing(tmp_path, capsys):
    out = tmp_path / "bad"
    assert main(["generate", "--out", str(out), "sign-bank", "--lanes", "0"]) == 2
    assert capsys.readouterr().err == "mgd: error: sign bank lanes must be a positive integer, not 0\n"
    assert not out.exists()


def test_parser_builds():
    assert build_parser().prog == "mgd"


def test_trace_write_and_compare(tmp_path, capsys):
    a, b, c = (str(tmp_path / f"{n}.npz") for n in "abc")
    assert main(["trace", "write", "--preset", "xor", "--steps", "300", "--out", a]) == 0
    assert main(["trace", "write", "--preset", "xor", "--steps", "300", "--out", b]) == 0
    assert main(["trace", "compare", a, b]) == 0
    assert "identical: 300 steps" in capsys.readouterr().out
    assert main(["trace", "write", "--preset", "xor", "--steps", "300", "--set", "fixed.eta_shift=4",
                 "--out", c]) == 0
    assert main(["trace", "compare", a, c]) == 1
    out = capsys.readouterr().out
    assert "MISMATCH" in out and "theta:" in out and "step 0 index 0: expected" in out


def test_trace_errors(tmp_path, capsys):
    assert main(["trace", "write", "--steps", "0", "--out", str(tmp_path / "x.npz")]) == 2
    assert capsys.readouterr().err == "mgd: error: --steps must be a positive integer, not 0\n"
    assert main(["trace", "compare", str(tmp_path / "none.npz"), str(tmp_path / "none.npz")]) == 2
    assert "trace file must be an existing .npz file" in capsys.readouterr().err
