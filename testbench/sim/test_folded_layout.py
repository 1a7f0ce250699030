"""The folded core's memory map (:mod:`rtl.folded.layout`), pure Python: the readback index map
(:meth:`FoldedLayout.index_map`, a chunked row table) against :meth:`FoldedLayout.place` for every parameter
of many layer shapes and lane counts, and :meth:`FoldedLayout.place` against the folding formula.
"""

from __future__ import annotations

import itertools
import random

import pytest

from golden_model.params import ParamLayout
from rtl.contract import index_bits
from rtl.folded.layout import FoldedLayout, IndexMap


def _shapes() -> list[tuple[tuple[int, ...], int]]:
    """(layers, P): every 2- and 3-layer shape of sizes 1..5 at P = 1..6 (P above some or every layer's
    neurons, P not a power of two, n_in = 1), a random sample of deeper and wider ones, and the presets'."""
    out = [(layers, p) for n in (2, 3) for layers in itertools.product(range(1, 6), repeat=n)
           for p in range(1, 7)]
    rng = random.Random(1)
    for _ in range(200):
        layers = tuple(rng.choice((1, 2, 3, 5, 7, 8, 12, 17, 33)) for _ in range(rng.randint(2, 5)))
        out.append((layers, rng.randint(1, 12)))
    out += [((64, 32, 10), p) for p in (1, 2, 3, 4, 5, 8, 16, 32)]
    out += [((49, 16, 4), p) for p in (1, 2, 3, 16)] + [((2, 2, 1), 1), ((2, 2, 1), 2), ((4, 8, 1), 2)]
    return out


def test_place_is_the_folding_formula():
    """addr(l, j, i) = param_base[l] + (j // P)·(n_in + 1) + i, lane j mod P, every parameter once."""
    for layers, p in [((2, 5, 1, 3), 3), ((64, 32, 10), 2), ((3, 1, 4), 4), ((1, 2), 1)]:
        lo = FoldedLayout(layers, p)
        want = [(lo.param_base[layer] + (j // p) * lo.rows[layer] + i, j % p) for layer in range(lo.n_layers)
                for j in range(lo.n_out[layer]) for i in range(lo.rows[layer])]
        assert lo.places() == want
        assert len(set(want)) == len(want) and max(a for a, _ in want) == lo.depth - 1


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
            assert tuple(got[k] for k in ("a0", "l0", "r", "b", "l1")) == entry, where
        crossed += sum(entry[2] < 2 ** imap.shift for entry in imap.entries[:-1])
    assert crossed > 100, "the shapes are meant to have many chunks that span two rows"


def test_index_map_entries_by_hand():
    """2-5-1-3 at P = 3: rows 3, 6, 2 (s = 1), depth 14 (4-bit addresses, 2-bit lanes). Chunk 1 (indices 2,
    3) spans neuron 0's last weight (address 2, lane 0) and neuron 1's first (address 0, lane 1: b = 0 − 1
    mod 16); chunk 7 (14, 15) crosses into the second layer (address 6, lane 0); chunk 13 is the last
    parameter alone (27 parameters)."""
    imap = FoldedLayout((2, 5, 1, 3), 3).index_map()
    assert (imap.shift, imap.addr_bits, imap.lane_bits, imap.depth, imap.width) == (1, 4, 2, 14, 14)
    assert imap.entries[0] == (0, 0, 2, 0, 0)
    assert imap.entries[1] == (2, 0, 1, 15, 1)
    assert imap.entries[7] == (5, 1, 1, 5, 0)
    assert imap.entries[13] == (13, 2, 1, 0, 0)
    assert imap.lookup(3) == (0, 1) and imap.lookup(15) == (6, 0) and imap.lookup(26) == (13, 2)


def test_index_map_is_small_for_digits():
    """digits 64-32-10 (2,410 parameters, rows 65 and 33: chunks of 32): 76 entries instead of 2,410."""
    imap = FoldedLayout((64, 32, 10), 2).index_map()
    assert (imap.shift, imap.depth, imap.width) == (5, 76, 2 * 11 + 2 * 1 + 6)
    assert imap.depth * imap.width == 2280 < 2410 * (11 + 1)
    assert FoldedLayout((64, 32, 10), 16).index_map().width == 2 * 8 + 2 * 4 + 6


def test_index_map_lookup_is_the_table_not_place():
    """:meth:`IndexMap.lookup` reads its entries (a wrong entry gives a wrong place), so the equality
    above checks the table."""
    imap = FoldedLayout((2, 5, 1, 3), 3).index_map()
    entries = list(imap.entries)
    entries[1] = (2, 0, 2, 15, 1)  # r one too large: index 3 would stay in neuron 0's row
    bad = IndexMap(imap.shift, imap.addr_bits, imap.lane_bits, tuple(entries))
    assert bad.lookup(3) == (3, 0) != FoldedLayout((2, 5, 1, 3), 3).place(3)
