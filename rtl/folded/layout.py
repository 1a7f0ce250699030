"""Where every parameter, activation and sample word of the folded core lives: its memory map.

Ref: ``shared/design/FOLDED.md``; :mod:`golden_model.params` (the canonical parameter order).

Pure Python (no Amaranth): the core builds its memories and constant tables from it, and tests and host
code use it to find a parameter in the banks.

Folding
-------
The core's ``P`` lanes are ``PE × SIMD`` (:func:`golden_model.schedule.fold`: SIMD = 1, PE = P whenever P
fits the widest layer; else SIMD the smallest power of two that brings PE down to it). Layer ``l``
(``n_in`` inputs, ``n_out`` neurons, a row of ``n_in + 1`` parameters per neuron: weights then bias) is
computed PE neurons at a time, ``pe = j mod PE`` holding the neurons ``j`` with that remainder: the ``n_out``
neurons fall into ``⌈n_out / PE⌉`` *groups* (the last one partly idle); a group's row is consumed SIMD
inputs a clock, in ``⌈(n_in + 1) / SIMD⌉`` *items* (the last one holds the bias and, when SIMD does not
divide ``n_in + 1``, idle slots). Every parameter register file (θ, G, M, the weight-mode LFSR lane states)
is one memory whose word holds P lanes (lane ``q`` in bits ``[q·W, (q+1)·W)``: P banks side by side, one
address for all of them), lane ``q = pe·SIMD + slot``, addressed

    addr(l, j, i) = param_base[l] + (j // PE) · items_l + i // SIMD,   lane = (j mod PE) · SIMD + i mod SIMD,

so a pass over the parameters in address order is the canonical order of each group's rows, and one
address counter drives every bank. ``depth = Σ_l ⌈n_out / PE⌉ · ⌈(n_in + 1) / SIMD⌉`` words (FINN's
weight-memory depth). With SIMD = 1 this is ``addr = param_base[l] + (j // P)·(n_in + 1) + i``,
``lane = j mod P``.

Activations are stored in words of P lanes: layer ``l``'s input ``i`` is lane ``i mod P`` of word ``i // P``
of that layer's input block, so an item's SIMD inputs ``i = t·SIMD ..`` are the contiguous *slice*
``t mod PE`` of word ``t // PE``; a group's PE outputs are slice ``g mod SIMD`` of word ``g // SIMD`` (one
write, lane-enabled). The sample ROM (or the streamed sample store, the same words) holds every training
input as ``⌈n_0 / P⌉`` such words and every target as ``⌈n_L / PE⌉`` words (one per output group) of
:attr:`FoldedLayout.cost_lanes` lanes (``min(PE, n_L)``: with ``n_L <= PE`` lanes ``n_L .. PE-1`` of the
output layer never hold a neuron, so neither the target ROM nor the cost unit has them).

Sample coding
-------------
A training set usually uses far fewer bits than the activation format: the digits' pixels are 17 levels
(multiples of ``2**7`` in UQ1.11), one-hot targets are 0 or ``2**A_f``. :class:`SampleCode` stores each value
as ``v >> shift`` in ``width`` bits (``shift`` the trailing zero bits every value shares, ``width`` the bits
the shifted values need) and the core shifts it back on reading: exact for this data set, pure wiring in
hardware, and the ROM shrinks (digits' inputs: 5 bits a pixel instead of 12).

Readback index map
------------------
The readback port turns a canonical parameter index ``k`` into its ``(address, lane)``
(:meth:`FoldedLayout.place`) with a chunked row table (:class:`IndexMap`, :meth:`FoldedLayout.index_map`)
instead of one ROM entry per parameter. With ``2**s <= min(rows)`` (``s`` the largest such), the ``2**s``
consecutive indices of chunk ``c = k >> s`` lie in at most two rows (the canonical order is row after row,
every row at least ``2**s`` long; the two rows may be in different layers). Within a row, position ``i``
is at ``row address + (i >> log2 SIMD)``, lane ``row lane + (i mod SIMD)`` (``row lane = pe·SIMD``, a
multiple of SIMD). Entry ``c`` holds, for the chunk's first row, ``a0 = row address + (i0 >> log2 SIMD)``,
``l0`` its row lane and ``d0 = i0 mod SIMD`` (``i0`` the chunk's first position in it); ``r`` (``1 ..
2**s``), how many of the chunk's indices are in that row; and for the next row (0 when the chunk lies in
one row or ends the parameters) ``l1``, ``d1 = (−r) mod SIMD`` and ``b = (row address − (r + d1) / SIMD) mod
2**addr_bits``. With ``off = k mod 2**s``, ``first = off < r``, ``u = off + (d0 if first else d1)``:

    address = (a0 if first else b) + (u >> log2 SIMD)   (mod 2**addr_bits),
    lane = (l0 if first else l1) + (u mod SIMD),

exact for every index. With SIMD = 1, ``d0 = d1 = 0`` (no bits) and this is ``address = (a0 or b) + off``.
``⌈n_params / 2**s⌉`` entries of ``2·addr_bits + 2·lane_bits + s + 1 + 2·log2 SIMD`` bits: digits 64-32-10
(rows 65, 33: ``s = 5``) at P = 2 is 76 x 30 bits instead of 2,410 x 12.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden_model.params import ParamLayout, index_bits
from golden_model.schedule import fold

__all__ = ["FoldedLayout", "IndexMap", "SampleCode", "pack_word", "unpack_word"]


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def pack_word(values, width: int) -> int:
    """P lane values (integers, two's complement) as one memory word, lane 0 in the low bits."""
    mask = (1 << width) - 1
    return sum((int(v) & mask) << (p * width) for p, v in enumerate(values))


def unpack_word(word: int, lanes: int, width: int, signed: bool = True) -> list[int]:
    """The P lane values of a memory word (inverse of :func:`pack_word`)."""
    mask = (1 << width) - 1
    out = [(word >> (p * width)) & mask for p in range(lanes)]
    if signed:
        out = [v - (1 << width) if v >> (width - 1) else v for v in out]
    return out


@dataclass(frozen=True)
class SampleCode:
    """How a ROM stores a set of integers: ``v`` as ``v >> shift`` in ``width`` bits (two's complement when
    ``signed``); decoding is ``stored << shift`` (sign-extended when ``signed``). Exact for the values it was
    fitted to (:meth:`fit`)."""

    shift: int
    width: int
    signed: bool

    @classmethod
    def fit(cls, values) -> SampleCode:
        """The narrowest code that holds every value of ``values`` exactly."""
        v = np.asarray(values, dtype=np.int64).ravel()
        nz = v[v != 0]
        shift = int(min((int(a) & -int(a)).bit_length() - 1 for a in np.unique(np.abs(nz)))) if nz.size else 0
        q = v >> shift
        signed = bool((q < 0).any())
        lo, hi = (int(q.min()), int(q.max())) if q.size else (0, 0)
        if signed:
            width = max(hi.bit_length(), (-lo - 1).bit_length()) + 1
        else:
            width = max(1, hi.bit_length())
        return cls(shift, width, signed)

    def encode(self, values) -> list[int]:
        """The stored integers (``v >> shift``; two's complement is :func:`pack_word`'s job)."""
        return [int(x) >> self.shift for x in values]

    def holds(self, values) -> bool:
        """Whether every value of ``values`` is stored exactly (decodes to itself): what data loaded into a
        store built for this code must satisfy."""
        v = np.asarray(values, dtype=np.int64).ravel()
        q = v >> self.shift
        half = 1 << (self.width - 1)
        lo, hi = (-half, half - 1) if self.signed else (0, 2 * half - 1)
        return bool(np.array_equal(q << self.shift, v) and (q >= lo).all() and (q <= hi).all())


@dataclass(frozen=True)
class IndexMap:
    """The readback's map canonical index -> ``(address, lane)`` as a chunked row table (module docstring,
    "Readback index map"); :meth:`FoldedLayout.index_map` builds it, :meth:`lookup` is the hardware's
    arithmetic.

    Attributes
    ----------
    shift : int
        ``s``: entry ``k >> s`` serves index ``k``; chunks of ``2**s`` indices.
    addr_bits, lane_bits : int
        Widths of an address and a lane (``index_bits(depth)``, ``index_bits(P)``).
    simd_bits : int
        ``log2 SIMD`` (0 when SIMD = 1: no ``d0``/``d1`` bits).
    entries : tuple of (a0, l0, r, b, l1, d0, d1)
        One per chunk, canonical order.
    """

    shift: int
    addr_bits: int
    lane_bits: int
    entries: tuple[tuple[int, int, int, int, int, int, int], ...]
    simd_bits: int = 0

    @property
    def depth(self) -> int:
        """Entries of the table (words of its ROM)."""
        return len(self.entries)

    @property
    def fields(self) -> dict[str, tuple[int, int]]:
        """``name: (low bit, width)`` of each field in a table word: ``a0``, ``b``, ``l0``, ``l1``, ``r``
        (``s + 1`` bits), ``d0``, ``d1`` (``simd_bits`` each, none when 0), low bits first."""
        ab, lb, db = self.addr_bits, self.lane_bits, self.simd_bits
        widths = (("a0", ab), ("b", ab), ("l0", lb), ("l1", lb), ("r", self.shift + 1), ("d0", db),
                  ("d1", db))
        out, pos = {}, 0
        for name, w in widths:
            if w:
                out[name] = (pos, w)
            pos += w
        return out

    @property
    def width(self) -> int:
        """Bits of a table word."""
        return 2 * self.addr_bits + 2 * self.lane_bits + self.shift + 1 + 2 * self.simd_bits

    def words(self) -> list[int]:
        """The table's ROM contents (fields placed as :attr:`fields` says)."""
        f = self.fields
        return [sum(v << f[name][0] for name, v in zip(("a0", "l0", "r", "b", "l1", "d0", "d1"), entry)
                    if name in f)
                for entry in self.entries]

    def lookup(self, index: int) -> tuple[int, int]:
        """``(address, lane)`` of canonical ``index`` as the hardware computes it from the table."""
        a0, l0, r, b, l1, d0, d1 = self.entries[index >> self.shift]
        off = index & ((1 << self.shift) - 1)
        first = off < r
        u = off + (d0 if first else d1)
        address = ((a0 if first else b) + (u >> self.simd_bits)) & ((1 << self.addr_bits) - 1)
        return address, (l0 if first else l1) + (u & ((1 << self.simd_bits) - 1))


@dataclass(frozen=True)
class FoldedLayout:
    """The memory map of a folded core for ``layers`` and ``lanes`` P (see the module docstring).

    Attributes (per weight layer ``l = 0 .. L-1``, tuples)
    ------------------------------------------------------
    pe, simd : the fold ``P = PE × SIMD`` (:func:`golden_model.schedule.fold`)
    n_in, n_out, groups : ``n_l``, ``n_{l+1}``, ``⌈n_{l+1} / PE⌉``
    rows, items : ``n_l + 1`` parameters a neuron; ``⌈rows / SIMD⌉`` items (cycles) a group
    param_base : first parameter-memory address of layer ``l``
    group_base : index of layer ``l``'s first group among all groups (node-mode sign lookup)
    act_base : word of layer ``l``'s input block within one activation region (``l >= 1``; 0 for ``l = 0``,
        whose input is the sample ROM)
    """

    layers: tuple[int, ...]
    lanes: int

    def __post_init__(self) -> None:
        if len(self.layers) < 2 or min(self.layers) < 1:
            raise ValueError(f"FoldedLayout layers must be at least two positive sizes, not {self.layers!r}")
        if self.lanes < 1:
            raise ValueError(f"FoldedLayout lanes must be >= 1, not {self.lanes!r}")
        try:
            split = fold(self.layers, self.lanes)
        except ValueError as e:
            raise ValueError(f"FoldedLayout lanes must be {e}, not {self.lanes!r}") from None
        object.__setattr__(self, "_fold", split)  # derived once (not a field: equality is layers, lanes)

    # ---- the fold -----------------------------------------------------------------------------------
    @property
    def pe(self) -> int:
        """PE: neurons computed at once (lanes of a group's outputs, of the activation unit)."""
        return self._fold[0]

    @property
    def simd(self) -> int:
        """SIMD: inputs a clock per neuron (a power of two; 1 unless P exceeds the widest layer)."""
        return self._fold[1]

    @property
    def simd_bits(self) -> int:
        """``log2 SIMD``."""
        return self.simd.bit_length() - 1

    # ---- per layer ----------------------------------------------------------------------------------
    @property
    def n_layers(self) -> int:
        """``L``, weight layers."""
        return len(self.layers) - 1

    @property
    def n_in(self) -> tuple[int, ...]:
        return tuple(self.layers[:-1])

    @property
    def n_out(self) -> tuple[int, ...]:
        return tuple(self.layers[1:])

    @property
    def groups(self) -> tuple[int, ...]:
        return tuple(_ceil_div(b, self.pe) for b in self.n_out)

    @property
    def rows(self) -> tuple[int, ...]:
        """``n_in + 1``: parameters of a neuron (its weights, then its bias)."""
        return tuple(a + 1 for a in self.n_in)

    @property
    def items(self) -> tuple[int, ...]:
        """``⌈(n_in + 1) / SIMD⌉``: items (cycles) per group in a pass; the last holds the bias."""
        return tuple(_ceil_div(r, self.simd) for r in self.rows)

    @property
    def tail(self) -> tuple[int, ...]:
        """Slots of a row's last item that hold a parameter (``1 .. SIMD``; the last of them the bias)."""
        return tuple(r - (t - 1) * self.simd for r, t in zip(self.rows, self.items))

    @property
    def param_base(self) -> tuple[int, ...]:
        out, pos = [], 0
        for g, t in zip(self.groups, self.items):
            out.append(pos)
            pos += g * t
        return tuple(out)

    @property
    def depth(self) -> int:
        """Words of every parameter memory (θ, G, M, LFSR states)."""
        return sum(g * t for g, t in zip(self.groups, self.items))

    @property
    def group_base(self) -> tuple[int, ...]:
        return tuple(int(v) for v in np.cumsum([0, *self.groups[:-1]]))

    @property
    def n_groups(self) -> int:
        return sum(self.groups)

    @property
    def in_words(self) -> tuple[int, ...]:
        """Words of each layer's input block, ``⌈n_in / P⌉``."""
        return tuple(_ceil_div(a, self.lanes) for a in self.n_in)

    @property
    def act_base(self) -> tuple[int, ...]:
        out, pos = [0], 0
        for w in self.in_words[1:]:
            out.append(pos)
            pos += w
        return tuple(out)

    @property
    def act_region(self) -> int:
        """Words of one activation region (every hidden layer's outputs); the core keeps two, baseline
        then perturbed."""
        return sum(self.in_words[1:])

    @property
    def out_words(self) -> int:
        """Words of one target (the output layer's groups)."""
        return self.groups[-1]

    @property
    def cost_lanes(self) -> int:
        """Lanes that ever hold an output neuron, ``min(PE, n_L)``: the width (in lanes) of a target word and
        the cost unit's."""
        return min(self.pe, self.layers[-1])

    def lane_mask(self, layer: int, group: int) -> int:
        """Bit ``pe`` set where neuron lane ``pe`` (of PE) holds a neuron in ``group`` of ``layer``."""
        valid = min(self.pe, self.n_out[layer] - group * self.pe)
        return (1 << valid) - 1

    def last_mask(self, layer: int) -> int:
        """:meth:`lane_mask` of the layer's last group."""
        return self.lane_mask(layer, self.groups[layer] - 1)

    def tail_mask(self, layer: int) -> int:
        """Bit ``q`` of P set where parameter lane ``q`` of a row's last item holds a parameter (slot
        ``q mod SIMD`` below :attr:`tail`); every lane of the other items does."""
        slots = (1 << self.tail[layer]) - 1
        return sum(slots << (pe * self.simd) for pe in range(self.pe))

    # ---- parameters ---------------------------------------------------------------------------------
    def place(self, index: int) -> tuple[int, int]:
        """``(address, lane)`` of canonical parameter ``index`` (:mod:`golden_model.params`)."""
        offsets = ParamLayout(self.layers).param_offsets()
        for layer in reversed(range(self.n_layers)):
            if index >= offsets[layer]:
                break
        j, i = divmod(index - offsets[layer], self.rows[layer])
        pe, simd = self.pe, self.simd
        return (self.param_base[layer] + (j // pe) * self.items[layer] + i // simd,
                (j % pe) * simd + i % simd)

    def places(self) -> list[tuple[int, int]]:
        """:meth:`place` of every parameter, canonical order."""
        return [self.place(k) for k in range(ParamLayout(self.layers).n_params)]

    def index_map(self) -> IndexMap:
        """The readback's chunked row table (:class:`IndexMap`; module docstring, "Readback index map"):
        ``IndexMap.lookup(k) == place(k)`` for every canonical index ``k``."""
        rows, n = self.rows, ParamLayout(self.layers).n_params
        offsets = ParamLayout(self.layers).param_offsets()
        shift = min(rows).bit_length() - 1  # the largest s with 2**s <= every row
        ab, lb, k, simd = index_bits(self.depth), index_bits(self.lanes), self.simd_bits, self.simd
        entries = []
        for k0 in range(0, n, 1 << shift):
            layer = max(q for q in range(self.n_layers) if offsets[q] <= k0)
            i = (k0 - offsets[layer]) % rows[layer]  # position in its row
            r = min(rows[layer] - i, 1 << shift)  # the row ends by n
            a0, lane0 = self.place(k0)
            l0, d0 = lane0 - i % simd, i % simd
            b = l1 = d1 = 0
            if r < (1 << shift) and k0 + r < n:  # the chunk goes on in the next row (at its position 0)
                a1, l1 = self.place(k0 + r)
                d1 = -r % simd
                b = (a1 - (r + d1) // simd) % (1 << ab)
            entries.append((a0, l0, r, b, l1, d0, d1))
        return IndexMap(shift, ab, lb, tuple(entries), k)

    def param_words(self, values, width: int, fill: int = 0) -> list[int]:
        """A parameter memory's contents: ``values`` (canonical order) placed by :meth:`place`; idle lanes
        hold ``fill``."""
        words = [[fill] * self.lanes for _ in range(self.depth)]
        for k, (addr, lane) in enumerate(self.places()):
            words[addr][lane] = int(values[k])
        return [pack_word(w, width) for w in words]

    # ---- samples ------------------------------------------------------------------------------------
    def input_words(self, vector, width: int) -> list[int]:
        """One sample's inputs as :attr:`in_words` ``[0]`` words of P lanes (idle lanes 0)."""
        v = [int(x) for x in vector]
        P = self.lanes
        return [pack_word(v[w * P:(w + 1) * P], width) for w in range(_ceil_div(len(v), P))]

    def target_words(self, vector, width: int) -> list[int]:
        """One sample's targets as :attr:`out_words` words, one per output group (its PE neurons), of
        :attr:`cost_lanes` lanes (``cost_lanes < PE`` only when one word holds them all)."""
        v = [int(x) for x in vector]
        pe, per = self.pe, self.cost_lanes
        return [pack_word(v[w * pe:w * pe + per], width) for w in range(_ceil_div(len(v), pe))]
