"""Synthesis harness: any block behind one serial input pin and one registered output pin.

Ref: ``shared/design/TOOLCHAIN.md`` ("iCE40 UP5K in the sg48 package has 39 I/O"), ``rtl/synthesis.py``.

A block's own ports are often far wider than a package has pins (a 64-lane sign bank alone has 65), and a
port left unconnected lets the synthesizer delete the logic behind it. :class:`SynthHarness` removes both
problems: every input bit of the block comes from a shift register fed by one pin, and every output bit of the
block goes into one XOR tree whose result is registered onto one pin. The top level then has four pins
(``clk``, ``rst``, ``serial_in``, ``serial_out``) whatever the block, and every output bit of the block is
observable, so nothing it computes can be optimised away.

The XOR tree is pipelined: 4-input XORs (one LUT4 each) with a register after every level. A single
combinational XOR of 64 outputs is three LUT levels deep and, measured on iCE40, was the critical path of a
sign bank: the harness, not the block, set Fmax. With a register per level, every harness path is
one LUT deep, so the reported Fmax is the block's own (or the harness's one-LUT bound when the block is
faster). The harness costs ``max(input_bits, 1)`` shift-register flip-flops plus one per XOR of the tree
(:attr:`SynthHarness.overhead_ff`); :func:`rtl.synth.synthesize` reports it next to the totals.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth import Cat, Module, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_model.errors import MGDError
from rtl._validate import rejecting

__all__ = ["HarnessError", "PortSlice", "SynthHarness", "HARNESS_NOTE"]

HARNESS_NOTE = (
    "The block is wrapped in a synthesis harness (rtl.synth.harness.SynthHarness): all of its input bits are "
    "driven from a shift register fed by one serial input pin, and all of its output bits are XOR-reduced "
    "into one registered output pin (pins: clk, rst, serial_in, serial_out). The pin count therefore never "
    "limits the measurement and no output logic can be optimised away. The XOR tree is pipelined (4-input "
    "XOR, then a register, per level), so every harness path is one LUT deep; when the worst path ends in "
    "the harness the report says so, and the block is then at least that fast. The harness's own flip-flops "
    "(shift register + XOR-tree registers) and LUTs are included in the totals."
)


class HarnessError(MGDError):
    """A block that the harness cannot wrap (for example one without outputs)."""


@dataclass(frozen=True)
class PortSlice:
    """Where one port of the wrapped block sits in the harness's input shift register or output XOR.

    Attributes
    ----------
    name : str
        Port path joined with dots, e.g. ``"advance"`` or ``"bus.data"``.
    offset : int
        Index of the port's bit 0 in the shift register (inputs) or in the XOR-reduced vector (outputs).
    width : int
        Port width in bits.
    """

    name: str
    offset: int
    width: int


class SynthHarness(wiring.Component):
    """Wrap ``block`` so that it synthesizes with one serial input pin and one registered output pin.

    Parameters
    ----------
    block : wiring.Component
        Any component clocked by the ``sync`` domain (or purely combinational). Its ports may be nested
        signatures; every leaf port counts.

    Attributes
    ----------
    serial_in : In(1)
        Shifted into bit 0 of the input shift register at every clock; bit ``i`` moves to bit ``i + 1``. To
        present an ``input_bits``-wide word ``w`` to the block, shift in ``w``'s bits from the most
        significant one down to bit 0; after ``input_bits`` clocks the block sees ``w``
        (see :meth:`pack_inputs`).
    serial_out : Out(1)
        XOR of all output bits of the block as they were :attr:`xor_latency` clock edges ago.

    Raises
    ------
    HarnessError
        If ``block`` is not a ``wiring.Component`` or has no output bits (then nothing would survive
        synthesis).

    Notes
    -----
    Latency: ``serial_in`` reaches the block's inputs one clock after it is sampled (shift-register bit 0);
    ``serial_out`` is the XOR of the block's outputs sampled :attr:`xor_latency` edges earlier
    (``ceil(log4(output_bits))`` levels, at least 1). The shift register
    has ``max(input_bits, 1)`` bits and resets to the block's input reset values (``init``), so after reset
    the block sees the same input values as it would stand-alone.
    """

    def __init__(self, block: wiring.Component) -> None:
        with rejecting(self):
            if not isinstance(block, wiring.Component):
                raise HarnessError(f"harness block must be an amaranth wiring.Component, not {block!r}")
            self._block = block
            inputs: list[PortSlice] = []
            outputs: list[PortSlice] = []
            in_off = out_off = 0
            for path, member, value in block.signature.flatten(block):
                name = ".".join(str(p) for p in path)
                width = len(Value.cast(value))
                if width == 0:
                    continue
                if member.flow == wiring.In:
                    inputs.append(PortSlice(name, in_off, width))
                    in_off += width
                else:
                    outputs.append(PortSlice(name, out_off, width))
                    out_off += width
            if out_off == 0:
                raise HarnessError(
                    f"harness block {type(block).__name__} must have at least one output bit, not 0 "
                    "(with no outputs, synthesis would remove all of its logic)")
            self._inputs = tuple(inputs)
            self._outputs = tuple(outputs)
            self._input_bits = in_off
            self._output_bits = out_off
        super().__init__({"serial_in": In(1), "serial_out": Out(1)})

    @property
    def block(self) -> wiring.Component:
        """The wrapped component."""
        return self._block

    @property
    def inputs(self) -> tuple[PortSlice, ...]:
        """Input ports of the block and their place in the shift register, in signature order."""
        return self._inputs

    @property
    def outputs(self) -> tuple[PortSlice, ...]:
        """Output ports of the block and their place in the XOR-reduced vector, in signature order."""
        return self._outputs

    @property
    def input_bits(self) -> int:
        """Total width of the block's inputs (the shift register's length, at least 1 in hardware)."""
        return self._input_bits

    @property
    def output_bits(self) -> int:
        """Total width of the block's outputs (the number of XOR-tree inputs)."""
        return self._output_bits

    @property
    def xor_latency(self) -> int:
        """Clock edges from the block's outputs to ``serial_out`` (levels of the pipelined XOR tree)."""
        return len(_tree_levels(self._output_bits))

    @property
    def overhead_ff(self) -> int:
        """Flip-flops the harness itself adds: the shift register and the XOR-tree registers."""
        return max(self._input_bits, 1) + sum(_tree_levels(self._output_bits))

    def pack_inputs(self, values: dict[str, int]) -> int:
        """The shift-register word that presents ``values`` (port name -> integer) to the block.

        Ports not named keep 0. Shift the result in most significant bit first (``input_bits`` clocks).

        Raises
        ------
        HarnessError
            If a name is not an input port of the block or a value does not fit its port.
        """
        by_name = {p.name: p for p in self._inputs}
        word = 0
        for name, value in values.items():
            if name not in by_name:
                raise HarnessError(f"harness input port must be one of {sorted(by_name)}, not {name!r}")
            port = by_name[name]
            if not 0 <= value < (1 << port.width):
                raise HarnessError(
                    f"harness input {name!r} must be in 0..{(1 << port.width) - 1}, not {value}")
            word |= value << port.offset
        return word

    def elaborate(self, platform: object) -> Module:
        m = Module()
        m.submodules.dut = block = self._block
        in_values = []
        out_values = []
        for _path, member, value in block.signature.flatten(block):
            value = Value.cast(value)
            if len(value) == 0:
                continue
            (in_values if member.flow == wiring.In else out_values).append(value)

        init = 0
        for port, value in zip(self._inputs, in_values):
            if isinstance(value, Signal):
                init |= (value.init & ((1 << port.width) - 1)) << port.offset
        shift = Signal(max(self._input_bits, 1), init=init)
        if len(shift) > 1:
            m.d.sync += shift.eq(Cat(self.serial_in, shift[:-1]))
        else:
            m.d.sync += shift.eq(self.serial_in)
        for port, value in zip(self._inputs, in_values):
            m.d.comb += value.eq(shift[port.offset:port.offset + port.width])

        level = list(Cat(*out_values))
        for depth, width in enumerate(_tree_levels(self._output_bits)):
            regs = Signal(width, name=f"harness_xor{depth}")
            for i in range(width):
                m.d.sync += regs[i].eq(Cat(*level[_FAN_IN * i:_FAN_IN * (i + 1)]).xor())
            level = list(regs)
        m.d.comb += self.serial_out.eq(level[0])
        return m


_FAN_IN = 4  # XOR inputs per register of the tree: one LUT4 on iCE40 and ECP5


def _tree_levels(bits: int) -> list[int]:
    """Register count of each level of the pipelined XOR tree over ``bits`` inputs (last level: 1)."""
    levels = []
    while True:
        bits = -(-bits // _FAN_IN)
        levels.append(bits)
        if bits == 1:
            return levels
