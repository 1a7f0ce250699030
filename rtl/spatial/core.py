"""MGDCore: trainer + network + cost unit + sample store, a self-contained spatial MGD training core.

Ref: ``shared/design/ARCHITECTURE.md`` ("RTL": ``MGDCore``); ``docs/fixed_point_spec.md`` (the whole step);
:mod:`rtl.contract` (the host interface).
"""

from __future__ import annotations

import numpy as np
from amaranth import Const, Module
from amaranth.lib import wiring

from golden_model.config import MGDConfig
from golden_model.digest import DIGEST_BITS, digest_weights
from golden_model.fixed_network import FixedSpec
from golden_model.schedule import spatial_cycles
from rtl._validate import not_elaborated, rejecting
from rtl.contract import CoreResources, MGDCoreBase, MultiplierUse
from rtl.cores import CoreInputs
from rtl.cost import CostUnit
from rtl.pipeline import delay, elements
from rtl.samples import SampleStore
from rtl.spatial.network import Network
from rtl.spatial.trainer import MGDTrainer
from rtl.spec import fail

__all__ = ["MGDCore", "MAX_SPATIAL_PARAMS"]

# The spatial style builds one perturbation lane, correlator, update unit and (node mode) multiplier per
# parameter, and one multiplier per weight in the datapath: beyond a few hundred parameters the folded style
# is the sane choice. NIST7x7's [49, 4, 4] (220 parameters) still fits.
MAX_SPATIAL_PARAMS = 256


def _stand_in(name: str, real: wiring.Component, given: wiring.Component | None) -> wiring.Component:
    """``real``, or ``given`` in its place when it has ``real``'s signature and latency."""
    if given is None:
        return real
    not_elaborated(real)
    if given.signature != real.signature or getattr(given, "latency", None) != real.latency:
        raise ValueError(f"MGDCore {name} must be a component with the signature and latency "
                         f"({real.latency}) of {type(real).__name__}, not {given!r}")
    return given


