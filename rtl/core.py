"""MGDCore: trainer + network + cost unit + sample store, a self-contained spatial MGD training core.

Ref: ``shared/design/ARCHITECTURE.md`` ("RTL": ``MGDCore``); ``docs/fixed_point_spec.md`` (the whole step).
"""

from __future__ import annotations

import numpy as np
from amaranth import Module, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_model.config import MGDConfig
from golden_model.datasets import load_dataset
from golden_model.fixed_network import FixedSpec, quantize_data
from golden_model.params import init_theta
from rtl._validate import rejecting
from rtl.controller import STEP_BITS
from rtl.cost import CostUnit
from rtl.network import Network
from rtl.pipeline import delay, elements, flat_width
from rtl.samples import SampleStore
from rtl.spec import TAU_BITS, check_samples, hardware_spec
from rtl.trainer import MGDTrainer

__all__ = ["MGDCore", "core_inputs"]


def core_inputs(config: MGDConfig) -> tuple[FixedSpec, np.ndarray, np.ndarray, np.ndarray]:
    """``(spec, theta0, x, t)`` of ``config``: checked spec, θ₀ and the quantised training set.

    θ₀ = ``sat(round_half_up(init_theta(...) * 2**T_f))`` and ``x, t`` = ``quantize_data`` of the training
    set (spec: "Initial parameters and data").
    """
    spec = hardware_spec(config)
    theta0 = spec.theta.with_modes("half_up", "saturate").from_real(
        init_theta(spec.layers, spec.seed, spec.init_scale))
    data = load_dataset(config.task)
    check_samples(data.x_train)
    return spec, theta0, quantize_data(data.x_train, spec), quantize_data(data.t_train, spec)


