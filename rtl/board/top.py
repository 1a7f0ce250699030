"""A board's top level: an MGD core behind the UART host link, and the boards it is built for.

:class:`BoardTop` ports (simulation, ``platform=None``): ``uart_rx`` (in, the host's TX), ``uart_tx`` (out),
``busy`` (out, ``status.busy``). Built for a board (:data:`BOARDS`, the ``amaranth-boards`` platforms), it
requests the board's ``uart`` resource 0 (the USB-serial bridge) and drives ``led`` 0 with ``busy``; the
clock is the board's default clock (12 MHz iCEBreaker, 25 MHz ULX3S), reset the platform's power-on reset.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth import Module
from amaranth.lib import io, wiring
from amaranth.lib.wiring import In, Out

from golden_model.config import MGDConfig, to_toml
from rtl.board.link import HostLink

__all__ = ["Board", "BOARDS", "BoardTop"]


@dataclass(frozen=True)
class Board:
    """One board ``mgd build --board`` knows: its amaranth-boards platform, the synthesis target of
    :mod:`rtl.synth.targets` with the same part (for the fit check), its clock, the bitstream file suffix
    and the command that programs it."""

    name: str
    platform: str  # class name in amaranth_boards.<module>
    module: str
    target: str
    clock_hz: float
    suffix: str
    program: str  # {bitstream} is replaced
    default_preset: str = "xor"

    def make_platform(self):
        import importlib

        return getattr(importlib.import_module(f"amaranth_boards.{self.module}"), self.platform)()


BOARDS: dict[str, Board] = {b.name: b for b in (
    Board("icebreaker", "ICEBreakerPlatform", "icebreaker", "ice40-up5k", 12e6, "bin", "iceprog {bitstream}"),
    Board("ulx3s-85f", "ULX3S_85F_Platform", "ulx3s", "ecp5-85k", 25e6, "bit",
          "openFPGALoader --board ulx3s {bitstream}"),
)}


class BoardTop(wiring.Component):
    """The core of ``config`` (:func:`rtl.cores.build_core`, no verification ports) behind a
    :class:`rtl.board.link.HostLink` at ``clocks_per_bit`` clocks per UART bit. Ports: see the module."""

    def __init__(self, config: MGDConfig, clocks_per_bit: int) -> None:
        from rtl.cores import build_core

        self.config = config
        self.core = build_core(config)
        self.link = HostLink(self.core, clocks_per_bit, to_toml(config))
        super().__init__({"uart_rx": In(1, init=1), "uart_tx": Out(1, init=1), "busy": Out(1)})

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.link = link = self.link
        if platform is None:
            m.d.comb += [link.rx.eq(self.uart_rx), self.uart_tx.eq(link.tx), self.busy.eq(link.busy)]
            return m
        uart = platform.request("uart", 0, dir="-")
        m.submodules.rx_buffer = rx = io.Buffer("i", uart.rx)
        m.submodules.tx_buffer = tx = io.Buffer("o", uart.tx)
        m.submodules.led_buffer = led = io.Buffer("o", platform.request("led", 0, dir="-"))  # inverts PinsN
        m.d.comb += [link.rx.eq(rx.i), tx.o.eq(link.tx), led.o.eq(link.busy)]
        return m
