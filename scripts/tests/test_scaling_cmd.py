"""``mgd scaling`` (scripts/cmd_scaling.py, scripts/flows/scaling.py): argument errors, the Fmax's source,
and one tiny end-to-end run writing scaling.json, scaling.md and scaling.png."""

from __future__ import annotations

import json

import pytest

from golden_model.config import apply_overrides
from golden_model.studies.scaling import scaling_config
from scripts.cli import main
from scripts.flows.scaling import read_synth_report

HIDDEN = "--hidden must be comma-separated integers from 1 to 1024 such as 4,8,16,"
TINY = ["--hidden", "2,4", "--seeds", "2", "--steps", "800", "--eval-every", "100", "--targets", "0.26,0.3"]


@pytest.mark.parametrize("args, message", [
    (["--hidden", "4,x"], f"{HIDDEN} not '4,x'"),
    (["--hidden", "0,4"], f"{HIDDEN} not '0,4'"),
    (["--modes", "weight,time"], "--modes must be 'weight', 'node' or weight,node, not 'weight,time'"),
    (["--seeds", "0"], "--seeds must be an integer from 1 to 1000, not '0'"),
    (["--seeds", "ten"], "--seeds must be an integer from 1 to 1000, not 'ten'"),
    (["--lanes", "2000"], "--lanes must be an integer from 1 to 1024, not '2000'"),
    (["--workers", "0"], "--workers must be an integer from 1 to 64, not '0'"),
    (["--steps", "-1"], "--steps must be an integer from 1 to 1000000000, not '-1'"),
    (["--steps", "1e12"], "--steps must be an integer from 1 to 1000000000, not '1e12'"),
    (["--eval-every", "0"], "--eval-every must be an integer from 1 to 1000000000, not '0'"),
    (["--confirm-rtl", "-1"], "--confirm-rtl must be an integer from 0 to 1000000000, not '-1'"),
    (["--targets", "0.8,1.5"],
     "--targets must be comma-separated test accuracies above 0 and at most 1 such as 0.8,0.9, "
     "not '0.8,1.5'"),
    (["--fmax", "-5"], "--fmax must be a number > 0 and <= 10000 (MHz), not '-5'"),
    (["--fmax", "fast"], "--fmax must be a number > 0 and <= 10000 (MHz), not 'fast'"),
    (["--fmax", "inf"], "--fmax must be a number > 0 and <= 10000 (MHz), not 'inf'"),
    (["--fmax", "100", "--synth-report", "r.json"],
     "--fmax and --synth-report must not both be given, not --fmax 100 and --synth-report 'r.json' "
     "(give one)"),
    ([], "--fmax MHZ or --synth-report FILE must be given (the Fmax that turns cycles per step into hardware "
         "time)"),
    (["--set", "mgd.seed=3"],
     "--set must not set network.layers, mgd.perturbation, mgd.seed, task.steps, task.eval_every, "
     "task.target_accuracy, hardware.style, hardware.lanes (the study sets them from its own options), "
     "not 'mgd.seed=3'"),
    (["--set", "fixed.eta_shift=99"], "fixed.eta_shift must be an integer from 0 to 40, not 99"),
    (["--synth-report", "missing.json"], "--synth-report must be a synth_report.json written by `mgd synth` "
                                         "(with summary.fmax_mhz), not 'missing.json' (no such file)"),
])
def test_bad_values_give_one_line_before_any_work(tmp_path, capsys, monkeypatch, args, message) -> None:
    monkeypatch.chdir(tmp_path)
    if "--fmax" not in args and "--synth-report" not in args and args:
        args = [*args, "--fmax", "100"]
    out = tmp_path / "out"
    assert main(["scaling", *args, "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"mgd: error: {message}\n"
    assert not out.exists()


def test_synth_report_gives_the_fmax_and_says_what_it_measured(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"summary": {"lut": 3}}))
    assert main(["scaling", "--synth-report", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == (
        f"mgd: error: --synth-report must be a synth_report.json written by `mgd synth` (with "
        f"summary.fmax_mhz), not {str(bad)!r} (no summary.fmax_mhz in it)\n")
    good = tmp_path / "synth_report.json"
    good.write_text(json.dumps({"target": "ecp5-85k", "part": "LFE5U-85F", "top": "mgd_core",
                                "summary": {"fmax_mhz": 87.5, "fmax_harness_bound": False},
                                "params": {"block": "core", "style": "spatial", "lanes": 8}}))
    info = read_synth_report(good, lanes=8)
    assert (info["fmax_mhz"], info["source"], info["placeholder"], info["target"]) == (
        87.5, "synth-report", False, "ecp5-85k")
    assert "not a folded core" in info["notes"][0]


def test_tiny_run_writes_the_three_files(tmp_path, capsys) -> None:
    from rtl._validate import not_elaborated
    from rtl.cores import build_core

    out = tmp_path / "scaling"
    assert main(["scaling", *TINY, "--fmax", "50", "--workers", "1", "--quiet", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["scaling.json", "scaling.md", "scaling.png"]
    assert (out / "scaling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    result = json.loads((out / "scaling.json").read_text())
    assert result["fmax"]["placeholder"] and result["fmax"]["fmax_mhz"] == 50
    assert "**Fmax = 50 MHz is a placeholder**" in (out / "scaling.md").read_text()
    table = result["table"]
    assert [(r["mode"], r["hidden"], r["target"]) for r in table] == [
        (m, h, t) for m in ("weight", "node") for h in (2, 4) for t in (0.26, 0.3)]
    for hw in result["hardware"]["rows"]:  # cycles/step are the folded core's own count
        assert hw["lanes"] == 8 and hw["lanes_used"] == 8  # 49-h-4, h <= 4: 8 lanes fold as 4 x 2
        cfg = apply_overrides(scaling_config(hw["hidden"], hw["mode"], 1, budget=800),
                              ["hardware.style=folded", "hardware.lanes=8"])
        core = build_core(cfg)
        not_elaborated(core)  # built for its schedule only
        assert hw["cycles_per_step"] == core.cycles(0, 800, 1, 1, 1) / 800
    timed = 0
    for r in table:
        cps = next(h["cycles_per_step"] for h in result["hardware"]["rows"]
                   if (h["mode"], h["hidden"]) == (r["mode"], r["hidden"]))
        assert r["cycles_per_step"] == cps
        for key, t in r["time_s"].items():
            assert t == (None if r[key] is None else pytest.approx(r[key] * cps / 50e6))
            timed += t is not None
    assert timed  # some statistic was reached, so some hardware time was computed
    assert "node h=4 to 30%" in capsys.readouterr().out


@pytest.mark.cosim
def test_confirm_rtl_runs_seed_1_on_the_core_and_finds_the_same_steps(tmp_path, capsys) -> None:
    """--confirm-rtl: seed 1 of each point on the folded core in Verilator, bit-exact, and the RTL's θ
    reaches each target at the model's step."""
    out = tmp_path / "scaling"
    args = ["scaling", "--hidden", "4", "--modes", "node", "--seeds", "1", "--steps", "800", "--eval-every",
            "100", "--targets", "0.26,0.3", "--confirm-rtl", "800", "--fmax", "50", "--workers", "1",
            "--quiet", "--out", str(out)]
    assert main(args) == 0
    result = json.loads((out / "scaling.json").read_text())
    run = next(r for r in result["study"]["runs"] if r["seed"] == 1)
    [rtl] = result["rtl"]
    assert (rtl["mode"], rtl["hidden"], rtl["seed"], rtl["lanes_used"]) == ("node", 4, 1, 8)  # 4 x 2
    assert rtl["bit_exact"] and rtl["mismatch"] is None
    assert rtl["model_steps_to"] == run["steps_to"]
    assert run["steps_to"]["0.3"] is not None  # the model reaches the top target within 800 steps ...
    assert rtl["steps"] == run["steps_to"]["0.3"] and rtl["covers_target"]  # ... and the RTL runs to it
    assert rtl["rtl_steps_to"] == run["steps_to"] and rtl["confirmed"]
    assert "## Confirmed on the RTL" in (out / "scaling.md").read_text()
