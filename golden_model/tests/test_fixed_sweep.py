"""Width sweep (golden_model.studies.sweep); its thin CLI, ``mgd sweep``, is tested in
scripts/tests/test_cli.py."""

from __future__ import annotations

import pytest

from golden_model.config import apply_overrides, from_preset
from golden_model.fixed_network import FixedSpec
from golden_model.studies.sweep import at_width, min_widths


def test_at_width_keeps_integer_bits_and_real_units() -> None:
    # Q3.12, k_p = 3, k_eta = 3 (pinned: the test is about at_width, not the preset's shifts)
    base = apply_overrides(from_preset("xor"), ["fixed.amplitude_shift=3", "fixed.eta_shift=3"])
    c = at_width(base, 10)
    assert c.fixed.theta == "Q3.6"
    assert c.fixed.amplitude_shift == 3
    assert c.fixed.eta_shift == 3 + (12 - 6)
    narrow = at_width(base, 6)  # Q3.2 cannot hold 2^-3: amplitude 2^-2, one shift more of η
    got = (narrow.fixed.theta, narrow.fixed.amplitude_shift, narrow.fixed.eta_shift)
    assert got == ("Q3.2", 2, 3 + 10 + 1)
    FixedSpec.from_config(narrow)
    with pytest.raises(ValueError, match="width must be at least 4"):
        at_width(base, 3)


def test_summarize_counts_seeds() -> None:
    from golden_model.studies.sweep import summarize

    base = {"preset": "p", "mode": "node", "width": 8, "theta": "Q3.4", "amplitude_shift": 3, "eta_shift": 1,
            "cost": "UQ1.16", "target_accuracy": 1.0}
    rows = [dict(base, seed=s, trained=t, steps_to_target=n, final_test_accuracy=a)
            for s, t, n, a in ((1, True, 300, 1.0), (2, False, None, 0.5), (3, True, 100, 1.0))]
    (row,) = summarize(rows)
    assert (row["reached"], row["seeds"], row["trained"], row["median_steps_to_target"]) == (2, 3, True, 300)
    assert abs(row["mean_final_test_accuracy"] - 2.5 / 3) < 1e-12
    assert not summarize(rows[1:2])[0]["trained"]


def test_min_widths_needs_every_wider_width_to_train() -> None:
    rows = [{"preset": "p", "mode": "weight", "width": w, "trained": t}
            for w, t in ((6, True), (8, False), (10, True), (12, True))]
    assert min_widths(rows) == {"p/weight": {"min": 6, "stable": 10}}
    rows[-1]["trained"] = False
    assert min_widths(rows) == {"p/weight": {"min": 6, "stable": None}}
    assert min_widths([dict(r, trained=False) for r in rows]) == {"p/weight": {"min": None, "stable": None}}


def test_at_width_wider_than_the_cost_can_feed_widens_the_cost() -> None:
    base = from_preset("parity4")  # Q3.12, k_eta = 1, cost UQ1.16
    c = at_width(base, 24)  # T_f = 20: k_eta would be 1 + 12 - 20 = -7
    assert (c.fixed.theta, c.fixed.eta_shift, c.fixed.cost) == ("Q3.20", 0, "UQ1.23")
    FixedSpec.from_config(c)
