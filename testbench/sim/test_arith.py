"""``rtl.arith`` against its twins in ``golden_model.qformat``, exhaustively at small widths."""

from __future__ import annotations

import itertools

import pytest
from amaranth import Module, Signal, signed, unsigned
from amaranth.sim import Simulator

from golden_model.qformat import fit as fit_twin
from golden_model.qformat import round_shift as round_twin
from rtl.arith import fit, overflows, round_shift


def _run_comb(m: Module, drive, inputs, outputs, check) -> None:
    sim = Simulator(m)

    async def tb(ctx):
        for v in inputs:
            ctx.set(drive, v)
            check(v, [ctx.get(o) for o in outputs])

    sim.add_testbench(tb)
    sim.run()


@pytest.mark.parametrize("rounding", ["floor", "half_up", "convergent"])
@pytest.mark.parametrize("is_signed", [True, False])
def test_round_shift_matches_twin(rounding, is_signed):
    width = 7
    v = Signal(signed(width) if is_signed else unsigned(width))
    m = Module()
    shifts = [-2, 0, 1, 2, 3, 6, 7, 9]
    outs = []
    for s in shifts:
        o = Signal(signed(width + 4), name=f"o{s + 2}")
        m.d.comb += o.eq(round_shift(v, s, rounding))
        outs.append(o)
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if is_signed else (0, (1 << width) - 1)

    def check(x, got):
        for s, g in zip(shifts, got):
            assert g == round_twin(x, s, rounding), (x, s, rounding)

    _run_comb(m, v, range(lo, hi + 1), outs, check)


@pytest.mark.parametrize("overflow", ["saturate", "wrap"])
@pytest.mark.parametrize("in_signed, out_signed, out_width",
                         list(itertools.product([True, False], [True, False], [3, 5, 9])))
def test_fit_matches_twin(overflow, in_signed, out_signed, out_width):
    width = 7
    v = Signal(signed(width) if in_signed else unsigned(width))
    o = Signal(signed(out_width) if out_signed else unsigned(out_width))
    flag = Signal()
    m = Module()
    m.d.comb += [o.eq(fit(v, out_width, out_signed, overflow)), flag.eq(overflows(v, out_width, out_signed))]
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if in_signed else (0, (1 << width) - 1)
    olo, ohi = ((-(1 << (out_width - 1)), (1 << (out_width - 1)) - 1) if out_signed
                else (0, (1 << out_width) - 1))

    def check(x, got):
        assert got[0] == fit_twin(x, out_width, out_signed, overflow), (x, out_width, out_signed, overflow)
        assert got[1] == int(not olo <= x <= ohi), x

    _run_comb(m, v, range(lo, hi + 1), [o, flag], check)
