"""The co-simulation top: a verification core (``verify=True``) and a check driver that runs it update by
update inside the simulator, folding every update's state into a check chain.

Ref: :mod:`rtl.contract` (the host protocol the driver follows); :func:`golden_model.digest.chain`.

Why: a bench that starts the core and reads its state back after every update pays several Python round trips
through the simulator's interface per update (≈ 90 µs at XOR size, where an update is 7 clocks), so it ran
the simulator at a tenth of its speed. The driver does the host's part in hardware: it starts ``runs``
runs of ``n_steps`` steps each, one after the other, exactly as the bench would (host protocol steps 2-3: a
``start`` pulse, then wait for ``status.busy`` to fall), and in the first cycle after each run, when every
status member and digest describes the state after it, folds :data:`CHAIN_FIELDS` into ``check.chain``. The
bench compares the chain with the golden model's once per command, so every update is still compared,
and reads registers back only at intervals (and replays per update on a difference, to name the parameter).

Ports: every port of the core under its own name, and ``check`` (:class:`CheckSignature`):

- ``go`` (in, pulse while ``active`` is low): start a command of ``runs`` runs of ``n_steps`` steps
  (``ctrl.n_steps`` is ignored while ``active``; ``ctrl.start`` from the host still reaches the core, so
  the host must not pulse it during a command); ``runs = 0`` does nothing.
- ``active`` (out): a command is in progress (from the clock after ``go``).
- ``chain`` (out, 32 bits): :func:`~golden_model.digest.chain` of the command's runs so far, from
  :data:`~golden_model.digest.CHAIN_INIT` at ``go``.
- ``runs_done`` (out): runs completed by the command; fewer than ``runs`` when the core refused a start
  (``status.refused`` says why), which ends the command.

Timing: a run costs its busy cycles (``status.cycles``) plus two idle cycles (the start pulse, the chain
update); neither changes the core's cycle count.
"""

from __future__ import annotations

from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_model.digest import CHAIN_INIT, CHAIN_PRIME, DIGEST_BITS
from rtl.contract import STEP_BITS, MGDCoreBase

__all__ = ["CHAIN_FIELDS", "CheckSignature", "SimTop", "chain_fields"]

#: The words folded into the check chain after each run, in order: (port member path, model name). The
#: momentum digest only where the core has M (``fixed.momentum_shift > 0``): :func:`chain_fields`.
CHAIN_FIELDS = ((("digest", "theta"), "theta"), (("digest", "grad"), "G"), (("digest", "momentum"), "M"),
                (("status", "step"), "step"), (("status", "last_cost"), "C"), (("status", "c0"), "C0"),
                (("status", "sample"), "sample"), (("status", "sat_events"), "sat_events"))


def chain_fields(momentum: bool) -> tuple[tuple[tuple[str, str], str], ...]:
    """:data:`CHAIN_FIELDS` of a core with (``momentum``) or without an M register file."""
    return tuple(f for f in CHAIN_FIELDS if momentum or f[1] != "M")


class CheckSignature(wiring.Signature):
    """The check driver's port, seen from the top (the bench drives ``go``, ``runs`` and ``n_steps``)."""

    def __init__(self) -> None:
        super().__init__({"go": In(1), "runs": In(STEP_BITS), "n_steps": In(STEP_BITS), "active": Out(1),
                          "chain": Out(DIGEST_BITS), "runs_done": Out(STEP_BITS)})


class SimTop(wiring.Component):
    """``core`` (built with ``verify=True``) and its check driver (module docstring).

    Parameters
    ----------
    core : MGDCoreBase
        The verification core; its ports become this top's ports, under the same names.
    """

    def __init__(self, core: MGDCoreBase) -> None:
        if not core.verify:
            raise ValueError("SimTop needs a core built with verify=True (the chain folds its digests)")
        self._core = core
        self._fields = chain_fields(bool(core.spec.k_m))
        super().__init__({**dict(core.signature.members), "check": Out(CheckSignature())})

    def elaborate(self, platform: object) -> Module:
        m = Module()
        m.submodules.core = core = self._core
        for name, member in core.signature.members.items():
            if name == "ctrl":
                continue
            if member.is_signature:
                wiring.connect(m, wiring.flipped(getattr(self, name)), getattr(core, name))
            elif member.flow == wiring.In:  # a plain port (e.g. the streamed store's load_restart, loaded)
                m.d.comb += getattr(core, name).eq(getattr(self, name))
            else:
                m.d.comb += getattr(self, name).eq(getattr(core, name))
        chk, busy = self.check, core.status.busy
        idle, start, wait = 0, 1, 2
        state = Signal(range(3))
        first = Signal()  # the cycle right after a start pulse: busy is high unless the start was refused
        drive = Signal()
        for field in ("stop", "tau_x", "tau_p", "tau_theta"):
            m.d.comb += getattr(core.ctrl, field).eq(getattr(self.ctrl, field))
        m.d.comb += [core.ctrl.start.eq(self.ctrl.start | drive),
                     core.ctrl.n_steps.eq(Mux(state != idle, chk.n_steps, self.ctrl.n_steps)),
                     chk.active.eq(state != idle)]
        h = chk.chain
        for (port, member), _ in self._fields:  # FNV-1a over the run's words, mod 2**32
            word = getattr(getattr(core, port), member)
            h = ((h ^ word.as_unsigned()[:DIGEST_BITS]) * CHAIN_PRIME)[:DIGEST_BITS]
        with m.Switch(state):
            with m.Case(idle):
                with m.If(chk.go & (chk.runs != 0)):
                    m.d.sync += [chk.chain.eq(CHAIN_INIT), chk.runs_done.eq(0), state.eq(start)]
            with m.Case(start):
                m.d.comb += drive.eq(1)
                m.d.sync += [state.eq(wait), first.eq(1)]
            with m.Case(wait):
                m.d.sync += first.eq(0)
                with m.If(~busy):
                    with m.If(first):  # refused: status.refused holds the reason; the command ends
                        m.d.sync += state.eq(idle)
                    with m.Else():  # the first cycle after the run: every status member and digest is final
                        m.d.sync += [chk.chain.eq(h), chk.runs_done.eq(chk.runs_done + 1),
                                     state.eq(Mux(chk.runs_done + 1 == chk.runs, idle, start))]
        return m
