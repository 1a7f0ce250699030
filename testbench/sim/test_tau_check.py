"""The τ refusal of the host protocol (:mod:`rtl.contract`, step 1; :class:`rtl.tau_check.TauCheck`) in
amaranth.sim, on both datapath styles: a start with τ_θ above :func:`rtl.contract.tau_theta_max`, a τ of 0
or, once steps have run, other τ's is refused, and nothing moves; the config's τ's run as before."""

from __future__ import annotations

import dataclasses

import pytest
from amaranth.sim import Simulator

from golden_model.config import ConfigError, apply_overrides
from golden_model.digest import digest
from golden_model.fixed_mgd import FixedMGD
from golden_model.fixed_network import FixedSpec
from rtl.contract import (
    REFUSED_TAU_CHANGED,
    REFUSED_TAU_THETA,
    REFUSED_ZERO_TAU,
    TAU_BITS,
    tau_theta_max,
)
from rtl.cores import build_core
from rtl.tau_check import TauCheck
from testbench.sim._support import config_of


def test_tau_theta_max_is_the_config_checks_bound():
    """Without momentum the bound is exactly the largest τ_θ the fixed model accepts at that G width."""
    for overrides in (["fixed.grad_width=24"], ["fixed.grad_width=20", "mgd.perturbation=node"],
                      ["fixed.grad_width=18", "fixed.cost=UQ1.16", "network.cost=l1"]):
        config = config_of(*overrides)
        top = tau_theta_max(FixedSpec.from_config(config))
        assert 1 <= top < (1 << TAU_BITS) - 1, overrides
        FixedSpec.from_config(apply_overrides(config, [f"mgd.tau_theta={top}"]))
        with pytest.raises(ConfigError, match="fixed.grad_width"):
            FixedSpec.from_config(apply_overrides(config, [f"mgd.tau_theta={top + 1}"]))


def test_tau_theta_max_with_momentum_keeps_m_proven():
    """With momentum, G must also stay in the ``W_M − k_m`` bits M was sized for (at the generated τ_θ),
    even when W_G has room for more."""
    config = config_of("fixed.grad_width=32", "fixed.momentum_shift=2")
    spec = FixedSpec.from_config(config)
    step_bound = spec.widths()["G_bound"]
    top = tau_theta_max(spec)
    assert spec.momentum_width - spec.k_m == spec.widths()["G"] < spec.grad_width
    assert top == ((1 << (spec.widths()["G"] - 1)) - 1) // step_bound
    assert top < tau_theta_max(dataclasses.replace(spec, k_m=0))


def test_tau_theta_max_is_at_least_the_generated_one_and_fits_the_register():
    spec = FixedSpec.from_config(config_of("fixed.grad_width=18", "fixed.cost=UQ1.16"))
    narrow = dataclasses.replace(spec, grad_width=8)  # a corner the config checks keep away
    assert tau_theta_max(narrow) == narrow.tau_theta
    wide = FixedSpec.from_config(config_of("fixed.grad_width=64"))
    assert tau_theta_max(wide) == (1 << TAU_BITS) - 1


def test_tau_check_rejects_bad_bounds():
    for bad in (0, 1 << TAU_BITS, 2.0, True):
        with pytest.raises(ValueError, match="tau_theta_max"):
            TauCheck(tau_theta_max=bad)


CORES = {
    "spatial-weight": ["fixed.grad_width=24", "mgd.tau_theta=2", "mgd.tau_p=2"],
    "folded-node-P2": ["fixed.grad_width=24", "mgd.perturbation=node", "mgd.tau_x=2",
                       "hardware.style=\"folded\"", "hardware.lanes=2"],
}


