"""LFSR perturbation-sign generators.

Ref: ``golden_model/lfsr.py`` (the software twin and the lane scheme), ``shared/design/MGD.md``
("Multiplexing": code perturbations are an LFSR bit).

Both components implement the golden model's Galois, right-shifting LFSR with the XAPP052 taps and reset to
their seed states; the tests check every state against :func:`golden_model.lfsr.generate`.
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_model import lfsr as twin
from rtl._validate import rejecting

__all__ = ["LFSR", "SignBank"]


def _galois_next(state: Signal, mask: int) -> object:
    """Next state of a Galois LFSR: ``(state >> 1) ^ (mask if state[0] else 0)``."""
    width = len(state)
    shifted = Cat(state[1:], Const(0, 1))
    return shifted ^ (Const(mask, width) & state[0].replicate(width))


class LFSR(wiring.Component):
    """One maximal-length Galois LFSR.

    Parameters
    ----------
    width : int
        Register width, 3 to 32 (:data:`golden_model.lfsr.TAPS`).
    seed : int
        Reset state, non-zero and below ``2**width``.

    Attributes
    ----------
    advance : In(1)
        When high at a clock edge the register takes one step.
    state : Out(width)
        Current state (the twin's ``generate`` yields the same sequence, reset state first).
    bit : Out(1)
        ``state[0]``, the sign bit of the current step (1 means a negative perturbation).

    Latency: ``state`` changes one clock after ``advance`` is sampled high; no combinational path from
    ``advance`` to the outputs.
    """

    def __init__(self, *, width: int, seed: int) -> None:
        with rejecting(self):
            self._mask = twin.taps_mask(width)
            twin.lane_seeds(1, width, seed)  # validates the seed with the twin's message
        self._width = width
        self._seed = seed
        super().__init__({"advance": In(1), "state": Out(width), "bit": Out(1)})

    @property
    def width(self) -> int:
        return self._width

    @property
    def seed(self) -> int:
        return self._seed

    def elaborate(self, platform: object) -> Module:
        m = Module()
        reg = Signal(self._width, init=self._seed)
        with m.If(self.advance):
            m.d.sync += reg.eq(_galois_next(reg, self._mask))
        m.d.comb += [self.state.eq(reg), self.bit.eq(reg[0])]
        return m


class SignBank(wiring.Component):
    """``lanes`` perturbation-sign lanes, one LFSR each, at evenly spaced phases of one m-sequence.

    The lane scheme (seeds from one base seed, minimum spacing between lanes) is the golden model's
    :class:`golden_model.lfsr.SignBank`; this is its hardware.

    Parameters
    ----------
    lanes : int
        Number of lanes, >= 1.
    width : int
        LFSR width of every lane, 3 to 32; must leave at least
        :data:`golden_model.lfsr.MIN_SPACING` steps between lanes.
    seed : int
        Base seed (lane 0's reset state), non-zero and below ``2**width``.

    Attributes
    ----------
    advance : In(1)
        When high at a clock edge every lane takes one step.
    signs : Out(lanes)
        Bit ``i`` is lane ``i``'s sign bit of the current step (1 means ``-a``, 0 means ``+a``).

    Latency: ``signs`` changes one clock after ``advance`` is sampled high. Cost: ``lanes * width`` flip-flops
    and at most ``len(taps) - 1`` XOR gates per lane.
    """

    def __init__(self, *, lanes: int, width: int = 16, seed: int = 1) -> None:
        with rejecting(self):
            self._model = twin.SignBank(lanes=lanes, width=width, seed=seed)
        self._lanes = lanes
        self._width = width
        self._seed = seed
        super().__init__({"advance": In(1), "signs": Out(lanes)})

    @property
    def lanes(self) -> int:
        return self._lanes

    @property
    def width(self) -> int:
        return self._width

    @property
    def seeds(self) -> list[int]:
        """Reset state of every lane."""
        return list(self._model.seeds)

    def elaborate(self, platform: object) -> Module:
        m = Module()
        bits = []
        for i, seed in enumerate(self._model.seeds):
            lane = LFSR(width=self._width, seed=seed)
            m.submodules[f"lane{i}"] = lane
            m.d.comb += lane.advance.eq(self.advance)
            bits.append(lane.bit)
        m.d.comb += self.signs.eq(Cat(*bits))
        return m
