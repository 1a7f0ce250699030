"""The sample store: a ROM of training samples, initialised at generation time.

Ref: ``docs/fixed_point_spec.md`` ("Initial parameters and data"): inputs and targets in the activation
format, used in stored order. Its contents are :func:`golden_model.fixed_network.quantize_data` of the
training set.
"""

from __future__ import annotations

import numpy as np
from amaranth import Module, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from rtl._validate import rejecting
from rtl.pipeline import flat_width

__all__ = ["SampleStore"]


def _pack_row(values: np.ndarray, width: int) -> int:
    mask = (1 << width) - 1
    return sum((int(v) & mask) << (i * width) for i, v in enumerate(values))


class SampleStore(wiring.Component):
    """``n`` samples ``(x, t)`` in one synchronous-read memory (``amaranth.lib.memory``).

    Parameters
    ----------
    x : array of int, shape (n, n_in)
        Inputs, activation LSBs.
    t : array of int, shape (n, n_out)
        Targets, activation LSBs.
    width : int
        Width of one activation-format element.
    signed : bool
        Whether the activation format is signed (elements are stored in two's complement).

    Attributes
    ----------
    addr : In(index)
        Sample index.
    x : Out(n_in * width)
    t : Out(n_out * width)
        The sample at the ``addr`` of the previous cycle, flat.

    Latency 1 (registered read).
    """

    def __init__(self, *, x: np.ndarray, t: np.ndarray, width: int, signed: bool) -> None:
        with rejecting(self):
            x, t = np.asarray(x), np.asarray(t)
            if x.ndim != 2 or t.ndim != 2 or len(x) != len(t) or len(x) < 1:
                raise ValueError(f"SampleStore x and t must be 2-D with the same number (>= 1) of rows, "
                                 f"not shapes {x.shape} and {t.shape}")
            if not isinstance(width, int) or width < 1:
                raise ValueError(f"SampleStore width must be a positive integer, not {width!r}")
            lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
            for name, a in (("x", x), ("t", t)):
                if a.min() < lo or a.max() > hi:
                    raise ValueError(f"SampleStore {name} must lie in [{lo}, {hi}] for {width}-bit "
                                     f"{'signed' if signed else 'unsigned'} elements, "
                                     f"not [{a.min()}, {a.max()}]")
            self._x, self._t = x.astype(np.int64), t.astype(np.int64)
            self._width, self._signed = width, signed
        super().__init__({"addr": In(max(1, (len(x) - 1).bit_length())),
                          "x": Out(flat_width(x.shape[1], width)), "t": Out(flat_width(t.shape[1], width))})

    @property
    def n_samples(self) -> int:
        return len(self._x)

    @property
    def latency(self) -> int:
        return 1

    def elaborate(self, platform: object) -> Module:
        m = Module()
        w = self._width
        wx = self._x.shape[1] * w
        rows = [_pack_row(xr, w) | (_pack_row(tr, w) << wx) for xr, tr in zip(self._x, self._t)]
        m.submodules.rom = rom = Memory(shape=unsigned(wx + self._t.shape[1] * w), depth=len(rows), init=rows)
        rd = rom.read_port()
        m.d.comb += [rd.addr.eq(self.addr), self.x.eq(rd.data[:wx]), self.t.eq(rd.data[wx:])]
        return m
