"""``mgd compare``: its tasks are the presets, each core fits a part; the fixed model's median over seeds;
the table's columns; bad arguments are refused.

The full comparison (four main jobs, ~an hour) is a benchmark, run by ``mgd compare``, not here.
"""

from __future__ import annotations

import pytest

from golden_model.config import apply_overrides, from_preset
from rtl.cores import build_core
from scripts.cli import build_parser
from scripts.flows.bench import (
    COMPARE_TASKS,
    DEFAULT_COMPARE_TASKS,
    CompareError,
    _markdown,
    _model_steps,
    compare,
)
from scripts.flows.run import COMPILED_LABEL, SKLEARN_LABEL, hardware_vs_backprop


@pytest.mark.parametrize("name", sorted(COMPARE_TASKS))
def test_task_core_builds_and_fits_its_part(name):
    """Every task is a preset whose core builds in its own style and fits the part it is synthesized for:
    its hardware.target, or the fallback ecp5-85k for parity4's 41 multipliers."""
    from rtl.synth.fit import check_resources
    from rtl.synth.targets import DoesNotFitError, get_target

    preset, overrides = COMPARE_TASKS[name]
    config = apply_overrides(from_preset(preset), overrides)
    core = build_core(config)
    core._MustUse__silence = True
    parts = [config.hardware.target, "ecp5-85k"]
    fits = []
    for part in parts:
        try:
            check_resources(core.resources(), get_target(part), "mgd_core")
            fits.append(part)
        except DoesNotFitError:
            pass
    assert fits, f"{name} fits neither {parts}"
    assert config.hardware.style == ("folded" if name in ("nist7x7", "digits") else "spatial")


def test_compare_runs_every_preset_by_default():
    assert DEFAULT_COMPARE_TASKS == ("xor", "parity4", "nist7x7", "digits")
    assert all(COMPARE_TASKS[n] == (n, []) for n in DEFAULT_COMPARE_TASKS)


def test_model_steps_are_the_fixed_models_over_seeds():
    from golden_model.fixed_mgd import train

    config = from_preset("xor")
    got = _model_steps(config, 3, 1)
    want = [train(apply_overrides(config, [f"mgd.seed={s}"]), progress=False,
                  stop_at_target=True).steps_to_target for s in (1, 2, 3)]
    assert got["model_steps_to"] == want and got["model_seeds"] == 3
    assert got["model_solved"] == sum(w is not None for w in want)
    if all(w is not None for w in want):
        assert got["model_median_steps"] == sorted(want)[1]
    assert _model_steps(config, 0, 1)["model_median_steps"] is None


def test_unknown_task_is_refused(tmp_path):
    with pytest.raises(CompareError, match="task must be one of 'xor', 'parity4', 'nist7x7', "
                                           "'digits', not 'mnist'"):
        compare(tmp_path, ["mnist"], progress=False)


def test_command_is_registered():
    args = build_parser().parse_args(["compare", "--task", "xor", "--out", "x"])
    assert args.command == "compare" and args.task == ["xor"] and args.target is None
    assert args.model_seeds == 10


def test_markdown_table_has_every_column():
    row = {"task": "xor", "layers": [2, 2, 1], "parameters": 9, "mode": "weight", "target_accuracy": 1.0,
           "steps": 100, "bit_exact": True, "rtl_test_accuracy": 1.0, "steps_to_target": 50,
           "cycles_per_step": 6.0, "schedule_cycles_per_step": 6.0, "synth_target": "ecp5-85k",
           "fmax_mhz": 30.0,
           "synth_does_not_fit": {"ecp5-25k": "LUT 30000/24288"},
           "lut": 10, "ff": 20, "dsp": 3, "hardware_time_to_target_s": 1e-5,
           "compiled_backprop_time_to_target_s": 2e-4, "compiled_backprop_solve_rate": 0.9,
           "sklearn_time_to_target_s": 0.1, "sklearn_solve_rate": 1.0, "rtl_verilator_steps_per_s": 5e3,
           "stage_seconds": {"rtl": 1.0}, "style": "spatial", "lanes": None, "bram": 0, "model_seeds": 10,
           "model_solved": 9, "model_median_steps": 1234.0}
    slow = dict(row, task="parity4", hardware_time_to_target_s=0.5, compiled_backprop_time_to_target_s=None,
                compiled_backprop_solve_rate=0.0, style="folded", lanes=16, bram=43, model_median_steps=None)
    text = _markdown([row, slow, {"task": "big", "layers": [1, 1], "error": "does not fit"}],
                     {"command": "mgd compare"})
    assert ("| hardware time | compiled backprop (numba) time (solve rate) | scikit-learn time (solve rate) "
            "| hardware vs the faster backprop |" in text)
    assert ("| xor | 2-2-1 (9 params) | weight | spatial | 1.00 | 50 | 1,234 (9/10) | 6.000 (6.000) "
            "| 30.0 MHz (ecp5-85k; does not fit ecp5-25k) | 10 / 20 / 3 / 0 "
            "| 10.0 µs | 200.0 µs (90%) | 100.0 ms (100%) "
            "| 20x faster vs compiled backprop (numba) |" in text)
    # the compiled reference did not reach the target: the ratio is taken against scikit-learn, as it falls
    assert ("| 10 / 20 / 3 / 43 | 500.0 ms | n/a (0%) | 100.0 ms (100%) | 5.0x slower vs scikit-learn |"
            in text)
    assert "| parity4 | 2-2-1 (9 params) | weight | folded P = 16 | 1.00 | 50 | not reached (9/10) |" in text
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
