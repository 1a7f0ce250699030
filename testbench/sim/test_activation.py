"""rtl.activation.Activation against golden_model.fixed_network.activation."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from golden_model.fixed_network import activation
from rtl.activation import Activation
from testbench.sim._support import spec_of

CASES = [
    ("hard_sigmoid", "UQ1.7"), ("clipped_relu", "UQ1.7"), ("relu", "UQ2.6"), ("hard_tanh", "Q1.7"),
]


@pytest.mark.parametrize("rounding", ["floor", "half_up", "convergent"])
@pytest.mark.parametrize("kind, act_fmt", CASES)
def test_activation_matches_twin(kind, act_fmt, rounding):
    spec = spec_of(f"fixed.hw_activation={kind}", f"fixed.activation={act_fmt}", f"fixed.rounding={rounding}",
                   "fixed.theta=Q3.8")
    z_width = 20
    dut = Activation(spec=spec, z_width=z_width)
    rng = np.random.default_rng(5)
    span = 1 << (spec.T_f + spec.A_f + 3)
    zs = np.concatenate([rng.integers(-span, span, 300), np.arange(-40, 40) << (spec.T_f - 1),
                         [-(1 << (z_width - 1)), (1 << (z_width - 1)) - 1]]).astype(np.int64)
    expected = activation(zs, spec)
    sim = Simulator(dut)

    async def tb(ctx):
        for z, e in zip(zs, expected):
            ctx.set(dut.z, int(z))
            assert ctx.get(dut.y) == e, (kind, rounding, int(z))

    sim.add_testbench(tb)
    sim.run()


def test_activation_rejects_bad_parameters():
    spec = spec_of()
    with pytest.raises(ValueError, match="Activation z_width must be an integer >= 2, not 1"):
        Activation(spec=spec, z_width=1)
    with pytest.raises(TypeError, match="Activation spec must be a FixedSpec"):
        Activation(spec="Q3.12", z_width=8)
