"""rtl.spatial.correlator.Correlator against golden_model.fixed_mgd.correlate, saturation rails included."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from golden_model.fixed_mgd import correlate
from rtl.spatial.correlator import Correlator
from testbench.sim._support import spec_of


@pytest.mark.parametrize("node_input", [False, True])
@pytest.mark.parametrize("rounding, overflow", [("floor", "saturate"), ("half_up", "wrap"),
                                                ("convergent", "saturate")])
def test_correlator_matches_twin_at_rails(node_input, rounding, overflow):
    # a 10-bit G: the rails (±512) are reached within a few steps of |Ĉ| up to 2**W_C
    spec = spec_of(f"fixed.rounding={rounding}", f"fixed.overflow={overflow}", "fixed.cost=UQ1.6",
                   grad_width=10)
    dut = Correlator(spec=spec, node_input=node_input)
    rng = np.random.default_rng(7)
    steps = 400
    c_max = spec.cost_fmt.max_int
    c_hat = rng.integers(-c_max, c_max + 1, steps)
    c_hat[rng.random(steps) < 0.3] = c_max  # push toward the rails
    sign = rng.integers(0, 2, steps)
    sign[: steps // 2] = 0
    a = rng.integers(0, (1 << spec.A_f) + 1, steps)
    en = rng.random(steps) < 0.9
    clear = rng.random(steps) < 0.03
    for lo, bit in ((0, 0), (200, 1)):  # runs of equal signs at full Ĉ: into the top, then the bottom rail
        sign[lo:lo + 40], c_hat[lo:lo + 40], a[lo:lo + 40] = bit, c_max, 1 << spec.A_f
        en[lo:lo + 40], clear[lo:lo + 40] = True, False
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    rails = set()

    async def tb(ctx):
        G = np.zeros(1, dtype=np.int64)
        for k in range(steps):
            ctx.set(dut.en, int(en[k]))
            ctx.set(dut.clear, int(clear[k]))
            ctx.set(dut.sign, int(sign[k]))
            ctx.set(dut.c_hat, int(c_hat[k]))
            ctx.set(dut.a, int(a[k]))
            s = np.array([1 - 2 * int(sign[k])])
            nxt = correlate(G, s, int(c_hat[k]), spec, inputs=np.array([a[k]]) if node_input else None)
            assert ctx.get(dut.g_next) == nxt[0], (k, int(G[0]))
            if en[k]:
                rails.add(int(nxt[0]))
            if clear[k]:
                G = np.zeros(1, dtype=np.int64)
            elif en[k]:
                G = nxt
            await ctx.tick()
            assert ctx.get(dut.g) == G[0], k

    sim.add_testbench(tb)
    sim.run()
    if overflow == "saturate":
        assert {-512, 511} <= rails, "the test never reached both rails"


def test_correlator_flags_overflow():
    spec = spec_of("fixed.cost=UQ1.6", grad_width=8)
    dut = Correlator(spec=spec, node_input=False)
    sim = Simulator(dut)
    sim.add_clock(1e-6)

    async def tb(ctx):
        ctx.set(dut.en, 1)
        ctx.set(dut.c_hat, 100)
        flags = []
        for _ in range(3):
            flags.append(ctx.get(dut.overflow))
            await ctx.tick()
        assert flags == [0, 1, 1]  # 100, 200 -> 127 (saturated), 227 -> 127
        assert ctx.get(dut.g) == 127

    sim.add_testbench(tb)
    sim.run()
