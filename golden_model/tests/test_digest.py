"""The verification digest and the check chain (``golden_model/digest.py``): exact values, the row-wise form
the benches use, and the chain's properties (order-dependent, every word counts, continuable)."""

from __future__ import annotations

import numpy as np
import pytest

from golden_model.digest import CHAIN_INIT, chain, digest, digests


def _fnv1a_words(words) -> int:
    """FNV-1a over 32-bit words, written out independently of the module."""
    h = 0x811C9DC5
    for w in words:
        h = ((h ^ (int(w) % 2**32)) * 0x01000193) % 2**32
    return h


def test_digest_by_hand():
    # (2i + 1)·(v mod 2**W): 1·3 + 3·(−1 mod 16 = 15) + 5·0 = 48
    assert digest(np.array([3, -1, 0]), 4) == 48


def test_digests_are_the_digest_of_every_row():
    rows = np.random.default_rng(7).integers(-2**20, 2**20, size=(6, 2410))
    got = digests(rows, 21)
    assert got.dtype == np.uint64
    np.testing.assert_array_equal(got, np.array([digest(r, 21) for r in rows], dtype=np.uint64))


def test_chain_is_fnv1a_over_words_and_continues():
    words = np.random.default_rng(8).integers(0, 2**32, size=(5, 8), dtype=np.uint64)
    assert chain(words) == _fnv1a_words(words.ravel())
    assert chain(words[2:], chain(words[:2])) == chain(words)
    assert chain(np.zeros((0, 8), dtype=np.uint64)) == CHAIN_INIT


def test_chain_sees_every_word_and_the_order():
    words = np.arange(40, dtype=np.uint64).reshape(5, 8)
    h = chain(words)
    for i in range(words.size):
        other = words.copy().ravel()
        other[i] ^= np.uint64(1 << (i % 32))
        assert chain(other) != h, i
    assert chain(words[::-1]) != h


def test_digest_width_is_checked():
    with pytest.raises(ValueError, match="digest width must be an integer from 1 to 32, not 33"):
        digests(np.zeros((1, 2)), 33)
