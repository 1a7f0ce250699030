"""Every built-in preset, as it is (its own seed, steps and target), reaches its own
``task.target_accuracy`` on the float model and on the fixed-point model (the RTL is bit-exact with the
fixed model, so the fixed model reaching it is what the RTL needs)."""

from __future__ import annotations

import importlib

import pytest

from golden_model.config import PRESETS, from_preset


@pytest.mark.parametrize("backend", ["float", "fixed"])
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_reaches_its_target_accuracy(name: str, backend: str) -> None:
    config = from_preset(name)
    train = importlib.import_module(f"golden_model.{backend}_mgd").train
    r = train(config, progress=False)
    target = config.task.target_accuracy
    curve = " ".join(f"{p.step}:{p.test_accuracy:.3f}" for p in r.curve)
    where = f"{backend} {name} seed={config.mgd.seed} target={target}: test accuracy at step:value {curve}"
    assert r.steps == config.task.steps, where
    assert r.final.step == config.task.steps, where
    # the first evaluation at the target, and the accuracy there, measured
    assert r.steps_to_target is not None, where
    at = next(p for p in r.curve if p.step == r.steps_to_target)
    assert at.test_accuracy >= target, where
    assert all(p.test_accuracy < target for p in r.curve if p.step < r.steps_to_target), where
    # and the run ends there too, not on a dip below it
    assert r.final.test_accuracy >= target, where
