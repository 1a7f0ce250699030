"""The main job (``mgd run``) end to end on the XOR preset: RTL bit-exact, synthesis, hardware time."""

from __future__ import annotations

import json

import pytest

from golden_model.config import from_preset
from testbench import runner

pytestmark = [pytest.mark.cosim, pytest.mark.synth, pytest.mark.slow]


def test_main_job_on_xor(tmp_path):
    runner.require_simulator("verilator")
    from scripts.flows.run import main_job

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
