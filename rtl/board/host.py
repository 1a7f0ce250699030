"""The host driver of a board bitstream: the UART protocol of :mod:`rtl.board.protocol` from Python.

The same :class:`HostLink` code runs against a board (:class:`SerialTransport`, ``pyserial``) and in the
co-simulation bench (``testbench/board_tests.py``, a transport over cocotbext-uart), so what the bench
proves is what a user runs::

    from rtl.board.host import HostLink, SerialTransport
    link = HostLink(SerialTransport("/dev/ttyUSB1", 115200))
    info = link.identify()                      # refuses a bitstream of another config with expect_config=
    link.run(1000, tau_x=1, tau_p=1, tau_theta=1)
    link.wait()                                 # polls STATUS until busy falls; returns the status
    theta, grad, momentum = link.read_params()

A transport is anything with ``write(data: bytes)`` and ``read(n: int) -> bytes`` that returns fewer than
``n`` bytes on a timeout (pyserial's semantics). Errors are :class:`LinkError` subclasses:
:class:`LinkTimeout` (the board did not answer), :class:`BadReply` (an answer the protocol does not
allow, a version or config mismatch), :class:`BoardError` (the board answered with an error code),
:class:`TauRefused` (the core refused the τ's; ``refused`` holds the
:data:`rtl.contract.REFUSED_ZERO_TAU` ... bits).
"""

from __future__ import annotations

import time
from typing import Protocol

import numpy as np

from golden_model.errors import MGDError
from rtl.board import protocol as P

__all__ = ["Transport", "SerialTransport", "HostLink", "LinkError", "LinkTimeout", "BadReply", "BoardError",
           "TauRefused", "Mismatch", "train"]

TAU_MAX = (1 << 21) - 1  # rtl.contract.TAU_BITS (not imported: the driver needs no Amaranth)


class LinkError(MGDError):
    """Something went wrong on the host link; the message says what."""


class LinkTimeout(LinkError):
    """The board sent fewer bytes than the reply has."""


class BadReply(LinkError):
    """A reply the protocol does not allow, or a bitstream of another protocol version or configuration."""


class BoardError(LinkError):
    """The board answered a command with an error code (``code``, ``detail``)."""

    def __init__(self, message: str, code: int, detail: int) -> None:
        super().__init__(message)
        self.code, self.detail = code, detail


class TauRefused(BoardError):
    """The core refused RUN's τ's (``refused``: the ``status.refused`` bits)."""

    @property
    def refused(self) -> int:
        return self.detail


class Mismatch(LinkError):
    """The board's θ, G, M or status differ from the golden model's after the same steps (:func:`train`)."""


class Transport(Protocol):
    def write(self, data: bytes) -> object: ...

    def read(self, n: int) -> bytes: ...


class SerialTransport:
    """A serial port through ``pyserial`` (8N1, ``timeout`` seconds a read)."""

    def __init__(self, port: str, baud: int = 115200, timeout: float = 2.0) -> None:
        import serial

        self.port = serial.Serial(port, baud, bytesize=8, parity="N", stopbits=1, timeout=timeout)

    def write(self, data: bytes) -> None:
        self.port.write(data)
        self.port.flush()

    def read(self, n: int) -> bytes:
        return self.port.read(n)

    def close(self) -> None:
        self.port.close()


def _fields(data: bytes, layout) -> dict[str, int]:
    out, i = {}, 0
    for name, n in layout:
        out[name] = int.from_bytes(data[i:i + n], "little")
        i += n
    return out


