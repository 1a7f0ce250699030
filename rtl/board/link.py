"""The host-link engine: UART command frames (:mod:`rtl.board.protocol`) to a core's host contract
(:mod:`rtl.contract`: ``ctrl``, ``status``, ``rd``, and ``load`` when the core has it), and the replies.

:class:`HostLink` holds the core, a :class:`rtl.board.uart.UartRx` and a :class:`rtl.board.uart.UartTx`.
Ports: ``rx`` (in, the host's TX line), ``tx`` (out, to the host's RX line), ``busy`` (out, ``status.busy``,
for an LED). No value is narrowed on the way to the host: every register goes out in whole bytes, signed ones
sign-extended (θ, G, M), unsigned ones zero-extended (status). On the way in, RUN's u32 τ's are truncated to
the core's :data:`rtl.contract.TAU_BITS`-bit registers (the host driver refuses larger values before
sending), READ's first index to the ``rd.index`` width after the range check.

Latency: a command is executed the clock after its last argument byte arrives; RUN waits 2 clocks after
``ctrl.start`` before it reads ``status.refused``; READ waits ``readback_latency + 1`` clocks after setting
``rd.index`` before each parameter's bytes.
"""

from __future__ import annotations

from amaranth import Array, Cat, Const, Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from rtl.board import protocol as P
from rtl.board.uart import UartRx, UartTx
from rtl.contract import MGDCoreBase

__all__ = ["HostLink", "identify_values"]


def identify_values(core: MGDCoreBase, config_toml: str) -> dict[str, int]:
    """The IDENTIFY payload fields (:data:`rtl.board.protocol.IDENTIFY_FIELDS`) of ``core`` built from the
    configuration ``config_toml``."""
    s = core.spec
    d = core.describe()
    load_width = len(core.load.payload) if core.load_beats else 0
    return {"version": P.VERSION, "n_params": s.layout.n_params, "theta_width": s.theta.width,
            "grad_width": s.grad_width, "momentum_width": s.momentum_width if s.k_m else 0,
            "cost_width": s.cost_fmt.width, "lanes": int(d["lanes"] or 0),
            "tau_theta_max": core.tau_theta_max,
            "load_beats": core.load_beats, "load_width": load_width, "config_id": P.config_id(config_toml)}


def _le(value, n: int) -> list:
    """The ``n`` bytes of ``value`` (a Value of at most ``8 n`` bits), least significant first."""
    return [value[8 * i:8 * (i + 1)] for i in range(n)]


