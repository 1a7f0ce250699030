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
    assert sorted(cmp.same_files) == ["files.f", "params.json", "sign_bank.core", "sign_bank.v"]
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    assert (tmp_path / "a" / "sign_bank.v").read_bytes() == (tmp_path / "b" / "sign_bank.v").read_bytes()
    assert (tmp_path / "a" / "files.f").read_text() == "sign_bank.v\n"
    params = json.loads((tmp_path / "a" / "params.json").read_text())
    assert params["lanes"] == 64 and len(params["lane_seeds"]) == 64
    assert "module sign_bank(" in (tmp_path / "a" / "sign_bank.v").read_text()


def test_generate_bad_parameter_writes_nothing(tmp_path, capsys):
    out = tmp_path / "bad"
    assert main(["generate", "--out", str(out), "sign-bank", "--lanes", "0"]) == 2
    assert capsys.readouterr().err == "mgd: error: --lanes must be an integer from 1 to 65536, not '0'\n"
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
    assert capsys.readouterr().err == "mgd: error: --steps must be an integer from 1 to 100000000, not '0'\n"
    assert main(["trace", "compare", str(tmp_path / "none.npz"), str(tmp_path / "none.npz")]) == 2
    assert capsys.readouterr().err == ("mgd: error: EXPECTED must be a trace .npz written by `mgd trace "
                                       f"write`, not {str(tmp_path / 'none.npz')!r} (no such file)\n")


# --- options before or after the name of a sub-command (scripts.cli.share_options) -------------------------

def _parsed(argv: list[str]) -> dict:
    ns = vars(build_parser().parse_args(argv))
    return {k: v for k, v in ns.items() if k not in ("func", "block_spec")}


@pytest.mark.parametrize("argv", [
    ["generate", "--out", "DIR", "sign-bank", "--lanes", "8", "--width", "12"],
    ["generate", "sign-bank", "--lanes", "8", "--width", "12", "--out", "DIR"],
    ["generate", "sign-bank", "--out", "DIR", "--lanes", "8", "--width", "12"],
])
def test_generate_options_parse_in_any_order(argv):
    assert _parsed(argv) == {"command": "generate", "block": "sign-bank", "out": "DIR", "lanes": 8,
                             "width": 12, "seed": 1}


@pytest.mark.parametrize("argv", [
    ["synth", "--target", "ecp5-25k", "--out", "DIR", "core", "--preset", "xor"],
    ["synth", "core", "--preset", "xor", "--target", "ecp5-25k", "--out", "DIR"],
    ["synth", "--out", "DIR", "core", "--target", "ecp5-25k", "--preset", "xor", "--router", "router1"],
])
def test_synth_options_parse_in_any_order(argv):
    assert _parsed(argv) == {"command": "synth", "block": "core", "target": "ecp5-25k", "out": "DIR",
                             "freq": None, "pnr_seed": (1,), "quiet": False, "preset": "xor", "config": None,
                             "overrides": [], "router": "router1" if "--router" in argv else None}


def test_synth_options_after_the_block_override_those_before():
    got = _parsed(["synth", "--target", "ice40-up5k", "--out", "A", "--freq", "12", "core", "--out", "B",
                   "--quiet", "--seed", "7"])
    picked = (got["target"], got["out"], got["freq"], got["quiet"], got["pnr_seed"])
    assert picked == ("ice40-up5k", "B", 12.0, True, (7,))


def test_synth_placement_seed_and_block_seed_stay_apart():
    """``--seed`` before ``sign-bank`` is nextpnr's, after it the block's own LFSR seed."""
    got = _parsed(["synth", "--target", "ecp5-25k", "--seed", "5", "sign-bank", "--seed", "3"])
    assert (got["pnr_seed"], got["seed"]) == ((5,), 3)
    got = _parsed(["synth", "sign-bank", "--target", "ecp5-25k"])
    assert (got["pnr_seed"], got["seed"]) == ((1,), 1)


