"""The spatial, pipelined fixed-point MLP datapath with perturbation injection.

Ref: ``docs/fixed_point_spec.md`` ("Forward pass", steps 1-4); golden twin
:func:`golden_model.fixed_network.forward`.
"""

from __future__ import annotations

from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_model.fixed_network import FixedSpec
from rtl._validate import rejecting
from rtl.activation import Activation
from rtl.arith import tree_sum
from rtl.pipeline import delay, elements, flat_width, pack

__all__ = ["Network"]


class Network(wiring.Component):
    """The MLP of ``spec.layers``: every weight its own multiplier, one register stage per layer.

    Pass ``k`` presented at cycle ``t`` (``valid`` high) leaves at cycle ``t + latency``. A pass is
    perturbed when ``perturb`` is high: in weight mode every weight and bias becomes
    ``w + s * 2**(T_f - k_p)`` (exact, one bit wider than θ); in node mode every pre-activation becomes
    ``z + s * 2**(T_f + A_f - k_p)``. ``s = -1`` where the pass's sign bit is 1. Each layer uses the signs
    that entered with its pass (they travel down the pipeline with the data), so passes with different
    signs may follow each other on consecutive clocks.

    Parameters
    ----------
    spec : FixedSpec
        Layers, formats, rounding, activation and perturbation mode.

    Attributes
    ----------
    valid, perturb : In(1)
        A pass enters this cycle; it is a perturbed (not a baseline) pass.
    signs : In(lanes)
        The pass's sign bits: one per parameter (weight mode, parameter order) or per neuron (node mode).
    x : In(n_in * W_a)
        The pass's input, activation format (flat, input ``i`` in bits ``[i*W_a, (i+1)*W_a)``).
    theta : In(n_params * W_θ)
        The parameters, θ format, parameter order (``golden_model.params``); must be stable while a pass is
        in flight (the trainer changes θ only when the pipeline is empty).
    y_valid : Out(1)
        A pass leaves this cycle.
    y : Out(n_out * W_a)
        Its output activations.
    acts : Out(sum(layers[:-1]) * W_a)
        Its layer inputs (``x`` first, then every hidden layer's output), aligned with ``y``: what the
        node-mode correlator multiplies with (zero-width-free: 1 bit when unused).

    Latency: ``len(layers) - 1`` cycles (one registered stage per layer), one pass per clock.
    """

    def __init__(self, *, spec: FixedSpec) -> None:
        with rejecting(self):
            if not isinstance(spec, FixedSpec):
                raise TypeError(f"Network spec must be a FixedSpec, not {spec!r}")
            self._spec = spec
            wa, wt = spec.act.width, spec.theta.width
            layers = spec.layers
        super().__init__({
            "valid": In(1), "perturb": In(1), "signs": In(spec.n_lanes),
            "x": In(flat_width(layers[0], wa)), "theta": In(flat_width(spec.layout.n_params, wt)),
            "y_valid": Out(1), "y": Out(flat_width(layers[-1], wa)),
            "acts": Out(flat_width(sum(layers[:-1]), wa)),
        })

    @property
    def spec(self) -> FixedSpec:
        return self._spec

    @property
    def latency(self) -> int:
        return len(self._spec.layers) - 1

    def elaborate(self, platform: object) -> Module:
        m = Module()
        s = self._spec
        wa, wt = s.act.width, s.theta.width
        theta = elements(self.theta, s.layout.n_params, wt, True)
        a = elements(self.x, s.layers[0], wa, s.act.signed)
        valid, perturb, signs = self.valid, self.perturb, self.signs
        acts: list = []
        offsets, n_offsets = s.layout.param_offsets(), s.layout.neuron_offsets()
        for layer, (n_in, n_out) in enumerate(zip(s.layers[:-1], s.layers[1:])):
            if s.perturbation == "node":  # only node mode's correlator needs the layer inputs
                acts = acts + a
            outs = []
            for j in range(n_out):
                base = offsets[layer] + j * (n_in + 1)
                params = theta[base:base + n_in + 1]
                if s.perturbation == "weight":
                    amp = s.weight_amplitude
                    params = [p + Mux(perturb, Mux(signs[base + k], -amp, amp), 0)
                              for k, p in enumerate(params)]
                z = tree_sum([params[i] * a[i] for i in range(n_in)] + [params[n_in] << s.A_f])
                if s.perturbation == "node":
                    amp = s.node_amplitude
                    z = z + Mux(perturb, Mux(signs[n_offsets[layer] + j], -amp, amp), 0)
                act = Activation(spec=s, z_width=max(2, len(z)))
                m.submodules[f"act_l{layer}_n{j}"] = act
                y = Signal(act.y.shape(), name=f"y_l{layer}_n{j}")
                m.d.comb += act.z.eq(z)
                m.d.sync += y.eq(act.y)
                outs.append(y)
            stage = f"l{layer}"
            acts = [delay(m, v, 1, f"acts_{stage}_{i}") for i, v in enumerate(acts)]
            valid = delay(m, valid, 1, f"valid_{stage}")
            perturb = delay(m, perturb, 1, f"perturb_{stage}")
            signs = delay(m, signs, 1, f"signs_{stage}")
            a = outs
        m.d.comb += [self.y_valid.eq(valid), self.y.eq(pack(a))]
        if acts:
            m.d.comb += self.acts.eq(pack(acts))
        return m
