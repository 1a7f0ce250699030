"""rtl.spatial.update.WeightUpdate against golden_model.fixed_mgd.update, at θ's rails; rtl.mgd_arith's update
pieces exhaustively."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth import Module, Signal, signed
from amaranth.sim import Simulator

from golden_model.fixed_mgd import momentum_decay as momentum_decay_twin
from golden_model.fixed_mgd import update
from golden_model.qformat import round_shift as round_twin
from rtl.mgd_arith import momentum_decay, momentum_next, subtract_step
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


@pytest.mark.parametrize("rounding", ["floor", "half_up", "convergent"])
def test_update_pieces_match_twin_exhaustively(rounding):
    """rtl.mgd_arith's pieces of step 6, every input of small widths, against the model's integers:
    ``subtract_step`` (θ − round_R(u, s) with the rounding folded into the subtraction) for s = 0 .. 4,
    ``momentum_decay`` (M · 2^-k_m away from zero) and ``momentum_next``."""
    spec = spec_of(f"fixed.rounding={rounding}", "fixed.overflow=saturate", "fixed.theta=Q1.2",
                   "fixed.amplitude_shift=2", "fixed.momentum_shift=2", grad_width=3)
    wt, wm = spec.theta.width, spec.momentum_width
    theta, u, g = Signal(signed(wt)), Signal(signed(7)), Signal(signed(spec.grad_width))
    mom = Signal(signed(wm))
    m = Module()
    shifts = range(5)
    outs = []
    for s in shifts:
        t_next, t_event = subtract_step(theta, u, s, spec)
        o, e = Signal(signed(wt), name=f"t{s}"), Signal(name=f"e{s}")
        m.d.comb += [o.eq(t_next), e.eq(t_event)]
        outs.append((o, e))
    d, m_next = Signal(signed(wm), name="d"), Signal(signed(wm), name="m_next")
    m_event = Signal(name="m_event")
    nxt, ev = momentum_next(mom, momentum_decay(mom, spec), g, spec)
    m.d.comb += [d.eq(momentum_decay(mom, spec)), m_next.eq(nxt), m_event.eq(ev)]
    sim = Simulator(m)

    async def tb(ctx):
        for t in range(spec.theta.min_int, spec.theta.max_int + 1):
            ctx.set(theta, t)
            for x in range(-64, 64):
                ctx.set(u, x)
                for s, (o, e) in zip(shifts, outs):
                    total = t - int(round_twin(x, s, rounding))
                    assert ctx.get(o) == int(spec.theta.fit(total)), (t, x, s)
                    assert ctx.get(e) == int(not spec.theta.contains(total)), (t, x, s)
        for x in range(-(1 << (wm - 1)), 1 << (wm - 1)):
            ctx.set(mom, x)
            assert ctx.get(d) == int(momentum_decay_twin(np.array([x]), 2)[0]), x
            for y in range(-4, 4):
                ctx.set(g, y)
                assert ctx.get(m_event) == 0, (x, y)  # W_M bits: M − d + G never leaves them
                _, want = update(np.array([0]), np.array([y]), np.array([x]), spec)
                assert ctx.get(m_next) == int(want[0]), (x, y)

    sim.add_testbench(tb)
    sim.run()
