"""QFormat and the narrowing primitives, cross-checked against apytypes and exact Python fractions."""

from __future__ import annotations

import math
from fractions import Fraction

import apytypes as apy
import numpy as np
import pytest

from golden_model.errors import MGDError
from golden_model.qformat import QFormat, QFormatError, fit, round_shift

APY_Q = {"floor": apy.QuantizationMode.TO_NEG, "half_up": apy.QuantizationMode.TIES_POS,
         "convergent": apy.QuantizationMode.TIES_EVEN}
APY_O = {"saturate": apy.OverflowMode.SAT, "wrap": apy.OverflowMode.WRAP}


def _apy_narrow(v: np.ndarray, src_int: int, src_frac: int, dst_int: int, dst_frac: int,
                rounding: str, overflow: str) -> np.ndarray:
    """apytypes' answer: signed source (src_int + src_frac bits incl. sign), cast to the destination.

    apytypes' ``int_bits`` include the sign bit.
    """
    bits = src_int + src_frac
    raw = [int(x) & ((1 << bits) - 1) for x in v]
    arr = apy.APyFixedArray(raw, int_bits=src_int, frac_bits=src_frac)
    out = arr.cast(int_bits=dst_int, frac_bits=dst_frac, quantization=APY_Q[rounding],
                   overflow=APY_O[overflow])
    w = dst_int + dst_frac
    u = np.array([int(b) for b in out.to_bits()], dtype=np.int64)
    return u - ((u >> (w - 1)) << w)


def _exact_round(v: int, s: int, rounding: str) -> int:
    x = Fraction(v, 1 << s)
    if rounding == "floor":
        return math.floor(x)
    if rounding == "half_up":
        return math.floor(x + Fraction(1, 2))
    return round(x)  # Fraction.__round__ is half to even


@pytest.mark.parametrize("rounding", ["floor", "half_up", "convergent"])
@pytest.mark.parametrize("overflow", ["saturate", "wrap"])
def test_exhaustive_small_widths_match_apytypes(rounding: str, overflow: str) -> None:
    # every 8-bit signed source value, every (drop 0..4 fraction bits, keep 1..7 integer bits incl. sign)
    src_int, src_frac = 4, 4
    v = np.arange(-128, 128, dtype=np.int64)
    for drop in range(0, 5):
        for dst_int in range(1, 8):
            dst_frac = src_frac - drop
            if dst_int + dst_frac < 1:
                continue
            fmt = QFormat(True, dst_int - 1, dst_frac, rounding, overflow)
            got = fmt.narrow(v, src_frac)
            want = _apy_narrow(v, src_int, src_frac, dst_int, dst_frac, rounding, overflow)
            diff = np.flatnonzero(got != want)
            assert diff.size == 0, (f"{fmt.describe()} from Q3.4: {diff.size} mismatches, first at "
                                    f"v={v[diff[:5]]}: got {got[diff[:5]]}, apytypes {want[diff[:5]]}")


@pytest.mark.parametrize("rounding", ["floor", "half_up", "convergent"])
@pytest.mark.parametrize("overflow", ["saturate", "wrap"])
def test_random_large_widths_match_apytypes(rounding: str, overflow: str) -> None:
    seed = 1234
    rng = np.random.default_rng(seed)
    for _ in range(20):
        src_int = int(rng.integers(2, 20))
        src_frac = int(rng.integers(0, 30))
        drop = int(rng.integers(0, src_frac + 1))
        dst_int = int(rng.integers(1, src_int + 4))
        dst_frac = src_frac - drop
        if dst_int + dst_frac < 2:
            continue
        bits = src_int + src_frac
        v = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), size=200, dtype=np.int64)
        fmt = QFormat(True, dst_int - 1, dst_frac, rounding, overflow)
        got = fmt.narrow(v, src_frac)
        want = _apy_narrow(v, src_int, src_frac, dst_int, dst_frac, rounding, overflow)
        np.testing.assert_array_equal(got, want, err_msg=f"seed={seed} {fmt.describe()} from src "
                                                         f"int={src_int} frac={src_frac}")


@pytest.mark.parametrize("rounding", ["floor", "half_up", "convergent"])
def test_round_shift_exact_against_fractions_scalar_and_array(rounding: str) -> None:
    vals = list(range(-300, 301)) + [(1 << 61) - 1, -(1 << 61)]
    for s in range(0, 7):
        want = [_exact_round(v, s, rounding) for v in vals]
        assert [round_shift(v, s, rounding) for v in vals] == want, (rounding, s)
        np.testing.assert_array_equal(round_shift(np.array(vals, dtype=np.int64), s, rounding),
                                      np.array(want, dtype=np.int64), err_msg=f"{rounding} s={s}")
    assert round_shift(5, -3, rounding) == 40


def test_unsigned_saturate_and_wrap_exhaustive() -> None:
    v = np.arange(-600, 600, dtype=np.int64)
    for width in range(1, 10):
        np.testing.assert_array_equal(fit(v, width, False, "saturate"), np.clip(v, 0, (1 << width) - 1))
        np.testing.assert_array_equal(fit(v, width, False, "wrap"), np.mod(v, 1 << width))
        assert [fit(int(x), width, False, "wrap") for x in v[:50]] == [int(x) % (1 << width) for x in v[:50]]


def test_signed_rails() -> None:
    f = QFormat.parse("Q3.4")
    assert (f.min_int, f.max_int, f.width) == (-128, 127, 8)
    np.testing.assert_array_equal(f.fit(np.array([-129, -128, 127, 128])), [-128, -128, 127, 127])
    wrapped = f.with_modes(overflow="wrap").fit(np.array([-129, 128, 255]))
    np.testing.assert_array_equal(wrapped, [127, -128, -1])


def test_from_real_and_printing() -> None:
    f = QFormat.parse("UQ1.7", rounding="half_up")
    np.testing.assert_array_equal(f.from_real(np.array([0.0, 1.0, 0.5, 1 / 256, 3.0, -1.0])),
                                  [0, 128, 64, 1, 255, 0])
    assert str(f) == "UQ1.7"
    assert f.describe() == "UQ1.7 ufixed<8,1,RND,SAT>"
    assert QFormat.parse("Q3.12", rounding="convergent", overflow="wrap").describe() == \
        "Q3.12 fixed<16,4,RND_CONV,WRAP>"
    c = QFormat.parse("Q0.3", rounding="convergent")
    np.testing.assert_array_equal(c.from_real(np.array([0.0625, 0.1875, -0.0625])), [0, 2, 0])


def test_bad_formats_rejected() -> None:
    with pytest.raises(QFormatError, match=r'Q-format such as "Q3.12" or "UQ1.7", not \'Q3\''):
        QFormat.parse("Q3")
    with pytest.raises(MGDError, match="rounding must be one of 'floor', 'half_up', 'convergent', not 'up'"):
        QFormat(True, 3, 4, "up")
    with pytest.raises(QFormatError, match="width must be 1 to 62 bits in all, not 70"):
        QFormat(True, 40, 29)
