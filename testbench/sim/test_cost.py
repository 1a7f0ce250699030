"""rtl.cost.CostUnit against golden_model.fixed_network.cost; rtl.cost.Baseline (C0, Ĉ)."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from golden_model.fixed_network import cost
from rtl.cost import Baseline, CostUnit
from testbench.sim._support import pack, spec_of


@pytest.mark.parametrize("overrides", [
    ["network.cost=mse", "fixed.cost=UQ3.12", "fixed.rounding=floor"],
    ["network.cost=mse", "fixed.cost=UQ0.6", "fixed.rounding=half_up"],  # saturates often
    ["network.cost=mse", "fixed.cost=UQ1.5", "fixed.rounding=convergent", "fixed.overflow=wrap"],
    ["network.cost=l1", "fixed.cost=UQ2.9", "fixed.rounding=floor"],  # C_f > F: exact left shift
    ["network.cost=l1", "fixed.cost=UQ0.4", "fixed.rounding=convergent"],
    ["network.cost=mse", "fixed.activation=Q1.7", "fixed.hw_activation=hard_tanh", "fixed.cost=UQ3.12"],
])
def test_cost_unit_matches_twin(overrides):
    spec = spec_of(*overrides, layers=(2, 3, 3))
    dut = CostUnit(spec=spec)
    rng = np.random.default_rng(3)
    lo, hi = spec.activation_range()
    ys = rng.integers(lo, hi + 1, (200, 3))
    ts = rng.integers(0, 2, (200, 3)) << spec.A_f
    expected = cost(ys, ts, spec)
    sim = Simulator(dut)
    sim.add_clock(1e-6)

    async def tb(ctx):
        wa = spec.act.width
        for y, t, e in zip(ys, ts, expected):
            ctx.set(dut.y, pack(y, wa))
            ctx.set(dut.t, pack(t, wa))
            ctx.set(dut.valid, 1)
            await ctx.tick()
            assert ctx.get(dut.cost_valid) == 1
            assert ctx.get(dut.cost) == e, (overrides, y, t)

    sim.add_testbench(tb)
    sim.run()


def test_baseline_register_and_c_hat():
    dut = Baseline(cost_width=6)
    sim = Simulator(dut)
    sim.add_clock(1e-6)

    async def tb(ctx):
        seq = [(1, 1, 40), (1, 0, 10), (1, 0, 63), (0, 1, 5), (1, 0, 40), (1, 1, 0), (1, 0, 63)]
        c0 = 0
        for valid, base, c in seq:
            ctx.set(dut.valid, valid)
            ctx.set(dut.baseline, base)
            ctx.set(dut.cost, c)
            assert ctx.get(dut.c_hat) == c - c0
            await ctx.tick()
            if valid and base:
                c0 = c
            assert ctx.get(dut.c0) == c0

    sim.add_testbench(tb)
    sim.run()


def test_baseline_rejects_bad_width():
    with pytest.raises(ValueError, match="Baseline cost_width must be a positive integer, not 0"):
        Baseline(cost_width=0)
