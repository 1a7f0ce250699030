"""FoldedCore in amaranth.sim against the fixed-point golden model, after every run of steps.

After each run (chunk) of steps: every θ, G and M through the readback port, the three digests, every status
member, and ``status.cycles`` against ``core.cycles`` (:func:`golden_model.schedule.folded_cycles`).
Refusals by message. The Verilog of a digits-sized core is the lead's bench (``mgd generate``); here
small networks, few steps. A streamed core (``hardware.samples = "stream"``) is loaded through ``load`` first
(the host protocol's step 0), with the model's training set.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
from amaranth.hdl import Fragment
from amaranth.sim import Simulator

from golden_model.digest import digest
from golden_model.fixed_mgd import FixedMGD, theta0
from golden_model.fixed_network import quantize_data
from golden_model.schedule import folded_cycles, folded_passes
from rtl.cores import build_core, core_inputs
from rtl.folded import core as folded_core
from rtl.folded.core import CORRELATE_GAP, LAYER_GAP, RUN_SETUP, FoldedCore
from rtl.spec import RTLConfigError, hardware_spec
from testbench.sim._support import config_of


def _shaped(layers, *overrides, preset="xor"):
    """The pinned config with ``layers`` the built-in data sets do not have (e.g. [4, 3, 2]).

    The config ties the layer sizes to ``task.dataset``; these tests hand the golden model and the core a
    data set of their own, so the check is bypassed on purpose (the spec and the model never see the task).
    """
    config = config_of("hardware.style=folded", *overrides, preset=preset)
    object.__setattr__(config, "network", dataclasses.replace(config.network, layers=tuple(layers)))
    return config


def _dataset(layers, n: int, seed: int = 0) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    x = rng.random((n, layers[0]))
    t = (rng.random((n, layers[-1])) < 0.5).astype(float)
    return SimpleNamespace(x_train=x, t_train=t, x_test=x, t_test=t)


def _core_and_model(config, own_data: bool, verify: bool = True, other_data: bool = False):
    """The core and the golden model; ``other_data``: the model trains on another data set of the core's
    shape and sample codes than the one the core was built with (its samples reversed, targets flipped)."""
    if not own_data:
        return build_core(config, verify=verify), FixedMGD(config)
    spec = hardware_spec(config)
    FoldedCore.check(config, spec)
    data = _dataset(spec.layers, 3)
    core = FoldedCore(spec=spec, theta0=theta0(spec), x=quantize_data(data.x_train, spec),
                      t=quantize_data(data.t_train, spec), lanes=config.hardware.lanes, verify=verify,
                      samples=config.hardware.samples)
    if other_data:
        x, t = data.x_train[::-1], 1.0 - data.t_train
        data = SimpleNamespace(x_train=x, t_train=t, x_test=x, t_test=t)
    return core, FixedMGD(config, dataset=data)


async def _load(ctx, core, words) -> int:
    """The host protocol's step 0: ``words`` through ``core.load``, one beat a clock edge with ``ready``
    high; returns the clock cycles it took."""
    cycles = 0
    ctx.set(core.load.valid, 1)
    for word in words:
        ctx.set(core.load.payload, word)
        while not ctx.get(core.load.ready):
            await ctx.tick()
            cycles += 1
        await ctx.tick()
        cycles += 1
    ctx.set(core.load.valid, 0)
    return cycles


async def _readback(ctx, core, n: int) -> tuple[list[int], list[int], list[int]]:
    """Every parameter's θ, G, M, one index per clock (the port is pipelined, core.readback_latency)."""
    lat = core.readback_latency
    out: tuple[list[int], list[int], list[int]] = ([], [], [])
    for i in range(n + lat):
        ctx.set(core.rd.index, min(i, n - 1))
        await ctx.tick()
        if i + 1 >= lat and len(out[0]) < n:
            for vals, port in zip(out, (core.rd.theta, core.rd.grad, core.rd.momentum)):
                vals.append(ctx.get(port))
    return out


