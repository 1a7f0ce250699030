"""P neuron outputs: node perturbation and the hardware activation of one group of pre-activations.

Ref: ``docs/fixed_point_spec.md`` ("Forward pass", steps 3 and 4); the activation is
:class:`rtl.activation.Activation`, once per lane.
"""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_model.fixed_network import FixedSpec
from rtl._validate import rejecting
from rtl.activation import Activation
from rtl.pipeline import elements, flat_width, pack

__all__ = ["NeuronLanes"]


class NeuronLanes(wiring.Component):
    """``y_p = act(z_p + s_p · 2**(T_f + A_f - k_p))`` (node perturbation when ``perturb``), combinational.

    The perturbation is added exactly (``z_width`` holds it: ``FixedSpec.widths()["z"]`` includes the node
    amplitude); the activation rounds with ``fixed.rounding`` and clamps (part of the function).

    Parameters
    ----------
    spec : FixedSpec
    lanes : int
    z_width : int

    Attributes
    ----------
    z : In(P · z_width)
        Exact pre-activations, ``T_f + A_f`` fraction bits.
    signs : In(P)
        Node-mode sign bits of the group's neurons (1 = ``-``).
    perturb : In(1)
        Add the node perturbation (node mode, perturbed pass).
    y : Out(P · W_a)
        Neuron outputs, activation format.

    Latency 0.
    """

    def __init__(self, *, spec: FixedSpec, lanes: int, z_width: int) -> None:
        with rejecting(self):
            if not isinstance(spec, FixedSpec):
                raise TypeError(f"NeuronLanes spec must be a FixedSpec, not {spec!r}")
            self._spec, self._lanes, self._z_width = spec, lanes, z_width
        super().__init__({"z": In(flat_width(lanes, z_width)), "signs": In(max(1, lanes)), "perturb": In(1),
                          "y": Out(flat_width(lanes, spec.act.width))})

    def elaborate(self, platform: object) -> Module:
        m = Module()
        s, P, wz = self._spec, self._lanes, self._z_width
        amp = s.node_amplitude
        ys = []
        for p, z in enumerate(elements(self.z, P, wz, True)):
            zp = Signal(signed(wz), name=f"zp{p}")
            pert = Mux(self.signs[p], -amp, amp) if s.perturbation == "node" else 0
            m.d.comb += zp.eq(z + Mux(self.perturb, pert, 0))
            act = Activation(spec=s, z_width=wz)
            m.submodules[f"act{p}"] = act
            m.d.comb += act.z.eq(zp)
            ys.append(act.y)
        m.d.comb += self.y.eq(pack(ys))
        return m
