"""amaranth.sim tests of :class:`rtl.synth.harness.SynthHarness`: the shift register drives the block's
inputs and the registered output is the XOR of all the block's outputs."""

import random

import pytest
from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from rtl.lfsr import SignBank
from rtl.synth.harness import HarnessError, SynthHarness


class _Toy(wiring.Component):
    """Inputs ``a`` (3 bits), ``b`` (2 bits, reset 0b10) and a nested ``bus.data`` (4 bits); outputs a
    registered copy of ``a`` and combinational functions of ``b`` and ``bus.data``."""

    a: In(3)
    b: In(2, init=0b10)
    bus: In(wiring.Signature({"data": Out(4)}))
    x: Out(3)
    y: Out(2)
    z: Out(4)

    def elaborate(self, platform):
        m = Module()
        m.d.sync += self.x.eq(self.a)
        m.d.comb += [self.y.eq(self.b ^ 0b11), self.z.eq(self.bus.data + 1)]
        return m


class _NoOutputs(wiring.Component):
    a: In(4)

    def elaborate(self, platform):
        return Module()


def _unused(h: SynthHarness) -> SynthHarness:
    """Silence Amaranth's never-elaborated warning for a harness only inspected, never simulated."""
    h._MustUse__silence = h.block._MustUse__silence = True
    return h


def _unused_block(b: wiring.Component) -> wiring.Component:
    b._MustUse__silence = True
    return b


def _run(dut: wiring.Component, bench) -> None:
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()


def _xor_bits(*values_and_widths: tuple[int, int]) -> int:
    acc = 0
    for value, width in values_and_widths:
        for i in range(width):
            acc ^= (value >> i) & 1
    return acc


def test_layout_lists_every_leaf_port():
    h = _unused(SynthHarness(_Toy()))
    assert [(p.name, p.offset, p.width) for p in h.inputs] == [("a", 0, 3), ("b", 3, 2), ("bus.data", 5, 4)]
    assert [(p.name, p.offset, p.width) for p in h.outputs] == [("x", 0, 3), ("y", 3, 2), ("z", 5, 4)]
    assert (h.input_bits, h.output_bits, h.xor_latency) == (9, 9, 2)
    assert h.overhead_ff == 9 + 3 + 1  # shift register + XOR tree 9 -> 3 -> 1


def test_reset_presents_the_blocks_input_reset_values():
    dut = SynthHarness(_Toy())

    async def bench(ctx):
        assert ctx.get(dut.block.a) == 0
        assert ctx.get(dut.block.b) == 0b10
        assert ctx.get(dut.block.bus.data) == 0

    _run(dut, bench)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shifted_pattern_drives_the_blocks_inputs(seed):
    rng = random.Random(seed)
    dut = SynthHarness(_Toy())
    cases = [(rng.randrange(8), rng.randrange(4), rng.randrange(16)) for _ in range(6)]

    async def bench(ctx):
        for a, b, d in cases:
            word = dut.pack_inputs({"a": a, "b": b, "bus.data": d})
            for i in reversed(range(dut.input_bits)):  # most significant bit first
                ctx.set(dut.serial_in, (word >> i) & 1)
                await ctx.tick()
            got = (ctx.get(dut.block.a), ctx.get(dut.block.b), ctx.get(dut.block.bus.data))
            assert got == (a, b, d), f"seed {seed}: shifted in {(a, b, d)}, block sees {got}"

    _run(dut, bench)


def _check_serial_out(dut: SynthHarness, outputs, stimulus, cycles: int, label: str):
    """Testbench: ``serial_out`` after edge ``c`` is the parity of the outputs read before edge
    ``c - xor_latency + 1``."""

    async def bench(ctx):
        parity = []
        for c in range(cycles):
            ctx.set(dut.serial_in, stimulus(c))
            parity.append(_xor_bits(*[(ctx.get(o), len(o)) for o in outputs]))
            await ctx.tick()
            k = c - dut.xor_latency + 1
            if k >= 0:
                assert ctx.get(dut.serial_out) == parity[k], f"{label}: cycle {c}, parities {parity[-8:]}"
        assert 0 < sum(parity) < len(parity), f"{label}: output parity never changed"

    return bench


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_serial_out_is_delayed_xor_of_all_outputs(seed):
    rng = random.Random(seed)
    dut = SynthHarness(_Toy())
    bits = [rng.randrange(2) for _ in range(300)]
    b = dut.block
    _run(dut, _check_serial_out(dut, [b.x, b.y, b.z], bits.__getitem__, len(bits), f"seed {seed}"))


def test_serial_out_follows_xor_of_sign_bank():
    bank = SignBank(lanes=64, width=16)
    dut = SynthHarness(bank)
    assert dut.xor_latency == 3  # 64 -> 16 -> 4 -> 1
    # advance = 1 from the first clock on: every lane steps, the signs change.
    _run(dut, _check_serial_out(dut, [bank.signs], lambda c: 1, 300, "sign bank 64x16"))


def test_pack_inputs_checks_names_and_ranges():
    h = _unused(SynthHarness(_Toy()))
    assert h.pack_inputs({"a": 0b101, "bus.data": 0xF}) == 0b101 | (0xF << 5)
    with pytest.raises(HarnessError, match=r"harness input port must be one of \['a', 'b', 'bus.data'\], "
                                           r"not 'c'"):
        h.pack_inputs({"c": 1})
    with pytest.raises(HarnessError, match=r"harness input 'b' must be in 0..3, not 4"):
        h.pack_inputs({"b": 4})


def test_block_without_outputs_is_refused():
    with pytest.raises(HarnessError, match="must have at least one output bit, not 0"):
        SynthHarness(_unused_block(_NoOutputs()))


def test_non_component_is_refused():
    with pytest.raises(HarnessError, match="must be an amaranth wiring.Component"):
        SynthHarness(Signal(3))