@pytest.mark.parametrize("name", list(CORES))
def test_core_refuses_a_start_it_cannot_run(name):
    config = config_of(*CORES[name])
    core = build_core(config, verify=True)
    spec = core.spec
    model = FixedMGD(config)
    over = core.tau_theta_max + 1
    assert core.tau_theta_max == tau_theta_max(spec) and over < 1 << TAU_BITS
    assert core.describe()["tau_theta_max"] == core.tau_theta_max
    sim = Simulator(core)
    sim.add_clock(1e-6)
    c, st = core.ctrl, core.status
    names = ("busy", "step", "updates", "last_cost", "c0", "sample", "sat_events", "cycles")
    own = (spec.tau_x, spec.tau_p, spec.tau_theta)

    def state(ctx) -> dict:
        return {**{k: ctx.get(getattr(st, k)) for k in names},
                **{f"digest {k}": ctx.get(getattr(core.digest, k)) for k in ("theta", "grad", "momentum")}}

    async def start(ctx, taus, steps: int = 3) -> int:
        for k, v in zip(("tau_x", "tau_p", "tau_theta"), taus):
            ctx.set(getattr(c, k), v)
        ctx.set(c.n_steps, steps)
        ctx.set(c.start, 1)
        await ctx.tick()
        ctx.set(c.start, 0)
        busy = 0
        for _ in range(4):
            busy |= ctx.get(st.busy)
            await ctx.tick()
        await ctx.tick().until(~st.busy)
        return busy

    async def refused(ctx, taus, want: int) -> None:
        before = state(ctx)
        assert not await start(ctx, taus), f"{name}: a start with τ's {taus} ran"
        assert ctx.get(st.refused) == want, f"{name}: τ's {taus}"
        assert state(ctx) == before, f"{name}: a refused start with τ's {taus} changed the state"

    async def runs(ctx, steps: int) -> None:
        assert await start(ctx, own, steps)
        model.run(steps, record=False)
        assert ctx.get(st.refused) == 0
        assert ctx.get(st.step) == model.n
        assert ctx.get(core.digest.theta) == digest(model.theta, spec.theta.width)
        assert ctx.get(core.digest.grad) == digest(model.G, spec.grad_width)

    async def tb(ctx):
        assert ctx.get(st.refused) == 0
        await refused(ctx, (spec.tau_x, spec.tau_p, over), REFUSED_TAU_THETA)
        assert state(ctx)["cycles"] == 0 and state(ctx)["step"] == 0
        await refused(ctx, (spec.tau_x, 0, spec.tau_theta), REFUSED_ZERO_TAU)
        await refused(ctx, (0, spec.tau_p, over), REFUSED_ZERO_TAU | REFUSED_TAU_THETA)
        await runs(ctx, 3)
        await refused(ctx, (spec.tau_x, spec.tau_p, over), REFUSED_TAU_THETA | REFUSED_TAU_CHANGED)
        await refused(ctx, (spec.tau_x + 1, spec.tau_p, spec.tau_theta), REFUSED_TAU_CHANGED)
        await runs(ctx, 2)

    sim.add_testbench(tb)
    sim.run()


