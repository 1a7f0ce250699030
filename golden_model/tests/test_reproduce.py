"""Smoke tests of the reproduction at tiny sizes (the real run is ``mgd reproduce``, minutes long, and not
part of the test suite). Its command line (``mgd reproduce``, ``mgd bench``, ``mgd train``) is tested in
scripts/tests/test_cli.py."""

from __future__ import annotations

import json

import numpy as np
import pytest

from golden_model.config import PRESETS, from_preset, loads_toml, to_toml
from golden_model.studies import reproduce as experiments


def test_gradient_quality_small_matches_theory_shape():
    gq = experiments.gradient_quality(networks=[("xor", (2, 2, 1)), ("parity", (3, 4, 1))], t_factor=6,
                                      replicas=8)
    for row in gq["networks"]:
        assert row["T_star"] is not None, row
        # even at tiny sizes the mean cosine follows √(T/(T+N−1)) within 15 %
        assert row["max_rel_dev"] < 0.15, row
        assert np.all(np.diff(row["theory"]) >= 0)
    assert gq["fit"]["slope"] > 0


def test_reproduce_quick_writes_reports(tmp_path):
    res = experiments.reproduce(tmp_path, quick=True, progress=None, workers=1)
    for name in experiments.SECTIONS:
        assert name in res, name
    data = json.loads((tmp_path / "reproduce.json").read_text())
    assert data["quick"] is True
    md = (tmp_path / "reproduce.md").read_text()
    assert "(a) Gradient-estimate quality" in md and "(e) Solve rate" in md
    for png in ("gradient_quality.png", "width_scaling.png", "backprop_comparison.png"):
        assert (tmp_path / png).stat().st_size > 1000, png
    bp = res["backprop_comparison"]["rows"]
    assert {r["task"] for r in bp} == {"xor", "nist7x7"}
    assert {r["optimizer"] for r in bp} == {"momentum", "adam"}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_round_trip_and_match_datasets(name):
    cfg = from_preset(name)
    assert loads_toml(to_toml(cfg)) == cfg


def test_xor_preset_is_paper_one():
    m, n = from_preset("xor").mgd, from_preset("xor").network
    assert (n.layers, n.activation, n.cost) == ((2, 2, 1), "sigmoid", "mse")
    assert (m.delta, m.eta, m.tau_x, m.tau_p, m.tau_theta, m.multiplexing) == (0.05, 0.1, 1, 1, 1, "code")
