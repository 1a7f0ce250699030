"""UART 8N1 transmitter and receiver (amaranth.lib 0.5 has none).

``clocks_per_bit`` (a generation parameter, >= :data:`rtl.board.protocol.MIN_CLOCKS_PER_BIT`) sets the baud
rate: clock frequency / clocks_per_bit. Bits go least significant first: start (0), 8 data, stop (1).
"""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from rtl.board.protocol import MIN_CLOCKS_PER_BIT

__all__ = ["UartTx", "UartRx"]


def _check(clocks_per_bit: int) -> int:
    if not isinstance(clocks_per_bit, int) or isinstance(clocks_per_bit, bool) \
            or clocks_per_bit < MIN_CLOCKS_PER_BIT:
        raise ValueError(f"clocks_per_bit must be an integer >= {MIN_CLOCKS_PER_BIT}, not {clocks_per_bit!r}")
    return clocks_per_bit


class UartTx(wiring.Component):
    """Transmitter. Ports: ``data`` (``In(stream.Signature(8))``: a byte is taken on a clock edge with
    ``valid`` and ``ready`` high; ``ready`` is high while the line is idle), ``tx`` (out, idles high).
    Latency: the start bit begins on the clock edge after the byte is taken; a frame lasts
    10 · ``clocks_per_bit`` cycles."""

    def __init__(self, clocks_per_bit: int) -> None:
        self.clocks_per_bit = _check(clocks_per_bit)
        super().__init__({"data": In(stream.Signature(8)), "tx": Out(1, init=1)})

    def elaborate(self, platform) -> Module:
        m = Module()
        cpb = self.clocks_per_bit
        shift = Signal(10, init=0x3FF)  # stop . data . start, sent from bit 0
        bits = Signal(range(11))  # bits left to send
        timer = Signal(range(cpb))
        m.d.comb += [self.tx.eq(shift[0]), self.data.ready.eq(bits == 0)]
        with m.If(bits == 0):
            with m.If(self.data.valid):
                m.d.sync += [shift.eq((1 << 9) | (self.data.payload << 1)), bits.eq(10), timer.eq(cpb - 1)]
        with m.Elif(timer == 0):
            m.d.sync += [shift.eq((1 << 9) | (shift >> 1)), bits.eq(bits - 1), timer.eq(cpb - 1)]
        with m.Else():
            m.d.sync += timer.eq(timer - 1)
        return m


class UartRx(wiring.Component):
    """Receiver. Ports: ``rx`` (in, asynchronous: a 2-FF synchronizer first), ``data``
    (``Out(stream.Signature(8))``: ``valid`` for one cycle per received byte; the engine must take it then,
    ``ready`` is ignored), ``framing_error`` (out, a pulse: a byte whose stop bit was 0, dropped).

    A falling edge starts a frame; every bit is sampled in its middle (``clocks_per_bit // 2`` clocks after
    the start edge, then every ``clocks_per_bit``); a start bit that is high again mid-bit is a glitch and
    ignored. Latency: ``valid`` 2 (synchronizer) + 9.5 · ``clocks_per_bit`` cycles after the start edge."""

    def __init__(self, clocks_per_bit: int) -> None:
        self.clocks_per_bit = _check(clocks_per_bit)
        super().__init__({"rx": In(1, init=1), "data": Out(stream.Signature(8)), "framing_error": Out(1)})

    def elaborate(self, platform) -> Module:
        m = Module()
        cpb = self.clocks_per_bit
        s1 = Signal(init=1)
        s2 = Signal(init=1)
        m.d.sync += [s1.eq(self.rx), s2.eq(s1)]
        timer = Signal(range(cpb))
        bit = Signal(range(10))
        shift = Signal(8)
        m.d.sync += [self.data.valid.eq(0), self.framing_error.eq(0)]
        m.d.comb += self.data.payload.eq(shift)
        with m.FSM():
            with m.State("IDLE"):
                with m.If(~s2):
                    m.d.sync += timer.eq(cpb // 2 - 1)
                    m.next = "START"
            with m.State("START"):
                with m.If(timer == 0):
                    with m.If(s2):
                        m.next = "IDLE"  # glitch
                    with m.Else():
                        m.d.sync += [timer.eq(cpb - 1), bit.eq(0)]
                        m.next = "BITS"
                with m.Else():
                    m.d.sync += timer.eq(timer - 1)
            with m.State("BITS"):
                with m.If(timer == 0):
                    m.d.sync += timer.eq(cpb - 1)
                    with m.If(bit == 8):  # the stop bit
                        m.d.sync += [self.data.valid.eq(s2), self.framing_error.eq(~s2)]
                        m.next = "IDLE"
                    with m.Else():
                        m.d.sync += [shift.eq((s2 << 7) | (shift >> 1)), bit.eq(bit + 1)]
                with m.Else():
                    m.d.sync += timer.eq(timer - 1)
        return m
