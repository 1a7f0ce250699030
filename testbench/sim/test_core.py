"""MGDCore in amaranth.sim against the fixed-point golden model, step by step (θ, G, C, C0 every step)."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from golden_model.config import to_toml
from golden_model.digest import digest
from golden_model.fixed_mgd import FixedMGD
from rtl.cores import build_core
from testbench.sim._support import config_of


def _check_core(config, steps: int, chunks: list[int]) -> None:
    core = build_core(config, verify=True)
    spec = core.spec
    model = FixedMGD(config)
    np.testing.assert_array_equal(np.array(core.theta0), model.theta0)
    n = spec.layout.n_params
    sim = Simulator(core)
    sim.add_clock(1e-6)
    ctx_toml = to_toml(config)
    ctrl, status, rd, dig = core.ctrl, core.status, core.rd, core.digest

    async def tb(ctx):
        ctx.set(ctrl.tau_x, spec.tau_x)
        ctx.set(ctrl.tau_p, spec.tau_p)
        ctx.set(ctrl.tau_theta, spec.tau_theta)
        done = 0
        k = 0
        while done < steps:
            chunk = min(chunks[k % len(chunks)], steps - done)
            k += 1
            ctx.set(ctrl.n_steps, chunk)
            ctx.set(ctrl.start, 1)
            await ctx.tick()
            ctx.set(ctrl.start, 0)
            await ctx.tick().until(~status.busy)
            model.run(chunk, record=False)
            done += chunk
            where = f"after step {done - 1} (seed {config.mgd.seed}); config:\n{ctx_toml}"
            assert ctx.get(status.step) == done, where
            got = {"theta": [], "grad": [], "momentum": []}
            for i in range(n):  # the readback port is combinational in the spatial core
                ctx.set(rd.index, i)
                for name in got:
                    got[name].append(ctx.get(getattr(rd, name)))
            np.testing.assert_array_equal(got["theta"], model.theta, err_msg=f"theta {where}")
            np.testing.assert_array_equal(got["grad"], model.G, err_msg=f"G {where}")
            files = [("theta", model.theta, spec.theta.width), ("grad", model.G, spec.grad_width)]
            if spec.k_m:
                np.testing.assert_array_equal(got["momentum"], model.M, err_msg=f"M {where}")
                files.append(("momentum", model.M, spec.momentum_width))
            for name, values, width in files:
                assert ctx.get(getattr(dig, name)) == digest(values, width), f"{name} digest {where}"
            assert ctx.get(status.last_cost) == model.C, where
            assert ctx.get(status.c0) == model.C0, where
            assert ctx.get(status.sample) == model.sample, where
            assert ctx.get(status.sat_events) == model.sat_events, where

    sim.add_testbench(tb)
    sim.run()


CASES = {
    "xor-weight-tau1": ["mgd.perturbation=weight", "fixed.eta_shift=1"],
    "xor-node-tau1": ["mgd.perturbation=node", "fixed.eta_shift=1"],
    "xor-weight-taus": ["mgd.perturbation=weight", "mgd.tau_x=3", "mgd.tau_p=2", "mgd.tau_theta=5",
                        "fixed.rounding=convergent", "fixed.momentum_shift=2"],
    "xor-node-taus": ["mgd.perturbation=node", "mgd.tau_x=2", "mgd.tau_p=3", "mgd.tau_theta=4",
                      "fixed.rounding=half_up", "fixed.cost=UQ2.9", "network.cost=l1"],
    # an 8-bit θ with η = 1: θ and M hit their rails (saturating, then wrapping), so sat_events counts
    "xor-weight-rails": ["fixed.theta=Q1.6", "fixed.amplitude_shift=3", "fixed.eta_shift=0"],
    "xor-weight-wrap-momentum": ["fixed.theta=Q1.6", "fixed.amplitude_shift=3", "fixed.eta_shift=0",
                                 "fixed.momentum_shift=1", "fixed.overflow=wrap"],
    # momentum with floor (θ − round_R(M, k_η) folded into one subtraction) and k_m > k_η
    "xor-node-floor-momentum": ["mgd.perturbation=node", "fixed.rounding=floor", "fixed.momentum_shift=4",
                                "fixed.eta_shift=3", "mgd.tau_theta=2"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_core_matches_golden_model_every_step(name):
    config = config_of(*CASES[name])
    _check_core(config, 40, [1, 1, 3, 2, 7])
    if "rails" in name or "wrap" in name:
        model = FixedMGD(config)
        model.run(40, record=False)
        assert model.sat_events > 10, "this case is meant to exercise the saturation counter"


# Faults (spec "Faults"): cost noise, update noise, stuck parameters, alone and together, both modes
FAULT_CASES = {
    "xor-weight-faults": ["mgd.perturbation=weight", "fixed.eta_shift=1", "fixed.cost_noise_bits=5",
                          "fixed.cost_noise_shift=3", "fixed.update_noise_bits=3",
                          "fixed.update_noise_shift=1", "fixed.stuck_params=[2,6]"],
    "xor-node-faults-momentum": ["mgd.perturbation=node", "mgd.tau_theta=2", "fixed.momentum_shift=1",
                                 "fixed.cost_noise_bits=12", "fixed.update_noise_bits=1",
                                 "fixed.update_noise_shift=4", "fixed.stuck_fraction=0.4"],
    # Q1.6 θ, η = 1: noise and saturation at the rails (the noise enters before θ's narrowing)
    "xor-weight-rails-noise": ["fixed.theta=Q1.6", "fixed.amplitude_shift=3", "fixed.eta_shift=0",
                               "fixed.update_noise_bits=2", "fixed.update_noise_shift=3",
                               "fixed.stuck_params=[0]"],
}


@pytest.mark.parametrize("name", sorted(FAULT_CASES))
def test_core_with_faults_matches_golden_model_every_step(name):
    config = config_of(*FAULT_CASES[name])
    _check_core(config, 40, [1, 1, 3, 2, 7])
    model = FixedMGD(config)
    trace = model.run(40)
    clean = FixedMGD(config_of(*[o for o in FAULT_CASES[name] if "noise" not in o and "stuck" not in o]))
    assert (trace.C != clean.run(40).C).any() or "cost_noise" not in " ".join(FAULT_CASES[name])
    assert (trace.theta[:, list(model.spec.stuck)] == model.theta0[list(model.spec.stuck)]).all()
