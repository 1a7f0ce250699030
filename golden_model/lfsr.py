"""LFSR perturbation sources: the software twin of ``rtl.lfsr``.

Ref: ``shared/design/MGD.md`` ("Multiplexing": code/CDMA perturbations are pseudo-random ±a signs, "an LFSR
bit" in hardware) and ``ARCHITECTURE.md`` ("LFSR perturbation generators").

Form
----
Every LFSR here is a **Galois** (internal-XOR), right-shifting register of ``width`` bits. One step::

    out   = state & 1
    state = (state >> 1) ^ (mask if out else 0)

where ``mask`` has bit ``t - 1`` set for every tap ``t`` of :data:`TAPS`. The all-zero state is a fixed point
and is never a valid seed. With a primitive feedback polynomial the register walks all ``2**width - 1``
non-zero states before it repeats (a maximal-length sequence, "m-sequence").

Taps
----
:data:`TAPS` is the maximal-length tap table of Xilinx application note XAPP052 (P. Alfke, "Efficient Shift
Registers, LFSR Counters, and Long Pseudo-Random Sequence Generators", 1996, table 3), widths 3 to 32. Those
taps name a primitive polynomial; the Galois realisation of the same polynomial is also maximal-length.
The tests run every width up to 24 through its whole period, and check widths up to 32 with the exact
order test of :func:`period_is_maximal`.

Sign convention
---------------
A lane's *sign bit* for the current step is bit 0 of its current state, ``b``. The perturbation sign is
``s = 1 - 2*b``: ``b = 0`` means ``+a``, ``b = 1`` means ``-a`` (the bit is the hardware's "subtract" flag).

Sign bank: keeping lanes apart
------------------------------
A bank of ``lanes`` perturbation lanes is one LFSR per lane, all with the same polynomial, each started at a
different phase of the one m-sequence: lane ``i`` starts at the state the base seed reaches after
``i * spacing`` steps, ``spacing = (2**width - 1) // lanes``. So

* every lane is the same m-sequence, and lane ``j`` is lane ``i`` delayed by ``(j - i) * spacing`` steps
  (mod the period); no two lanes are closer than ``spacing`` steps. A pipeline that misaligns a sign by
  ``d < spacing`` steps therefore never hands one parameter another lane's sign (the hazard of ``MGD.md``);
  :class:`SignBank` refuses a bank whose spacing is below :data:`MIN_SPACING`;
* the cross-correlation of an m-sequence with any non-zero shift of itself is ``-1/(2**width - 1)`` over a
  period, so over a window of ``T`` steps the ±1 lanes behave like independent fair coins: their pairwise
  correlation has standard deviation about ``1/sqrt(T)`` (see ``golden_model/tests/test_lfsr.py`` for the
  bound the tests apply).

The phases come from one base seed by a jump (a power of the GF(2) step matrix, :func:`jump`), which is
computed at generation time; the hardware only stores the lanes' reset states.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from golden_model.errors import MGDError

__all__ = [
    "TAPS",
    "MIN_SPACING",
    "LFSRError",
    "taps_mask",
    "step",
    "generate",
    "jump",
    "jump_matrix",
    "period_is_maximal",
    "lane_seeds",
    "SignBank",
]

# Xilinx XAPP052 table 3: taps (1-based bit positions) of maximal-length LFSRs.
TAPS: dict[int, tuple[int, ...]] = {
    3: (3, 2), 4: (4, 3), 5: (5, 3), 6: (6, 5), 7: (7, 6), 8: (8, 6, 5, 4), 9: (9, 5), 10: (10, 7),
    11: (11, 9), 12: (12, 6, 4, 1), 13: (13, 4, 3, 1), 14: (14, 5, 3, 1), 15: (15, 14), 16: (16, 15, 13, 4),
    17: (17, 14), 18: (18, 11), 19: (19, 6, 2, 1), 20: (20, 17), 21: (21, 19), 22: (22, 21), 23: (23, 18),
    24: (24, 23, 22, 17), 25: (25, 22), 26: (26, 6, 2, 1), 27: (27, 5, 2, 1), 28: (28, 25), 29: (29, 27),
    30: (30, 6, 4, 1), 31: (31, 28), 32: (32, 22, 2, 1),
}

# No two lanes of a bank may be closer than this many steps of the sequence: far beyond any pipeline delay.
MIN_SPACING = 64


class LFSRError(MGDError):
    """An LFSR or sign-bank parameter is out of range."""


def _check_width(width: object) -> int:
    if not isinstance(width, int) or isinstance(width, bool):
        raise LFSRError(f"LFSR width must be an integer from 3 to 32, not {width!r}")
    if width not in TAPS:
        raise LFSRError(f"LFSR width must be an integer from 3 to 32 (the tap table), not {width}")
    return width


def _check_seed(seed: object, width: int) -> int:
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 < seed < (1 << width):
        raise LFSRError(f"LFSR seed must be a non-zero integer below 2**{width}, not {seed!r}")
    return seed


def taps_mask(width: int, taps: tuple[int, ...] | None = None) -> int:
    """Feedback mask of the Galois LFSR: bit ``t-1`` set for every tap ``t``."""
    width = _check_width(width)
    taps = TAPS[width] if taps is None else taps
    if not taps or max(taps) != width or min(taps) < 1 or len(set(taps)) != len(taps):
        raise LFSRError(f"LFSR taps must be distinct positions from 1 to {width} including {width}, "
                        f"not {taps!r}")
    mask = 0
    for t in taps:
        mask |= 1 << (t - 1)
    return mask


def step(state: int, mask: int) -> int:
    """One Galois step: shift right, XOR the mask in when the bit shifted out is 1."""
    return (state >> 1) ^ (mask if state & 1 else 0)


def generate(width: int, seed: int, taps: tuple[int, ...] | None = None) -> Iterator[int]:
    """Yield the LFSR's states forever, starting with ``seed`` (the state after reset)."""
    mask = taps_mask(width, taps)
    state = _check_seed(seed, width)
    while True:
        yield state
        state = step(state, mask)