class MGDCore(MGDCoreBase):
    """A spatial MGD training core: one perturbed inference per clock in steady state.

    Pipeline (cycle of issue = 0): sample ROM read (1) → one stage per layer (``len(layers) - 1``) → cost
    register (1) → correlate (1) → update. So ``latency = len(layers) + 2`` and, with τ_x = τ_θ = T, T steps
    take ``T + 1 + latency`` cycles (one baseline pass, T perturbed passes, the drain before θ changes):
    :meth:`cycles`, from :func:`golden_model.schedule.spatial_cycles`.

    Parameters
    ----------
    spec : FixedSpec
        From :func:`rtl.spec.hardware_spec` (build through :func:`rtl.cores.build_core`).
    theta0 : array of int, shape (n_params,)
    x, t : array of int
        The training set in the activation format (sample ROM contents).
    verify : bool
        Add the ``digest`` port (combinational digests of every θ, G and M register).
    network, cost_unit : wiring.Component, optional
        Stand-ins for the forward datapath, with the signature and latency of :class:`Network` and
        :class:`CostUnit` (checked): the formal harness (:mod:`rtl.formal.spatial_props`) cuts the datapath
        this way and drives the cost with free values. Default: the real blocks.

    Attributes
    ----------
    ctrl, status, rd, digest
        The host contract (:mod:`rtl.contract`). The readback is a combinational multiplexer:
        :attr:`readback_latency` is 0.
    """

    style = "spatial"

    def __init__(self, *, spec: FixedSpec, theta0: np.ndarray, x: np.ndarray, t: np.ndarray,
                 verify: bool = False, network: wiring.Component | None = None,
                 cost_unit: wiring.Component | None = None) -> None:
        with rejecting(self):
            if not isinstance(spec, FixedSpec):
                raise TypeError(f"MGDCore spec must be a FixedSpec, not {spec!r}")
            self._samples = SampleStore(x=x, t=t, width=spec.act.width, signed=spec.act.signed)
            self._network = _stand_in("network", Network(spec=spec), network)
            self._cost = _stand_in("cost_unit", CostUnit(spec=spec), cost_unit)
            self._latency = self._samples.latency + self._network.latency + self._cost.latency
            self._trainer = MGDTrainer(spec=spec, theta0=theta0, n_samples=self._samples.n_samples,
                                       latency=self._latency)
            super().__init__(spec=spec, theta0=theta0, n_samples=self._samples.n_samples, verify=verify)

    @classmethod
    def from_inputs(cls, config: MGDConfig, inputs: CoreInputs, *, verify: bool = False) -> MGDCore:
        return cls(spec=inputs.spec, theta0=inputs.theta0, x=inputs.x, t=inputs.t, verify=verify)

    @staticmethod
    def check(config: MGDConfig, spec: FixedSpec) -> None:
        """What only this style refuses: more than :data:`MAX_SPATIAL_PARAMS` parameters."""
        n_params = spec.layout.n_params
        if n_params > MAX_SPATIAL_PARAMS:
            fail("network.layers", f"a network of at most {MAX_SPATIAL_PARAMS} parameters for the spatial "
                 f"core (this one has {n_params}; set hardware.style = \"folded\" for larger networks)",
                 list(spec.layers))

    @property
    def latency(self) -> int:
        """Cycles from issuing a pass to the edge at which θ changes if that pass ends an update block
        (:attr:`rtl.spatial.trainer.MGDTrainer.schedule_latency`): the ``L`` of the ``(T + 1 + L) / T``
        schedule."""
        return self._trainer.schedule_latency

    @property
    def readback_latency(self) -> int:
        return 0

    def cycles(self, start: int, steps: int, tau_x: int, tau_p: int, tau_theta: int) -> int:
        return spatial_cycles(start, steps, tau_x, tau_theta, self.latency)

    def resources(self) -> CoreResources:
        """The multipliers only (the spatial core keeps its registers in flip-flops; its one memory, the
        sample ROM, is not counted): one per weight (``θ·a``), node mode's correlator one per weight
        (``s·Ĉ·a``), and the cost's squares (mse)."""
        s = self._spec
        layers = list(s.layers)
        weights = sum(a * b for a, b in zip(layers[:-1], layers[1:]))
        a_bits = s.act.width + (0 if s.act.signed else 1)
        mults = [MultiplierUse("weight products (θ·a)", weights, s.theta.width, a_bits)]
        if s.perturbation == "node":
            mults.append(MultiplierUse("correlator products (s·Ĉ·a)", weights, s.cost_fmt.width + 2, a_bits))
        if s.cost_kind == "mse":
            d_bits = s.act.width + 2
            mults.append(MultiplierUse("cost squares ((y − t)²)", layers[-1], d_bits, d_bits))
        return CoreResources(multipliers=tuple(mults), layers=tuple(layers))

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "latency": self.latency}

    def elaborate(self, platform: object) -> Module:
        m = Module()
        s = self._spec
        m.submodules.trainer = tr = self._trainer
        m.submodules.samples = rom = self._samples
        m.submodules.network = net = self._network
        m.submodules.cost_unit = cu = self._cost
        wiring.connect(m, wiring.flipped(self.ctrl), tr.ctrl)
        wiring.connect(m, wiring.flipped(self.status), tr.status)
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
        n = s.layout.n_params
        files = {"theta": elements(tr.theta, n, s.theta.width, True),
                 "grad": elements(tr.grad, n, s.grad_width, True),
                 "momentum": (elements(tr.momentum, n, s.momentum_width, True) if s.k_m
                              else [Const(0, 1)] * n)}
        with m.Switch(self.rd.index):
            for i in range(n):
                with m.Case(i):
                    m.d.comb += [getattr(self.rd, k).eq(regs[i]) for k, regs in files.items()]
        if self.verify:
            weights = [int(w) for w in digest_weights(n)]
            for k, regs in files.items():
                total = sum(Const(w, DIGEST_BITS) * r.as_unsigned() for w, r in zip(weights, regs))
                m.d.comb += getattr(self.digest, k).eq(total[:DIGEST_BITS])
        return m
