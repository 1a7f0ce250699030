"""Fixed-point MGD: the bit-exact executable specification of the MGD training core.

Ref: ``docs/fixed_point_spec.md`` (the contract; every step below is a numbered item there) and
``shared/design/MGD.md`` ("One time step", "What a digital core needs"). Integer-only, int64 NumPy.

API (what RTL testbenches and the CLI call)
-------------------------------------------
``FixedMGD(config, dataset=None)``
    A model at reset. ``dataset`` defaults to
    ``golden_model.datasets.load_dataset(config.task, config.network.layers)``; any object with float
    ``x_train, t_train, x_test, t_test`` in [0, 1] works. Raises
    :class:`~golden_model.config.ConfigError` for a config the hardware cannot run
    (:meth:`golden_model.fixed_network.FixedSpec.from_config`).
``.spec``                 formats, shifts and worst-case widths (``.spec.widths()``, ``.spec.describe()``)
``.theta0``               integer reset values of θ (int64, canonical order of ``golden_model.params``)
``.lane_seeds``           reset states of the sign-bank lanes (the RTL's LFSR reset values)
``.quantized_dataset()``  ``QuantizedData(x_train, t_train, x_test, t_test)``: the sample ROM, int64
``.step() -> StepState``  one step, the reference path (readable, follows the spec line by line)
``.step(cost_source) -> StepState``
                          the same step with its passes evaluated by ``cost_source`` (a :data:`CostSource`:
                          a :class:`Pass` in, the cost and, node mode, the layer inputs out) instead of the
                          core's own network (:meth:`FixedMGD.network_pass`): hardware outside the FPGA
                          trained by the trainer alone (:mod:`golden_model.device`, ``mgd loop``)
``.run(steps, record=True) -> Trace | None``
                          ``steps`` steps on the compiled fast path (:mod:`golden_model.fixed_kernel`,
                          bit-identical to ``step()``, tested), returning
                          the per-step :class:`~golden_model.trace.Trace` (state after each step); calls
                          continue from the current state, so a bench can run in slices
``.warm_up()``            load the compiled kernel before timing anything (state unchanged)
``.run_reference(steps) -> Trace``  the same from ``step()`` calls (slow, for cross-checks)
``.state() -> StepState`` current registers: n (steps done), θ, G, M, C, C0, C_hat, sign bits, LFSR, sample,
                          and ``sat_events`` (narrowings that saturated or wrapped so far)
``.predict(x_q, theta=None)``  unperturbed inference of integer inputs (the model's θ or the given one)
``.evaluate(theta=None)`` mean cost and train/test accuracy of the unperturbed network
``.reset()``              back to the reset state

Pure helpers for block-level golden twins: :func:`golden_model.fixed_network.forward`, ``activation``,
``cost``, ``quantize_data``; :func:`correlate`, :func:`update` (and its :func:`momentum_decay`) here.

``Trace`` (:mod:`golden_model.trace`): ``.save(path.npz)``, ``Trace.load``, ``.mismatches(actual)`` (text
naming step, field, index, expected and actual), ``.assert_equal(actual)``, ``.sign_words()`` (the RTL
``signs`` port).

``train(config, progress=True) -> TrainResult`` is the ``mgd train --backend fixed`` entry point.

Which config fields apply
-------------------------
The fixed model runs what the hardware runs: ``network.layers``, ``network.cost`` (mse | l1),
``network.init_scale``, ``mgd.perturbation``, ``mgd.tau_x``, ``mgd.tau_p``, ``mgd.tau_theta``, ``mgd.seed``,
the ``fixed`` section and the ``task`` section. ``network.activation``/``output_activation`` are replaced by
``fixed.hw_activation`` on every layer; ``mgd.delta`` and ``mgd.eta`` are replaced by
``fixed.amplitude_shift`` and ``fixed.eta_shift`` (:mod:`golden_model.bridge` maps one to the other);
the update is SGD, or momentum when ``fixed.momentum_shift > 0``: ``mgd.optimizer`` and its ``momentum``,
``beta1``, ``beta2``, ``adam_eps`` are float-model settings, not used here (the presets' float Adam has no
hardware twin; ``bridge.float_to_fixed`` maps ``momentum`` γ to a shift).
The float model's Gaussian noise (``noise.*``), other multiplexing schemes and the analog cost change are
float-only and rejected; the fixed model's faults are the ``fixed`` section's ``cost_noise_*``,
``update_noise_*`` and ``stuck_*`` fields (spec "Faults", :mod:`golden_model.faults`).

Controller sequence (spec "One step n"), for step n:
1. n > 0 and n % tau_p == 0: every sign lane advances one LFSR step;
2. sample k = (n // tau_x) % n_train; if n == 0, n % tau_x == 0 or θ was updated at the end of step n − 1
   (n % tau_theta == 0): baseline pass, C0 = C(x_k; θ), keeping each layer's input for node mode;
3. perturbed pass, C = C(x_k; θ ± 2^-k_p);  4. C_hat = C − C0;  5. correlate into G;
6. (n + 1) % tau_theta == 0: update θ from G (with momentum: M from G, θ from M), clear G.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from golden_model import faults, schedule
from golden_model.config import MGDConfig, to_toml
from golden_model.fixed_kernel import KernelSpec, run_steps
from golden_model.fixed_network import FixedSpec, cost, forward, quantize_data
from golden_model.lfsr import SignBank, bank_spacing, taps_mask
from golden_model.params import init_theta
from golden_model.qformat import fit, round_shift
from golden_model.results import CurvePoint, TrainResult
from golden_model.trace import Trace

__all__ = ["FixedMGD", "StepState", "Pass", "CostSource", "QuantizedData", "correlate", "update",
           "momentum_decay", "theta0", "train"]

# Steps per chunk of the fast path (bounds the memory of its precomputed signs).
_CHUNK = 4096
# Widest LFSR whose whole m-sequence the fast path tabulates (2**20 states, 8 MiB).
_TABLE_MAX_WIDTH = 20
_SEQ_CACHE: dict[tuple[int, int], np.ndarray] = {}


def _msequence(width: int, seed: int) -> np.ndarray:
    """All ``2**width - 1`` states of the Galois LFSR from ``seed`` (``lfsr.step``), cached."""
    key = (width, seed)
    if key not in _SEQ_CACHE:
        mask = taps_mask(width)
        out = [0] * ((1 << width) - 1)
        s = seed
        for j in range(len(out)):
            out[j] = s
            s = (s >> 1) ^ (mask if s & 1 else 0)
        _SEQ_CACHE[key] = np.array(out, dtype=np.int64)
    return _SEQ_CACHE[key]


class Pass(NamedTuple):
    """One pass a step asks its cost source for (spec steps 2 and 3): the trainer's θ (θ LSBs, not
    perturbed), the sign bank's signs (±1 per lane), the training sample, and whether it is the baseline
    pass (else perturbed by ``signs``: ``θ + s·2**(T_f - k_p)`` per parameter, or ``± 2**(T_f + A_f - k_p)``
    on each neuron's pre-activation in node mode)."""

    theta: np.ndarray
    signs: np.ndarray
    sample: int
    baseline: bool


#: What evaluates a pass: its cost in cost LSBs (within ``fixed.cost``) and, for a baseline pass in node
#: mode, every layer's input (activation LSBs, a 1-D array per layer, no bias slot)
CostSource = Callable[[Pass], tuple[int, "list[np.ndarray] | None"]]


class QuantizedData(NamedTuple):
    """The integer sample ROM: inputs and targets in the activation format (int64)."""

    x_train: np.ndarray
    t_train: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray


@dataclass(frozen=True)
class StepState:
    """Registers after a step (copies). ``n`` is the index of the step just done (-1 at reset)."""

    n: int
    sample: int
    baseline: bool
    C0: int
    C: int
    C_hat: int
    sign_bits: np.ndarray
    lfsr: np.ndarray
    theta: np.ndarray
    G: np.ndarray
    M: np.ndarray
    updated: bool
    sat_events: int


def theta0(spec: FixedSpec) -> np.ndarray:
    """Reset values ``sat(round_half_up(init_theta · 2**T_f))`` in θ LSBs (int64)."""
    real = init_theta(spec.layers, spec.seed, spec.init_scale)
    return spec.theta.with_modes("half_up", "saturate").from_real(real)


def correlate(G: np.ndarray, signs: np.ndarray, C_hat: int, spec: FixedSpec,
              inputs: np.ndarray | None = None) -> np.ndarray:
    """One correlator step (spec step 5); returns the new G (int64, width ``fixed.grad_width``).

    Parameters
    ----------
    G : numpy.ndarray of int64, shape (N,)
    signs : numpy.ndarray of int64
        ±1 per parameter. Node mode: already gathered per parameter (the sign of the parameter's neuron).
    C_hat : int
        Cost change, cost LSBs.
    inputs : numpy.ndarray of int64, shape (N,), optional
        Node mode only: per parameter the baseline input ``a_i`` of its synapse (``2**A_f`` for a bias).

    Notes
    -----
    Weight mode ``G + s·C_hat``; node mode ``G + round_R(s·C_hat·a_i, A_f)`` (``fixed.rounding``); then
    ``fit`` to ``grad_width`` with ``fixed.overflow`` (never reached: ``FixedSpec`` proves the bound).
    """
    return _correlate(G, signs, C_hat, spec, inputs)[0]


def _correlate(G: np.ndarray, signs: np.ndarray, C_hat: int, spec: FixedSpec,
               inputs: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`correlate`, and per parameter whether ``fit`` acted (a saturation event)."""
    term = signs * C_hat
    if inputs is not None:
        term = round_shift(term * inputs, spec.A_f, spec.rounding)
    total = G + term
    new = fit(total, spec.grad_width, True, spec.overflow)
    return new, new != total


def update(theta: np.ndarray, G: np.ndarray, M: np.ndarray, spec: FixedSpec) -> tuple[np.ndarray, np.ndarray]:
    """The parameter update (spec step 6); returns ``(theta, M)``. The caller clears G.

    Without momentum ``θ = sat_O(θ − round_R(G, k_η), fixed.theta)``. With momentum (``k_m > 0``), M is in
    G units: ``M = sat_O(M − decay(M) + G, spec.momentum_width)`` with ``decay(M) = M · 2**-k_m`` rounded away
    from zero (:func:`momentum_decay`; the narrowing never acts, see ``FixedSpec.momentum_width``), then
    ``θ = sat_O(θ − round_R(M, k_η), fixed.theta)``. ``k_m = 0`` would give ``M = G``: plain SGD.
    """
    return _update(theta, G, M, spec)[:2]


def momentum_decay(M: np.ndarray, k_m: int) -> np.ndarray:
    """``M · 2**-k_m`` rounded away from zero, whatever ``fixed.rounding`` says (spec step 6):
    ``(M + 2**k_m − 1) >> k_m`` for ``M >= 0``, ``M >> k_m`` for ``M < 0``.

    An odd function (``decay(−M) = −decay(M)``), so the decay has no sign bias, and nonzero for every
    ``M != 0``, so with G = 0 every M decays to exactly 0 (floor would leave a positive M in
    ``[1, 2**k_m − 1]`` for good, and θ falling by it every update).
    """
    return (M + np.where(M >= 0, (1 << k_m) - 1, 0)) >> k_m


def _update(theta: np.ndarray, G: np.ndarray, M: np.ndarray, spec: FixedSpec, noise: np.ndarray | None = None,
            stuck: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`update`, and per parameter whether a ``fit`` of θ or of M acted (one saturation event).

    Faults (spec "Faults"): ``noise`` (θ LSBs per parameter, the update-noise draws) is added before θ's
    ``sat_O``; a ``stuck`` parameter's θ is not written (its G and M run as for any other, and only M's
    narrowing can count an event for it)."""
    events = np.zeros(len(theta), dtype=bool)
    u = G
    if spec.k_m:
        total = M - momentum_decay(M, spec.k_m) + G
        M = fit(total, spec.momentum_width, True, spec.overflow)
        events |= M != total
        u = M
    total = theta - round_shift(u, spec.k_eta, spec.rounding)
    if noise is not None:
        total = total + noise
    new = spec.theta.fit(total)
    moved = new != total
    if stuck is not None:
        new = np.where(stuck, theta, new)
        moved &= ~stuck
    return new, M, events | moved


class _LaneStates(NamedTuple):
    """LFSR state of every lane over a chunk of steps, without materialising the (steps, lanes) array:
    lane ``p`` during step ``i`` is ``table[(offsets[i] + phase[p]) % len(table)]``."""

    table: np.ndarray
    offsets: np.ndarray
    phase: np.ndarray

    def array(self) -> np.ndarray:
        """The states as an int64 (steps, lanes) array."""
        return self.table[(self.offsets[:, None] + self.phase[None, :]) % len(self.table)]


class _Schedule(NamedTuple):
    """Per-step controller sequence of a chunk of steps (arrays over the steps)."""

    ns: np.ndarray
    lanes: _LaneStates
    samples: np.ndarray
    baseline: np.ndarray
    updated: np.ndarray

    def fill(self, tr: Trace) -> None:
        """Write the sequence into the matching fields of a trace of the same steps."""
        lfsr = self.lanes.array()
        tr.n[:] = self.ns
        tr.sample[:] = self.samples
        tr.baseline[:] = self.baseline
        tr.sign_bits[:] = lfsr & 1
        tr.lfsr[:] = lfsr
        tr.updated[:] = self.updated


class FixedMGD:
    """The fixed-point MGD core (see the module docstring for the API).

    Parameters
    ----------
    config : MGDConfig
    dataset : object with ``x_train, t_train, x_test, t_test``, optional
        Float data in [0, 1]; default ``load_dataset(config.task, config.network.layers)``.
    """

    def __init__(self, config: MGDConfig, dataset: Any = None) -> None:
        self.config = config
        self.spec = spec = FixedSpec.from_config(config)
        if dataset is None:
            from golden_model.datasets import load_dataset
            dataset = load_dataset(config.task, config.network.layers)
        self.data = QuantizedData(*(quantize_data(np.asarray(getattr(dataset, k)), spec)
                                    for k in QuantizedData._fields))
        self.n_train = len(self.data.x_train)
        self.layout = spec.layout
        self.n_params = self.layout.n_params
        self.theta0 = theta0(spec)
        self.bank = SignBank(lanes=spec.n_lanes, width=spec.lfsr_width, seed=spec.base_seed)
        self.lane_seeds = np.array(self.bank.seeds, dtype=np.int64)
        # faults (spec "Faults"): the cost-noise LFSR, the update-noise bank (one lane per parameter), and
        # the stuck mask; empty when off
        self.cost_noise_seed = faults.cost_seed(spec.seed) if spec.cost_noise_bits else 0
        self.update_noise_seeds = (faults.update_lane_seeds(self.n_params, spec.seed)
                                   if spec.update_noise_bits else np.zeros(0, dtype=np.int64))
        self.stuck = spec.stuck_mask
        # node mode: neuron of every parameter (gathers lane signs) and position of its input in the
        # concatenation of every layer's [baseline input, 2**A_f] vectors
        neuron, layer, inp = self.layout.synapses()
        starts = np.cumsum([0, *(n + 1 for n in spec.layers[:-1])])
        self._param_neuron = neuron
        self._param_input = starts[layer] + inp
        p0 = int(starts[-1])
        # what the compiled kernel takes: contiguous sample ROM, layer sizes, the spec as ints, and the
        # length of its per-pass buffer (every layer's input and bias slot, then the output)
        self._X = np.ascontiguousarray(self.data.x_train)
        self._T = np.ascontiguousarray(self.data.t_train)
        self._layers = np.array(spec.layers, dtype=np.int64)
        self._kernel_spec = KernelSpec.of(spec)
        self._u_len = p0 + spec.layers[-1]
        self._config_toml = to_toml(config)
        self.reset()

    # ---- state -----------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Reset state: θ = θ₀, G = M = 0, costs 0, sign bank at its seeds, step counter 0."""
        self.n = 0  # steps done = index of the next step
        self.theta = self.theta0.copy()
        self.G = np.zeros(self.n_params, dtype=np.int64)
        self.M = np.zeros(self.n_params, dtype=np.int64)
        self.C = self.C0 = self.C_hat = 0
        self.sat_events = 0
        self.sample = 0
        self.baseline = False
        self.updated = False
        self._inputs: np.ndarray | None = None  # node mode: concatenated baseline inputs (with 2**A_f)
        self.bank.reset()
        self.cost_noise = np.array([self.cost_noise_seed] if self.spec.cost_noise_bits else [],
                                   dtype=np.int64)
        self.update_noise = self.update_noise_seeds.copy()

    def state(self) -> StepState:
        """Copies of every register (after the last step)."""
        return StepState(self.n - 1, self.sample, self.baseline, self.C0, self.C, self.C_hat,
                         self.bank.bits.astype(np.uint8), self.bank.state.copy(), self.theta.copy(),
                         self.G.copy(), self.M.copy(), self.updated, self.sat_events)

    def quantized_dataset(self) -> QuantizedData:
        return self.data

    def blocks(self, theta: np.ndarray | None = None) -> list[np.ndarray]:
        """θ per layer as ``(n_out, n_in + 1)`` views (weights, then bias)."""
        return self.layout.unflatten(self.theta if theta is None else theta)

    def predict(self, x_q: np.ndarray, theta: np.ndarray | None = None) -> np.ndarray:
        """Unperturbed network output for integer inputs ``x_q`` (batch, n_in), activation LSBs, with the
        model's θ or the given one (e.g. read back from hardware)."""
        return forward(self.blocks(theta), np.asarray(x_q, dtype=np.int64), self.spec)[0]

    def evaluate(self, theta: np.ndarray | None = None) -> tuple[float, float, float]:
        """``(mean cost on the train set in real units, train accuracy, test accuracy)`` of the unperturbed
        network with the model's θ, or with ``theta`` (a bench evaluates the hardware's θ this way)."""
        from golden_model.datasets import accuracy

        one = float(1 << self.spec.A_f)
        y_tr = self.predict(self.data.x_train, theta)
        y_te = self.predict(self.data.x_test, theta)
        c = float(np.mean(cost(y_tr, self.data.t_train, self.spec))) * self.spec.cost_fmt.lsb
        return (c, accuracy(y_tr / one, self.data.t_train / one),
                accuracy(y_te / one, self.data.t_test / one))

    # ---- the reference step ----------------------------------------------------------------------------
    def network_pass(self, p: Pass) -> tuple[int, list[np.ndarray] | None]:
        """The cost source of the core itself (spec steps 2 and 3): the fixed-point network on training
        sample ``p.sample`` with ``p.theta``, perturbed by ``p.signs`` unless ``p.baseline``; returns the
        cost (cost LSBs) and, for a baseline pass, every layer's input (activation LSBs, no bias slot)."""
        spec = self.spec
        x = self.data.x_train[p.sample][None, :]
        t = self.data.t_train[p.sample][None, :]
        node = None
        if p.baseline:
            theta = p.theta
        elif spec.perturbation == "weight":
            theta = p.theta + p.signs * spec.weight_amplitude
        else:
            theta, pert = p.theta, p.signs * spec.node_amplitude
            node = [pert[o:o + b] for o, b in zip(self.layout.neuron_offsets(), spec.layers[1:])]
        y, inputs = forward(self.blocks(theta), x, spec, node_perturbation=node)
        return int(cost(y, t, spec)[0]), ([a[0] for a in inputs] if p.baseline else None)

    def step(self, cost_source: CostSource | None = None) -> StepState:
        """One MGD step, spec order, the readable reference path; returns the state after it.

        ``cost_source`` evaluates the step's passes (default :meth:`network_pass`, the core's own network):
        any callable ``(Pass) -> (cost, layer inputs)`` in the same units, e.g. hardware outside the FPGA
        that the trainer alone trains (:mod:`testbench.loop`). Node mode needs the layer inputs of every
        baseline pass (``None`` is fine for perturbed passes and in weight mode)."""
        spec, n = self.spec, self.n
        # 1. signs
        if schedule.advances(n, spec.tau_p):
            self.bank.advance()
        signs = self.bank.signs
        # 2. sample and baseline (θ was updated at the end of step n - 1 exactly when n % τ_θ == 0)
        k = int(schedule.sample_index(n, spec.tau_x, self.n_train))
        source = self.network_pass if cost_source is None else cost_source
        self.baseline = bool(schedule.takes_baseline(n, spec.tau_x, spec.tau_theta))
        if self.baseline:
            c0, inputs = source(Pass(self.theta.copy(), signs.copy(), k, True))
            self.C0 = self._read_cost(c0)
            one = np.array([1 << spec.A_f], dtype=np.int64)
            if inputs is None and spec.perturbation == "node":
                raise ValueError("a node-mode cost source must return the layer inputs of a baseline pass")
            if inputs is not None:
                self._inputs = np.concatenate([np.concatenate([a, one]) for a in inputs])
        # 3. perturbed pass
        c, _ = source(Pass(self.theta.copy(), signs.copy(), k, False))
        self.C = self._read_cost(c)
        # 4. cost change
        self.C_hat = self.C - self.C0
        # 5. correlate
        if spec.perturbation == "weight":
            self.G, events = _correlate(self.G, signs, self.C_hat, spec, None)
        else:
            self.G, events = _correlate(self.G, signs[self._param_neuron], self.C_hat, spec,
                                        self._inputs[self._param_input])
        self.sat_events += int(events.sum())
        # 6. update
        self.updated = bool(schedule.updates(n, spec.tau_theta))
        if self.updated:
            noise = self._draw_update_noise() if spec.update_noise_bits else None
            self.theta, self.M, events = _update(self.theta, self.G, self.M, spec, noise,
                                                 self.stuck if spec.stuck else None)
            self.sat_events += int(events.sum())
            self.G = np.zeros_like(self.G)
        self.sample = k
        self.n = n + 1
        return self.state()

    def _read_cost(self, c: int) -> int:
        """A cost read (spec "Faults"): with cost noise ``clamp(C + draw, 0, cost max)`` (always saturating),
        the LFSR then jumps ``b`` steps; without, ``C``."""
        spec = self.spec
        if not spec.cost_noise_bits:
            return c
        src = faults.NoiseLFSR(int(self.cost_noise[0]), spec.cost_noise_bits, spec.cost_noise_shift)
        c = min(max(c + src.draw(), 0), spec.cost_fmt.max_int)
        self.cost_noise[0] = src.state
        return c

    def _draw_update_noise(self) -> np.ndarray:
        """Every parameter's update-noise draw (θ LSBs); every lane then jumps ``b`` steps."""
        spec = self.spec
        st = self.update_noise
        noise = faults.noise_value(st, spec.update_noise_bits, spec.update_noise_shift)
        mask = taps_mask(faults.NOISE_LFSR_WIDTH)
        for _ in range(spec.update_noise_bits):
            st = (st >> 1) ^ ((st & 1) * mask)
        self.update_noise = st
        return noise

    # ---- the fast path ---------------------------------------------------------------------------------
    def run(self, steps: int, record: bool = True) -> Trace | None:
        """Run ``steps`` steps on the fast path; bit-identical to calling :meth:`step` ``steps`` times.

        Per chunk of steps, precomputes everything that does not depend on θ (LFSR states, signs, samples,
        baseline and update flags), then runs the passes, correlation and update in the compiled kernel
        (:mod:`golden_model.fixed_kernel`). Returns the :class:`Trace` of these steps if ``record``.
        """
        parts = []
        done = 0
        while done < steps:
            m = min(_CHUNK, steps - done)
            parts.append(self._run_chunk(m, record))
            done += m
        if not record:
            return None
        return Trace.concatenate(parts) if parts else Trace.empty(0, self.spec.n_lanes, self.n_params,
                                                                   self._config_toml)

    def _lane_states(self, n0: int, steps: int) -> _LaneStates:
        """LFSR state of every lane for steps ``n0 .. n0 + steps - 1``; the bank is left in the state of the
        last of them.

        Every lane is the one m-sequence at phase ``p * spacing`` (``golden_model.lfsr``), so after ``c``
        advances lane ``p`` is ``seq[(c + p * spacing) % P]``: a table lookup instead of a loop, used when
        the bank is where the schedule says it is (it is unless a caller wrote ``bank.state``); else the
        bank is stepped one step at a time and its states are the table.
        """
        spec, bank = self.spec, self.bank
        tau_p = spec.tau_p
        if spec.lfsr_width <= _TABLE_MAX_WIDTH:
            seq = _msequence(spec.lfsr_width, int(self.lane_seeds[0]))
            phase = np.arange(spec.n_lanes, dtype=np.int64) * bank_spacing(spec.n_lanes, spec.lfsr_width)
            now = max(n0 - 1, 0) // tau_p
            if np.array_equal(seq[(now + phase) % len(seq)], bank.state):
                counts = np.arange(n0, n0 + steps, dtype=np.int64) // tau_p
                bank.state = seq[(counts[-1] + phase) % len(seq)]
                return _LaneStates(seq, counts, phase)
        out = np.empty((steps, spec.n_lanes), dtype=np.int64)
        for i in range(steps):
            n = n0 + i
            if schedule.advances(n, tau_p):
                bank.advance()
            out[i] = bank.state
        lanes = np.arange(spec.n_lanes, dtype=np.int64)
        return _LaneStates(out.ravel(), np.arange(steps, dtype=np.int64) * spec.n_lanes, lanes)

    def _schedule(self, steps: int) -> _Schedule:
        """The θ-independent part of steps ``n .. n + steps - 1``: the controller's sequence of the spec
        (LFSR states, sample index, baseline and update flags)."""
        spec = self.spec
        ns = np.arange(self.n, self.n + steps, dtype=np.int64)
        return _Schedule(
            ns=ns, lanes=self._lane_states(self.n, steps),
            samples=schedule.sample_index(ns, spec.tau_x, self.n_train),
            baseline=schedule.takes_baseline(ns, spec.tau_x, spec.tau_theta),
            updated=schedule.updates(ns, spec.tau_theta))

    def warm_up(self) -> None:
        """Load the compiled kernel now (from Numba's on-disk cache, a fraction of a second; compiling it,
        the first time on a machine, ≈4 s), so that the first :meth:`run` is as fast as the rest (benches
        call this before they time anything). Runs zero steps: the state does not change."""
        none = np.zeros(0, dtype=np.int64)
        flags = np.zeros(0, dtype=bool)
        sched = _Schedule(none, _LaneStates(self.lane_seeds, none, none), none, flags, flags)
        self._kernel(sched, np.zeros(self._u_len, dtype=np.int64), np.zeros((0, 4), dtype=np.int64), None)

    def _kernel(self, sched: _Schedule, u0: np.ndarray, scalars: np.ndarray,
                tr: Trace | None) -> tuple[int, int, int, int]:
        """:func:`golden_model.fixed_kernel.run_steps` on the registers, in place, for ``sched``'s steps;
        returns ``(C0, C, C_hat, sat_events)``."""
        none = np.zeros((0, self.n_params), dtype=np.int64)
        rec = (none, none, none) if tr is None else (tr.theta, tr.G, tr.M)
        return run_steps(self.theta, self.G, self.M, u0, self.C0, self.sat_events, self._X, self._T,
                         *sched.lanes, sched.samples, sched.baseline, sched.updated, self._layers,
                         self._param_neuron, self._param_input, self._kernel_spec, self.cost_noise,
                         self.update_noise, self.stuck, scalars, *rec)

    def _run_chunk(self, steps: int, record: bool) -> Trace | None:
        """One chunk of :meth:`run`: the controller sequence from :meth:`_schedule`, then the compiled
        kernel on the registers, in place."""
        spec = self.spec
        sched = self._schedule(steps)
        u0 = np.zeros(self._u_len, dtype=np.int64)
        if self._inputs is not None:
            u0[:len(self._inputs)] = self._inputs
        tr = Trace.empty(steps, spec.n_lanes, self.n_params, self._config_toml) if record else None
        scalars = np.zeros((steps if record else 0, 4), dtype=np.int64)
        self.C0, self.C, self.C_hat, self.sat_events = self._kernel(sched, u0, scalars, tr)
        self._inputs = u0[:self._u_len - spec.layers[-1]].copy()
        self.sample = int(sched.samples[-1])
        self.baseline = bool(sched.baseline[-1])
        self.updated = bool(sched.updated[-1])
        self.n += steps
        if tr is None:
            return None
        tr.C0[:], tr.C[:], tr.C_hat[:], tr.sat_events[:] = scalars.T
        sched.fill(tr)
        return tr

    def run_reference(self, steps: int) -> Trace:
        """``steps`` calls of :meth:`step`, collected as a :class:`Trace` (the slow, readable path)."""
        tr = Trace.empty(steps, self.spec.n_lanes, self.n_params, self._config_toml)
        for i in range(steps):
            s = self.step()
            for name in ("n", "sample", "baseline", "C0", "C", "C_hat", "updated", "sat_events"):
                getattr(tr, name)[i] = getattr(s, name)
            for name in ("sign_bits", "lfsr", "theta", "G", "M"):
                getattr(tr, name)[i] = getattr(s, name)
        return tr


def train(config: MGDConfig, progress: bool = True, *, stop_at_target: bool = False,
          dataset: Any = None) -> TrainResult:
    """Train with the fixed-point model (``mgd train --backend fixed``).

    Runs ``task.steps`` steps on the fast path; after every ``task.eval_every`` steps (and at step 0 and at
    the end) evaluates the unperturbed network on the train and test sets. ``steps_to_target`` is the first
    evaluated step whose test accuracy reaches ``task.target_accuracy``. ``stop_at_target`` ends the run
    there (sweeps use it).
    """
    from tqdm import tqdm

    from golden_model.bridge import fixed_to_float

    model = FixedMGD(config, dataset)
    total, every = config.task.steps, config.task.eval_every
    target = config.task.target_accuracy
    curve: list[CurvePoint] = []
    steps_to_target = None

    def _eval() -> None:
        nonlocal steps_to_target
        c, tr_acc, te_acc = model.evaluate()
        curve.append(CurvePoint(model.n, c, tr_acc, te_acc))
        if steps_to_target is None and te_acc >= target:
            steps_to_target = model.n

    t0 = time.perf_counter()
    _eval()
    with tqdm(total=total, disable=not progress, unit="step", desc="fixed MGD") as bar:
        while model.n < total and not (stop_at_target and steps_to_target is not None):
            m = min(every - model.n % every, total - model.n)
            model.run(m, record=False)
            bar.update(m)
            _eval()
            bar.set_postfix(acc=f"{curve[-1].train_accuracy:.3f}", cost=f"{curve[-1].cost:.4g}",
                            refresh=False)  # repaint at tqdm's own pace, not every eval
    wall = time.perf_counter() - t0
    extra = {
        "spec": model.spec.describe(),
        "widths": model.spec.widths(),
        "float_equivalent": fixed_to_float(config),
        "theta_final": model.theta.tolist(),
    }
    return TrainResult("fixed", config, model.n, wall, curve, steps_to_target, extra)
