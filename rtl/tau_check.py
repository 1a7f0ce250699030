"""The τ check of the host protocol: a ``start`` whose τ's the core cannot run as the spec says is refused.

Ref: :mod:`rtl.contract` (host protocol, step 1; ``status.refused``); ``docs/fixed_point_spec.md`` ("One step
n", step 5: G's width is proven for τ_θ steps).

Every style puts a :class:`TauCheck` between the host's ``ctrl`` and its sequencer, so the rule is written
once: the sequencer sees a ``start`` only when the τ's are runnable.
"""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from rtl._validate import rejecting
from rtl.contract import (
    REFUSED_BITS,
    REFUSED_TAU_CHANGED,
    REFUSED_TAU_THETA,
    REFUSED_ZERO_TAU,
    STEP_BITS,
    TAU_BITS,
    ControlSignature,
)

__all__ = ["TauCheck"]

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

    Parameters
    ----------
    tau_theta_max : int
        The largest τ_θ accepted (:func:`rtl.contract.tau_theta_max` of the core's spec).

    Attributes
    ----------
    host : Out(ControlSignature)
        The host's ``ctrl`` (inputs of this block).
    ctrl : In(ControlSignature)
        What the sequencer sees (outputs of this block): ``start`` only when accepted.
    busy : In(1)
        The sequencer's ``busy``.
    step : In(32)
        Steps the sequencer has run (the core is at its reset state while ``step == 0`` and not busy).
    refused : Out(REFUSED_BITS)
        Why the last ``start`` was refused; 0 after reset and after an accepted ``start``.

    Latency: ``ctrl`` is combinational from ``host``; ``refused`` one edge after the ``start``.
    """

    def __init__(self, *, tau_theta_max: int) -> None:
        with rejecting(self):
            top = (1 << TAU_BITS) - 1
            if (not isinstance(tau_theta_max, int) or isinstance(tau_theta_max, bool)
                    or not 1 <= tau_theta_max <= top):
                raise ValueError(f"TauCheck tau_theta_max must be an integer from 1 to {top}, "
                                 f"not {tau_theta_max!r}")
            self._tau_theta_max = tau_theta_max
        super().__init__({"host": Out(ControlSignature()), "ctrl": In(ControlSignature()),
                          "busy": In(1), "step": In(STEP_BITS), "refused": Out(REFUSED_BITS)})

    @property
    def tau_theta_max(self) -> int:
        return self._tau_theta_max

    def elaborate(self, platform: object) -> Module:
        m = Module()
        host = self.host
        loaded = {k: Signal(TAU_BITS, name=f"accepted_{k}") for k in _TAUS}  # τ's of the last accepted start
        fresh = ~self.busy & (self.step == 0)
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
        for name in ControlSignature().members:
            m.d.comb += getattr(self.ctrl, name).eq(accept if name == "start" else getattr(host, name))
        reg = Signal(REFUSED_BITS)
        with m.If(host.start):
            m.d.sync += reg.eq(why)
        with m.If(accept):
            m.d.sync += [loaded[k].eq(getattr(host, k)) for k in _TAUS]
        m.d.comb += self.refused.eq(reg)
        return m
