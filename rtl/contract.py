"""The host contract of every MGD training core, whatever its datapath style.

Ref: ``shared/design/ARCHITECTURE.md`` ("Two datapath styles, one contract"); ``docs/fixed_point_spec.md``
("One step n": what the status registers mean).

A core is a :class:`MGDCoreBase` with three ports, each an ``Out`` of one of the signatures below (member
directions are the core's own): ``ctrl`` (:class:`ControlSignature`), ``status`` (:class:`StatusSignature`)
and ``rd`` (:class:`ReadbackSignature`). A core built with ``verify=True`` also has ``digest``
(:class:`DigestSignature`): verification-only digests of θ, G and M that let a bench check thousands of
parameters at every update without reading them one by one. A core whose sample store has no initial
contents (the folded style with ``hardware.samples = "stream"``) also has the sample-load ports of
:func:`load_ports`: ``load``, ``load_restart`` and ``loaded``. In Verilog the members are flattened as
``ctrl__start``, ``status__busy``, ``rd__index``, ``digest__theta``, ``load__payload`` ...

Host protocol
-------------
0. Only a core with a ``load`` port (:attr:`MGDCoreBase.load_beats` > 0): while ``status.busy`` is low, send
   the :attr:`~MGDCoreBase.load_beats` words of :meth:`MGDCoreBase.sample_words` (the training set as the
   store holds it) through ``load``, an ``amaranth.lib.stream`` port (a beat moves on a clock edge with
   ``valid`` and ``ready`` high; ``ready`` is low while busy and once the store is full, and may rise a
   clock after ``busy`` falls). ``loaded`` counts the words stored since reset or the last ``load_restart``
   pulse (which starts again at the first word); the core ignores ``start`` until ``loaded == load_beats``,
   so it never trains on a half-loaded store. The store keeps its contents over runs; loading takes no
   ``status.cycles``.
1. Set ``ctrl.tau_x/tau_p/tau_theta`` and ``ctrl.n_steps``, pulse ``ctrl.start`` for one cycle: the core
   runs ``n_steps`` more MGD steps (the τ's are loaded on ``start``; keep them the same within a training).
   ``ctrl.stop`` ends a run after the step in progress.
   The core refuses a ``start`` whose τ's it cannot run as the spec says (:class:`rtl.tau_check.TauCheck`,
   the same in every style): a τ of 0 (the spec's ``n % τ`` has no meaning), a τ_θ above
   :attr:`MGDCoreBase.tau_theta_max` (the largest τ_θ for which the generated G and M widths are proven
   not to overflow, spec step 5: a larger one could make G saturate or wrap silently), or τ's other than
   those of the training's first run once a step has run (the core's step counters ``n mod τ`` would no
   longer be the spec's). A refused start starts nothing: ``busy`` stays low and every register, the step
   count and the digests keep their values; ``status.refused`` says why (:data:`REFUSED_ZERO_TAU`,
   :data:`REFUSED_TAU_THETA`, :data:`REFUSED_TAU_CHANGED`, or-ed), until the next accepted ``start`` clears
   it. A refused ``start`` while a run is in progress leaves that run alone.
2. Wait for ``status.busy`` to fall. Then every status member, every readback and every digest describe the
   state after the last completed step (spec: "observable after every step").
3. Readback (only while ``busy`` is low): set ``rd.index`` to a parameter index (canonical order of
   :mod:`golden_model.params`); ``rd.theta``, ``rd.grad`` and ``rd.momentum`` hold that parameter's
   registers :attr:`MGDCoreBase.readback_latency` clock edges later. The port has the same width for any N.

Schedule: :meth:`MGDCoreBase.cycles` is the core's own count of busy clock cycles for a run of steps; the
bench measures the core against it and nothing else recomputes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from amaranth import signed, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from golden_model.config import MGDConfig
from golden_model.digest import DIGEST_BITS
from golden_model.fixed_network import FixedSpec
from golden_model.params import index_bits

if TYPE_CHECKING:
    from rtl.cores import CoreInputs

__all__ = ["ControlSignature", "StatusSignature", "ReadbackSignature", "DigestSignature", "MGDCoreBase",
           "MultiplierUse", "MemoryUse", "CoreResources", "STEP_BITS", "TAU_BITS", "index_bits", "load_ports",
           "REFUSED_BITS", "REFUSED_ZERO_TAU", "REFUSED_TAU_THETA", "REFUSED_TAU_CHANGED", "tau_theta_max"]

STEP_BITS = 32  # step counters, the run length, the cycle counter
TAU_BITS = 21  # run-time τ registers (MGDSettings allows τ up to 2**20)
# ``status.refused``: why the last ``start`` was refused (host protocol, step 1), bits or-ed; 0 = accepted
REFUSED_ZERO_TAU = 1  # a τ is 0
REFUSED_TAU_THETA = 2  # τ_θ above MGDCoreBase.tau_theta_max
REFUSED_TAU_CHANGED = 4  # τ's other than the training's, once a step has run
REFUSED_BITS = 3


def tau_theta_max(spec: FixedSpec) -> int:
    """The largest run-time τ_θ a core generated from ``spec`` runs (host protocol, step 1): the largest
    for which G cannot leave its ``W_G`` bits within τ_θ steps (spec step 5, ``τ_θ · G_step_bound`` of
    :meth:`FixedSpec.widths`) and, with momentum, stays in the ``W_M − k_m`` bits that
    prove M cannot overflow (:attr:`FixedSpec.momentum_width`, which was sized for the generated τ_θ);
    at least the generated ``spec.tau_theta``, at most what the ``TAU_BITS`` register holds."""
    top = (1 << TAU_BITS) - 1
    step_bound = spec.widths()["G_step_bound"]
    width = spec.momentum_width - spec.k_m if spec.k_m else spec.grad_width
    if step_bound <= 0:
        return top
    return max(spec.tau_theta, min(top, ((1 << (width - 1)) - 1) // step_bound))


def load_ports(width: int, beats: int) -> dict[str, wiring.Member]:
    """The sample-load ports of a core whose store is filled by the host (host protocol, step 0), members
    in the core's view: ``load`` (``In(stream.Signature(unsigned(width)))``: ``payload``, ``valid`` in,
    ``ready`` out), ``load_restart`` (in, a pulse: the next word is the first again) and ``loaded`` (out,
    words stored, 0 .. ``beats``)."""
    return {"load": In(stream.Signature(unsigned(width))), "load_restart": In(1),
            "loaded": Out(range(beats + 1))}


class ControlSignature(wiring.Signature):
    """``start``, ``stop`` (pulses), ``n_steps`` (32 bits), ``tau_x``, ``tau_p``, ``tau_theta`` (21 bits):
    all inputs of the core."""

    def __init__(self) -> None:
        super().__init__({"start": In(1), "stop": In(1), "n_steps": In(STEP_BITS), "tau_x": In(TAU_BITS),
                          "tau_p": In(TAU_BITS), "tau_theta": In(TAU_BITS)})


class StatusSignature(wiring.Signature):
    """Outputs of the core, valid while ``busy`` is low.

    ``busy`` (running or draining), ``step`` and ``updates`` (completed MGD steps and θ updates),
    ``last_cost`` and ``c0`` (C of the last perturbed pass, the baseline register C0; cost format),
    ``sample`` (training sample of the last completed step), ``sat_events`` (narrowings that saturated or
    wrapped so far, spec item 7), ``cycles`` (clock cycles spent busy), ``refused`` (:data:`REFUSED_BITS`
    bits: why the last ``start`` was refused, 0 when it was accepted; host protocol, step 1).
    """

    def __init__(self, *, cost_width: int, sample_bits: int) -> None:
        super().__init__({"busy": Out(1), "step": Out(STEP_BITS), "updates": Out(STEP_BITS),
                          "last_cost": Out(unsigned(cost_width)), "c0": Out(unsigned(cost_width)),
                          "sample": Out(sample_bits), "sat_events": Out(STEP_BITS),
                          "cycles": Out(STEP_BITS), "refused": Out(REFUSED_BITS)})


class ReadbackSignature(wiring.Signature):
    """``index`` in; ``theta``, ``grad``, ``momentum`` (signed, the registers' widths) out.

    ``momentum`` is 1 bit wide and reads 0 in a core without momentum.
    """

    def __init__(self, *, n_params: int, theta_width: int, grad_width: int, momentum_width: int) -> None:
        super().__init__({"index": In(index_bits(n_params)), "theta": Out(signed(theta_width)),
                          "grad": Out(signed(grad_width)), "momentum": Out(signed(max(1, momentum_width)))})


class DigestSignature(wiring.Signature):
    """Verification only: ``theta``, ``grad``, ``momentum`` digests (:func:`golden_model.digest.digest`) of
    the current registers, 32 bits each, valid while ``busy`` is low."""

    def __init__(self) -> None:
        super().__init__({"theta": Out(DIGEST_BITS), "grad": Out(DIGEST_BITS), "momentum": Out(DIGEST_BITS)})


@dataclass(frozen=True)
class MultiplierUse:
    """``count`` multipliers of an ``a_width`` x ``b_width`` signed product, computing ``what``."""

    what: str
    count: int
    a_width: int
    b_width: int


@dataclass(frozen=True)
class MemoryUse:
    """One memory of a core: ``depth`` words of ``width`` bits.

    ``block``: the core puts it in block RAM (``ram_style = "block"``; else the synthesizer chooses: LUT RAM,
    registers, or block RAM when nothing else exists);
    ``init``: it has initial contents (a ROM, or θ₀), so it cannot live in an uninitialised RAM such as the
    iCE40's SPRAM; ``samples``: it holds the training set (its size follows ``task.dataset``); ``banks``:
    it is built as that many memories (``name0``, ``name1`` ...) of consecutive address ranges; ``spram``:
    a single-port memory without initial contents (one address for reads and writes) that the core asks to
    be in the part's SPRAM where it has one (iCE40 UP5K: SB_SPRAM256KA, 16 bits x 16,384 words), in block RAM
    elsewhere.
    """

    name: str
    width: int
    depth: int
    block: bool = True
    init: bool = False
    samples: bool = False
    banks: int = 1
    spram: bool = False

    @property
    def bits(self) -> int:
        return self.width * self.depth


@dataclass(frozen=True)
class CoreResources:
    """What a core needs of a part, known from its configuration before synthesis
    (:meth:`MGDCoreBase.resources`).

    Attributes
    ----------
    multipliers : tuple of MultiplierUse
        Every multiplier the datapath builds (the synthesis flow turns them into DSP blocks per part).
    memories : tuple of MemoryUse
        Every memory (empty when the core does not say).
    lanes : int or None
        The ``hardware.lanes`` these figures are for (None: the style has no lanes).
    at_lanes : callable or None
        ``at_lanes(p)``: the same figures at ``hardware.lanes = p`` (so a refusal can name the largest P
        that fits); None when the style has no lanes.
    layers : tuple of int
        ``network.layers``, for messages.
    training_set : str or None
        The training set the sample memories hold (``task.dataset`` and its size), for messages.
    """

    multipliers: tuple[MultiplierUse, ...] = ()
    memories: tuple[MemoryUse, ...] = ()
    lanes: int | None = None
    layers: tuple[int, ...] = ()
    training_set: str | None = None
    at_lanes: Callable[[int], CoreResources] | None = field(default=None, compare=False, repr=False)

    @property
    def block_bits(self) -> int:
        """Bits of the memories the core puts in block RAM (``spram`` ones included: :mod:`rtl.synth.fit`
        counts those against SPRAM on a part that has it)."""
        return sum(mem.bits for mem in self.memories if mem.block)


class MGDCoreBase(wiring.Component):
    """What every MGD training core is: the three contract ports, its spec, θ₀ and its schedule.

    Subclasses call ``super().__init__(spec=..., theta0=..., n_samples=..., verify=...)`` and implement
    :meth:`elaborate`, :meth:`cycles` and :attr:`readback_latency`; :meth:`resources` (what the synthesis
    flow checks against a part before running Yosys) is optional.

    Parameters
    ----------
    spec : FixedSpec
        From :func:`rtl.spec.hardware_spec`.
    theta0 : array of int, shape (n_params,)
        Reset values of θ, θ LSBs, parameter order.
    n_samples : int
        Training samples in the sample store (sets the width of ``status.sample``).
    verify : bool
        Add the ``digest`` port (verification builds; a synthesized core leaves it out).
    load : (int, int), optional
        ``(width, beats)``: add the sample-load ports (:func:`load_ports`) of a store the host fills with
        ``beats`` words of ``width`` bits.
    """

    #: the ``[hardware] style`` this class implements
    style: str = ""

    def __init__(self, *, spec: FixedSpec, theta0: np.ndarray, n_samples: int, verify: bool = False,
                 load: tuple[int, int] | None = None) -> None:
        if not isinstance(spec, FixedSpec):
            raise TypeError(f"{type(self).__name__} spec must be a FixedSpec, not {spec!r}")
        theta0 = np.asarray(theta0)
        n = spec.layout.n_params
        if theta0.shape != (n,):
            raise ValueError(f"{type(self).__name__} theta0 must have shape ({n},), not {theta0.shape}")
        self._spec = spec
        self._theta0 = [int(v) for v in theta0]
        self._verify = bool(verify)
        ports = {
            "ctrl": Out(ControlSignature()),
            "status": Out(StatusSignature(cost_width=spec.cost_fmt.width, sample_bits=index_bits(n_samples))),
            "rd": Out(ReadbackSignature(n_params=n, theta_width=spec.theta.width, grad_width=spec.grad_width,
                                        momentum_width=spec.momentum_width if spec.k_m else 0)),
        }
        if self._verify:
            ports["digest"] = Out(DigestSignature())
        self._load_beats = 0
        if load is not None:
            ports.update(load_ports(*load))
            self._load_beats = load[1]
        super().__init__(ports)

    @staticmethod
    def check(config: MGDConfig, spec: FixedSpec) -> None:
        """Refuse (:class:`rtl.spec.RTLConfigError`) what only this style cannot build; called by
        :func:`rtl.cores.core_inputs` before anything is built. The base refuses nothing."""

    @classmethod
    def from_inputs(cls, config: MGDConfig, inputs: CoreInputs, *, verify: bool = False) -> MGDCoreBase:
        """The core of ``config`` from its :class:`rtl.cores.CoreInputs` (through
        :func:`rtl.cores.build_core`)."""
        raise NotImplementedError

    @property
    def spec(self) -> FixedSpec:
        return self._spec

    @property
    def theta0(self) -> list[int]:
        """Reset values of θ (θ LSBs), parameter order."""
        return list(self._theta0)

    @property
    def verify(self) -> bool:
        """Whether the core has the verification-only ``digest`` port."""
        return self._verify

    @property
    def readback_latency(self) -> int:
        """Clock edges from setting ``rd.index`` to ``rd.theta/grad/momentum`` holding that parameter."""
        raise NotImplementedError

    @property
    def tau_theta_max(self) -> int:
        """The largest τ_θ a ``start`` may ask for (:func:`tau_theta_max`); a larger one is refused."""
        return tau_theta_max(self._spec)

    @property
    def load_beats(self) -> int:
        """Words the ``load`` port takes to fill the sample store; 0 when the core has no ``load`` port (its
        training set is built in)."""
        return self._load_beats

    def sample_words(self, x: np.ndarray, t: np.ndarray) -> list[int]:
        """The :attr:`load_beats` words a host sends through ``load`` for the training set ``x``, ``t``
        (activation format, as :class:`rtl.cores.CoreInputs`), in order. Only a core with a ``load``
        port."""
        raise NotImplementedError(f"{type(self).__name__} has no load port")

    def cycles(self, start: int, steps: int, tau_x: int, tau_p: int, tau_theta: int) -> int:
        """Busy clock cycles of one run of steps ``start .. start + steps - 1`` at these τ's."""
        raise NotImplementedError

    def resources(self) -> CoreResources:
        """The multipliers and memories this core builds, for the synthesis flow's fit check before Yosys
        (:func:`rtl.synth.synthesize`). The base knows nothing (an empty answer refuses nothing)."""
        return CoreResources()

    def describe(self) -> dict[str, object]:
        """The figures that define this core, for reports (style, parameter count, lanes, ...)."""
        return {"style": self.style, "n_params": self._spec.layout.n_params, "lanes": self._spec.n_lanes,
                "tau_theta_max": self.tau_theta_max}
