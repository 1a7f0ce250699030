"""rtl.controller.Controller: the pass schedule of the spec, one pass per clock, the drain after updates."""

from __future__ import annotations

import pytest
from amaranth.sim import Simulator

from rtl.controller import Controller


def _expected(steps: int, tau_x: int, tau_p: int, tau_theta: int, n_samples: int):
    """(kind, sample, last, advance) of every pass, in issue order (spec "One step n")."""
    out = []
    for n in range(steps):
        k = (n // tau_x) % n_samples
        if n == 0 or n % tau_x == 0 or n % tau_theta == 0:
            out.append(("base", k, 0, 0))
        out.append(("pert", k, int((n + 1) % tau_theta == 0), int((n + 1) % tau_p == 0)))
    return out


@pytest.mark.parametrize("taus", [(1, 1, 1), (3, 2, 5), (4, 1, 2), (2, 3, 6), (5, 5, 5)])
@pytest.mark.parametrize("latency", [1, 4])
def test_controller_schedule(taus, latency):
    tau_x, tau_p, tau_theta = taus
    n_samples, steps = 3, 37
    dut = Controller(n_samples=n_samples, latency=latency)
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    issued = []

    async def tb(ctx):
        ctx.set(dut.ctrl.tau_x, tau_x)
        ctx.set(dut.ctrl.tau_p, tau_p)
        ctx.set(dut.ctrl.tau_theta, tau_theta)
        for chunk in (1, 10, 26):  # three runs: the counters carry over
            ctx.set(dut.ctrl.n_steps, chunk)
            ctx.set(dut.ctrl.start, 1)
            await ctx.tick()
            ctx.set(dut.ctrl.start, 0)
            cycle = 0
            while ctx.get(dut.busy):
                if ctx.get(dut.issue_valid):
                    kind = "base" if ctx.get(dut.issue_baseline) else "pert"
                    issued.append((kind, ctx.get(dut.sample), ctx.get(dut.issue_last), ctx.get(dut.advance),
                                   cycle))
                await ctx.tick()
                cycle += 1
        assert ctx.get(dut.step) == steps

    sim.add_testbench(tb)
    sim.run()
    assert [i[:4] for i in issued] == _expected(steps, tau_x, tau_p, tau_theta, n_samples)
    for prev, cur in zip(issued, issued[1:]):
        if cur[4] > prev[4]:  # same run
            gap = latency + 1 if prev[0] == "pert" and prev[2] else 1
            assert cur[4] - prev[4] == gap, (prev, cur)


def test_controller_stop_ends_the_run_after_the_current_step():
    dut = Controller(n_samples=4, latency=3)
    sim = Simulator(dut)
    sim.add_clock(1e-6)

    async def tb(ctx):
        for name in ("tau_x", "tau_p", "tau_theta"):
            ctx.set(getattr(dut.ctrl, name), 1)
        ctx.set(dut.ctrl.n_steps, 1000)
        ctx.set(dut.ctrl.start, 1)
        await ctx.tick()
        ctx.set(dut.ctrl.start, 0)
        await ctx.tick().repeat(13)
        ctx.set(dut.ctrl.stop, 1)
        await ctx.tick()
        ctx.set(dut.ctrl.stop, 0)
        n = ctx.get(dut.step)
        await ctx.tick().until(~dut.busy)
        assert ctx.get(dut.step) == n
        assert 0 < n < 1000

    sim.add_testbench(tb)
    sim.run()


def test_controller_rejects_bad_parameters():
    with pytest.raises(ValueError, match="Controller latency must be a positive integer, not 0"):
        Controller(n_samples=2, latency=0)
    with pytest.raises(ValueError, match="Controller n_samples must be a positive integer, not -1"):
        Controller(n_samples=-1, latency=2)