class HostLink:
    """Commands of protocol version :data:`rtl.board.protocol.VERSION` over ``transport``.

    ``expect_config``: the TOML of the configuration the host means (``golden_model.config.to_toml``);
    :meth:`identify` then raises :class:`BadReply` for a bitstream built from another one."""

    def __init__(self, transport: Transport, expect_config: str | None = None) -> None:
        self.transport = transport
        self.expect_config = expect_config
        self.info: dict[str, int] | None = None

    # ---- framing
    def _read(self, n: int, what: str) -> bytes:
        data = self.transport.read(n)
        if len(data) != n:
            raise LinkTimeout(f"{what}: the board sent {len(data)} of {n} bytes before the timeout "
                              "(is the bitstream loaded, the port and baud rate right?)")
        return bytes(data)

    def _command(self, cmd: int, args: bytes, what: str) -> None:
        """Send a command, read the status byte; raise on an error reply."""
        if len(args) != P.ARG_BYTES[cmd]:
            raise ValueError(f"internal: {what} takes {P.ARG_BYTES[cmd]} argument bytes, not {len(args)}")
        self.transport.write(bytes([cmd]) + args)
        self._status_byte(what)

    def _status_byte(self, what: str) -> None:
        code = self._read(1, what)[0]
        if code == P.OK:
            return
        detail = self._read(1, what)[0]
        if code not in P.ERRORS:
            raise BadReply(f"{what}: status byte {code:#04x} is not a protocol {P.VERSION} code")
        if code == P.ERR_REFUSED:
            raise TauRefused(f"{what}: {P.ERRORS[code]} = {detail:#x} (1: a tau is 0, 2: tau_theta above "
                             f"tau_theta_max, 4: taus changed within a training)", code, detail)
        raise BoardError(f"{what}: {P.ERRORS[code]} (code {code}, detail {detail:#04x})", code, detail)

    # ---- commands
    def identify(self) -> dict[str, int]:
        """IDENTIFY: the bitstream's protocol version, core widths, n_params, lanes, tau_theta_max,
        load_beats/load_width and config id (checked against ``expect_config``)."""
        self._command(P.IDENTIFY, b"", "identify")
        n = sum(k for _, k in P.IDENTIFY_FIELDS)
        info = _fields(self._read(n, "identify"), P.IDENTIFY_FIELDS)
        if info["version"] != P.VERSION:
            raise BadReply(f"identify: the bitstream speaks protocol version {info['version']}, this driver "
                           f"{P.VERSION}")
        if self.expect_config is not None and info["config_id"] != P.config_id(self.expect_config):
            raise BadReply(f"identify: the bitstream was built from another configuration (config id "
                           f"{info['config_id']:#010x}, expected {P.config_id(self.expect_config):#010x})")
        self.info = info
        return info

    def _info(self) -> dict[str, int]:
        return self.info if self.info is not None else self.identify()

    def status(self) -> dict[str, int]:
        """STATUS: every member of the core's ``status`` (consistent when ``busy`` is 0)."""
        self._command(P.STATUS, b"", "status")
        return _fields(self._read(sum(k for _, k in P.STATUS_FIELDS), "status"), P.STATUS_FIELDS)

    def run(self, n_steps: int, *, tau_x: int, tau_p: int, tau_theta: int) -> None:
        """RUN: ``n_steps`` more MGD steps with these τ's; raises :class:`TauRefused` if the core refused."""
        if not 0 <= n_steps < 1 << 32:
            raise ValueError(f"n_steps must be 0 to {(1 << 32) - 1}, not {n_steps}")
        for name, tau in (("tau_x", tau_x), ("tau_p", tau_p), ("tau_theta", tau_theta)):
            if not 0 <= tau <= TAU_MAX:
                raise ValueError(f"{name} must be 0 to {TAU_MAX} (the core's 21-bit register), not {tau}")
        args = b"".join(int(v).to_bytes(4, "little") for v in (n_steps, tau_x, tau_p, tau_theta))
        self._command(P.RUN, args, "run")

    def stop(self) -> None:
        """STOP: end the run after the step in progress."""
        self._command(P.STOP, b"", "stop")

    def wait(self, timeout_s: float | None = None, poll_s: float = 0.0) -> dict[str, int]:
        """Poll STATUS until ``busy`` is 0 and return that status; :class:`LinkTimeout` after ``timeout_s``
        seconds of wall time (None: no limit)."""
        t0 = time.monotonic()
        while True:
            s = self.status()
            if not s["busy"]:
                return s
            if timeout_s is not None and time.monotonic() - t0 > timeout_s:
                raise LinkTimeout(f"wait: the core is still busy after {timeout_s:g} s (step {s['step']})")
            if poll_s:
                time.sleep(poll_s)

    def read_params(self, first: int = 0, count: int | None = None) -> tuple[np.ndarray, ...]:
        """READ: θ, G and M (int64 arrays, register LSBs; M all 0 without momentum) of parameters ``first``
        to ``first + count - 1`` (default: all)."""
        info = self._info()
        n_params = info["n_params"]
        if count is None:
            count = n_params - first
        if not (0 <= first and 0 <= count and first + count <= n_params):
            raise ValueError(f"read_params: first {first} + count {count} must be within the core's "
                             f"{n_params} parameters")
        self._command(P.READ, first.to_bytes(2, "little") + count.to_bytes(2, "little"), "read")
        widths = [info["theta_width"], info["grad_width"], info["momentum_width"]]
        sizes = [P.nbytes(w) for w in widths]
        data = self._read(count * sum(sizes), "read")
        out = [np.zeros(count, dtype=np.int64) for _ in widths]
        i = 0
        for k in range(count):
            for f, n in enumerate(sizes):
                if n:
                    out[f][k] = int.from_bytes(data[i:i + n], "little", signed=True)
                    i += n
        return tuple(out)

    def load(self, words) -> None:
        """LOAD: the core's sample store from ``words`` (``MGDCoreBase.sample_words``: load_beats words)."""
        info = self._info()
        words = [int(w) for w in words]
        if not info["load_beats"]:
            raise BoardError("load: this bitstream's samples are built in (it has no sample-load port)",
                             P.ERR_NO_LOAD, 0)
        if len(words) != info["load_beats"]:
            raise ValueError(f"load: the core takes {info['load_beats']} words, not {len(words)}")
        n = P.nbytes(info["load_width"])
        if any(not 0 <= w < 1 << info["load_width"] for w in words):
            raise ValueError(f"load: every word must be 0 to {(1 << info['load_width']) - 1}")
        self._command(P.LOAD, len(words).to_bytes(4, "little"), "load")
        self.transport.write(b"".join(w.to_bytes(n, "little") for w in words))
        self._status_byte("load")


