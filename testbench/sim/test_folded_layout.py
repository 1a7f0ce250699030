"""The folded core's memory map (:mod:`rtl.folded.layout`), pure Python: the readback index map
(:meth:`FoldedLayout.index_map`, a chunked row table) against :meth:`FoldedLayout.place` for every parameter
of many layer shapes and lane counts, and :meth:`FoldedLayout.place` against the folding formula.
"""

from __future__ import annotations

import itertools
import random

import pytest

from golden_model.params import ParamLayout
from golden_model.schedule import fold
from rtl.contract import index_bits
from rtl.folded.layout import FoldedLayout, IndexMap


def _foldable(layers, p) -> bool:
    try:
        fold(layers, p)
    except ValueError:
        return False
    return True


def _shapes() -> list[tuple[tuple[int, ...], int]]:
    """(layers, P): every 2- and 3-layer shape of sizes 1..5 at P = 1..8 that folds (P above some layer's
    neurons, P not a power of two, n_in = 1, and P above every layer's: PE × SIMD with SIMD 2, 4, 8), a
    random sample of deeper and wider ones, and the presets' (NIST7x7 at P = 32 and 128: SIMD 2 and 8;
    digits at P = 128: SIMD 4)."""
    out = [(layers, p) for n in (2, 3) for layers in itertools.product(range(1, 6), repeat=n)
           for p in range(1, 9)]
    rng = random.Random(1)
    for _ in range(200):
        layers = tuple(rng.choice((1, 2, 3, 5, 7, 8, 12, 17, 33)) for _ in range(rng.randint(2, 5)))
        out.append((layers, rng.randint(1, 12)))
        out.append((layers, max(layers[1:]) * rng.choice((2, 4, 8))))
    out += [((64, 32, 10), p) for p in (1, 2, 3, 4, 5, 8, 16, 32, 64, 128)]
    out += [((49, 16, 4), p) for p in (1, 2, 3, 16, 32, 48, 128)] + [((2, 2, 1), 1), ((2, 2, 1), 2),
                                                                      ((4, 8, 1), 2), ((2, 2, 1), 8)]
    return [(layers, p) for layers, p in out if _foldable(layers, p)]


def test_shapes_cover_simd():
    """The shapes above include many folded across inputs (SIMD > 1), with rows SIMD does not divide."""
    wide = [(layers, p) for layers, p in _shapes() if FoldedLayout(layers, p).simd > 1]
    assert len(wide) > 150
    assert sum(min(FoldedLayout(layers, p).tail) < FoldedLayout(layers, p).simd for layers, p in wide) > 100


