"""The main job (``mgd run``) end to end on the XOR preset: RTL bit-exact, synthesis, hardware time."""

from __future__ import annotations

import json

import pytest

from golden_model.config import from_preset
from testbench import runner

pytestmark = [pytest.mark.cosim, pytest.mark.synth, pytest.mark.slow]


def test_main_job_on_xor(tmp_path):
    runner.require_simulator("verilator")
    from scripts.flows.run import COMPILED_LABEL, SKLEARN_LABEL, main_job

    config = from_preset("xor")
    result = main_job(config, tmp_path, target="ecp5-25k", free_steps=200, backprop_repeats=1, progress=False)
    assert result.bit_exact, result.mismatch
    assert result.rtl.steps == config.task.steps
    # the RTL's own θ, evaluated along the way, gives exactly the golden model's learning curve
    assert result.rtl.curve == result.golden.curve
    assert result.rtl.steps_to_target == result.golden.steps_to_target is not None
    cps = result.cosim["cycles_per_step"]
    assert cps == pytest.approx(result.cosim["bound_cycles_per_step"], rel=0, abs=1e-9)
    assert result.hardware_time_s == pytest.approx(result.rtl.steps_to_target * cps / (result.fmax_mhz * 1e6))
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["bit_exact"] is True and summary["steps_to_target"] == result.rtl.steps_to_target
    assert summary["lut"] > 0 and summary["ff"] > 0 and summary["fmax_mhz"] > 1
    for name in ("summary.md", "learning_curve.png", "synth/ecp5-25k/synth_report.json"):
        assert (tmp_path / name).is_file(), name
    lines = result.summary_lines()
    assert any(line.startswith("hardware    time to target") and "us" in line for line in lines)
    # both backprop references, and the ratio against the faster one, named, "slower"/"faster" as it falls
    compiled, sklearn = summary["compiled_backprop_time_to_target_s"], summary["sklearn_time_to_target_s"]
    assert len(summary["compiled_backprop"]["seeds"]) == 10 and summary["compiled_backprop_solve_rate"] >= 0.8
    assert compiled is not None and compiled > 0 and summary["compiled_backprop"]["compile_s"] > 0
    assert len(summary["backprop"]["times_s"]) == 1
    faster = min((t, name) for t, name in ((compiled, COMPILED_LABEL), (sklearn, SKLEARN_LABEL))
                 if t is not None)
    assert (summary["backprop_time_to_target_s"], summary["backprop_reference"]) == faster
    hw = summary["hardware_time_to_target_s"]
    assert summary["hardware_over_backprop"] == pytest.approx(hw / faster[0])
    word = "slower" if hw > faster[0] else "faster"
    assert summary["hardware_vs_backprop"].endswith(f"x {word} vs {faster[1]}")
    assert any(line.startswith(f"backprop    {COMPILED_LABEL}, one core") and "median" in line
               for line in lines)
    assert any(line.startswith(f"backprop    {SKLEARN_LABEL} MLPClassifier") for line in lines)
    assert f"ratio       hardware {summary['hardware_vs_backprop']} (the faster reference)" in lines
    assert f"| hardware vs the faster backprop | hardware {summary['hardware_vs_backprop']} |" in (
        tmp_path / "summary.md").read_text()
