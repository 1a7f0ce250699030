"""A bounded subset of ``mgd fuzz`` in the suite: a few seeded random configurations per simulator, each
co-simulated bit for bit against the golden model (:mod:`testbench.fuzz`). The indices of seed 1 are
picked to span both styles and modes (with momentum, wrap, τ's > 1, a folded P above the widest layer)
while staying small; ``mgd fuzz --count 30 --seed 1 --sim both`` runs the first 30."""

from __future__ import annotations

import pytest

from golden_model.schedule import fold
from testbench import fuzz, runner

pytestmark = pytest.mark.cosim

SEED = 1
STEPS = 200
# per simulator: indices of seed 1 (see test_subset_spans_styles_and_modes)
SUBSET = {"icarus": (0, 1, 8, 3), "verilator": (2, 12, 24, 25)}


def test_subset_spans_styles_and_modes():
    picked = [fuzz.draw(SEED, i).config for i in sorted({i for v in SUBSET.values() for i in v})]
    assert {(c.hardware.style, c.mgd.perturbation) for c in picked} == {
        (s, p) for s in ("spatial", "folded") for p in ("weight", "node")}
    assert any(c.fixed.momentum_shift for c in picked) and any(c.fixed.overflow == "wrap" for c in picked)
    assert any(c.mgd.tau_theta > 1 for c in picked)
    folded = [c for c in picked if c.hardware.style == "folded"]
    assert any(fold(c.network.layers, c.hardware.lanes)[1] > 1 for c in folded)  # P above the widest layer


@pytest.mark.parametrize("sim", runner.SIMULATORS)
def test_fuzz_subset_bit_exact(sim):
    runner.require_simulator(sim)
    results = fuzz.run([fuzz.draw(SEED, i) for i in SUBSET[sim]], (sim,), STEPS)
    for r in results:
        print("\n" + r.line())
    bad = [r for r in results if r.status != "pass"]
    assert not bad, "\n\n".join(r.replay() for r in bad)
    assert all(r.steps == STEPS for r in results)
