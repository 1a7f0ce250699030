"""The scaling study (golden_model.studies.scaling): configurations, statistics over seeds, and a tiny real
study that gives the same runs and table for one and for two workers. Its command, ``mgd scaling``, is
tested in scripts/tests/test_scaling_cmd.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from golden_model.config import from_preset
from golden_model.fixed_network import FixedSpec
from golden_model.lfsr import MIN_SPACING
from golden_model.studies.scaling import (
    MODE_SETTINGS,
    lfsr_width_for,
    quantile,
    scaling_config,
    scaling_study,
    summarize,
)

STATS = {"min": 0.0, "q1": 0.25, "median": 0.5, "q3": 0.75, "max": 1.0}


def test_configs_follow_the_preset_and_widen_what_the_hardware_needs() -> None:
    preset = from_preset("nist7x7").fixed
    node = scaling_config(64, "node", 3)
    assert node.network.layers == (49, 64, 4) and node.mgd.seed == 3 and node.mgd.perturbation == "node"
    assert (node.fixed.amplitude_shift, node.fixed.eta_shift, node.fixed.lfsr_width) == (
        preset.amplitude_shift, preset.eta_shift, preset.lfsr_width)
    assert node.task.steps == MODE_SETTINGS["node"]["budget"] and node.task.target_accuracy == 0.9
    weight = scaling_config(64, "weight", 1)  # 3,460 lanes: 18-bit LFSRs keep them 64 steps apart
    assert (weight.fixed.amplitude_shift, weight.fixed.eta_shift) == (6, 7)
    assert weight.fixed.lfsr_width == 18 and weight.network.n_weights == 3460
    assert ((1 << 18) - 1) // 3460 >= MIN_SPACING > ((1 << 17) - 1) // 3460
    assert weight.task.steps == MODE_SETTINGS["weight"]["budget"] > node.task.steps
    assert scaling_config(16, "weight", 1).fixed.lfsr_width == preset.lfsr_width  # never narrower
    for cfg in (node, weight):
        assert cfg.fixed.grad_width >= FixedSpec.min_grad_width(cfg)
        FixedSpec.from_config(cfg)
    assert lfsr_width_for(1, 5) == 5
    with pytest.raises(ValueError, match="mode must be"):
        scaling_config(4, "walsh", 1)


def test_quantile_is_numpy_linear_and_unknown_past_the_budget() -> None:
    vals = [500.0, 1500.0, 2000.0, 9000.0, 12000.0]
    for q in (0.0, 0.25, 0.5, 0.75, 1.0, 0.4):
        assert quantile(vals, q) == pytest.approx(float(np.percentile(vals, 100 * q)))
    censored = [500.0, 1500.0, math.inf, math.inf]
    assert quantile(censored, 0.25) == pytest.approx(float(np.percentile([500, 1500, 3000, 4000], 25)))
    assert quantile(censored, 0.5) is None  # between 1500 and a seed that never got there
    assert quantile(censored, 1.0) is None
    assert quantile([], 0.5) is None


def _runs(steps: dict[tuple[str, int], list[tuple[int | None, int | None]]]) -> list[dict]:
    return [{"mode": m, "hidden": h, "seed": i + 1, "layers": [49, h, 4], "n_params": 50 * h + 4 * (h + 1),
             "n_perturbation": h + 4, "amplitude_shift": 4, "eta_shift": 5, "budget": 10000,
             "steps_to": {"0.8": a, "0.9": b}, "final_test_accuracy": 0.9 if b else 0.7}
            for (m, h), seeds in steps.items() for i, (a, b) in enumerate(seeds)]


def test_summarize_counts_unreached_seeds_as_beyond_the_budget() -> None:
    runs = _runs({("node", 4): [(1000, 3000), (500, None), (2000, 2500), (1500, 4000)],
                  ("node", 8): [(None, None), (None, None), (700, 900), (800, None)]})
    table = summarize(runs, (0.8, 0.9))
    assert [(r["hidden"], r["target"]) for r in table] == [(4, 0.8), (4, 0.9), (8, 0.8), (8, 0.9)]
    a80, a90, b80, b90 = table
    assert (a80["solved"], a80["seeds"], a80["solve_rate"]) == (4, 4, 1.0)
    for key, q in STATS.items():
        assert a80[key] == pytest.approx(np.percentile([1000, 500, 2000, 1500], 100 * q))
    assert (a90["solved"], a90["solve_rate"]) == (3, 0.75)
    assert a90["min"] == 2500 and a90["q1"] == pytest.approx(2875.0) and a90["median"] == 3500
    assert a90["q3"] is None and a90["max"] is None
    assert a90["median_solved"] == 3000 and a90["steps_to"] == [3000, None, 2500, 4000]
    assert (b80["solved"], b80["min"], b80["median"]) == (2, 700, None)
    assert (b90["solved"], b90["solve_rate"], b90["min"], b90["median_solved"]) == (1, 0.25, 900, 900)
    assert a80["mean_final_test_accuracy"] == pytest.approx(0.85)


def test_tiny_study_is_deterministic_across_worker_counts() -> None:
    kwargs = {"hidden": (2, 4), "seeds": 2, "budgets": {"weight": 400, "node": 800}, "eval_every": 100,
              "targets": (0.3, 0.26)}
    one = scaling_study(workers=1, **kwargs)
    two = scaling_study(workers=2, **kwargs)

    def strip(rows: list[dict]) -> list[dict]:
        return [{k: v for k, v in r.items() if k != "wall_s"} for r in rows]

    assert strip(one["runs"]) == strip(two["runs"])
    assert one["table"] == two["table"]
    runs, table = one["runs"], one["table"]
    assert [(r["mode"], r["hidden"], r["seed"]) for r in runs] == [
        (m, h, s) for m in ("weight", "node") for h in (2, 4) for s in (1, 2)]
    assert [(r["mode"], r["hidden"], r["target"]) for r in table] == [
        (m, h, t) for m in ("weight", "node") for h in (2, 4) for t in (0.26, 0.3)]
    assert one["settings"]["targets"] == [0.26, 0.3]
    for r in runs:
        budget = kwargs["budgets"][r["mode"]]
        assert r["budget"] == budget and r["steps_run"] <= budget
        if r["steps_to"]["0.3"] is not None:  # stopped at the last target, at an evaluation
            assert r["steps_run"] == r["steps_to"]["0.3"] and r["steps_run"] % 100 == 0
        else:
            assert r["steps_run"] == budget
    for row in table:
        mine = [r["steps_to"][f"{row['target']:g}"] for r in runs
                if (r["mode"], r["hidden"]) == (row["mode"], row["hidden"])]
        assert row["steps_to"] == mine
        assert row["solved"] == sum(s is not None for s in mine) and row["seeds"] == 2
        for key, q in STATS.items():
            # two seeds: with one unreached, only the minimum is known
            known = None not in mine or (q == 0 and row["solved"])
            want = float(np.percentile([s for s in mine if s is not None], 100 * q)) if known else None
            assert row[key] == want, (row, key)
    assert any(r["median"] is not None for r in table)  # the check above saw a median that is a number