def train(link: HostLink, config, *, chunk: int, max_steps: int, check: bool = True,
          on_chunk=None) -> list[dict]:
    """Train the board: RUN ``chunk`` steps at a time with ``config``'s τ's, wait, READ every θ, G, M and
    evaluate the read θ with the fixed-point model (:meth:`golden_model.fixed_mgd.FixedMGD.evaluate`), until
    train accuracy 1.0 or ``max_steps`` steps. ``check``: also run the golden model alongside and compare
    θ, G, M (and M with momentum) and STATUS (step, C, C0, sample, sat_events, busy, refused) after every
    chunk, bit for bit; the first difference raises :class:`Mismatch` naming the step, config id and seed.
    ``on_chunk(row)`` is called with each chunk's row (step, train/test accuracy, cost, cycles).
    Returns the rows. The board must be freshly reset (step 0) when ``check`` is set."""
    from golden_model.config import to_toml
    from golden_model.fixed_mgd import FixedMGD

    if chunk < 1 or max_steps < 1:
        raise ValueError(f"chunk and max_steps must be >= 1, not {chunk} and {max_steps}")
    info = link.identify()
    model = FixedMGD(config)
    m = config.mgd
    start = link.status()
    if start["busy"]:
        raise BoardError("train: the core is busy; stop it or reset the board first", P.ERR_BUSY, 0)
    n = start["step"]
    if check and n:
        raise Mismatch(f"train: the board has already run {n} steps; reset it (reprogram) to check it "
                       "against the golden model from step 0")
    where = f"(config id {P.config_id(to_toml(config)):#010x}, mgd.seed {m.seed})"
    theta = link.read_params()[0]
    if check and not np.array_equal(theta, model.theta0):
        raise Mismatch(f"theta0 read over the link differs from the model's {where}")
    rows = []
    while n < max_steps:
        steps = min(chunk, max_steps - n)
        link.run(steps, tau_x=m.tau_x, tau_p=m.tau_p, tau_theta=m.tau_theta)
        status = link.wait()
        n += steps
        theta, grad, mom = link.read_params()
        if check:
            tr = model.run(steps)
            files = [("theta", theta, tr.theta[-1]), ("G", grad, tr.G[-1])]
            if info["momentum_width"]:
                files.append(("M", mom, tr.M[-1]))
            for name, got, want in files:
                try:
                    np.testing.assert_array_equal(got, want, err_msg=f"{name} after step {n} {where}")
                except AssertionError as exc:
                    raise Mismatch(str(exc)) from None
            want = {"step": n, "last_cost": int(tr.C[-1]), "c0": int(tr.C0[-1]), "sample": int(tr.sample[-1]),
                    "sat_events": int(tr.sat_events[-1]), "busy": 0, "refused": 0}
            got = {k: status[k] for k in want}
            if got != want:
                raise Mismatch(f"status after step {n} {where}: board {got} != model {want}")
        cost, train_acc, test_acc = model.evaluate(theta)
        row = {"step": n, "train_accuracy": train_acc, "test_accuracy": test_acc, "cost": cost,
               "cycles": status["cycles"], "updates": status["updates"], "sat_events": status["sat_events"]}
        rows.append(row)
        if on_chunk is not None:
            on_chunk(row)
        if train_acc >= 1.0:
            break
    return rows