def _check(config, steps: int, chunks: list[int], own_data: bool = True, stop_after: int | None = None,
           verify: bool = True, other_data: bool = False, restart: int | None = None) -> None:
    """Run ``steps`` in runs of ``chunks`` and compare everything with the model after each run.
    ``stop_after``: each run is 1000 steps, stopped ``stop_after`` clocks after its start; with ``restart``
    a start of ``restart`` steps is sent then instead (mid-step: the step in progress counts as one of them,
    at least it completes)."""
    core, model = _core_and_model(config, own_data, verify, other_data)
    spec = core.spec
    n = spec.layout.n_params
    wm = spec.momentum_width if spec.k_m else 1
    sim = Simulator(core)
    sim.add_clock(1e-6)

    async def tb(ctx):
        c, st = core.ctrl, core.status
        for k in ("tau_x", "tau_p", "tau_theta"):
            ctx.set(getattr(c, k), getattr(spec, k))
        if core.load_beats:  # the model's training set, through the load port
            words = core.sample_words(model.data.x_train, model.data.t_train)
            assert await _load(ctx, core, words) == len(words) == core.load_beats
            assert ctx.get(core.loaded) == core.load_beats and ctx.get(st.cycles) == 0
        done, k = 0, 0
        while done < steps:
            chunk = min(chunks[k % len(chunks)], steps - done)
            k += 1
            cycles0 = ctx.get(st.cycles)
            ctx.set(c.n_steps, chunk if stop_after is None else 1000)
            ctx.set(c.start, 1)
            await ctx.tick()
            ctx.set(c.start, 0)
            if stop_after is not None and restart is None:  # stop mid-run: the step in progress finishes
                await ctx.tick().repeat(stop_after)
                ctx.set(c.stop, 1)
                await ctx.tick()
                ctx.set(c.stop, 0)
                chunk = ctx.get(st.step) + (1 if ctx.get(st.busy) else 0) - done
            elif stop_after is not None:  # a start mid-step: the run counts again from the step in progress
                await ctx.tick().repeat(stop_after)
                ctx.set(c.n_steps, restart)
                ctx.set(c.start, 1)
                await ctx.tick()
                ctx.set(c.start, 0)
                chunk = ctx.get(st.step) + max(restart, 1) - done
            for _ in range(100 * core.cycles(done, chunk + 1, spec.tau_x, spec.tau_p, spec.tau_theta)):
                if not ctx.get(st.busy):
                    break
                await ctx.tick()
            assert not ctx.get(st.busy), f"still busy after {done} + {chunk} steps' time"

            model.run(chunk, record=False)
            where = f"after step {done + chunk - 1} (run of {chunk}); {spec.describe()}"
            assert ctx.get(st.cycles) - cycles0 == core.cycles(done, chunk, spec.tau_x, spec.tau_p,
                                                               spec.tau_theta), where
            done += chunk
            got = {k: ctx.get(getattr(st, k)) for k in ("step", "updates", "last_cost", "c0", "sample",
                                                        "sat_events")}
            want = {"step": done, "updates": done // spec.tau_theta, "last_cost": model.C, "c0": model.C0,
                    "sample": model.sample, "sat_events": model.sat_events}
            assert got == want, where
            if verify:
                digests = [ctx.get(getattr(core.digest, k)) for k in ("theta", "grad", "momentum")]
                assert digests == [digest(model.theta, spec.theta.width), digest(model.G, spec.grad_width),
                                   digest(model.M, wm) if spec.k_m else 0], where
            theta, grad, mom = await _readback(ctx, core, n)
            np.testing.assert_array_equal(theta, model.theta, err_msg=f"theta {where}")
            np.testing.assert_array_equal(grad, model.G, err_msg=f"G {where}")
            if spec.k_m:
                np.testing.assert_array_equal(mom, model.M, err_msg=f"M {where}")

    sim.add_testbench(tb)
    sim.run()


