"""P neuron outputs: the hardware activation of one group of pre-activations.

Ref: ``docs/fixed_point_spec.md`` ("Forward pass", step 4); golden twin
:func:`golden_model.fixed_network.activation`; the spatial style's :class:`rtl.activation.Activation`
computes the same function. The node perturbation (step 3) is already in the pre-activation:
:class:`rtl.folded.mac.MACLanes` starts the group's sum at it (exact either way).
"""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_model.fixed_network import FixedSpec
from golden_model.qformat import round_shift as round_int
from rtl._validate import rejecting
from rtl.arith import round_shift
from rtl.pipeline import elements, flat_width, pack

__all__ = ["NeuronLanes", "clamp_thresholds"]


def _first_above(f, bound: int) -> int:
    """The smallest integer ``z`` with ``f(z) > bound``, for ``f`` non-decreasing and unbounded."""
    lo, hi, span = -1, 1, 1
    while f(lo) > bound:
        lo, span = lo - span, 2 * span
    span = 1
    while f(hi) <= bound:
        hi, span = hi + span, 2 * span
    while hi - lo > 1:  # f(lo) <= bound < f(hi)
        mid = (lo + hi) // 2
        if f(mid) > bound:
            hi = mid
        else:
            lo = mid
    return hi


def clamp_thresholds(spec: FixedSpec) -> tuple[int, int, int, int]:
    """``(shift, offset, z_hi, z_lo)``: the activation is ``r = round_R(z, shift) + offset`` clamped to
    ``activation_range()``, and since ``r`` is non-decreasing in ``z``, ``r > hi`` exactly when
    ``z >= z_hi`` and ``r < lo`` exactly when ``z <= z_lo``."""
    s = spec
    shift, offset = (s.T_f + 2, (1 << s.A_f) >> 1) if s.hw_activation == "hard_sigmoid" else (s.T_f, 0)
    lo, hi = s.activation_range()

    def r(z: int) -> int:
        return int(round_int(z, shift, s.rounding)) + offset

    return shift, offset, _first_above(r, hi), _first_above(r, lo - 1) - 1


class NeuronLanes(wiring.Component):
    """``y_p = act(z_p)``, combinational: :func:`golden_model.fixed_network.activation` bit for bit.

    The activation rounds with ``fixed.rounding`` and clamps (part of the function). The clamp decisions
    compare ``z`` itself against the two constants of :func:`clamp_thresholds` (in parallel with the
    rounding adder, not after it), so a lane is one adder and a three-way multiplexer deep.

    Parameters
    ----------
    spec : FixedSpec
    lanes : int
    z_width : int

    Attributes
    ----------
    z : In(P · z_width)
        Exact (perturbed) pre-activations, ``T_f + A_f`` fraction bits.
    y : Out(P · W_a)
        Neuron outputs, activation format.

    Latency 0. Netlist: P rounding adders, 2P constant comparisons, P multiplexers (LUTs, carry chains).
    """

    def __init__(self, *, spec: FixedSpec, lanes: int, z_width: int) -> None:
        with rejecting(self):
            if not isinstance(spec, FixedSpec):
                raise TypeError(f"NeuronLanes spec must be a FixedSpec, not {spec!r}")
            self._spec, self._lanes, self._z_width = spec, lanes, z_width
        super().__init__({"z": In(flat_width(lanes, z_width)), "y": Out(flat_width(lanes, spec.act.width))})

    def elaborate(self, platform: object) -> Module:
        m = Module()
        s, P, wz = self._spec, self._lanes, self._z_width
        shift, offset, z_hi, z_lo = clamp_thresholds(s)
        lo, hi = s.activation_range()
        shape = signed(s.act.width) if s.act.signed else unsigned(s.act.width)
        ys = []
        for p, z in enumerate(elements(self.z, P, wz, True)):
            y = Signal(shape, name=f"y{p}")
            r = round_shift(z, shift, s.rounding) + offset
            m.d.comb += y.eq(Mux(z >= z_hi, hi, Mux(z <= z_lo, lo, r)))
            ys.append(y)
        m.d.comb += self.y.eq(pack(ys))
        return m
