"""rtl.spatial.trainer.MGDTrainer on its own, training "hardware outside the FPGA" (chip-in-the-loop).

The cost source here is Python: for every pass the trainer issues it evaluates the golden network on the
issued sample with the trainer's θ and signs, and hands the cost back exactly ``latency`` cycles later.
θ and G must equal the fixed-point golden model after every step, whatever that latency.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest
from amaranth.sim import Simulator

from golden_model.fixed_mgd import FixedMGD
from golden_model.fixed_network import cost, forward
from rtl.cores import core_inputs
from rtl.spatial.trainer import MGDTrainer
from testbench.sim._support import config_of, unpack


@pytest.mark.parametrize("latency", [1, 2, 7])
@pytest.mark.parametrize("mode", ["weight", "node"])
def test_trainer_with_external_cost_source(mode, latency):
    config = config_of(f"mgd.perturbation={mode}", "mgd.tau_x=2", "mgd.tau_theta=3", "mgd.tau_p=2",
                       "fixed.eta_shift=0", "fixed.amplitude_shift=4")
    spec, theta0, x, t = core_inputs(config)
    dut = MGDTrainer(spec=spec, theta0=theta0, n_samples=len(x), latency=latency)
    model = FixedMGD(config)
    n, lay = spec.layout.n_params, spec.layout
    steps = 30
    sim = Simulator(dut)
    sim.add_clock(1e-6)

    def hardware(theta, bits, baseline, k):
        """The outside hardware: cost (and node mode's layer inputs) of one pass."""
        s = 1 - 2 * bits
        if baseline:
            y, inputs = forward(lay.unflatten(theta), x[k][None, :], spec)
        elif mode == "weight":
            y, inputs = forward(lay.unflatten(theta + s * spec.weight_amplitude), x[k][None, :], spec)
        else:
            pert = s * spec.node_amplitude
            node = [pert[o:o + b] for o, b in zip(lay.neuron_offsets(), spec.layers[1:])]
            y, inputs = forward(lay.unflatten(theta), x[k][None, :], spec, node_perturbation=node)
        acts = np.concatenate([a[0] for a in inputs])
        word = sum((int(v) & ((1 << spec.act.width) - 1)) << (i * spec.act.width) for i, v in enumerate(acts))
        return int(cost(y, t[k][None, :], spec)[0]), word

    async def tb(ctx):
        ctx.set(dut.ctrl.tau_x, 2)
        ctx.set(dut.ctrl.tau_p, 2)
        ctx.set(dut.ctrl.tau_theta, 3)
        pipe = deque([(0, 0)] * latency)
        for step in range(steps):
            ctx.set(dut.ctrl.n_steps, 1)
            ctx.set(dut.ctrl.start, 1)
            first = True
            while first or ctx.get(dut.status.busy):
                if ctx.get(dut.issue_valid):
                    theta = unpack(ctx.get(dut.theta), n, spec.theta.width)
                    bits = unpack(ctx.get(dut.signs), spec.n_lanes, 1, signed=False)
                    pipe.append(hardware(theta, bits, ctx.get(dut.issue_baseline), ctx.get(dut.issue_sample)))
                else:
                    pipe.append((0, 0))
                c, acts = pipe.popleft()
                ctx.set(dut.cost, c)
                ctx.set(dut.acts, acts)
                await ctx.tick()
                ctx.set(dut.ctrl.start, 0)
                first = False
            model.step()
            np.testing.assert_array_equal(unpack(ctx.get(dut.theta), n, spec.theta.width), model.theta,
                                          err_msg=f"theta after step {step} ({mode}, latency {latency})")
            np.testing.assert_array_equal(unpack(ctx.get(dut.grad), n, spec.grad_width), model.G,
                                          err_msg=f"G after step {step} ({mode}, latency {latency})")

    sim.add_testbench(tb)
    sim.run()
