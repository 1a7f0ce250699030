"""cocotb bench of a board top (:class:`rtl.board.top.BoardTop`): training over the UART host link through
the host driver a user runs (:class:`rtl.board.host.HostLink`), bit-exact against the golden model.

The driver runs in a thread (``cocotb.task.bridge``); its transport (:class:`SimTransport`) writes bytes
through a cocotbext-uart ``UartSource`` on ``uart_rx`` and reads them from a ``UartSink`` on ``uart_tx``
(``cocotb.task.resume``), so every byte crosses the generated UART, link engine and core. Through the
driver the bench identifies the bitstream (config id checked), checks the error replies (unknown command,
READ out of range, LOAD to a core without a load port, a refused τ_x = 0 that runs nothing), then trains
with :func:`rtl.board.host.train` (what ``mgd host train`` runs): chunks of ``MGD_BOARD_CHUNK`` steps, STATUS
polled until busy falls, every θ, G, M read with READ and the status compared with
:class:`golden_model.fixed_mgd.FixedMGD` after the same steps, bit for bit, until the fixed model's
evaluation of the read θ reaches train accuracy 1.0 (the bench fails if not within ``MGD_BOARD_STEPS``).

Environment (set by ``testbench/test_board_cosim.py``): ``MGD_BOARD_CONFIG`` (TOML file),
``MGD_BOARD_CLOCKS_PER_BIT``, ``MGD_BOARD_CHUNK``, ``MGD_BOARD_STEPS``, ``MGD_BOARD_RESULT`` (JSON out);
a core with a ``load`` port: ``MGD_BOARD_LOAD`` (the words LOAD sends, hexadecimal, one a line: the training
set of ``MGD_BOARD_CONFIG``) and ``MGD_BOARD_BUILT_CONFIG`` (the config the bitstream was built from, whose
id IDENTIFY reports, when the host trains on another data set).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.task import bridge, resume
from cocotb.triggers import RisingEdge, Timer
from cocotbext.uart import UartSink, UartSource

from golden_model.config import load_toml, to_toml
from rtl.board import protocol as P
from rtl.board.host import BoardError, HostLink, Mismatch, TauRefused, train

CLOCK_NS = 10


class SimTransport:
    """The driver's transport in the simulator: bytes through cocotbext-uart, ``read`` returns what arrived
    within ``timeout_bits`` bit times after the last byte asked for (fewer bytes = a timeout)."""

    def __init__(self, dut, clocks_per_bit: int, timeout_bits: int = 400) -> None:
        baud = 1e9 / (CLOCK_NS * clocks_per_bit)
        self.bit_ns = CLOCK_NS * clocks_per_bit
        self.source = UartSource(dut.uart_rx, baud=baud, bits=8, stop_bits=1)
        self.sink = UartSink(dut.uart_tx, baud=baud, bits=8, stop_bits=1)
        self.timeout_bits = timeout_bits
        for end in (self.source, self.sink):  # they log every byte at INFO
            end.log.setLevel(logging.WARNING)
        self.write = resume(self._write)
        self.read = resume(self._read)

    async def _write(self, data: bytes) -> None:
        await self.source.write(data)
        await self.source.wait()

    async def _read(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            await self.sink.wait(self.timeout_bits * self.bit_ns, "ns")
            if self.sink.empty():
                break
            out += self.sink.read_nowait(min(n - len(out), self.sink.count()))
        return bytes(out)


def _host_session(link: HostLink, config, chunk: int, max_steps: int, words: list[int], res: dict) -> None:
    """Everything the host does, as a user's script would (runs in the bridge thread)."""
    info = link.identify()
    res["identify"] = info
    # error replies: each raises the driver's exception, and the link keeps working afterwards
    link.transport.write(bytes([0xEE]))
    try:
        link._status_byte("unknown")
        raise AssertionError("an unknown command was answered OK")
    except BoardError as exc:
        assert (exc.code, exc.detail) == (P.ERR_UNKNOWN, 0xEE), exc
    past = (info["n_params"] - 1).to_bytes(2, "little") + (2).to_bytes(2, "little")  # one index too many
    link.transport.write(bytes([P.READ]) + past)
    try:
        link._status_byte("read")
        raise AssertionError("READ past n_params was answered OK")
    except BoardError as exc:
        assert exc.code == P.ERR_RANGE, exc
    if info["load_beats"]:  # a streamed store: RUN before LOAD and a LOAD of the wrong length are refused
        try:
            link.run(1, tau_x=1, tau_p=1, tau_theta=1)
            raise AssertionError("RUN before LOAD was answered OK")
        except BoardError as exc:
            assert exc.code == P.ERR_NOT_LOADED, exc
        link.transport.write(bytes([P.LOAD]) + (info["load_beats"] + 1).to_bytes(4, "little"))
        try:
            link._status_byte("load")
            raise AssertionError("LOAD of load_beats + 1 words was answered OK")
        except BoardError as exc:
            assert exc.code == P.ERR_RANGE, exc
        link.load(words)
        res["loaded"] = len(words)
    else:
        link.transport.write(bytes([P.LOAD]) + (1).to_bytes(4, "little"))
        try:
            link._status_byte("load")
            raise AssertionError("LOAD to a core without a load port was answered OK")
        except BoardError as exc:
            assert exc.code == P.ERR_NO_LOAD, exc
    m = config.mgd
    try:
        link.run(chunk, tau_x=0, tau_p=m.tau_p, tau_theta=m.tau_theta)
        raise AssertionError("a start with tau_x = 0 was not refused")
    except TauRefused as exc:
        assert exc.refused == 1, exc
    assert link.status()["step"] == 0, "a refused start ran steps"

    rows = train(link, config, chunk=chunk, max_steps=max_steps, check=True)
    res["chunks"] = rows
    res["steps"] = rows[-1]["step"]
    res["final_train_accuracy"] = rows[-1]["train_accuracy"]
    res["params_compared"] = len(rows) * info["n_params"]


@cocotb.test()
async def train_over_uart(dut) -> None:
    config = load_toml(os.environ["MGD_BOARD_CONFIG"])
    cpb = int(os.environ["MGD_BOARD_CLOCKS_PER_BIT"])
    chunk = int(os.environ["MGD_BOARD_CHUNK"])
    max_steps = int(os.environ["MGD_BOARD_STEPS"])
    result = Path(os.environ["MGD_BOARD_RESULT"])
    cocotb.start_soon(Clock(dut.clk, CLOCK_NS, unit="ns").start())
    dut.uart_rx.value = 1
    dut.rst.value = 1
    await Timer(5 * CLOCK_NS, "ns")
    await RisingEdge(dut.clk)
    dut.rst.value = 0
    transport = SimTransport(dut, cpb)
    built = load_toml(os.environ.get("MGD_BOARD_BUILT_CONFIG", os.environ["MGD_BOARD_CONFIG"]))
    link = HostLink(transport, expect_config=to_toml(built))
    load = os.environ.get("MGD_BOARD_LOAD")
    words = [int(w, 16) for w in Path(load).read_text().split()] if load else []
    res: dict = {}
    try:
        await bridge(_host_session)(link, config, chunk, max_steps, words, res)
    except (AssertionError, Mismatch) as exc:
        res["mismatch"] = str(exc)
        raise AssertionError(str(exc)) from None
    finally:
        result.write_text(json.dumps(res, default=int))
    assert res["final_train_accuracy"] >= 1.0, f"not trained within {max_steps} steps: {res['chunks'][-1]}"
