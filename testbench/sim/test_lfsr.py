"""amaranth.sim tests of rtl.lfsr against the golden-model twin."""

from __future__ import annotations

import itertools

import pytest
from amaranth.sim import Simulator

from golden_model import lfsr as twin
from rtl.lfsr import LFSR, SignBank


def _simulate(dut, bench) -> None:
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()


def test_lfsr16_every_state_matches_twin():
    """All 65,535 states of a 16-bit LFSR, then the return to the seed."""
    dut = LFSR(width=16, seed=0xACE1)
    expected = list(itertools.islice(twin.generate(16, 0xACE1), (1 << 16)))
    assert expected[-1] == 0xACE1  # period 2**16 - 1: the last entry is the seed again

    async def bench(ctx):
        ctx.set(dut.advance, 1)
        for n, state in enumerate(expected):
            got = ctx.get(dut.state)
            assert got == state, f"step {n}: expected {state:#06x}, got {got:#06x}"
            assert ctx.get(dut.bit) == state & 1
            await ctx.tick()

    _simulate(dut, bench)


@pytest.mark.parametrize("width", [3, 7, 12, 24, 32])
def test_lfsr_widths_hold_and_advance(width):
    dut = LFSR(width=width, seed=1)
    expected = list(itertools.islice(twin.generate(width, 1), 200))

    async def bench(ctx):
        n = 0
        for cycle in range(300):
            hold = cycle % 3 == 2
            assert ctx.get(dut.state) == expected[n], f"width {width}, step {n}"
            ctx.set(dut.advance, 0 if hold else 1)
            await ctx.tick()
            n += 0 if hold else 1
            if n == len(expected):
                break

    _simulate(dut, bench)


def test_sign_bank_matches_twin():
    dut = SignBank(lanes=12, width=12, seed=0x5A5)
    model = twin.SignBank(lanes=12, width=12, seed=0x5A5)
    expected = [model.bits_word() for _ in range(1)]
    for _ in range(500):
        model.advance()
        expected.append(model.bits_word())

    async def bench(ctx):
        ctx.set(dut.advance, 1)
        for n, word in enumerate(expected):
            assert ctx.get(dut.signs) == word, f"step {n}: expected {word:#x}, got {ctx.get(dut.signs):#x}"
            await ctx.tick()

    _simulate(dut, bench)


@pytest.mark.filterwarnings("error::amaranth.hdl.UnusedElaboratable")
def test_component_parameters_are_validated():
    with pytest.raises(twin.LFSRError, match="LFSR seed must be a non-zero integer below 2\\*\\*8, not 0"):
        LFSR(width=8, seed=0)
    with pytest.raises(twin.LFSRError, match="sign bank lanes must be a positive integer, not 0"):
        SignBank(lanes=0, width=16, seed=1)