@pytest.mark.parametrize("argv", [["synth", "core", "--preset", "xor"], ["synth", "--out", "D", "sign-bank"]])
def test_synth_still_requires_a_target(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(argv)
    assert exc.value.code == 2
    assert "mgd synth: error: the following arguments are required: --target" in capsys.readouterr().err


def test_subcommand_help_shows_the_commands_options(capsys):
    for argv in (["synth", "--help"], ["synth", "core", "--help"], ["generate", "sign-bank", "--help"]):
        with pytest.raises(SystemExit) as exc:
            build_parser().parse_args(argv)
        assert exc.value.code == 0
    synth, core, sign_bank = capsys.readouterr().out.split("usage: ")[1:]
    assert "--target TARGET" in synth and "[--target TARGET]" not in synth  # still required there
    assert "mgd synth options:" in core and "--target TARGET" in core and "--preset" in core
    assert "mgd generate options:" in sign_bank and "--out OUT" in sign_bank and "--lanes LANES" in sign_bank


def test_actions_keep_their_options():
    assert _parsed(["config", "show", "--preset", "xor"])["preset"] == "xor"
    got = _parsed(["trace", "write", "--steps", "5", "--out", "t.npz", "--preset", "parity4"])
    assert (got["action"], got["steps"], got["out"], got["preset"]) == ("write", 5, "t.npz", "parity4")


def test_share_options_reaches_every_level():
    """The mechanism is generic: a command option (even a required one) is accepted at any depth."""
    from scripts.cli import _Parser, share_options

    top = _Parser(prog="t")
    cmd = top.add_subparsers(dest="cmd", required=True).add_parser("cmd")
    cmd.add_argument("--must", required=True)
    cmd.add_argument("--flag", action="store_true")
    leaf = cmd.add_subparsers(dest="sub", required=True).add_parser("sub")
    leaf.add_subparsers(dest="leaf", required=True).add_parser("leaf").add_argument("--own", default=0)
    share_options(top)
    for argv in (["cmd", "--must", "m", "--flag", "sub", "leaf"],
                 ["cmd", "sub", "leaf", "--flag", "--must", "m"],
                 ["cmd", "sub", "--must", "m", "leaf", "--flag"]):
        assert vars(top.parse_args(argv)) == {"cmd": "cmd", "flag": True, "must": "m", "sub": "sub",
                                              "leaf": "leaf", "own": 0}
    assert vars(top.parse_args(["cmd", "--must", "m", "sub", "leaf"]))["flag"] is False
    with pytest.raises(SystemExit):
        top.parse_args(["cmd", "sub", "leaf"])


def test_generate_writes_the_same_files_in_both_orders(tmp_path, capsys):
    block = ["sign-bank", "--lanes", "64", "--width", "16"]
    before, after = tmp_path / "before", tmp_path / "after"
    assert main(["generate", "--out", str(before), *block]) == 0
    assert main(["generate", *block, "--out", str(after)]) == 0
    names = sorted(p.name for p in before.iterdir())
    assert names == ["files.f", "params.json", "sign_bank.core", "sign_bank.v"] == sorted(
        p.name for p in after.iterdir())
    for name in names:
        assert (before / name).read_bytes() == (after / name).read_bytes(), name
    assert json.loads((after / "params.json").read_text())["lanes"] == 64


# --- the models' command-line paths (moved here from golden_model/tests: golden_model imports no scripts) -

def test_cli_notes_what_the_hardware_ignores(tmp_path, capsys) -> None:
    args = ["--preset", "nist7x7", "--set", "task.steps=10", "--set", "task.eval_every=10", "--quiet",
            "--out", str(tmp_path)]
    assert main(["train", "--backend", "fixed", *args]) == 0
    assert "mgd: note: mgd.optimizer = 'adam' applies to the float model only" in capsys.readouterr().err
    assert main(["train", "--backend", "float", *args]) == 0
    assert "note" not in capsys.readouterr().err


def test_mgd_train_backend_fixed_cli(tmp_path) -> None:
    """The judged command: ``mgd train --backend fixed --preset xor`` reaches 100 % (exit 0 with
    --require-target) and writes its JSON report."""
    rc = main(["train", "--backend", "fixed", "--preset", "xor", "--quiet", "--require-target",
               "--out", str(tmp_path)])
    assert rc == 0
    report = json.loads((tmp_path / "train_fixed.json").read_text())
    assert report["final"]["test_accuracy"] == 1.0 and report["steps_to_target"] is not None
    assert report["extra"]["widths"]["G"] <= 18


def test_cli_train_float_writes_json_and_png(tmp_path, capsys):
    rc = main(["train", "--backend", "float", "--preset", "xor", "--set", "network.layers=[2,4,1]",
               "--set", "mgd.eta=2.0", "--set", "task.steps=3000", "--set", "task.eval_every=500",
               "--quiet", "--out", str(tmp_path)])
    assert rc == 0
    data = json.loads((tmp_path / "train_float.json").read_text())
    assert data["steps"] == 3000 and data["extra"]["n_perturbation_params"] == 17
    assert data["config"]["network"]["layers"] == [2, 4, 1]
    assert (tmp_path / "learning_curve_float.png").stat().st_size > 1000
    assert "backend=float" in capsys.readouterr().out


@pytest.mark.parametrize("only", ["gpu", "fixed,gpu"])
def test_cli_bench_only_unknown_section(capsys, only):
    assert main(["bench", "--only", only]) == 2
    err = capsys.readouterr().err
    assert "--only must be one or more (comma-separated) of 'float'" in err and "not 'gpu'" in err


def test_cli_reproduce_only_unknown_section(capsys):
    assert main(["reproduce", "--only", "angles"]) == 2
    assert "--only must be one of" in capsys.readouterr().err


def test_mgd_sweep_writes_table_plot_and_json(tmp_path, capsys) -> None:
    rc = main(["sweep", "--presets", "xor", "--modes", "weight", "--widths", "5,16", "--seeds", "1",
               "--quiet", "--out", str(tmp_path)])
    assert rc == 0
    data = json.loads((tmp_path / "width_sweep.json").read_text())
    rows = {r["width"]: r for r in data["table"]}
    assert rows[16]["trained"] and rows[16]["mean_final_test_accuracy"] == 1.0 and rows[16]["reached"] == 1
    assert not rows[5]["trained"], "a 5-bit θ (Q3.1) should not train XOR"
    assert len(data["runs"]) == 2
    assert data["min_width"] == {"xor/weight": {"min": 16, "stable": 16}}
    assert (tmp_path / "width_sweep.png").stat().st_size > 1000
    assert "| xor/weight | 16 | 16 |" in (tmp_path / "width_sweep.md").read_text()
    assert "xor/weight: minimum θ width 16 (every width from 16)" in capsys.readouterr().out


def test_mgd_sweep_rejects_bad_arguments(capsys) -> None:
    assert main(["sweep", "--widths", "6,x", "--quiet"]) == 2
    assert "--widths must be comma-separated integers" in capsys.readouterr().err
    assert main(["sweep", "--modes", "both", "--quiet"]) == 2
