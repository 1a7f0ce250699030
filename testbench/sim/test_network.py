"""rtl.spatial.network.Network against golden_model.fixed_network.forward: one pass per clock, mixed signs."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from golden_model.fixed_network import forward
from rtl.spatial.network import Network
from testbench.sim._support import pack, spec_of, unpack


def _expected(spec, theta, x, perturb, bits):
    signs = 1 - 2 * bits.astype(np.int64)
    lay = spec.layout
    if spec.perturbation == "weight":
        th = theta + (signs * spec.weight_amplitude if perturb else 0)
        return forward(lay.unflatten(th), x[None, :], spec)
    node = None
    if perturb:
        pert = signs * spec.node_amplitude
        node = [pert[o:o + b] for o, b in zip(lay.neuron_offsets(), spec.layers[1:])]
    return forward(lay.unflatten(theta), x[None, :], spec, node_perturbation=node)


@pytest.mark.parametrize("mode", ["weight", "node"])
@pytest.mark.parametrize("layers, act", [((2, 3, 1), "hard_sigmoid"), ((4, 5, 3, 2), "clipped_relu"),
                                         ((3, 4, 2), "hard_tanh")])
def test_network_matches_forward(mode, layers, act):
    extra = ["fixed.activation=Q1.7"] if act == "hard_tanh" else []
    spec = spec_of(f"mgd.perturbation={mode}", f"fixed.hw_activation={act}", "fixed.rounding=half_up", *extra,
                   layers=layers)
    dut = Network(spec=spec)
    rng = np.random.default_rng(11)
    n, wt, wa = spec.layout.n_params, spec.theta.width, spec.act.width
    theta = rng.integers(spec.theta.min_int // 2, spec.theta.max_int // 2, n)
    passes = 60
    lo, hi = (0, 1 << spec.A_f) if not spec.act.signed else (-(1 << spec.A_f), 1 << spec.A_f)
    xs = rng.integers(lo, hi + 1, (passes, spec.layers[0]))
    perturb = rng.random(passes) < 0.7
    bits = rng.integers(0, 2, (passes, spec.n_lanes))
    exp = [_expected(spec, theta, xs[k], perturb[k], bits[k]) for k in range(passes)]
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    got = []

    async def drive(ctx):
        ctx.set(dut.theta, pack(theta, wt))
        for k in range(passes):
            ctx.set(dut.x, pack(xs[k], wa))
            ctx.set(dut.valid, 1)
            ctx.set(dut.perturb, int(perturb[k]))
            ctx.set(dut.signs, pack(bits[k], 1))
            await ctx.tick()
        ctx.set(dut.valid, 0)

    async def watch(ctx):
        for _ in range(passes + dut.latency + 2):
            await ctx.tick()
            if ctx.get(dut.y_valid):
                got.append((ctx.get(dut.y), ctx.get(dut.acts)))

    sim.add_testbench(drive)
    sim.add_testbench(watch, background=True)
    sim.run_until(1e-6 * (passes + dut.latency + 4))
    assert len(got) == passes
    n_acts = sum(spec.layers[:-1])
    for k, (y, acts) in enumerate(got):
        y_exp, inputs = exp[k]
        np.testing.assert_array_equal(unpack(y, spec.layers[-1], wa, spec.act.signed), y_exp[0],
                                      err_msg=f"pass {k} ({mode}, {layers}, {act})")
        if mode == "node":
            np.testing.assert_array_equal(unpack(acts, n_acts, wa, spec.act.signed),
                                          np.concatenate([a[0] for a in inputs]), err_msg=f"acts of pass {k}")
