"""The τ check of the host protocol: a ``start`` whose τ's the core cannot run as the spec says is refused.

Ref: :mod:`rtl.contract` (host protocol, step 1; ``status.refused``); ``docs/fixed_point_spec.md`` ("One step
n", step 5: G's width is proven for τ_θ steps).

Every style puts a :class:`TauCheck` between the host's ``ctrl`` and its sequencer, so the rule is written
once: the sequencer sees a ``start`` only when the τ's are runnable.
"""

from __future__ import annotations

from amaranth import Const, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from rtl._validate import rejecting
from rtl.contract import (
    REFUSED_BITS,
    REFUSED_TAU_CHANGED,
    REFUSED_TAU_THETA,
    REFUSED_ZERO_TAU,
    TAU_BITS,
    ControlSignature,
)

__all__ = ["TauCheck", "REGISTERED_LATENCY"]

#: clocks from the host's ``ctrl`` to the sequencer's with ``TauCheck(registered=True)``
REGISTERED_LATENCY = 1

_TAUS = ("tau_x", "tau_p", "tau_theta")


class TauCheck(wiring.Component):
    """Passes the host's ``ctrl`` to a sequencer, refusing a ``start`` whose τ's are not runnable.

    A ``start`` is refused (not passed on; ``refused`` says why, bits of :mod:`rtl.contract` or-ed) when a
    τ is 0 (:data:`~rtl.contract.REFUSED_ZERO_TAU`), τ_θ is above ``tau_theta_max``
    (:data:`~rtl.contract.REFUSED_TAU_THETA`), or the τ's differ from those of the last accepted ``start``
    while the core is not at its reset state (a step has run or a run is in progress:
    :data:`~rtl.contract.REFUSED_TAU_CHANGED`). ``refused`` is registered: it changes on the edge that
    samples a ``start`` (set by a refused one, cleared by an accepted one) and holds otherwise. Every other
    member of ``ctrl`` passes through unchanged.

    With ``registered`` the check is a pipeline stage: ``ctrl`` is the host's ``ctrl`` one clock later
    (``start`` = the accept of one clock before, ``stop`` and ``n_steps`` registered; the τ's are the
    accepted ones, which is what the host's were in the clock of that start), so the τ comparisons end at
    flip-flops of this block instead of running on into the sequencer's step counter (the host path was
    the folded core's critical path: 12.3 ns on an ECP5-25k; 36 flip-flops). The protocol stays the same:
    ``pending`` is high from the clock after an accepted ``start`` of ``n_steps > 0`` into the sequencer's
    ``busy``, and the core ors it into ``status.busy`` (and counts it in ``status.cycles``: one cycle more
    a run, the core's :meth:`~rtl.contract.MGDCoreBase.cycles` says so); the freshness check sees that
    clock as busy, so a second ``start`` is judged as if the first had already reached the sequencer.

    Parameters
    ----------
    tau_theta_max : int
        The largest τ_θ accepted (:func:`rtl.contract.tau_theta_max` of the core's spec).
    registered : bool
        Register ``ctrl`` (latency 1, :attr:`latency`); default ``False``: ``ctrl`` is combinational.

    Attributes
    ----------
    host : Out(ControlSignature)
        The host's ``ctrl`` (inputs of this block).
    ctrl : In(ControlSignature)
        What the sequencer sees (outputs of this block): ``start`` only when accepted.
    busy : In(1)
        The sequencer's ``busy``.
    stepped : In(1)
        The sequencer has completed a step since reset (the core is at its reset state while this is low
        and it is not busy).
    refused : Out(REFUSED_BITS)
        Why the last ``start`` was refused; 0 after reset and after an accepted ``start``.
    pending : Out(1)
        ``registered`` only (0 otherwise): an accepted ``start`` of ``n_steps > 0``, without a ``stop`` in
        the same clock, is in the ``ctrl`` register (the sequencer is not busy with it yet), and the clock
        after (the sequencer's first busy one: the two overlap there, so their or has no glitch).

    Latency: ``ctrl`` is combinational from ``host`` (``registered``: one clock); ``refused`` one edge
    after the ``start`` either way.
    """

    def __init__(self, *, tau_theta_max: int, registered: bool = False) -> None:
        with rejecting(self):
            top = (1 << TAU_BITS) - 1
            if (not isinstance(tau_theta_max, int) or isinstance(tau_theta_max, bool)
                    or not 1 <= tau_theta_max <= top):
                raise ValueError(f"TauCheck tau_theta_max must be an integer from 1 to {top}, "
                                 f"not {tau_theta_max!r}")
            self._tau_theta_max = tau_theta_max
            if not isinstance(registered, bool):
                raise ValueError(f"TauCheck registered must be True or False, not {registered!r}")
            self._registered = registered
        super().__init__({"host": Out(ControlSignature()), "ctrl": In(ControlSignature()),
                          "busy": In(1), "stepped": In(1), "refused": Out(REFUSED_BITS),
                          "pending": Out(1)})

    @property
    def tau_theta_max(self) -> int:
        return self._tau_theta_max

    @property
    def latency(self) -> int:
        """Clocks from the host's ``ctrl`` to the sequencer's (0, or 1 when ``registered``)."""
        return REGISTERED_LATENCY if self._registered else 0

    def elaborate(self, platform: object) -> Module:
        m = Module()
        host = self.host
        # τ's of the last accepted start; τ_θ in the bits of tau_theta_max (an accepted one is at most that:
        # the presets' cores run τ_θ = 1, 20 flip-flops fewer, which the digits core on the UP5K needs)
        loaded = {k: Signal(TAU_BITS if k != "tau_theta" else range(self._tau_theta_max + 1),
                            name=f"accepted_{k}") for k in _TAUS}
        pending = Signal() if self._registered else Const(0)
        fresh = ~self.busy & ~pending & ~self.stepped
        zero = Signal()
        over = Signal()
        changed = Signal()
        m.d.comb += [zero.eq((host.tau_x == 0) | (host.tau_p == 0) | (host.tau_theta == 0)),
                     over.eq(host.tau_theta > self._tau_theta_max),
                     changed.eq(~fresh & ((host.tau_x != loaded["tau_x"]) | (host.tau_p != loaded["tau_p"])
                                          | (host.tau_theta != loaded["tau_theta"])))]
        why = Signal(REFUSED_BITS)
        m.d.comb += why.eq(zero * REFUSED_ZERO_TAU | over * REFUSED_TAU_THETA | changed * REFUSED_TAU_CHANGED)
        accept = host.start & (why == 0)
        reg = Signal(REFUSED_BITS)
        with m.If(host.start):
            m.d.sync += reg.eq(why)
        with m.If(accept):
            m.d.sync += [loaded[k].eq(getattr(host, k)) for k in _TAUS]
        m.d.comb += self.refused.eq(reg)
        if not self._registered:
            for name in ControlSignature().members:
                m.d.comb += getattr(self.ctrl, name).eq(accept if name == "start" else getattr(host, name))
            return m
        # one clock later: start, stop and n_steps registered; the τ's are the accepted ones, which change
        # only in the clock of an accepted start, one before the sequencer sees that start
        start, stop, n_steps = Signal(), Signal(), Signal.like(host.n_steps, name="n_steps_r")
        m.d.sync += [start.eq(accept), stop.eq(host.stop), n_steps.eq(host.n_steps),
                     pending.eq(accept & (host.n_steps != 0) & ~host.stop)]  # a stop with it: no run
        # held one clock more, into the sequencer's first busy clock: ``busy | pending`` never has an edge at
        # which one term falls as the other rises (an event-driven simulator may show it a zero-width low)
        held = Signal()
        m.d.sync += held.eq(pending)
        m.d.comb += [self.ctrl.start.eq(start), self.ctrl.stop.eq(stop), self.ctrl.n_steps.eq(n_steps),
                     *[getattr(self.ctrl, k).eq(loaded[k]) for k in _TAUS], self.pending.eq(pending | held)]
        return m
