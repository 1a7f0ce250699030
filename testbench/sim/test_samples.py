"""rtl.samples.SampleStore: every stored sample read back, one cycle after its address."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from rtl.samples import SampleStore
from testbench.sim._support import unpack


@pytest.mark.parametrize("signed", [False, True])
def test_sample_store_reads_every_sample(signed):
    rng = np.random.default_rng(2)
    lo, hi = (-128, 127) if signed else (0, 255)
    x, t = rng.integers(lo, hi + 1, (13, 5)), rng.integers(lo, hi + 1, (13, 2))
    dut = SampleStore(x=x, t=t, width=8, signed=signed)
    sim = Simulator(dut)
    sim.add_clock(1e-6)

    async def tb(ctx):
        for k in list(range(13)) + [12, 0, 7]:
            ctx.set(dut.addr, k)
            await ctx.tick()
            np.testing.assert_array_equal(unpack(ctx.get(dut.x), 5, 8, signed), x[k])
            np.testing.assert_array_equal(unpack(ctx.get(dut.t), 2, 8, signed), t[k])

    sim.add_testbench(tb)
    sim.run()


def test_sample_store_rejects_out_of_range_values():
    with pytest.raises(ValueError, match=r"SampleStore x must lie in \[0, 255\] for 8-bit unsigned elements, "
                                         r"not \[0, 256\]"):
        SampleStore(x=np.array([[0, 256]]), t=np.array([[1]]), width=8, signed=False)