RAILS = ["fixed.theta=Q1.6", "fixed.amplitude_shift=3", "fixed.eta_shift=0"]
# name: (layers, lanes, overrides); layers None = the preset's, with its own data set
CASES = {
    "xor-weight-P1": ([2, 2, 1], 1, ["mgd.perturbation=weight", "fixed.eta_shift=1"]),
    "xor-node-P2": ([2, 2, 1], 2, ["mgd.perturbation=node", "fixed.eta_shift=1"]),
    "432-node-P2-taus-l1": ([4, 3, 2], 2, ["mgd.perturbation=node", "mgd.tau_x=2", "mgd.tau_p=3",
                                           "mgd.tau_theta=4", "fixed.rounding=half_up", "network.cost=l1",
                                           "fixed.cost=UQ2.9"]),
    "432-weight-P3-momentum": ([4, 3, 2], 3, ["mgd.perturbation=weight", "mgd.tau_x=3", "mgd.tau_p=2",
                                              "mgd.tau_theta=5", "fixed.rounding=convergent",
                                              "fixed.momentum_shift=2"]),
    "5432-node-P2-relu": ([5, 4, 3, 2], 2, ["mgd.perturbation=node", "fixed.hw_activation=relu"]),
    "5432-weight-P4-wrap-rails": ([5, 4, 3, 2], 4, ["mgd.perturbation=weight",
                                                    "fixed.hw_activation=clipped_relu", *RAILS,
                                                    "fixed.overflow=wrap", "fixed.momentum_shift=1"]),
    "32-node-P2-tanh": ([3, 2], 2, ["mgd.perturbation=node", "fixed.hw_activation=hard_tanh",
                                    "fixed.activation=Q1.7", "mgd.tau_theta=2"]),
    "32-weight-P1-tanh-l1": ([3, 2], 1, ["mgd.perturbation=weight", "fixed.hw_activation=hard_tanh",
                                         "fixed.activation=Q1.7", "network.cost=l1", "fixed.cost=UQ2.9"]),
    "432-node-P3-rails-momentum": ([4, 3, 2], 3, ["mgd.perturbation=node", *RAILS, "fixed.momentum_shift=1",
                                                  "fixed.rounding=half_up", "mgd.tau_x=2"]),
    "432-weight-P2-rails": ([4, 3, 2], 2, ["mgd.perturbation=weight", *RAILS, "fixed.rounding=floor",
                                           "mgd.tau_p=2", "mgd.tau_x=2", "mgd.tau_theta=2"]),
    "432-node-P2-floor-momentum": ([4, 3, 2], 2, ["mgd.perturbation=node", "fixed.rounding=floor",
                                                  "fixed.momentum_shift=4", "fixed.eta_shift=3"]),
    # rows 3, 6, 2 (the last layer's n_in = 1): readback chunks of two indices, some across rows and the
    # first layer boundary; P = 3 above the 1-neuron layer's width
    "2513-weight-P3-readback": ([2, 5, 1, 3], 3, ["mgd.perturbation=weight", "fixed.momentum_shift=1"]),
    "nist-49-4-4-node-P3": (None, 3, ["mgd.perturbation=node", "network.layers=[49,4,4]",
                                      "fixed.grad_width=20", "fixed.cost=UQ3.16", "mgd.tau_x=2"]),
    "nist-49-4-4-weight-P4": (None, 4, ["mgd.perturbation=weight", "network.layers=[49,4,4]",
                                        "fixed.grad_width=22", "fixed.cost=UQ3.16", "mgd.tau_theta=3",
                                        "fixed.momentum_shift=3", "fixed.overflow=wrap"]),
    # P above the widest layer: PE × SIMD (golden_model.schedule.fold), rows SIMD does not divide (idle
    # slots after the bias), activation words written a slice at a time, readback with d0/d1
    "432-node-P6-simd2-momentum": ([4, 3, 2], 6, ["mgd.perturbation=node", "fixed.momentum_shift=1",
                                                  "mgd.tau_x=2", "mgd.tau_theta=2"]),
    "432-weight-P12-simd4-rails": ([4, 3, 2], 12, ["mgd.perturbation=weight", *RAILS, "mgd.tau_p=2",
                                                   "fixed.rounding=half_up"]),
    "5432-node-P8-simd2-relu": ([5, 4, 3, 2], 8, ["mgd.perturbation=node", "fixed.hw_activation=relu",
                                                  "fixed.rounding=convergent"]),
    "xor-weight-P8-simd4": ([2, 2, 1], 8, ["mgd.perturbation=weight", "fixed.eta_shift=1",
                                           "fixed.momentum_shift=2", "mgd.tau_theta=3"]),
    "2513-node-P10-simd2-readback": ([2, 5, 1, 3], 10, ["mgd.perturbation=node", "network.cost=l1",
                                                        "fixed.cost=UQ2.9", "mgd.tau_theta=2"]),
    "nist-49-4-4-node-P16-simd4": (None, 16, ["mgd.perturbation=node", "network.layers=[49,4,4]",
                                              "fixed.grad_width=20", "fixed.cost=UQ3.16", "mgd.tau_x=2"]),
    "nist-49-4-4-weight-P8-simd2": (None, 8, ["mgd.perturbation=weight", "network.layers=[49,4,4]",
                                              "fixed.grad_width=22", "fixed.cost=UQ3.16", "mgd.tau_theta=2",
                                              "fixed.momentum_shift=2"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_folded_core_matches_golden_model(name):
    layers, lanes, overrides = CASES[name]
    if layers is None:
        config = config_of("hardware.style=folded", f"hardware.lanes={lanes}", *overrides, preset="nist7x7")
        _check(config, 8, [1, 2, 5], own_data=False)
    else:
        config = _shaped(layers, f"hardware.lanes={lanes}", *overrides)
        _check(config, 20, [1, 2, 4, 5, 8])
    if "rails" in name:
        model = FixedMGD(config, None if layers is None else _dataset(layers, 3))
        model.run(20, record=False)
        assert model.sat_events > 5, "this case is meant to exercise the saturation counter"


def test_folded_core_stores_no_g_when_it_runs_only_tau_theta_1():
    """tau_theta_max = 1 (every sweep an update, G 0 wherever the host looks): no grad_mem in resources() or
    in the netlist; a larger tau_theta_max keeps it. CASES hold both kinds, the first with momentum in both
    modes, and test_folded_core_matches_golden_model runs them all bit-exactly (G read back, G digest)."""
    only_one = set()
    for name, (layers, lanes, overrides) in CASES.items():
        if layers is None:
            config = config_of("hardware.style=folded", f"hardware.lanes={lanes}", *overrides,
                               preset="nist7x7")
        else:
            config = _shaped(layers, f"hardware.lanes={lanes}", *overrides)
        core, _ = _core_and_model(config, own_data=layers is not None)
        res = core.resources()
        stored = core.tau_theta_max > 1
        assert ("grad_mem" in {mem.name for mem in res.memories}) == stored, name
        assert all(("grad_mem" in {m.name for m in res.at_lanes(p).memories}) == stored for p in (1, 2)), name
        built = {sub_name for _, sub_name, _ in Fragment.get(core, None).subfragments}
        assert ("grad_mem" in built) == stored and "theta_mem" in built, name
        assert ("momentum_mem" in built) == bool(core._spec.k_m), name
        if not stored:
            only_one.add(name)
    # both branches, and the τ_θ = 1 one with momentum in both modes and without it
    assert {"432-node-P3-rails-momentum", "5432-weight-P4-wrap-rails", "nist-49-4-4-node-P3"} <= only_one
    assert "432-weight-P3-momentum" not in only_one and len(only_one) < len(CASES)


def test_folded_core_without_digest_is_the_same_core():
    _check(_shaped([4, 3, 2], "hardware.lanes=2", "mgd.perturbation=weight", "mgd.tau_theta=3",
                   "fixed.momentum_shift=1"), 8, [3, 5], verify=False)


def test_folded_core_stop_ends_after_the_step_in_progress():
    _check(_shaped([4, 3, 2], "hardware.lanes=2", "mgd.perturbation=node", "mgd.tau_theta=2"), 6, [1],
           stop_after=100)


@pytest.mark.parametrize("restart", [0, 1, 3])
def test_folded_core_start_mid_step_counts_from_the_step_in_progress(restart):
    """A second start in the middle of step 1 (74 cycles a step here): ``n_steps`` more counting that step,
    and a start of 0 steps ends the run after it (it once ran on for 2**32 steps)."""
    _check(_shaped([4, 3, 2], "hardware.lanes=2", "mgd.perturbation=node", "mgd.tau_theta=2"), 2, [1],
           stop_after=110, restart=restart)


def test_folded_core_stop_at_every_clock_around_a_step_end():
    """A stop in the last clocks of a step, in the step-end clock itself (74 cycles a step here, plus the
    run's setup clock) and just after it: the sequencer's count of steps left ends the run after the step in
    progress every time."""
    config = _shaped([4, 3, 2], "hardware.lanes=2", "mgd.perturbation=node", "mgd.tau_theta=2")
    for stop_after in range(70, 80):
        _check(config, 2, [1], stop_after=stop_after)


def test_folded_schedule_formula():
    # digits 64-32-10 at P = 8 (the docstring's example, there with gaps 3 and 2), node and weight mode:
    # work 4·65 + 2·33 = 326 items, node mode's perturbed pass 4 + 2·33 = 70, plus the core's gaps
    lg, cg = LAYER_GAP, CORRELATE_GAP
    node = folded_passes([64, 32, 10], 8, "node", lg, cg)
    assert node == {"baseline": 326 + 2 * lg, "perturbed": 70 + 2 * lg, "correlate": 326 + cg}
    assert folded_passes([64, 32, 10], 8, "weight", lg, cg)["perturbed"] == 326 + 2 * lg
    assert folded_passes([64, 32, 10], 8, "node", 3, 2) == {"baseline": 332, "perturbed": 76,
                                                            "correlate": 328}
    kw = {"layers": [64, 32, 10], "lanes": 8, "perturbation": "node", "layer_gap": LAYER_GAP,
          "correlate_gap": CORRELATE_GAP, "run_setup": RUN_SETUP}
    assert folded_cycles(0, 10, 1, 1, **kw) == RUN_SETUP + 10 * (722 + 4 * lg + cg)
    # τ_x = τ_θ = 4: one baseline pass per block of four steps
    assert folded_cycles(0, 8, 4, 4, **kw) == RUN_SETUP + 8 * (396 + 2 * lg + cg) + 2 * (326 + 2 * lg)
    assert folded_cycles(3, 0, 1, 1, **kw) == 0


def test_folded_core_refuses_what_it_cannot_build():
    wide = config_of("hardware.style=folded", "hardware.lanes=3")  # xor: the widest layer has 2 neurons
    with pytest.raises(RTLConfigError, match=r"hardware.lanes must be at most 2 \(the widest layer's "
                                             r"neurons\), or PE x SIMD with PE <= 2 and SIMD a power of two "
                                             r"\(e.g. 4, 8\), for the folded core on layers \[2, 2, 1\] .*, "
                                             r"not 3"):
        core_inputs(wide)
    wider = config_of("hardware.style=folded", "hardware.lanes=16")  # SIMD 8 > rows of 3
    with pytest.raises(RTLConfigError, match=r"hardware.lanes must be PE x SIMD with PE <= 2 and SIMD <= 4 "
                                             r"on "
                                             r"layers \[2, 2, 1\] \(e.g. at most 8; 16 needs SIMD 8.*not 16"):
        core_inputs(wider)
    deep = config_of("hardware.style=folded", "hardware.lanes=1", "mgd.perturbation=node",
                     "network.layers=[64,1100,10]", "fixed.cost=UQ4.16", "fixed.grad_width=24",
                     "fixed.lfsr_width=18", preset="digits")
    with pytest.raises(RTLConfigError, match=r"network.layers must be a network whose parameter memory is "
                                             r"at most 65536 words deep at 1 lanes \(this one needs 82510; "
                                             r".*\), not \[64, 1100, 10\]"):
        core_inputs(deep)
    # weight mode: one LFSR lane per parameter, spaced as rtl.spec.hardware_spec demands
    lanes = config_of("hardware.style=folded", "hardware.lanes=4", "mgd.perturbation=weight",
                      "network.layers=[49,16,4]", "fixed.grad_width=20", "fixed.cost=UQ3.16",
                      "fixed.lfsr_width=15", preset="nist7x7")
    with pytest.raises(RTLConfigError, match=r"fixed.lfsr_width must be at least 16 for 868 sign lanes"):
        core_inputs(lanes)


def test_folded_core_describes_itself():
    core, _ = _core_and_model(_shaped([4, 3, 2], "hardware.lanes=2", "mgd.perturbation=node"), True, False)
    d = core.describe()
    assert (d["style"], d["lanes"], d["depth"], d["groups"], d["readback_latency"]) == ("folded", 2, 14,
                                                                                        [2, 1], 6)
    assert d["cycles_per_step"] == core.cycles(0, 1, 1, 1, 1) - RUN_SETUP
    assert not hasattr(core, "digest")
    Fragment.get(core, None)  # elaborates (and so is not an unused elaboratable)


# name: (layers, lanes, overrides, words of a streamed x-store bank, or None for STORE_BANK)
STREAMED = {
    "432-node-P2-stream": ([4, 3, 2], 2, ["mgd.perturbation=node", "mgd.tau_x=2", "fixed.momentum_shift=1"],
                           None),
    "5432-weight-P3-stream-banks": ([5, 4, 3, 2], 3, ["mgd.perturbation=weight", "mgd.tau_theta=2",
                                                      "fixed.rounding=half_up"], 2),
    "432-weight-P6-simd2-stream": ([4, 3, 2], 6, ["mgd.perturbation=weight", "mgd.tau_x=2",
                                                  "fixed.momentum_shift=1"], None),
}


@pytest.mark.parametrize("name", sorted(STREAMED))
def test_streamed_folded_core_matches_golden_model(name, monkeypatch):
    """The training set loaded through ``load`` (x store then t store), then bit-exact as the ROM build;
    a small bank size makes the x store several banks (the write's bank select)."""
    layers, lanes, overrides, bank = STREAMED[name]
    if bank is not None:
        monkeypatch.setattr(folded_core, "STORE_BANK", bank)
    config = _shaped(layers, f"hardware.lanes={lanes}", "hardware.samples=stream", *overrides)
    core, _ = _core_and_model(config, True, False)
    x_store = {m.name: m for m in core.resources().memories}["x_store"]
    assert x_store.depth == 3 * -(-layers[0] // lanes) and not x_store.init and x_store.samples
    assert x_store.banks == -(-x_store.depth // folded_core.STORE_BANK) == (1 if bank is None else 3)
    Fragment.get(core, None)
    _check(config, 12, [1, 2, 4, 5])


def test_streamed_folded_core_trains_on_data_it_was_not_built_with():
    """One core, generated for one training set, loaded with another of the same shape (samples reversed,
    targets flipped): bit-exact with the golden model trained on the loaded set."""
    config = _shaped([4, 3, 2], "hardware.lanes=2", "hardware.samples=stream", "mgd.perturbation=weight",
                     "mgd.tau_theta=2")
    _check(config, 12, [2, 4], other_data=True)
    models = []
    for other in (False, True):
        unused, model = _core_and_model(config, True, False, other)
        unused._MustUse__silence = True  # amaranth._unused.MustUse's own switch: only the model is wanted
        models.append(model)
    built, loaded = models
    built.run(12, record=False)
    loaded.run(12, record=False)
    assert not np.array_equal(built.theta, loaded.theta), "the two training sets must train differently"


def test_streamed_folded_core_refuses_start_until_loaded():
    """``start`` is ignored while the store is not full (busy stays low, nothing counts); ``load_restart``
    empties it; ``ready`` is low once full and while busy; then it trains bit-exact."""
    config = _shaped([4, 3, 2], "hardware.lanes=2", "hardware.samples=stream", "mgd.perturbation=node")
    core, model = _core_and_model(config, True)
    words = core.sample_words(model.data.x_train, model.data.t_train)
    spec = core.spec
    codes = core.describe()["sample_code"]  # beats: one x word (2 lanes) or t word (2 cost lanes) each
    assert core.load_beats == len(words) == 3 * (2 + 1)
    assert len(core.load.payload) == 2 * max(codes["x"]["width"], codes["t"]["width"])
    sim = Simulator(core)
    sim.add_clock(1e-6)

    async def tb(ctx):
        c, st = core.ctrl, core.status
        for k in ("tau_x", "tau_p", "tau_theta"):
            ctx.set(getattr(c, k), getattr(spec, k))
        ctx.set(c.n_steps, 2)

        async def pulse(sig) -> None:
            ctx.set(sig, 1)
            await ctx.tick()
            ctx.set(sig, 0)

        assert ctx.get(core.load.ready) and ctx.get(core.loaded) == 0
        await _load(ctx, core, words[:5])
        await pulse(c.start)
        await ctx.tick().repeat(30)
        assert (ctx.get(st.busy), ctx.get(st.step), ctx.get(st.cycles), ctx.get(core.loaded)) == (0, 0, 0, 5)
        await pulse(core.load_restart)  # the next beat is the first word again
        assert ctx.get(core.loaded) == 0
        await _load(ctx, core, words)
        assert ctx.get(core.loaded) == core.load_beats and not ctx.get(core.load.ready)
        await pulse(c.start)
        assert ctx.get(st.busy) and not ctx.get(core.load.ready)
        await ctx.tick().until(~st.busy)
        model.run(2, record=False)
        assert ctx.get(st.step) == 2 and ctx.get(st.cycles) == core.cycles(0, 2, 1, 1, 1)
        theta, grad, _ = await _readback(ctx, core, spec.layout.n_params)
        np.testing.assert_array_equal(theta, model.theta)
        np.testing.assert_array_equal(grad, model.G)

    sim.add_testbench(tb)
    sim.run()


def test_streamed_folded_core_refuses_data_its_codes_do_not_hold():
    config = _shaped([4, 3, 2], "hardware.lanes=2", "hardware.samples=stream", "mgd.perturbation=node")
    core, model = _core_and_model(config, True, False)
    x, t = model.data.x_train, model.data.t_train
    shape = r"the shape the core was generated for \(3 samples of 4 inputs and 2 targets\), not "
    with pytest.raises(RTLConfigError, match=r"^task.dataset must be a training set of " + shape):
        core.sample_words(x[:2], t[:2])
    code = core.describe()["sample_code"]["x"]
    wide = x.copy()
    wide[1, 2] = (1 << code["width"]) << code["shift"]  # one bit more than the code stores
    with pytest.raises(RTLConfigError, match=r"^task.dataset must be a training set whose inputs the core's "
                                             r"sample code holds \(v >> 0 in \d+ unsigned bits, fitted to "):
        core.sample_words(wide, t)
    assert core.sample_words(x, t) == core.sample_words(x.copy(), t.copy())
    rom, _ = _core_and_model(_shaped([4, 3, 2], "hardware.lanes=2", "mgd.perturbation=node"), True, False)
    assert rom.load_beats == 0 and not hasattr(rom, "load")
    with pytest.raises(NotImplementedError, match="FoldedCore has no load port"):
        rom.sample_words(x, t)
    Fragment.get(core, None)
    Fragment.get(rom, None)


# Faults (spec "Faults"): cost noise, update noise, stuck parameters, both modes, with and without G memory
FAULT_CASES = {
    "432-weight-P2-faults": ([4, 3, 2], 2, ["mgd.perturbation=weight", "fixed.cost_noise_bits=6",
                                            "fixed.cost_noise_shift=2", "fixed.update_noise_bits=3",
                                            "fixed.update_noise_shift=1", "fixed.stuck_params=[0,5,13,22]"]),
    "432-node-P3-faults-momentum": ([4, 3, 2], 3, ["mgd.perturbation=node", "mgd.tau_theta=2",
                                                   "fixed.momentum_shift=1", "fixed.cost_noise_bits=9",
                                                   "fixed.update_noise_bits=1", "fixed.update_noise_shift=5",
                                                   "fixed.stuck_fraction=0.3"]),
    "432-node-P2-rails-noise": ([4, 3, 2], 2, ["mgd.perturbation=node", *RAILS, "fixed.update_noise_bits=2",
                                               "fixed.update_noise_shift=3", "fixed.stuck_params=[1]"]),
}


@pytest.mark.parametrize("name", sorted(FAULT_CASES))
def test_folded_core_with_faults_matches_golden_model(name):
    layers, lanes, overrides = FAULT_CASES[name]
    config = _shaped(layers, f"hardware.lanes={lanes}", *overrides)
    _check(config, 20, [1, 2, 4, 5, 8])
    model = FixedMGD(config, _dataset(layers, 3))
    trace = model.run(20)
    stuck = list(model.spec.stuck)
    assert stuck and (trace.theta[:, stuck] == model.theta0[stuck]).all()
