"""FoldedCore in amaranth.sim against the fixed-point golden model, after every run of steps.

After each run (chunk) of steps: every θ, G and M through the readback port, the three digests, every status
member, and ``status.cycles`` against ``core.cycles`` (:func:`golden_model.schedule.folded_cycles`).
Refusals by message. The Verilog of a digits-sized core is the lead's bench (``mgd generate``); here
small networks, few steps.
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


def _core_and_model(config, own_data: bool, verify: bool = True):
    if not own_data:
        return build_core(config, verify=verify), FixedMGD(config)
    spec = hardware_spec(config)
    FoldedCore.check(config, spec)
    data = _dataset(spec.layers, 3)
    core = FoldedCore(spec=spec, theta0=theta0(spec), x=quantize_data(data.x_train, spec),
                      t=quantize_data(data.t_train, spec), lanes=config.hardware.lanes, verify=verify)
    return core, FixedMGD(config, dataset=data)


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
           verify: bool = True) -> None:
    core, model = _core_and_model(config, own_data, verify)
    spec = core.spec
    n = spec.layout.n_params
    wm = spec.momentum_width if spec.k_m else 1
    sim = Simulator(core)
    sim.add_clock(1e-6)

    async def tb(ctx):
        c, st = core.ctrl, core.status
        for k in ("tau_x", "tau_p", "tau_theta"):
            ctx.set(getattr(c, k), getattr(spec, k))
        done, k = 0, 0
        while done < steps:
            chunk = min(chunks[k % len(chunks)], steps - done)
            k += 1
            cycles0 = ctx.get(st.cycles)
            ctx.set(c.n_steps, chunk if stop_after is None else 1000)
            ctx.set(c.start, 1)
            await ctx.tick()
            ctx.set(c.start, 0)
            if stop_after is not None:  # stop mid-run: the core finishes the step in progress
                await ctx.tick().repeat(stop_after)
                ctx.set(c.stop, 1)
                await ctx.tick()
                ctx.set(c.stop, 0)
                chunk = ctx.get(st.step) + (1 if ctx.get(st.busy) else 0) - done
            await ctx.tick().until(~st.busy)
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
    "nist-49-4-4-node-P3": (None, 3, ["mgd.perturbation=node", "network.layers=[49,4,4]",
                                      "fixed.grad_width=20", "fixed.cost=UQ3.16", "mgd.tau_x=2"]),
    "nist-49-4-4-weight-P4": (None, 4, ["mgd.perturbation=weight", "network.layers=[49,4,4]",
                                        "fixed.grad_width=22", "fixed.cost=UQ3.16", "mgd.tau_theta=3",
                                        "fixed.momentum_shift=3", "fixed.overflow=wrap"]),
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


def test_folded_core_without_digest_is_the_same_core():
    _check(_shaped([4, 3, 2], "hardware.lanes=2", "mgd.perturbation=weight", "mgd.tau_theta=3",
                   "fixed.momentum_shift=1"), 8, [3, 5], verify=False)


def test_folded_core_stop_ends_after_the_step_in_progress():
    _check(_shaped([4, 3, 2], "hardware.lanes=2", "mgd.perturbation=node", "mgd.tau_theta=2"), 6, [1],
           stop_after=100)


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
    assert folded_cycles(0, 10, 1, 1, **kw) == 1 + 10 * (722 + 4 * lg + cg)
    # τ_x = τ_θ = 4: one baseline pass per block of four steps
    assert folded_cycles(0, 8, 4, 4, **kw) == 1 + 8 * (396 + 2 * lg + cg) + 2 * (326 + 2 * lg)
    assert folded_cycles(3, 0, 1, 1, **kw) == 0


def test_folded_core_refuses_what_it_cannot_build():
    wide = config_of("hardware.style=folded", "hardware.lanes=3")  # xor: the widest layer has 2 neurons
    with pytest.raises(RTLConfigError, match=r"hardware.lanes must be at most 2 for the folded core on "
                                             r"layers \[2, 2, 1\] .*, not 3"):
        core_inputs(wide)
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
                                                                                        [2, 1], 4)
    assert d["cycles_per_step"] == core.cycles(0, 1, 1, 1, 1) - RUN_SETUP
    assert not hasattr(core, "digest")
    Fragment.get(core, None)  # elaborates (and so is not an unused elaboratable)
