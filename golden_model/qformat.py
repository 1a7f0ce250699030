"""Fixed-point number formats (Q-formats) as value objects, and the integer narrowing primitives.

Ref: ``docs/fixed_point_spec.md`` ("Notation and formats").

A :class:`QFormat` describes numbers apart from the numbers, like ``hls4ml``'s ``fixed<16,4,TRN,SAT>``:
signedness, integer bits, fraction bits, the rounding used when bits are dropped and the overflow
behaviour when a value leaves the range. A value ``v`` is stored as the integer ``round(v * 2**frac_bits)``;
everything below works on those integers (Python ``int`` or NumPy ``int64`` arrays).

Primitives (every narrowing in the fixed-point model is built from these two):

``round_shift(v, s, rounding)``
    drop ``s`` fraction bits of a signed integer: ``floor`` (``v >> s``, arithmetic; hardware "TRN"),
    ``half_up`` (``(v + 2**(s-1)) >> s``, ties toward +inf; hardware "RND"), ``convergent`` (ties to even;
    "RND_CONV"). ``s <= 0`` is an exact left shift.
``fit(v, fmt)`` / :meth:`QFormat.fit`
    bring ``v`` into the format's integer range: ``saturate`` clamps to ``[min_int, max_int]``, ``wrap``
    keeps the low ``width`` bits (two's complement if signed, modulo ``2**width`` if unsigned).

Widths: NumPy paths are int64; callers keep every intermediate below 2**62 (the fixed-point model checks
its worst case up front, see ``golden_model.fixed_network.required_widths``). Python ``int`` inputs are exact
at any width.

The helpers are cross-checked against ``apytypes`` (``golden_model/tests/test_qformat.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from golden_model.errors import MGDError

__all__ = ["ROUNDINGS", "OVERFLOWS", "QFormatError", "QFormat", "split_qformat", "round_shift", "saturate",
           "wrap", "fit"]

ROUNDINGS = ("floor", "half_up", "convergent")
OVERFLOWS = ("saturate", "wrap")
_SHORT = {"floor": "TRN", "half_up": "RND", "convergent": "RND_CONV", "saturate": "SAT", "wrap": "WRAP"}
_QFMT = re.compile(r"^(U?)Q(\d+)\.(\d+)$")


def split_qformat(text: Any) -> tuple[bool, int, int] | None:
    """``"Q3.12"`` / ``"UQ1.7"`` (ARM notation) to ``(signed, int_bits, frac_bits)``; ``None`` if ``text``
    is not one. The one Q-format parser (:meth:`QFormat.parse` and the config's checks use it)."""
    m = _QFMT.match(text) if isinstance(text, str) else None
    return None if m is None else (m.group(1) == "", int(m.group(2)), int(m.group(3)))

IntOrArray = TypeVar("IntOrArray", int, np.ndarray)


class QFormatError(MGDError):
    """A Q-format, rounding or overflow mode is not allowed."""


def _check_mode(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise QFormatError(f"{name} must be one of {', '.join(repr(a) for a in allowed)}, not {value!r}")


def round_shift(v: IntOrArray, s: int, rounding: str) -> IntOrArray:
    """Drop ``s`` fraction bits of signed integer(s) ``v`` with ``rounding``; ``s <= 0`` shifts left, exact.

    Parameters
    ----------
    v : int or numpy.ndarray of int64
        Values to narrow.
    s : int
        Number of fraction bits dropped.
    rounding : {"floor", "half_up", "convergent"}
        ``floor`` rounds toward -inf (an arithmetic right shift), ``half_up`` to nearest with ties toward
        +inf, ``convergent`` to nearest with ties to even.

    Returns
    -------
    int or numpy.ndarray of int64
        ``round(v / 2**s)``; no overflow handling (the result is never wider than ``v``).
    """
    _check_mode("rounding", rounding, ROUNDINGS)
    if s <= 0:
        return v << (-s)
    if rounding == "floor":
        return v >> s
    half = 1 << (s - 1)
    if rounding == "half_up":
        return (v + half) >> s
    q = v >> s
    r = v & ((1 << s) - 1)
    if isinstance(q, np.ndarray):
        return q + ((r > half) | ((r == half) & ((q & 1) == 1))).astype(np.int64)
    return q + int(r > half or (r == half and q & 1 == 1))


def saturate(v: IntOrArray, lo: int, hi: int) -> IntOrArray:
    """Clamp to ``[lo, hi]``."""
    if isinstance(v, np.ndarray):
        return np.clip(v, lo, hi)
    return min(max(v, lo), hi)


def wrap(v: IntOrArray, width: int, signed: bool) -> IntOrArray:
    """Keep the low ``width`` bits: two's complement if ``signed``, else modulo ``2**width``."""
    if signed and width >= 64 and isinstance(v, np.ndarray):
        return v  # an int64 array is already 64-bit two's complement (its mask would not fit int64)
    m = (1 << width) - 1
    u = v & m
    if not signed:
        return u
    return u - ((u >> (width - 1)) << width)


def fit(v: IntOrArray, width: int, signed: bool, overflow: str) -> IntOrArray:
    """Bring ``v`` into a ``width``-bit integer range with ``overflow`` (``saturate`` or ``wrap``)."""
    _check_mode("overflow", overflow, OVERFLOWS)
    if overflow == "wrap":
        return wrap(v, width, signed)
    lo = -(1 << (width - 1)) if signed else 0
    hi = (1 << (width - 1)) - 1 if signed else (1 << width) - 1
    return saturate(v, lo, hi)


@dataclass(frozen=True)
class QFormat:
    """A fixed-point format: ``Q<int_bits>.<frac_bits>`` (signed) or ``UQ<int_bits>.<frac_bits>``.

    Parameters
    ----------
    signed : bool
        Two's complement with a sign bit (not counted in ``int_bits``, ARM notation) or unsigned.
    int_bits, frac_bits : int
        Integer and fraction bits; ``width = int_bits + frac_bits + signed``, 1 to 62 bits.
    rounding : {"floor", "half_up", "convergent"}
        Rounding of :meth:`narrow` and :meth:`from_real`.
    overflow : {"saturate", "wrap"}
        Overflow of :meth:`fit` and :meth:`narrow`.

    Examples
    --------
    >>> f = QFormat.parse("Q3.12", rounding="half_up")
    >>> str(f), f.width, f.min_int, f.max_int
    ('Q3.12', 16, -32768, 32767)
    >>> f.describe()
    'Q3.12 fixed<16,4,RND,SAT>'
    """

    signed: bool
    int_bits: int
    frac_bits: int
    rounding: str = "floor"
    overflow: str = "saturate"

    def __post_init__(self) -> None:
        for name in ("int_bits", "frac_bits"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise QFormatError(f"Q-format {name} must be a non-negative integer, not {v!r}")
        if not 1 <= self.width <= 62:
            raise QFormatError(f"Q-format width must be 1 to 62 bits in all, not {self.width} ({self})")
        _check_mode("rounding", self.rounding, ROUNDINGS)
        _check_mode("overflow", self.overflow, OVERFLOWS)

    @classmethod
    def parse(cls, text: str, *, rounding: str = "floor", overflow: str = "saturate",
              name: str = "Q-format") -> QFormat:
        """``"Q3.12"`` / ``"UQ1.7"`` (ARM notation) to a :class:`QFormat`."""
        parts = split_qformat(text)
        if parts is None:
            raise QFormatError(f'{name} must be a Q-format such as "Q3.12" or "UQ1.7", not {text!r}')
        return cls(*parts, rounding, overflow)

    @property
    def width(self) -> int:
        return self.int_bits + self.frac_bits + int(self.signed)

    @property
    def min_int(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def max_int(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    @property
    def lsb(self) -> float:
        """Real value of one LSB, ``2**-frac_bits``."""
        return 2.0 ** -self.frac_bits

    def __str__(self) -> str:
        return f"{'' if self.signed else 'U'}Q{self.int_bits}.{self.frac_bits}"

    def describe(self) -> str:
        """``"Q3.12 fixed<16,4,TRN,SAT>"``: the ARM name, then width, integer bits incl. sign, modes."""
        kind = "fixed" if self.signed else "ufixed"
        return (f"{self} {kind}<{self.width},{self.int_bits + int(self.signed)},"
                f"{_SHORT[self.rounding]},{_SHORT[self.overflow]}>")

    def with_modes(self, rounding: str | None = None, overflow: str | None = None) -> QFormat:
        return QFormat(self.signed, self.int_bits, self.frac_bits, rounding or self.rounding,
                       overflow or self.overflow)

    def contains(self, v: int | np.ndarray) -> bool:
        """True if every value of ``v`` is representable without overflow."""
        return bool(np.all((np.asarray(v) >= self.min_int) & (np.asarray(v) <= self.max_int)))

    def fit(self, v: IntOrArray) -> IntOrArray:
        """Overflow handling only (this format's ``overflow``)."""
        return fit(v, self.width, self.signed, self.overflow)

    def narrow(self, v: IntOrArray, from_frac_bits: int) -> IntOrArray:
        """Integer(s) with ``from_frac_bits`` fraction bits into this format: ``fit(round_shift(v, Δf))``
        with this format's rounding and overflow."""
        return self.fit(round_shift(v, from_frac_bits - self.frac_bits, self.rounding))

    def from_real(self, x: float | np.ndarray) -> np.ndarray:
        """Quantise real value(s) with this format's rounding and overflow (exact for |x·2^f| < 2^52)."""
        scaled = np.asarray(x, dtype=np.float64) * float(1 << self.frac_bits)
        if self.rounding == "floor":
            q = np.floor(scaled)
        elif self.rounding == "half_up":
            q = np.floor(scaled + 0.5)
        else:
            q = np.round(scaled)  # NumPy rounds half to even
        hi = float(1 << 62)
        return self.fit(np.clip(q, -hi, hi).astype(np.int64))

    def to_real(self, v: int | np.ndarray) -> np.ndarray:
        return np.asarray(v, dtype=np.float64) * self.lsb
