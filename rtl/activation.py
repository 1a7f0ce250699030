"""The hardware activation function of one neuron.

Ref: ``docs/fixed_point_spec.md`` ("Forward pass", step 4); golden twin
:func:`golden_model.fixed_network.activation`.
"""

from __future__ import annotations

from amaranth import Module, Mux, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_model.fixed_network import FixedSpec
from rtl._validate import rejecting
from rtl.arith import round_shift

__all__ = ["Activation"]


class Activation(wiring.Component):
    """``fixed.hw_activation`` of a pre-activation, to the activation format (combinational).

    ``hard_sigmoid``: ``clamp(round_R(z, T_f + 2) + 2**(A_f - 1), 0, 2**A_f)``; ``clipped_relu``:
    ``clamp(round_R(z, T_f), 0, 2**A_f)``; ``relu``: ``clamp(round_R(z, T_f), 0, max)``; ``hard_tanh``:
    ``clamp(round_R(z, T_f), -2**A_f, 2**A_f)``. The clamp is part of the function, not an overflow.

    Parameters
    ----------
    spec : FixedSpec
        Formats, rounding and ``hw_activation`` (from :func:`rtl.spec.hardware_spec`).
    z_width : int
        Width of the signed pre-activation ``z`` (``T_f + A_f`` fraction bits), >= 2.

    Attributes
    ----------
    z : In(signed(z_width))
        Pre-activation, exact.
    y : Out(activation format)
        Neuron output, ``A_f`` fraction bits; signed only if ``fixed.activation`` is.

    Latency 0 (combinational).
    """

    def __init__(self, *, spec: FixedSpec, z_width: int) -> None:
        with rejecting(self):
            if not isinstance(spec, FixedSpec):
                raise TypeError(f"Activation spec must be a FixedSpec, not {spec!r}")
            if not isinstance(z_width, int) or isinstance(z_width, bool) or z_width < 2:
                raise ValueError(f"Activation z_width must be an integer >= 2, not {z_width!r}")
            self._spec = spec
            self._z_width = z_width
            act = spec.act
        super().__init__({"z": In(signed(z_width)),
                          "y": Out(signed(act.width) if act.signed else unsigned(act.width))})

    @property
    def spec(self) -> FixedSpec:
        return self._spec

    @property
    def z_width(self) -> int:
        return self._z_width

    def elaborate(self, platform: object) -> Module:
        m = Module()
        s = self._spec
        if s.hw_activation == "hard_sigmoid":
            r = round_shift(self.z, s.T_f + 2, s.rounding) + ((1 << s.A_f) >> 1)
        else:
            r = round_shift(self.z, s.T_f, s.rounding)
        lo, hi = s.activation_range()
        m.d.comb += self.y.eq(Mux(r > hi, hi, Mux(r < lo, lo, r)))
        return m