class HostLink(wiring.Component):
    """The core behind the UART protocol (see the module docstring for ports and latency).

    Parameters
    ----------
    core : MGDCoreBase
        The core (built without ``verify``), elaborated as a submodule.
    clocks_per_bit : int
        UART clocks a bit (:func:`rtl.board.protocol.clocks_per_bit`).
    config_toml : str
        The configuration the core was built from (its :func:`~rtl.board.protocol.config_id` is reported).
    """

    def __init__(self, core: MGDCoreBase, clocks_per_bit: int, config_toml: str) -> None:
        self.core = core
        self.clocks_per_bit = clocks_per_bit
        self.ident = identify_values(core, config_toml)
        if self.ident["n_params"] >= 1 << 16:
            raise ValueError(f"the host link reads at most 65535 parameters, the core has "
                             f"{self.ident['n_params']}")
        if self.ident["cost_width"] > 32:
            raise ValueError(f"the host link sends C in 32 bits, the cost format has "
                             f"{self.ident['cost_width']}")
        super().__init__({"rx": In(1, init=1), "tx": Out(1, init=1), "busy": Out(1)})

    def elaborate(self, platform) -> Module:
        m = Module()
        core = self.core
        m.submodules.core = core
        m.submodules.urx = urx = UartRx(self.clocks_per_bit)
        m.submodules.utx = utx = UartTx(self.clocks_per_bit)
        m.d.comb += [urx.rx.eq(self.rx), self.tx.eq(utx.tx), self.busy.eq(core.status.busy)]
        st, rd = core.status, core.rd
        ident = self.ident
        n_params = ident["n_params"]
        beats = core.load_beats
        lbytes = P.nbytes(ident["load_width"])

        cmd = Signal(8)
        args = Array(Signal(8, name=f"arg{i}") for i in range(16))
        nrx = Signal(range(17))
        arg = [a for a in args]

        def field(lo: int, n: int):
            return Cat(*arg[lo:lo + n])

        # --- reply frames: a byte sequence chosen by `frame`, sent from `sel` = 0 to its length - 1
        err_code, err_detail = Signal(8), Signal(8)
        ok_byte = Const(P.OK, 8)
        ident_bytes = [ok_byte]
        for name, n in P.IDENTIFY_FIELDS:
            ident_bytes += _le(Const(ident[name], 8 * n), n)
        status_bytes = [ok_byte]
        for name, n in P.STATUS_FIELDS:
            sig = getattr(st, name)
            ext = Signal(8 * n, name=f"tx_{name}")
            m.d.comb += ext.eq(sig)
            status_bytes += _le(ext, n)
        param_bytes = []
        for sig, width in ((rd.theta, ident["theta_width"]), (rd.grad, ident["grad_width"]),
                           (rd.momentum, ident["momentum_width"])):
            n = P.nbytes(width)
            if n:
                ext = Signal(signed(8 * n), name=f"tx_{sig.name}")
                m.d.comb += ext.eq(sig)
                param_bytes += _le(ext, n)
        frames = {"OK": [ok_byte], "ERR": [err_code, err_detail], "IDENT": ident_bytes,
                  "STATUS": status_bytes, "PARAM": param_bytes}
        codes = {name: i for i, name in enumerate(frames)}
        frame = Signal(range(len(frames)))
        sel = Signal(range(max(len(b) for b in frames.values()) + 1))
        tx_byte = Signal(8)
        last = Signal()
        with m.Switch(frame):
            for name, data in frames.items():
                with m.Case(codes[name]):
                    m.d.comb += [tx_byte.eq(Array(data)[sel]), last.eq(sel == len(data) - 1)]
        m.d.comb += utx.data.payload.eq(tx_byte)

        # --- READ / LOAD counters
        remaining = Signal(32)
        wait = Signal(range(max(core.readback_latency, 2) + 2))
        m.d.sync += [core.ctrl.start.eq(0), core.ctrl.stop.eq(0)]
        if beats:
            m.d.sync += core.load_restart.eq(0)
            word = Signal(8 * lbytes)
            wbyte = Signal(range(lbytes + 1))
        after_send = Signal()  # READ: another parameter follows this frame

        def reply(name: str, then_read: bool = False):
            m.d.sync += [frame.eq(codes[name]), sel.eq(0), after_send.eq(then_read)]
            m.next = "SEND"

        def error(code: int, detail=0):
            m.d.sync += [err_code.eq(code), err_detail.eq(detail)]
            reply("ERR")

        with m.FSM():
            with m.State("IDLE"):
                with m.If(urx.data.valid):
                    m.d.sync += [cmd.eq(urx.data.payload), nrx.eq(0)]
                    with m.Switch(urx.data.payload):
                        for c, n in P.ARG_BYTES.items():
                            with m.Case(c):
                                m.next = "ARGS" if n else "EXEC"
                        with m.Default():
                            m.d.sync += [err_code.eq(P.ERR_UNKNOWN), err_detail.eq(urx.data.payload)]
                            m.d.sync += [frame.eq(codes["ERR"]), sel.eq(0), after_send.eq(0)]
                            m.next = "SEND"
            with m.State("ARGS"):
                with m.If(urx.data.valid):
                    m.d.sync += [args[nrx].eq(urx.data.payload), nrx.eq(nrx + 1)]
                    with m.Switch(cmd):
                        for c, n in P.ARG_BYTES.items():
                            if n:
                                with m.Case(c):
                                    with m.If(nrx == n - 1):
                                        m.next = "EXEC"
            with m.State("EXEC"):
                with m.Switch(cmd):
                    with m.Case(P.IDENTIFY):
                        reply("IDENT")
                    with m.Case(P.STATUS):
                        reply("STATUS")
                    with m.Case(P.STOP):
                        m.d.sync += core.ctrl.stop.eq(1)
                        reply("OK")
                    with m.Case(P.RUN):
                        not_loaded = (core.loaded != beats) if beats else Const(0)
                        with m.If(st.busy):
                            error(P.ERR_BUSY)
                        with m.Elif(not_loaded):
                            error(P.ERR_NOT_LOADED)
                        with m.Else():
                            m.d.sync += [core.ctrl.n_steps.eq(field(0, 4)), core.ctrl.tau_x.eq(field(4, 4)),
                                         core.ctrl.tau_p.eq(field(8, 4)),
                                         core.ctrl.tau_theta.eq(field(12, 4)), wait.eq(2)]
                            m.next = "START"
                    with m.Case(P.READ):
                        first, count = field(0, 2), field(2, 2)
                        with m.If(st.busy):
                            error(P.ERR_BUSY)
                        with m.Elif((first + count) > n_params):
                            error(P.ERR_RANGE)
                        with m.Elif(count == 0):
                            reply("OK")
                        with m.Else():
                            m.d.sync += [rd.index.eq(first), remaining.eq(count)]
                            reply("OK", then_read=True)
                    with m.Case(P.LOAD):
                        if not beats:
                            error(P.ERR_NO_LOAD)
                        else:
                            with m.If(st.busy):
                                error(P.ERR_BUSY)
                            with m.Elif(field(0, 4) != beats):
                                error(P.ERR_RANGE)
                            with m.Else():
                                m.d.sync += [core.load_restart.eq(1), remaining.eq(beats), wbyte.eq(0)]
                                m.d.sync += [frame.eq(codes["OK"]), sel.eq(0), after_send.eq(0)]
                                m.next = "SEND_LOAD_ACK"
            with m.State("START"):  # one cycle after the τ's are set: pulse start, then wait for refused
                m.d.sync += core.ctrl.start.eq(1)
                m.next = "RUN_WAIT"
            with m.State("RUN_WAIT"):
                with m.If(wait == 0):
                    with m.If(st.refused != 0):
                        error(P.ERR_REFUSED, st.refused)
                    with m.Else():
                        reply("OK")
                with m.Else():
                    m.d.sync += wait.eq(wait - 1)
            with m.State("RD_WAIT"):
                with m.If(wait == 0):
                    m.d.sync += [frame.eq(codes["PARAM"]), sel.eq(0), after_send.eq(1)]
                    m.next = "SEND"
                with m.Else():
                    m.d.sync += wait.eq(wait - 1)
            with m.State("SEND"):
                m.d.comb += utx.data.valid.eq(1)
                with m.If(utx.data.ready):
                    m.d.sync += sel.eq(sel + 1)
                    with m.If(last):
                        with m.If(after_send & (remaining != 0)):
                            with m.If(frame == codes["PARAM"]):  # a parameter sent: the next one
                                m.d.sync += [rd.index.eq(rd.index + 1), remaining.eq(remaining - 1)]
                                with m.If(remaining == 1):
                                    m.next = "IDLE"
                                with m.Else():
                                    m.d.sync += wait.eq(core.readback_latency + 1)
                                    m.next = "RD_WAIT"
                            with m.Else():  # the OK header of READ: the first parameter
                                m.d.sync += wait.eq(core.readback_latency + 1)
                                m.next = "RD_WAIT"
                        with m.Else():
                            m.next = "IDLE"
            if beats:
                with m.State("SEND_LOAD_ACK"):
                    m.d.comb += utx.data.valid.eq(1)
                    with m.If(utx.data.ready):
                        m.next = "LOAD_BYTES"
                with m.State("LOAD_BYTES"):
                    with m.If(urx.data.valid):
                        m.d.sync += [word.eq(Cat(word[8:], urx.data.payload)), wbyte.eq(wbyte + 1)]
                        with m.If(wbyte == lbytes - 1):
                            m.next = "LOAD_BEAT"
                with m.State("LOAD_BEAT"):  # the core takes the word; the next byte is >= 8 bit times away
                    m.d.comb += [core.load.payload.eq(word), core.load.valid.eq(1)]
                    with m.If(core.load.ready):
                        m.d.sync += [remaining.eq(remaining - 1), wbyte.eq(0)]
                        with m.If(remaining == 1):
                            reply("OK")
                        with m.Else():
                            m.next = "LOAD_BYTES"
        return m