def _matrix(width: int, mask: int) -> list[int]:
    """The GF(2) step matrix as a list of columns: column ``k`` is the step of basis state ``1 << k``."""
    return [step(1 << k, mask) for k in range(width)]


def _apply(cols: list[int], state: int) -> int:
    out = 0
    k = 0
    while state:
        if state & 1:
            out ^= cols[k]
        state >>= 1
        k += 1
    return out


def _mul(a: list[int], b: list[int]) -> list[int]:
    """Matrix product ``a @ b`` (apply ``b`` first)."""
    return [_apply(a, col) for col in b]


def jump_matrix(width: int, n: int, taps: tuple[int, ...] | None = None) -> list[int]:
    """The GF(2) map of ``n >= 0`` steps as columns (column ``k``: the state ``n`` steps after ``1 << k``),
    by repeated squaring; apply it to a state with :func:`_apply`."""
    mask = taps_mask(width, taps)
    if n < 0:
        raise LFSRError(f"jump distance must be >= 0, not {n}")
    power, result = _matrix(width, mask), [1 << k for k in range(width)]
    while n:
        if n & 1:
            result = _mul(power, result)
        power = _mul(power, power)
        n >>= 1
    return result


def jump(width: int, state: int, n: int, taps: tuple[int, ...] | None = None) -> int:
    """The state reached from ``state`` after ``n >= 0`` steps (:func:`jump_matrix` applied to it)."""
    return _apply(jump_matrix(width, n, taps), state)


def _prime_factors(n: int) -> list[int]:
    out, p = [], 2
    while p * p <= n:
        if n % p == 0:
            out.append(p)
            while n % p == 0:
                n //= p
        p += 1
    if n > 1:
        out.append(n)
    return out


def period_is_maximal(width: int, taps: tuple[int, ...] | None = None) -> bool:
    """Exact order test: the step matrix has order ``2**width - 1`` (period maximal from every non-zero seed).

    ``M**P == I`` and ``M**(P/q) != I`` for every prime ``q`` dividing ``P = 2**width - 1``.
    """
    period = (1 << width) - 1
    seed = 1
    if jump(width, seed, period, taps) != seed:
        return False
    return all(jump(width, seed, period // q, taps) != seed for q in _prime_factors(period))


def lane_seeds(lanes: int, width: int, seed: int) -> list[int]:
    """Reset states of a bank's lanes: evenly spaced phases of one m-sequence (see module docstring)."""
    spacing = bank_spacing(lanes, width)
    _check_seed(seed, width)
    seeds = [seed]
    for _ in range(1, lanes):
        seeds.append(jump(width, seeds[-1], spacing))
    return seeds


def bank_spacing(lanes: int, width: int) -> int:
    """Steps of the m-sequence between neighbouring lanes; checks the bank is decorrelated enough."""
    if not isinstance(lanes, int) or isinstance(lanes, bool) or lanes < 1:
        raise LFSRError(f"sign bank lanes must be a positive integer, not {lanes!r}")
    width = _check_width(width)
    spacing = ((1 << width) - 1) // lanes
    if lanes > 1 and spacing < MIN_SPACING:
        need = next((w for w in TAPS if ((1 << w) - 1) // lanes >= MIN_SPACING), None)
        widest = max(TAPS)
        advice = (f"use width >= {need}" if need is not None else
                  f"at most {((1 << widest) - 1) // MIN_SPACING} lanes fit at the widest width, {widest}")
        raise LFSRError(
            f"sign bank width must leave at least {MIN_SPACING} steps between lanes; {lanes} lanes of width "
            f"{width} are only {spacing} apart ({advice})")
    return spacing


class SignBank:
    """``lanes`` perturbation-sign lanes; the twin of ``rtl.lfsr.SignBank``.

    Parameters
    ----------
    lanes : int
        Number of lanes (one per perturbation parameter).
    width : int
        LFSR width of every lane, 3 to 32.
    seed : int
        Base seed (lane 0's reset state), non-zero and below ``2**width``.

    Attributes
    ----------
    state : numpy.ndarray of int64, shape (lanes,)
        Current LFSR state of every lane.
    """

    def __init__(self, *, lanes: int, width: int = 16, seed: int = 1) -> None:
        self.lanes = lanes
        self.width = _check_width(width)
        self.mask = taps_mask(width)
        self.seeds = lane_seeds(lanes, width, seed)
        self.state = np.array(self.seeds, dtype=np.int64)

    def reset(self) -> None:
        self.state = np.array(self.seeds, dtype=np.int64)

    @property
    def bits(self) -> np.ndarray:
        """Sign bits of the current step (1 means negative), int64, shape (lanes,)."""
        return self.state & 1

    @property
    def signs(self) -> np.ndarray:
        """Signs of the current step as ±1, int64."""
        return 1 - 2 * self.bits

    def advance(self) -> None:
        """One step of every lane."""
        out = self.state & 1
        self.state = (self.state >> 1) ^ (out * self.mask)

    def bits_word(self) -> int:
        """Current sign bits packed as an integer, lane ``i`` at bit ``i`` (the RTL ``signs`` port)."""
        return int(sum(int(b) << i for i, b in enumerate(self.bits)))

    def run(self, steps: int) -> np.ndarray:
        """Sign bits of ``steps`` consecutive steps, shape (steps, lanes), uint8; the bank advances."""
        out = np.empty((steps, self.lanes), dtype=np.uint8)
        for n in range(steps):
            out[n] = self.bits
            self.advance()
        return out
