"""The verification digest of a register file (θ, G or M): one 32-bit number a bench compares every update.

Ref: ``shared/design/FOLDED.md`` ("Checking thousands of parameters every update").

``digest(v) = Σ_i (2i + 1) · (v_i mod 2**W)  mod 2**32`` over the parameters ``i`` in canonical order, ``W``
the register's width (two's-complement bits of a signed value).

Why this form:
- it is linear, so hardware keeps it exact under any write order by adding ``(2i + 1) · (new − old)`` on
  every write (a folded core writes P words a cycle in whatever order its schedule has);
- every multiplier is odd, hence invertible modulo 2**32: a single wrong word (``W <= 32``) always changes
  the digest, and so does an exchange of two words unless ``(i − j)(v_i − v_j)`` is a multiple of 2**31.
A digest that matches is not a proof: benches also read every register back at intervals and whenever a
digest differs, so a report still names the first parameter that disagrees.

The check chain (:func:`chain`) folds the digests and status registers of many consecutive updates into one
32-bit number, so a co-simulation compares every update's state while the simulator, not the bench, steps
from one update to the next (``testbench/sim_top.py``): FNV-1a over 32-bit words,
``h ← ((h XOR w) · 16777619) mod 2**32`` for each word ``w`` (taken mod 2**32), starting at 2166136261.
Unlike the digest it is order-dependent (a run's words are a sequence), and one differing word always
changes it (XOR then an odd multiplier: both invertible modulo 2**32).
"""

from __future__ import annotations

import numpy as np

__all__ = ["DIGEST_BITS", "CHAIN_INIT", "CHAIN_PRIME", "chain", "digest", "digest_weights", "digests"]

DIGEST_BITS = 32
_MASK = (1 << DIGEST_BITS) - 1
CHAIN_INIT = 2166136261  # FNV-1a's 32-bit offset basis
CHAIN_PRIME = 16777619   # FNV-1a's 32-bit prime


def digest_weights(n: int) -> np.ndarray:
    """The multipliers ``2i + 1`` of parameters ``0 .. n - 1`` (uint64)."""
    return 2 * np.arange(n, dtype=np.uint64) + 1


def digest(values: np.ndarray, width: int) -> int:
    """The digest of a register file holding ``values`` (integers) in ``width``-bit registers."""
    return int(digests(np.asarray(values)[None, :], width)[0])


def digests(rows: np.ndarray, width: int) -> np.ndarray:
    """:func:`digest` of every row of ``rows`` (one register file per row), as uint64."""
    if not 1 <= width <= DIGEST_BITS:
        raise ValueError(f"digest width must be an integer from 1 to {DIGEST_BITS}, not {width!r}")
    u = np.asarray(rows, dtype=np.int64).astype(np.uint64) & np.uint64((1 << width) - 1)
    return (u @ digest_weights(u.shape[1])) & np.uint64(_MASK)  # uint64 products wrap mod 2**64


def chain(words: np.ndarray, h: int = CHAIN_INIT) -> int:
    """The check chain of ``words`` (integers, row by row: one row per update), continued from ``h``."""
    h &= _MASK
    for w in np.asarray(words, dtype=np.uint64).ravel().tolist():
        h = ((h ^ (w & _MASK)) * CHAIN_PRIME) & _MASK
    return h
