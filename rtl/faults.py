"""Fault generators of the cores: the noise LFSR's draw and jump, and the noisy cost read.

Ref: ``docs/fixed_point_spec.md`` ("Faults"); the twin and the owner of every definition is
:mod:`golden_model.faults` (width 32, the draw ``(2v + 1) · 2**s`` of the ``b`` low bits, the jump of ``b``
Galois steps, the seeds). Both datapath styles build these: the spatial core one cost-noise register and one
update-noise register per parameter, the folded core the cost-noise register and a memory of update-noise
states (one word of P lanes per parameter address).
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_model import faults as twin
from golden_model.fixed_network import FixedSpec

__all__ = ["noise_draw", "noise_jump", "CostNoise"]


def noise_draw(state: Value, bits: int, shift: int) -> Value:
    """The draw of a noise state: ``(2v + 1) · 2**s``, ``v`` the ``b`` low bits of ``state`` (two's
    complement), exact, signed ``b + 1 + s`` bits (:func:`golden_model.faults.noise_value`)."""
    odd = Cat(Const(1, 1), Value.cast(state)[:bits]).as_signed()  # 2v + 1: one appended bit
    return Cat(Const(0, shift), odd).as_signed() if shift else odd


def noise_jump(state: Value, steps: int) -> Value:
    """The state ``steps`` Galois steps on: one XOR tree per bit (:func:`golden_model.faults.jump_rows`)."""
    state = Value.cast(state)
    bits = []
    for row in twin.jump_rows(steps):
        taps = [state[k] for k in range(twin.NOISE_LFSR_WIDTH) if (row >> k) & 1]
        x = taps[0]
        for t in taps[1:]:
            x = x ^ t
        bits.append(x)
    return Cat(*bits)


class CostNoise(wiring.Component):
    """The noisy cost read: ``C = sat(C' + ν, [0, 2**W_C − 1])`` (always saturating, whatever
    ``fixed.overflow``; spec "Faults"), ν the draw of the cost-noise LFSR, which jumps ``b_C`` steps at every
    read.

    Parameters
    ----------
    spec : FixedSpec
        ``cost_noise_bits``/``cost_noise_shift`` (> 0 bits), the cost format and ``seed``.

    Attributes
    ----------
    cost : In(unsigned(W_C))
        The cost register of the pass being read (``C'``).
    read : In(1)
        A cost read happens this cycle (the LFSR jumps at the edge).
    noisy : Out(unsigned(W_C))
        ``sat(cost + ν)``, combinational from ``cost`` and the LFSR state.

    Latency: 0 (``noisy`` follows ``cost``); the state changes one edge after ``read``.
    """

    def __init__(self, *, spec: FixedSpec) -> None:
        if not spec.cost_noise_bits:
            raise ValueError("CostNoise needs fixed.cost_noise_bits > 0")
        self._spec = spec
        super().__init__({"cost": In(unsigned(spec.cost_fmt.width)), "read": In(1),
                          "noisy": Out(unsigned(spec.cost_fmt.width))})

    def elaborate(self, platform: object) -> Module:
        m = Module()
        s = self._spec
        b, sh = s.cost_noise_bits, s.cost_noise_shift
        state = Signal(twin.NOISE_LFSR_WIDTH, init=twin.cost_seed(s.seed))
        with m.If(self.read):
            m.d.sync += state.eq(noise_jump(state, b))
        total = Signal(signed(s.cost_fmt.width + b + sh + 2))
        top = s.cost_fmt.max_int
        m.d.comb += [total.eq(self.cost + noise_draw(state, b, sh)),
                     self.noisy.eq(Mux(total < 0, 0, Mux(total > top, top, total)))]
        return m
