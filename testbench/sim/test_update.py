"""rtl.spatial.update.WeightUpdate against golden_model.fixed_mgd.update, at θ's (and M's) rails."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from golden_model.fixed_mgd import update
from rtl.spatial.update import WeightUpdate
from testbench.sim._support import spec_of


@pytest.mark.parametrize("k_m", [0, 1, 3])
@pytest.mark.parametrize("rounding, overflow", [("floor", "saturate"), ("half_up", "wrap"),
                                                ("convergent", "saturate")])
def test_update_matches_twin_at_rails(k_m, rounding, overflow):
    spec = spec_of(f"fixed.rounding={rounding}", f"fixed.overflow={overflow}", "fixed.theta=Q1.6",
                   "fixed.amplitude_shift=4", "fixed.eta_shift=2", f"fixed.momentum_shift={k_m}")
    init = spec.theta.max_int - 3
    dut = WeightUpdate(spec=spec, init=init)
    rng = np.random.default_rng(k_m + 17)
    steps = 300
    g = rng.integers(-(1 << 9), 1 << 9, steps)
    g[:40] = -(1 << 9)  # drive θ up into its top rail first
    g[40:90] = 1 << 9  # then down into the bottom rail
    en = rng.random(steps) < 0.8
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    seen = set()

    async def tb(ctx):
        theta = np.array([init], dtype=np.int64)
        M = np.zeros(1, dtype=np.int64)
        for k in range(steps):
            ctx.set(dut.en, int(en[k]))
            ctx.set(dut.g, int(g[k]))
            if en[k]:
                theta, M = update(theta, np.array([g[k]]), M, spec)
                seen.add(int(theta[0]))
            await ctx.tick()
            assert ctx.get(dut.theta) == theta[0], (k, int(g[k]))
            if k_m:
                assert ctx.get(dut.momentum) == M[0], k

    sim.add_testbench(tb)
    sim.run()
    if overflow == "saturate":
        assert {spec.theta.min_int, spec.theta.max_int} <= seen, "the test never reached both rails"


def test_update_rejects_init_outside_theta():
    spec = spec_of("fixed.theta=Q1.6", "fixed.amplitude_shift=4")
    with pytest.raises(ValueError, match=r"WeightUpdate init must be an integer in the θ format Q1.6 "
                                         r"\[-128, 127\], not 128"):
        WeightUpdate(spec=spec, init=128)