class MGDCore(wiring.Component):
    """A spatial MGD training core: one perturbed inference per clock in steady state.

    Pipeline (cycle of issue = 0): sample ROM read (1) → one stage per layer (``len(layers) - 1``) → cost
    register (1) → correlate (1) → update. So ``latency = len(layers) + 2`` and, with τ_x = τ_θ = T, T steps
    take ``T + 1 + latency`` cycles (one baseline pass, T perturbed passes, the drain before θ changes).

    Parameters
    ----------
    spec : FixedSpec
        From :func:`rtl.spec.hardware_spec` (use :meth:`from_config`).
    theta0 : array of int, shape (n_params,)
    x, t : array of int
        The training set in the activation format (sample ROM contents).

    Attributes
    ----------
    start, stop : In(1)
        Pulses: run ``n_steps`` more MGD steps; stop after the step in progress.
    n_steps : In(32)
    tau_x, tau_p, tau_theta : In(21)
        The τ's, loaded on ``start``.
    busy : Out(1)
        Running or draining; θ, G and the status are final for the run when it is low.
    step, updates : Out(32)
        Completed MGD steps and θ updates.
    last_cost, c0 : Out(W_C)
        C of the last perturbed pass and the baseline register C0 (cost format).
    sample : Out(index)
        Training sample of the last completed step (``(n // τ_x) % n_train`` of step ``n = step − 1``).
    sat_events : Out(32)
        Overflow events of G, θ and M (one per parameter per event).
    cycles : Out(32)
        Clock cycles spent busy (cycles per step = ``cycles / step``).
    theta : Out(n_params * W_θ)
        All parameters, flat (element ``i`` in bits ``[i*W_θ, (i+1)*W_θ)``), parameter order.
    grad : Out(n_params * W_G)
        All accumulators G, flat.
    momentum : Out(n_params * (W_θ + k_m + 1))
        All momentum registers M, flat (1 bit, constant 0, without momentum).
    rd_index : In(index)
        Parameter to read through the narrow port.
    rd_theta : Out(signed(W_θ))
    rd_grad : Out(signed(W_G))
        θ and G of parameter ``rd_index`` (combinational mux): the small host interface.
    """

    def __init__(self, *, spec: FixedSpec, theta0: np.ndarray, x: np.ndarray, t: np.ndarray) -> None:
        with rejecting(self):
            if not isinstance(spec, FixedSpec):
                raise TypeError(f"MGDCore spec must be a FixedSpec, not {spec!r}")
            self._spec = spec
            self._samples = SampleStore(x=x, t=t, width=spec.act.width, signed=spec.act.signed)
            self._network = Network(spec=spec)
            self._cost = CostUnit(spec=spec)
            self._latency = self._samples.latency + self._network.latency + self._cost.latency
            self._trainer = MGDTrainer(spec=spec, theta0=theta0, n_samples=self._samples.n_samples,
                                       latency=self._latency)
            n = spec.layout.n_params
        super().__init__({
            "start": In(1), "stop": In(1), "n_steps": In(STEP_BITS),
            "tau_x": In(TAU_BITS), "tau_p": In(TAU_BITS), "tau_theta": In(TAU_BITS),
            "busy": Out(1), "step": Out(STEP_BITS), "updates": Out(STEP_BITS),
            "last_cost": Out(unsigned(spec.cost_fmt.width)), "c0": Out(unsigned(spec.cost_fmt.width)),
            "sample": Out(self._trainer.sample.shape()), "sat_events": Out(STEP_BITS),
            "cycles": Out(STEP_BITS), "theta": Out(flat_width(n, spec.theta.width)),
            "grad": Out(flat_width(n, spec.grad_width)),
            "momentum": Out(flat_width(n if spec.k_m else 0, spec.momentum_width)),
            "rd_index": In(max(1, (n - 1).bit_length())),
            "rd_theta": Out(spec.theta.width), "rd_grad": Out(spec.grad_width),
        })

    @classmethod
    def from_config(cls, config: MGDConfig) -> MGDCore:
        """Build the core of ``config``; raises an :class:`~golden_model.errors.MGDError` it cannot build."""
        spec, theta0, x, t = core_inputs(config)
        return cls(spec=spec, theta0=theta0, x=x, t=t)

    @property
    def spec(self) -> FixedSpec:
        return self._spec

    @property
    def latency(self) -> int:
        """Cycles from issuing a pass to the edge at which θ changes if that pass ends an update block
        (:attr:`rtl.trainer.MGDTrainer.schedule_latency`): the ``L`` of the ``(T + 1 + L) / T`` schedule."""
        return self._trainer.schedule_latency

    @property
    def theta0(self) -> list[int]:
        return self._trainer.theta0

    def elaborate(self, platform: object) -> Module:
        m = Module()
        s = self._spec
        m.submodules.trainer = tr = self._trainer
        m.submodules.samples = rom = self._samples
        m.submodules.network = net = self._network
        m.submodules.cost_unit = cu = self._cost
        for name in ("start", "stop", "n_steps", "tau_x", "tau_p", "tau_theta"):
            m.d.comb += getattr(tr, name).eq(getattr(self, name))
        m.d.comb += [
            rom.addr.eq(tr.issue_sample),
            net.valid.eq(delay(m, tr.issue_valid, rom.latency, "net_valid")),
            net.perturb.eq(delay(m, tr.issue_valid & ~tr.issue_baseline, rom.latency, "net_perturb")),
            net.signs.eq(delay(m, tr.signs, rom.latency, "net_signs")),
            net.x.eq(rom.x), net.theta.eq(tr.theta),
            cu.valid.eq(net.y_valid), cu.y.eq(net.y), cu.t.eq(delay(m, rom.t, net.latency, "target")),
            tr.cost.eq(cu.cost),
        ]
        if s.perturbation == "node":
            m.d.comb += tr.acts.eq(delay(m, net.acts, cu.latency, "acts"))
        for name in ("busy", "step", "updates", "last_cost", "c0", "sample", "sat_events", "cycles", "theta",
                     "grad", "momentum"):
            m.d.comb += getattr(self, name).eq(getattr(tr, name))
        n = s.layout.n_params
        thetas = elements(tr.theta, n, s.theta.width, True)
        grads = elements(tr.grad, n, s.grad_width, True)
        with m.Switch(self.rd_index):
            for i in range(n):
                with m.Case(i):
                    m.d.comb += [self.rd_theta.eq(thetas[i]), self.rd_grad.eq(grads[i])]
        return m