def test_refused_start_while_running_leaves_the_run_alone():
    """A refused start in the middle of a run neither stops nor extends it."""
    config = config_of("fixed.grad_width=24")
    core = build_core(config)
    sim = Simulator(core)
    sim.add_clock(1e-6)
    c, st = core.ctrl, core.status

    async def tb(ctx):
        for k in ("tau_x", "tau_p", "tau_theta"):
            ctx.set(getattr(c, k), 1)
        ctx.set(c.n_steps, 5)
        ctx.set(c.start, 1)
        await ctx.tick()
        ctx.set(c.start, 0)
        await ctx.tick().repeat(2)
        ctx.set(c.tau_p, 2)
        ctx.set(c.start, 1)
        await ctx.tick()
        ctx.set(c.start, 0)
        assert ctx.get(st.busy) and ctx.get(st.refused) == REFUSED_TAU_CHANGED
        await ctx.tick().until(~st.busy)
        assert ctx.get(st.step) == 5 and ctx.get(st.cycles) == core.cycles(0, 5, 1, 1, 1)

    sim.add_testbench(tb)
    sim.run()


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_registered_check_is_the_combinational_one_a_clock_later(seed):
    """``TauCheck(registered=True)`` (the folded core's) against the combinational one (the spatial core's),
    each in front of a sequencer model (``start`` loads ``n_steps`` steps left, one step a clock, ``stop``
    clears them), on a seeded random host with resets now and then: ``refused`` is the same at every
    clock, the registered ``ctrl`` is the combinational one a clock later (its τ's when it starts), and
    busy (the sequencer's, or ``pending``) rises in the same clock and falls one clock later."""
    import random

    from amaranth import Module, ResetInserter, Signal

    rng = random.Random(seed)
    top = Module()
    top.submodules.comb = comb = TauCheck(tau_theta_max=3)
    top.submodules.reg = reg = TauCheck(tau_theta_max=3, registered=True)
    assert (comb.latency, reg.latency) == (0, 1)
    members = list(comb.host.signature.members)
    rst = Signal()
    sim = Simulator(ResetInserter(rst)(top))
    sim.add_clock(1e-6)

    async def tb(ctx):
        seq = {"comb": [0, 0], "reg": [0, 0]}  # steps left, steps run
        history, accepted, resets = [], 0, 0
        own = {k: rng.choice((1, 2, 3)) for k in ("tau_x", "tau_p", "tau_theta")}  # the training's τ's
        for cycle in range(1500):
            if rng.random() < 0.02:  # back to the reset state (fresh: any τ's are accepted), both alike
                ctx.set(rst, 1)
                await ctx.tick()
                ctx.set(rst, 0)
                seq = {"comb": [0, 0], "reg": [0, 0]}
                history.clear()
                resets += 1
            taus = dict(own)
            if rng.random() < 0.15:  # now and then other τ's: 0, above the maximum (3), or only changed
                taus[rng.choice(list(taus))] = rng.choice((0, 1, 2, 4))
            host = {"start": int(rng.random() < 0.3), "stop": int(rng.random() < 0.04),
                    "n_steps": rng.choice((0, 0, 1, 2, 5)), **taus}
            for chk in (comb, reg):
                for k, v in host.items():
                    ctx.set(getattr(chk.host, k), v)
            for name, chk in (("comb", comb), ("reg", reg)):
                ctx.set(chk.busy, int(seq[name][0] != 0))
                ctx.set(chk.stepped, int(seq[name][1] != 0))
            out = {name: {k: ctx.get(getattr(chk.ctrl, k)) for k in members}
                   for name, chk in (("comb", comb), ("reg", reg))}
            pend = ctx.get(reg.pending)
            busy = (seq["comb"][0] != 0, seq["reg"][0] != 0 or pend)
            seq_busy = seq["reg"][0] != 0
            if history and history[-1][2] and seq_busy and not history[-1][3]:  # the hand-over: both high
                assert pend, f"cycle {cycle} (seed {seed}): pending fell as the sequencer's busy rose"
            history.append((out, busy, pend, seq_busy))
            accepted += out["comb"]["start"]
            msg = f"cycle {cycle} (seed {seed}): host {host}"
            assert ctx.get(reg.refused) == ctx.get(comb.refused), msg
            if len(history) > 1:
                was = history[-2][0]["comb"]
                keys = members if out["reg"]["start"] else ("start", "stop", "n_steps")  # τ's: at a start
                assert {k: out["reg"][k] for k in keys} == {k: was[k] for k in keys}, msg
                assert busy[1] == (busy[0] or history[-2][1][0]), msg
            for name in seq:
                left, n = seq[name]
                if left:
                    left, n = left - 1, n + 1
                if out[name]["start"]:
                    left = out[name]["n_steps"]
                if out[name]["stop"]:
                    left = 0
                seq[name] = [left, n]
            await ctx.tick()
        assert accepted > 50 and resets > 10, f"seed {seed}: {accepted} starts accepted, {resets} resets"

    sim.add_testbench(tb)
    sim.run()


def test_tau_check_rejects_a_bad_registered_flag():
    with pytest.raises(ValueError, match="registered must be True or False, not 1"):
        TauCheck(tau_theta_max=2, registered=1)
