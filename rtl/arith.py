"""Fixed-point narrowing as Amaranth expressions: the hardware of ``golden_model.qformat``.

Ref: ``docs/fixed_point_spec.md`` ("Notation and formats"): ``round_R(v, s)`` and ``sat_O(v, fmt)``.

Every narrowing in the RTL is built from these two helpers, exactly as every narrowing in the fixed-point
golden model is built from :func:`golden_model.qformat.round_shift` and :func:`golden_model.qformat.fit`.
They are pure combinational expression builders (no registers), checked against their twins for every
input of small widths in ``testbench/sim/test_arith.py``.
"""

from __future__ import annotations

from amaranth import Cat, Const, Mux, Value

from golden_model.qformat import OVERFLOWS, ROUNDINGS

__all__ = ["round_shift", "fit", "overflows", "signed_range", "tree_sum"]



def signed_range(width: int, signed: bool) -> tuple[int, int]:
    """``(min, max)`` of a ``width``-bit integer."""
    if signed:
        return -(1 << (width - 1)), (1 << (width - 1)) - 1
    return 0, (1 << width) - 1


def round_shift(v: Value, s: int, rounding: str) -> Value:
    """Drop ``s`` fraction bits of ``v`` with ``rounding`` (``s <= 0``: exact left shift).

    The twin of :func:`golden_model.qformat.round_shift`: ``floor`` is an arithmetic right shift,
    ``half_up`` adds half an LSB first, ``convergent`` rounds ties to even. The result is signed if ``v`` is
    and wide enough for every result (no overflow).
    """
    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {ROUNDINGS!r}, not {rounding!r}")
    v = Value.cast(v)
    if s <= 0:
        return v << (-s)
    v = _extend(v, s + 2)  # keep a sign/quotient bit whatever the shift
    if rounding == "floor":
        return v >> s
    if rounding == "half_up":
        return (v + (1 << (s - 1))) >> s
    q = v >> s
    r = v.as_unsigned()[:s]
    half = 1 << (s - 1)
    return q + ((r > half) | ((r == half) & q.as_unsigned()[0]))


def _extend(v: Value, width: int) -> Value:
    """``v`` sign- or zero-extended to at least ``width`` bits, keeping its signedness."""
    if len(v) >= width:
        return v
    signed = v.shape().signed
    fill = v[-1].replicate(width - len(v)) if signed and len(v) else Const(0, width - len(v))
    out = Cat(v, fill)
    return out.as_signed() if signed else out


def fit(v: Value, width: int, signed: bool, overflow: str) -> Value:
    """Bring ``v`` into a ``width``-bit range: ``saturate`` clamps, ``wrap`` keeps the low bits.

    The twin of :func:`golden_model.qformat.fit`. Returns a ``width``-bit value of the given signedness.
    """
    if overflow not in OVERFLOWS:
        raise ValueError(f"overflow must be one of {OVERFLOWS!r}, not {overflow!r}")
    v = Value.cast(v)
    low = _extend(v, width).as_unsigned()[:width]
    if overflow == "saturate":
        lo, hi = signed_range(width, signed)
        mask = (1 << width) - 1
        low = Mux(v > hi, Const(hi & mask, width), Mux(v < lo, Const(lo & mask, width), low))
    return low.as_signed() if signed else low.as_unsigned()


def overflows(v: Value, width: int, signed: bool) -> Value:
    """1 when ``v`` lies outside the ``width``-bit range (a saturation or wrap event)."""
    v = Value.cast(v)
    lo, hi = signed_range(width, signed)
    return (v > hi) | (v < lo)


def tree_sum(terms: list) -> Value:
    """Sum of ``terms`` as a balanced adder tree (⌈log2 n⌉ adders deep, not n); exact, since Amaranth widens
    every addition."""
    if not terms:
        return Const(0)
    while len(terms) > 1:
        terms = [terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i] for i in range(0, len(terms), 2)]
    return Value.cast(terms[0])