def test_place_is_the_folding_formula():
    """addr(l, j, i) = param_base[l] + (j // PE)·⌈(n_in + 1)/SIMD⌉ + i // SIMD, lane (j mod PE)·SIMD +
    i mod SIMD, every parameter once (SIMD = 1: addr = param_base[l] + (j // P)·(n_in + 1) + i, lane j mod
    P)."""
    cases = [((2, 5, 1, 3), 3, 3, 1), ((64, 32, 10), 2, 2, 1), ((3, 1, 4), 4, 4, 1), ((1, 2), 1, 1, 1),
             ((49, 16, 4), 32, 16, 2), ((49, 16, 4), 128, 16, 8), ((64, 32, 10), 128, 32, 4),
             ((2, 3, 1), 12, 3, 4), ((3, 1, 4), 8, 4, 2)]
    for layers, p, pe, simd in cases:
        lo = FoldedLayout(layers, p)
        assert (lo.pe, lo.simd) == (pe, simd), (layers, p)
        items = [-(-r // simd) for r in lo.rows]
        want = [(lo.param_base[layer] + (j // pe) * items[layer] + i // simd, (j % pe) * simd + i % simd)
                for layer in range(lo.n_layers) for j in range(lo.n_out[layer])
                for i in range(lo.rows[layer])]
        assert lo.places() == want
        assert len(set(want)) == len(want) and max(a for a, _ in want) == lo.depth - 1
        assert lo.depth == sum(-(-b // pe) * t for b, t in zip(layers[1:], items))


def test_a_lane_count_that_does_not_fold_is_refused():
    """P above the widest layer without a power-of-two split (17 on 49-16-4), or a SIMD beyond the longest
    row (16 on 2-2-1: SIMD 8 for rows of 3), is refused with what is allowed."""
    with pytest.raises(ValueError, match=r"lanes must be at most 16 .*PE x SIMD with PE <= 16.*not 17"):
        FoldedLayout((49, 16, 4), 17)
    with pytest.raises(ValueError, match=r"SIMD <= 4 .*at most 8.*not 16"):
        FoldedLayout((2, 2, 1), 16)


@pytest.mark.parametrize("chunk", range(4))
def test_index_map_gives_every_parameters_place(chunk):
    """The table's arithmetic (:meth:`IndexMap.lookup`) is :meth:`FoldedLayout.place` at every index, and
    its ROM words (:meth:`IndexMap.words`) hold exactly its entries in :attr:`IndexMap.fields`."""
    shapes = _shapes()
    crossed = 0
    for layers, p in shapes[chunk::4]:
        lo = FoldedLayout(layers, p)
        imap = lo.index_map()
        n = ParamLayout(layers).n_params
        where = f"layers {layers}, P = {p}"
        assert (imap.addr_bits, imap.lane_bits) == (index_bits(lo.depth), index_bits(p)), where
        assert 2 ** imap.shift <= min(lo.rows) < 2 ** (imap.shift + 1), where
        assert imap.depth == -(-n // 2 ** imap.shift), where
        assert [imap.lookup(k) for k in range(n)] == lo.places(), where
        fields = imap.fields
        assert sum(w for _, w in fields.values()) == imap.width
        for word, entry in zip(imap.words(), imap.entries, strict=True):
            assert 0 <= word < 2 ** imap.width, where
            got = {name: (word >> lsb) & ((1 << w) - 1) for name, (lsb, w) in fields.items()}
            assert tuple(got.get(k, 0) for k in ("a0", "l0", "r", "b", "l1", "d0", "d1")) == entry, where
            assert ("d0" in fields) == (lo.simd > 1), where
        crossed += sum(entry[2] < 2 ** imap.shift for entry in imap.entries[:-1])
    assert crossed > 100, "the shapes are meant to have many chunks that span two rows"


def test_index_map_entries_by_hand():
    """2-5-1-3 at P = 3: rows 3, 6, 2 (s = 1), depth 14 (4-bit addresses, 2-bit lanes). Chunk 1 (indices 2,
    3) spans neuron 0's last weight (address 2, lane 0) and neuron 1's first (address 0, lane 1: b = 0 − 1
    mod 16); chunk 7 (14, 15) crosses into the second layer (address 6, lane 0); chunk 13 is the last
    parameter alone (27 parameters)."""
    imap = FoldedLayout((2, 5, 1, 3), 3).index_map()
    assert (imap.shift, imap.addr_bits, imap.lane_bits, imap.depth, imap.width) == (1, 4, 2, 14, 14)
    assert imap.entries[0] == (0, 0, 2, 0, 0, 0, 0)
    assert imap.entries[1] == (2, 0, 1, 15, 1, 0, 0)
    assert imap.entries[7] == (5, 1, 1, 5, 0, 0, 0)
    assert imap.entries[13] == (13, 2, 1, 0, 0, 0, 0)
    assert imap.lookup(3) == (0, 1) and imap.lookup(15) == (6, 0) and imap.lookup(26) == (13, 2)


def test_index_map_is_small_for_digits():
    """digits 64-32-10 (2,410 parameters, rows 65 and 33: chunks of 32): 76 entries instead of 2,410."""
    imap = FoldedLayout((64, 32, 10), 2).index_map()
    assert (imap.shift, imap.depth, imap.width) == (5, 76, 2 * 11 + 2 * 1 + 6)
    assert imap.depth * imap.width == 2280 < 2410 * (11 + 1)
    assert FoldedLayout((64, 32, 10), 16).index_map().width == 2 * 8 + 2 * 4 + 6


def test_index_map_entries_by_hand_with_simd():
    """3-1-4 at P = 8 (PE 4, SIMD 2): rows 4 and 2 (s = 1), items 2 and 1. Chunk 1 (indices 2, 3) is the
    hidden neuron's bias and last weight at address 1, lanes 0 and 1 (d0 = 0); chunk 2 (4, 5) is output
    neuron 0's weight and bias at address 2, lanes 0, 1."""
    lo = FoldedLayout((3, 1, 4), 8)
    imap = lo.index_map()
    assert (lo.pe, lo.simd, lo.depth, imap.shift, imap.simd_bits) == (4, 2, 3, 1, 1)
    assert imap.entries[1] == (1, 0, 2, 0, 0, 0, 0)
    assert imap.entries[2] == (2, 0, 2, 0, 0, 0, 0)
    assert [imap.lookup(k) for k in range(12)] == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1), (2, 2),
                                                   (2, 3), (2, 4), (2, 5), (2, 6), (2, 7)]


def test_index_map_lookup_is_the_table_not_place():
    """:meth:`IndexMap.lookup` reads its entries (a wrong entry gives a wrong place), so the equality
    above checks the table."""
    imap = FoldedLayout((2, 5, 1, 3), 3).index_map()
    entries = list(imap.entries)
    entries[1] = (2, 0, 2, 15, 1, 0, 0)  # r one too large: index 3 would stay in neuron 0's row
    bad = IndexMap(imap.shift, imap.addr_bits, imap.lane_bits, tuple(entries))
    assert bad.lookup(3) == (3, 0) != FoldedLayout((2, 5, 1, 3), 3).place(3)
