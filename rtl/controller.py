"""The MGD sequencer: which pass to issue each clock, by τ_x, τ_p, τ_θ.

Ref: ``docs/fixed_point_spec.md`` ("One step n", steps 1, 2, 3 and 6; "Initial parameters and data":
sample order); ``shared/design/MGD.md`` ("One time step").
"""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import Out

from rtl._validate import rejecting
from rtl.contract import STEP_BITS, TAU_BITS, ControlSignature, index_bits

__all__ = ["Controller"]


def _check_pos_int(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"Controller {name} must be a positive integer, not {value!r}")
    return value


class Controller(wiring.Component):
    """Issues one pass per clock into a pipeline of fixed latency and sequences the MGD steps.

    Step ``n`` is one perturbed pass, preceded by a baseline pass on the same sample when ``n % τ_x == 0``,
    ``n == 0`` or θ was updated at the end of step ``n − 1``. After issuing the perturbed pass of step ``n``
    it asks the sign bank to advance when ``(n + 1) % τ_p == 0`` (so the bank shows step ``n + 1``'s
    signs, spec step 1), moves to the next sample when ``(n + 1) % τ_x == 0``, and marks the pass ``last``
    when ``(n + 1) % τ_θ == 0``: the trainer updates θ when that pass's cost returns, so the controller
    issues nothing for ``latency`` cycles after a ``last`` pass (the pipeline drains and θ settles). So with
    τ_x = τ_θ = T, T steps take exactly ``T + 1 + latency`` cycles.

    The τ's are run-time registers, loaded from the ``tau_*`` inputs on ``start``; keep them unchanged
    between runs of one training (the step counters ``n % τ`` carry over). ``start`` runs ``n_steps``
    more steps; ``stop`` ends the run after the step in progress (a baseline already issued is kept: the
    baseline register holds it). Counters are modulo counters, no division.

    Parameters
    ----------
    n_samples : int
        Training samples (the sample index wraps at this).
    latency : int
        Cycles from issuing a pass to the clock edge at which its cost is consumed (>= 1).

    Attributes
    ----------
    ctrl : Out(:class:`rtl.contract.ControlSignature`)
        ``start``/``stop`` pulses (run ``n_steps`` more steps / stop after the current step) and the τ's,
        loaded into the τ registers on ``start`` (each >= 1).
    issue_valid, issue_baseline, issue_last : Out(1)
        A pass is issued this cycle; it is a baseline pass; it is the last step before an update.
    sample : Out(index)
        The sample of the issued pass, ``(n // τ_x) % n_samples``.
    advance : Out(1)
        Pulse to the sign bank (takes effect the next cycle).
    step : Out(32)
        Steps issued so far (``n``).
    busy : Out(1)
        Steps remain to be issued or a pass is still in flight.

    Latency: the issue outputs are combinational from registers; one pass per clock at most.
    """

    def __init__(self, *, n_samples: int, latency: int) -> None:
        with rejecting(self):
            self._n_samples = _check_pos_int("n_samples", n_samples)
            self._latency = _check_pos_int("latency", latency)
        super().__init__({
            "ctrl": Out(ControlSignature()),
            "issue_valid": Out(1), "issue_baseline": Out(1), "issue_last": Out(1),
            "sample": Out(self.sample_bits), "advance": Out(1), "step": Out(STEP_BITS), "busy": Out(1),
        })

    @property
    def n_samples(self) -> int:
        return self._n_samples

    @property
    def latency(self) -> int:
        return self._latency

    @property
    def sample_bits(self) -> int:
        return index_bits(self._n_samples)

    def elaborate(self, platform: object) -> Module:
        m = Module()
        n = Signal(STEP_BITS)
        limit = Signal(STEP_BITS)
        taus = {k: Signal(TAU_BITS, init=1, name=f"{k}_reg") for k in ("tau_x", "tau_p", "tau_theta")}
        cnt = {k: Signal(TAU_BITS, name=f"cnt_{k}") for k in taus}
        sample = Signal(self.sample_bits)
        need_base = Signal(init=1)
        after_last = Signal()
        drain = Signal(range(self._latency + 1))

        with m.If(self.ctrl.start):
            m.d.sync += limit.eq(n + self.ctrl.n_steps)
            for k, reg in taus.items():
                m.d.sync += reg.eq(getattr(self.ctrl, k))
        with m.If(self.ctrl.stop):
            m.d.sync += limit.eq(n)

        can = (n != limit) & ~(after_last & (drain != 0))
        wrap = {k: cnt[k] + 1 >= taus[k] for k in taus}
        last = wrap["tau_theta"]
        m.d.comb += [self.issue_valid.eq(can), self.issue_baseline.eq(can & need_base),
                     self.issue_last.eq(can & ~need_base & last), self.sample.eq(sample), self.step.eq(n),
                     self.busy.eq((n != limit) | (drain != 0))]
        with m.If(can):
            m.d.sync += drain.eq(self._latency)
        with m.Elif(drain != 0):
            m.d.sync += drain.eq(drain - 1)
        with m.If(can & need_base):
            m.d.sync += [need_base.eq(0), after_last.eq(0)]
        with m.If(can & ~need_base):
            m.d.sync += [n.eq(n + 1), need_base.eq(wrap["tau_x"] | last), after_last.eq(last)]
            for k in taus:
                m.d.sync += cnt[k].eq(cnt[k] + 1)
                with m.If(wrap[k]):
                    m.d.sync += cnt[k].eq(0)
            m.d.comb += self.advance.eq(wrap["tau_p"])
            with m.If(wrap["tau_x"]):
                m.d.sync += sample.eq(sample + 1)
                with m.If(sample == self._n_samples - 1):
                    m.d.sync += sample.eq(0)
        return m
