"""cocotb helpers for a top with the host contract's ports (:mod:`rtl.contract`), shared by the benches."""

from __future__ import annotations

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

__all__ = ["reset_host"]


async def reset_host(dut, spec, idle: list[str]) -> None:
    """Start a 100 MHz clock and reset a top with the host contract's ``ctrl`` port (idle: no start or
    stop, ``n_steps`` 0, the τ's of ``spec``) and the ports named in ``idle`` at 0; return at the falling
    edge of the first clock after reset."""
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns", impl="gpi").start())
    dut.rst.value = 1
    for name in ["ctrl__start", "ctrl__stop", "ctrl__n_steps", *idle]:
        getattr(dut, name).value = 0
    dut.ctrl__tau_x.value = spec.tau_x
    dut.ctrl__tau_p.value = spec.tau_p
    dut.ctrl__tau_theta.value = spec.tau_theta
    await RisingEdge(dut.clk)
    await RisingEdge(dut.clk)
    dut.rst.value = 0
    await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
