"""``mgd compare``: its task list fits the spatial core and trains to its target; bad arguments are refused.

The full comparison (three main jobs, ~minutes) is a benchmark, run by ``mgd compare``, not here.
"""

from __future__ import annotations

import pytest

from golden_model.config import apply_overrides, from_preset
from rtl.spatial.core import MAX_SPATIAL_PARAMS
from rtl.spec import hardware_spec
from scripts.cli import build_parser
from scripts.flows.bench import COMPARE_TASKS, CompareError, _markdown, compare
from scripts.flows.run import COMPILED_LABEL, SKLEARN_LABEL, hardware_vs_backprop


@pytest.mark.parametrize("name", sorted(COMPARE_TASKS))
def test_task_fits_the_spatial_core(name):
    preset, overrides = COMPARE_TASKS[name]
    spec = hardware_spec(apply_overrides(from_preset(preset), overrides))
    assert 0 < spec.layout.n_params <= MAX_SPATIAL_PARAMS


@pytest.mark.parametrize("name", ["nist7x7", "nist7x7-49-4-4"])
def test_nist7x7_task_reaches_its_target_in_the_golden_model(name):
    from golden_model.fixed_mgd import train

    preset, overrides = COMPARE_TASKS[name]
    config = apply_overrides(from_preset(preset), overrides)
    result = train(config, progress=False)
    assert result.steps_to_target is not None and result.steps_to_target <= config.task.steps


def test_unknown_task_is_refused(tmp_path):
    with pytest.raises(CompareError, match="task must be one of 'xor', 'parity4', 'nist7x7', "
                                           "'nist7x7-49-4-4', not 'mnist'"):
        compare(tmp_path, ["mnist"], progress=False)


def test_command_is_registered():
    args = build_parser().parse_args(["compare", "--task", "xor", "--out", "x"])
    assert args.command == "compare" and args.task == ["xor"] and args.target == "ecp5-25k"


def test_markdown_table_has_every_column():
    row = {"task": "xor", "layers": [2, 2, 1], "parameters": 9, "mode": "weight", "target_accuracy": 1.0,
           "steps": 100, "bit_exact": True, "rtl_test_accuracy": 1.0, "steps_to_target": 50,
           "cycles_per_step": 6.0, "schedule_cycles_per_step": 6.0, "synth_target": "ecp5-85k",
           "fmax_mhz": 30.0,
           "synth_does_not_fit": {"ecp5-25k": "LUT 30000/24288"},
           "lut": 10, "ff": 20, "dsp": 3, "hardware_time_to_target_s": 1e-5,
           "compiled_backprop_time_to_target_s": 2e-4, "compiled_backprop_solve_rate": 0.9,
           "sklearn_time_to_target_s": 0.1, "sklearn_solve_rate": 1.0, "rtl_verilator_steps_per_s": 5e3,
           "stage_seconds": {"rtl": 1.0}}
    slow = dict(row, task="parity4", hardware_time_to_target_s=0.5, compiled_backprop_time_to_target_s=None,
                compiled_backprop_solve_rate=0.0)
    text = _markdown([row, slow, {"task": "big", "layers": [1, 1], "error": "does not fit"}],
                     {"command": "mgd compare"})
    assert ("| hardware time | compiled backprop (numba) time (solve rate) | scikit-learn time (solve rate) "
            "| hardware vs the faster backprop |" in text)
    assert ("| xor | 2-2-1 (9 params) | weight | 1.00 | 50 | 6.000 (6.000) "
            "| 30.0 MHz (ecp5-85k; does not fit ecp5-25k) | 10 / 20 / 3 "
            "| 10.0 µs | 200.0 µs (90%) | 100.0 ms (100%) "
            "| 20x faster vs compiled backprop (numba) |" in text)
    # the compiled reference did not reach the target: the ratio is taken against scikit-learn, as it falls
    assert ("| 10 / 20 / 3 | 500.0 ms | n/a (0%) | 100.0 ms (100%) | 5.0x slower vs scikit-learn |"
            in text)
    assert "does not fit" in text


def test_ratio_names_the_faster_reference_and_says_slower_or_faster():
    refs = {COMPILED_LABEL: 2e-3, SKLEARN_LABEL: 0.5}
    ratio, ref, text = hardware_vs_backprop(1e-3, refs)
    assert (ratio, ref) == (pytest.approx(0.5), COMPILED_LABEL)
    assert text == "2.0x faster vs compiled backprop (numba)"
    ratio, ref, text = hardware_vs_backprop(0.03, refs)
    assert (ratio, ref) == (pytest.approx(15.0), COMPILED_LABEL)
    assert text == "15x slower vs compiled backprop (numba)"
    ratio, ref, text = hardware_vs_backprop(1e-6, {COMPILED_LABEL: None, SKLEARN_LABEL: 0.5})
    assert (ratio, ref, text) == (pytest.approx(2e-6), SKLEARN_LABEL, "500000x faster vs scikit-learn")
    assert hardware_vs_backprop(None, refs) == (None, COMPILED_LABEL,
                                                "n/a (the hardware did not reach the target)")
    assert hardware_vs_backprop(1e-3, {COMPILED_LABEL: None, SKLEARN_LABEL: None}) == (
        None, None, "n/a (no backprop reference reached the target)")
