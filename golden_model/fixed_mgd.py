"""Fixed-point MGD: the bit-exact executable specification of the MGD training core.

Ref: ``docs/fixed_point_spec.md`` (the contract; every step below is a numbered item there) and
``shared/design/MGD.md`` ("One time step", "What a digital core needs"). Integer-only, int64 NumPy.

API (what RTL testbenches and the CLI call)
-------------------------------------------
``FixedMGD(config, dataset=None)``
    A model at reset. ``dataset`` defaults to ``golden_model.datasets.load_dataset(config.task)``; any
    object with float ``x_train, t_train, x_test, t_test`` in [0, 1] works. Raises
    :class:`~golden_model.config.ConfigError` for a config the hardware cannot run
    (:meth:`golden_model.fixed_network.FixedSpec.from_config`).
``.spec``                 formats, shifts and worst-case widths (``.spec.widths()``, ``.spec.describe()``)
``.theta0``               integer reset values of θ (int64, canonical order of ``golden_model.params``)
``.lane_seeds``           reset states of the sign-bank lanes (the RTL's LFSR reset values)
``.quantized_dataset()``  ``QuantizedData(x_train, t_train, x_test, t_test)``: the sample ROM, int64
``.step() -> StepState``  one step, the reference path (readable, follows the spec line by line)
``.run(steps, record=True, *, path="auto") -> Trace | None``
                          ``steps`` steps on the fast path (bit-identical to ``step()``, tested), returning
                          the per-step :class:`~golden_model.trace.Trace` (state after each step); calls
                          continue from the current state, so a bench can run in slices
``.run_reference(steps) -> Trace``  the same from ``step()`` calls (slow, for cross-checks)
``.state() -> StepState`` current registers: n (steps done), θ, G, M, C, C0, C_hat, sign bits, LFSR, sample
``.predict(x_q)``         unperturbed inference of integer inputs
``.evaluate()``           mean cost and train/test accuracy of the unperturbed network
``.reset()``              back to the reset state

Pure helpers for block-level golden twins: :func:`golden_model.fixed_network.forward`, ``activation``,
``cost``, ``quantize_data``; :func:`correlate`, :func:`update` here.

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
Noise, other multiplexing schemes and the analog cost change are float-only and rejected.

Controller sequence (spec "One step n"), for step n:
1. n > 0 and n % tau_p == 0: every sign lane advances one LFSR step;
2. sample k = (n // tau_x) % n_train; if n == 0, n % tau_x == 0 or θ was updated at the end of step n − 1
   (n % tau_theta == 0): baseline pass, C0 = C(x_k; θ), keeping each layer's input for node mode;
3. perturbed pass, C = C(x_k; θ ± 2^-k_p);  4. C_hat = C − C0;  5. correlate into G;
6. (n + 1) % tau_theta == 0: update θ from G (and M), clear G.
"""

from __future__ import annotations

import operator
import time
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from golden_model.config import MGDConfig, to_toml
from golden_model.errors import MGDError
from golden_model.fixed_network import FixedSpec, cost, forward, quantize_data
from golden_model.lfsr import SignBank, bank_spacing, taps_mask
from golden_model.params import init_theta
from golden_model.qformat import fit, round_shift
from golden_model.results import CurvePoint, TrainResult
from golden_model.trace import Trace

__all__ = ["FixedMGD", "StepState", "QuantizedData", "correlate", "update", "theta0", "base_seed", "train"]

# Steps per chunk of the fast path (bounds the memory of its precomputed signs).
_CHUNK = 4096
# Widest LFSR whose whole m-sequence the fast path tabulates (2**20 states, 8 MiB).
_TABLE_MAX_WIDTH = 20
# Networks up to this many parameters take the Python-integer fast path (see _run_chunk_scalar).
_SCALAR_MAX_PARAMS = 16
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


def base_seed(config: MGDConfig) -> int:
    """Sign bank base seed ``mgd.seed % (2**lfsr_width - 1) + 1`` (non-zero, spec "Perturbation signs")."""
    return config.mgd.seed % ((1 << config.fixed.lfsr_width) - 1) + 1


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
    term = signs * C_hat
    if inputs is not None:
        term = round_shift(term * inputs, spec.A_f, spec.rounding)
    return fit(G + term, spec.grad_width, True, spec.overflow)


def update(theta: np.ndarray, G: np.ndarray, M: np.ndarray, spec: FixedSpec) -> tuple[np.ndarray, np.ndarray]:
    """The parameter update (spec step 6); returns ``(theta, M)``. The caller clears G.

    ``v = round_R(G, k_eta)``; without momentum ``θ = sat_O(θ − v, fixed.theta)``; with momentum
    ``M = sat_O(M − (M >> k_m) + v, W_θ + k_m + 1 bits)`` (floor on ``M >> k_m``), ``θ = sat_O(θ − M)``.
    """
    v = round_shift(G, spec.k_eta, spec.rounding)
    if spec.k_m:
        M = fit(M - (M >> spec.k_m) + v, spec.momentum_width, True, spec.overflow)
        v = M
    return spec.theta.fit(theta - v), M



class _Schedule(NamedTuple):
    """Per-step controller sequence of a chunk of steps (arrays over the steps)."""

    ns: np.ndarray
    lfsr: np.ndarray
    signs: np.ndarray
    samples: np.ndarray
    baseline: np.ndarray
    updated: np.ndarray

    def fill(self, tr: Trace) -> None:
        """Write the sequence into the matching fields of a trace of the same steps."""
        tr.n[:] = self.ns
        tr.sample[:] = self.samples
        tr.baseline[:] = self.baseline
        tr.sign_bits[:] = self.lfsr & 1
        tr.lfsr[:] = self.lfsr
        tr.updated[:] = self.updated


class _FastConstants(NamedTuple):
    """Constants both fast paths derive from the spec (Python ints). The activation is computed as
    ``y = clamp((z + add) >> sh, act_lo, act_hi)`` for floor/half_up rounding, and through ``round_shift``
    plus ``off`` when ``conv`` (convergent)."""

    A_f: int
    T_f: int
    rnd: str
    one: int
    sh: int
    off: int
    conv: bool
    add: int
    act_lo: int
    act_hi: int
    c_shift: int
    mse: bool
    c_hi: int
    c_wrap: bool
    k_eta: int
    eta_add: int

    @classmethod
    def of(cls, spec: FixedSpec) -> _FastConstants:
        A_f, T_f, rnd = spec.A_f, spec.T_f, spec.rounding
        one = 1 << A_f
        hs = spec.hw_activation == "hard_sigmoid"
        sh = T_f + 2 if hs else T_f
        off = one >> 1 if hs else 0
        act_lo, act_hi = spec.activation_range()
        k_eta = spec.k_eta
        return cls(A_f=A_f, T_f=T_f, rnd=rnd, one=one, sh=sh, off=off, conv=rnd == "convergent",
                   add=(off << sh) + ((1 << (sh - 1)) if rnd == "half_up" else 0),
                   act_lo=int(act_lo), act_hi=int(act_hi), c_shift=spec.cost_frac_exact - spec.C_f,
                   mse=spec.cost_kind == "mse", c_hi=spec.cost_fmt.max_int, c_wrap=spec.overflow == "wrap",
                   k_eta=k_eta, eta_add=(1 << (k_eta - 1)) if (rnd == "half_up" and k_eta > 0) else 0)

class FixedMGD:
    """The fixed-point MGD core (see the module docstring for the API).

    Parameters
    ----------
    config : MGDConfig
    dataset : object with ``x_train, t_train, x_test, t_test``, optional
        Float data in [0, 1]; default ``load_dataset(config.task)``.
    """

    def __init__(self, config: MGDConfig, dataset: Any = None) -> None:
        self.config = config
        self.spec = spec = FixedSpec.from_config(config)
        if dataset is None:
            from golden_model.datasets import load_dataset
            dataset = load_dataset(config.task)
        self.data = QuantizedData(*(quantize_data(np.asarray(getattr(dataset, k)), spec)
                                    for k in QuantizedData._fields))
        self.n_train = len(self.data.x_train)
        self.layout = spec.layout
        self.n_params = self.layout.n_params
        self.theta0 = theta0(spec)
        self.bank = SignBank(lanes=spec.n_lanes, width=spec.lfsr_width, seed=base_seed(config))
        self.lane_seeds = np.array(self.bank.seeds, dtype=np.int64)
        # node mode: neuron of every parameter (gathers lane signs) and position of its input in the
        # concatenation of every layer's [baseline input, 2**A_f] vectors
        neuron, pos, p0 = [], [], 0
        for (n_in, n_out), o in zip(zip(spec.layers[:-1], spec.layers[1:]), self.layout.neuron_offsets()):
            for j in range(n_out):
                neuron += [o + j] * (n_in + 1)
                pos += list(range(p0, p0 + n_in + 1))
            p0 += n_in + 1
        self._param_neuron = np.array(neuron, dtype=np.int64)
        self._param_input = np.array(pos, dtype=np.int64)
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
        self.sample = 0
        self.baseline = False
        self.updated = False
        self._inputs: np.ndarray | None = None  # node mode: concatenated baseline inputs (with 2**A_f)
        self.bank.reset()

    def state(self) -> StepState:
        """Copies of every register (after the last step)."""
        return StepState(self.n - 1, self.sample, self.baseline, self.C0, self.C, self.C_hat,
                         self.bank.bits.astype(np.uint8), self.bank.state.copy(), self.theta.copy(),
                         self.G.copy(), self.M.copy(), self.updated)

    def quantized_dataset(self) -> QuantizedData:
        return self.data

    def blocks(self, theta: np.ndarray | None = None) -> list[np.ndarray]:
        """θ per layer as ``(n_out, n_in + 1)`` views (weights, then bias)."""
        return self.layout.unflatten(self.theta if theta is None else theta)

    def predict(self, x_q: np.ndarray) -> np.ndarray:
        """Unperturbed network output for integer inputs ``x_q`` (batch, n_in), activation LSBs."""
        return forward(self.blocks(), np.asarray(x_q, dtype=np.int64), self.spec)[0]

    def evaluate(self) -> tuple[float, float, float]:
        """``(mean cost on the train set in real units, train accuracy, test accuracy)``, unperturbed θ."""
        from golden_model.datasets import accuracy

        one = float(1 << self.spec.A_f)
        y_tr = self.predict(self.data.x_train)
        y_te = self.predict(self.data.x_test)
        c = float(np.mean(cost(y_tr, self.data.t_train, self.spec))) * self.spec.cost_fmt.lsb
        return (c, accuracy(y_tr / one, self.data.t_train / one),
                accuracy(y_te / one, self.data.t_test / one))

    # ---- the reference step ----------------------------------------------------------------------------
    def step(self) -> StepState:
        """One MGD step, spec order, the readable reference path; returns the state after it."""
        spec, n = self.spec, self.n
        # 1. signs
        if n > 0 and n % spec.tau_p == 0:
            self.bank.advance()
        signs = self.bank.signs
        # 2. sample and baseline
        k = (n // spec.tau_x) % self.n_train
        x = self.data.x_train[k][None, :]
        t = self.data.t_train[k][None, :]
        self.baseline = n == 0 or n % spec.tau_x == 0 or self.updated
        if self.baseline:
            y0, inputs = forward(self.blocks(), x, spec)
            self.C0 = int(cost(y0, t, spec)[0])
            one = np.array([1 << spec.A_f], dtype=np.int64)
            self._inputs = np.concatenate([np.concatenate([a[0], one]) for a in inputs])
        # 3. perturbed pass
        if spec.perturbation == "weight":
            y, _ = forward(self.blocks(self.theta + signs * spec.weight_amplitude), x, spec)
        else:
            pert = signs * spec.node_amplitude
            node = [pert[o:o + b] for o, b in zip(self.layout.neuron_offsets(), spec.layers[1:])]
            y, _ = forward(self.blocks(), x, spec, node_perturbation=node)
        self.C = int(cost(y, t, spec)[0])
        # 4. cost change
        self.C_hat = self.C - self.C0
        # 5. correlate
        if spec.perturbation == "weight":
            self.G = correlate(self.G, signs, self.C_hat, spec)
        else:
            self.G = correlate(self.G, signs[self._param_neuron], self.C_hat, spec,
                               inputs=self._inputs[self._param_input])
        # 6. update
        self.updated = (n + 1) % spec.tau_theta == 0
        if self.updated:
            self.theta, self.M = update(self.theta, self.G, self.M, spec)
            self.G = np.zeros_like(self.G)
        self.sample = k
        self.n = n + 1
        return self.state()

    # ---- the fast path ---------------------------------------------------------------------------------
    def run(self, steps: int, record: bool = True, *, path: str = "auto") -> Trace | None:
        """Run ``steps`` steps on the fast path; bit-identical to calling :meth:`step` ``steps`` times.

        Precomputes per chunk everything that does not depend on θ (LFSR states, signs, samples, baseline
        and update flags), then runs the steps either on Python integers (``path="scalar"``, the default
        for networks of at most ``_SCALAR_MAX_PARAMS`` parameters) or with the baseline and perturbed passes
        as one NumPy batch of two (``path="numpy"``). Returns the :class:`Trace` of these steps if
        ``record``.
        """
        if path not in ("auto", "scalar", "numpy"):
            raise MGDError(f"run path must be 'auto', 'scalar' or 'numpy', not {path!r}")
        parts = []
        done = 0
        while done < steps:
            m = min(_CHUNK, steps - done)
            if path == "auto":
                path = "scalar" if self.n_params <= _SCALAR_MAX_PARAMS else "numpy"
            chunk = self._run_chunk_scalar if path == "scalar" else self._run_chunk
            parts.append(chunk(m, record))
            done += m
        if not record:
            return None
        return Trace.concatenate(parts) if parts else Trace.empty(0, self.spec.n_lanes, self.n_params,
                                                                   self._config_toml)

    def _lane_states(self, n0: int, steps: int) -> np.ndarray:
        """LFSR state of every lane for steps ``n0 .. n0 + steps - 1`` (int64, (steps, lanes)); the bank is
        left in the state of the last of them.

        Every lane is the one m-sequence at phase ``i * spacing`` (``golden_model.lfsr``), so after ``c``
        advances lane ``i`` is ``seq[(c + i * spacing) % P]``: one table lookup instead of a loop, used when
        the bank is where the schedule says it is (it is unless a caller wrote ``bank.state``); else the
        bank is stepped one step at a time.
        """
        spec, bank = self.spec, self.bank
        tau_p = spec.tau_p
        seq = None
        if spec.lfsr_width <= _TABLE_MAX_WIDTH:
            seq = _msequence(spec.lfsr_width, int(self.lane_seeds[0]))
        if seq is not None:
            period = len(seq)
            phase = np.arange(spec.n_lanes, dtype=np.int64) * bank_spacing(spec.n_lanes, spec.lfsr_width)
            now = max(n0 - 1, 0) // tau_p
            if np.array_equal(seq[(now + phase) % period], bank.state):
                counts = np.arange(n0, n0 + steps, dtype=np.int64) // tau_p
                out = seq[(counts[:, None] + phase[None, :]) % period]
                bank.state = out[-1].copy()
                return out
        out = np.empty((steps, spec.n_lanes), dtype=np.int64)
        for i in range(steps):
            n = n0 + i
            if n > 0 and n % tau_p == 0:
                bank.advance()
            out[i] = bank.state
        return out

    def _schedule(self, steps: int) -> _Schedule:
        """The θ-independent part of steps ``n .. n + steps - 1``: the controller's sequence of the spec
        (LFSR states and signs, sample index, baseline and update flags), shared by both fast paths."""
        spec = self.spec
        ns = np.arange(self.n, self.n + steps, dtype=np.int64)
        lfsr = self._lane_states(self.n, steps)
        return _Schedule(
            ns=ns, lfsr=lfsr, signs=1 - 2 * (lfsr & 1), samples=(ns // spec.tau_x) % self.n_train,
            baseline=(ns == 0) | (ns % spec.tau_x == 0) | (ns % spec.tau_theta == 0),
            updated=(ns + 1) % spec.tau_theta == 0)

    def _run_chunk(self, steps: int, record: bool) -> Trace | None:
        """The fast path for one chunk (see :meth:`run`). Same arithmetic as :meth:`step`, reorganised:

        * one buffer ``U`` (2 rows: baseline, perturbed) holds every layer's input with a constant
          ``2**A_f`` column for the bias, so a layer is one batched matrix-vector product, and ``U[0]`` is
          the node-mode correlator's input vector;
        * weight mode: θ lives in row 0 of ``W2``, row 1 is θ + perturbation; node mode: the perturbation
          is added to row 1 of z;
        * the baseline pass runs every step (when the spec takes none, θ and the sample are those of the
          last baseline, so it recomputes the same values and ``C0`` is not overwritten);
        * G's overflow handling is skipped: :meth:`FixedSpec.from_config` proved |G| stays within
          ``grad_width`` for τ_θ steps, so ``fit`` is the identity there.
        """
        spec, lay = self.spec, self.layout
        n0 = self.n
        sched = self._schedule(steps)
        signs, samples, baseline, updated = sched.signs, sched.samples, sched.baseline, sched.updated
        weight_mode = spec.perturbation == "weight"
        pert = signs * (spec.weight_amplitude if weight_mode else spec.node_amplitude)
        corr_signs = signs if weight_mode else signs[:, self._param_neuron]
        tr = Trace.empty(steps, spec.n_lanes, self.n_params, self._config_toml) if record else None

        (A_f, T_f, rnd, one, sh, off, conv, add, act_lo, act_hi, c_shift, mse, c_hi, c_wrap, k_eta,
         eta_add) = _FastConstants.of(spec)
        i64 = np.int64
        # U: per layer [input, 2**A_f], then the output layer; both rows
        sizes = [n + 1 for n in spec.layers[:-1]]
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
        U = np.full((2, starts[-1] + spec.layers[-1]), one, dtype=i64)
        if self._inputs is not None:
            U[:] = self._inputs[:starts[-1]].tolist() + [0] * spec.layers[-1]
        x_slot = U[:, :spec.layers[0]]
        outs = [U[:, starts[li + 1]:starts[li + 1] + spec.layers[li + 1]] for li in range(len(sizes))]
        ins = [U[:, starts[li]:starts[li] + sizes[li]] for li in range(len(sizes))]
        U0_param = self._param_input
        # θ storage: weight mode row 0 of W2 (row 1 = perturbed), node mode θ itself
        if weight_mode:
            W2 = np.empty((2, self.n_params), dtype=i64)
            W2[0] = self.theta
            theta = W2[0]
            src = W2
        else:
            theta = self.theta
            src = theta[None, :]
        blocks = [src[:, o:o + (n_in + 1) * n_out].reshape(src.shape[0], n_out, n_in + 1)
                  for o, n_in, n_out in zip(lay.param_offsets(), spec.layers[:-1], spec.layers[1:])]
        node_rows = [slice(o, o + b) for o, b in zip(lay.neuron_offsets(), spec.layers[1:])]
        G, M = self.G, self.M
        act_lo, act_hi = i64(act_lo), i64(act_hi)
        momentum = spec.k_m > 0
        th_lo, th_hi = i64(spec.theta.min_int), i64(spec.theta.max_int)
        th_wrap = spec.overflow == "wrap"
        X, Tt = self.data.x_train, self.data.t_train
        t_rows = Tt[samples]
        C0 = self.C0
        C = C_hat = 0
        matvec, maximum, minimum, add_, rshift = np.matvec, np.maximum, np.minimum, np.add, np.right_shift
        tmp = np.empty(self.n_params, dtype=i64)

        for i in range(steps):
            x_slot[...] = X[samples[i]]
            if weight_mode:
                add_(theta, pert[i], out=W2[1])
            for li in range(len(blocks)):
                z = matvec(blocks[li], ins[li])
                if not weight_mode:
                    z[1] += pert[i, node_rows[li]]
                if conv:
                    r = round_shift(z, sh, rnd) + off
                else:
                    r = rshift(add_(z, add, out=z), sh, out=z)
                minimum(maximum(r, act_lo, out=r), act_hi, out=outs[li])
            d = outs[-1] - t_rows[i]
            ce0, ce1 = ((d * d).sum(axis=1) if mse else np.abs(d).sum(axis=1)).tolist()
            c1 = round_shift(ce1, c_shift, rnd)
            C = (c1 & c_hi) if c_wrap else min(max(c1, 0), c_hi)
            if baseline[i]:
                c0 = round_shift(ce0, c_shift, rnd)
                C0 = (c0 & c_hi) if c_wrap else min(max(c0, 0), c_hi)
            C_hat = C - C0
            if weight_mode:
                G += np.multiply(corr_signs[i], C_hat, out=tmp)
            else:
                np.multiply(U[0].take(U0_param), C_hat, out=tmp)
                tmp *= corr_signs[i]
                G += round_shift(tmp, A_f, rnd)
            if updated[i]:
                if momentum or conv:
                    new_theta, new_M = update(theta, G, M, spec)
                    theta[:] = new_theta
                    M[:] = new_M
                else:
                    v = rshift(add_(G, eta_add, out=tmp), k_eta, out=tmp) if k_eta else G
                    theta -= v
                    if th_wrap:
                        theta[:] = spec.theta.fit(theta)
                    else:
                        minimum(maximum(theta, th_lo, out=theta), th_hi, out=theta)
                G.fill(0)
            if tr is not None:
                tr.record(i, C0=C0, C=C, C_hat=C_hat, theta=theta, G=G, M=M)
        # --- write back the state
        if weight_mode:
            self.theta[:] = theta
        self.C0, self.C, self.C_hat = C0, C, C_hat
        self.sample = int(samples[-1])
        self.baseline = bool(baseline[-1])
        self.updated = bool(updated[-1])
        self._inputs = U[0, :starts[-1]].copy()
        self.n = n0 + steps
        if tr is None:
            return None
        sched.fill(tr)
        return tr

    def _run_chunk_scalar(self, steps: int, record: bool) -> Trace | None:
        """The fast path for small networks (at most ``_SCALAR_MAX_PARAMS`` parameters): the same arithmetic
        as :meth:`step` on Python integers (exact at any width), because at XOR size the cost of a step is
        the per-call overhead of NumPy ufuncs (about 1 µs each), not arithmetic. Bit-identical to
        :meth:`step` (``test_fixed_mgd.py::test_fast_path_bit_identical_to_reference``)."""
        spec, lay = self.spec, self.layout
        n0 = self.n
        sched = self._schedule(steps)
        weight_mode = spec.perturbation == "weight"
        amp = spec.weight_amplitude if weight_mode else spec.node_amplitude
        signs = sched.signs.tolist()
        samples, baseline, updated = sched.samples.tolist(), sched.baseline.tolist(), sched.updated.tolist()
        tr = Trace.empty(steps, spec.n_lanes, self.n_params, self._config_toml) if record else None

        (A_f, T_f, rnd, one, sh, off, conv, add, act_lo, act_hi, c_shift, mse, c_hi, c_wrap, k_eta,
         eta_add) = _FastConstants.of(spec)
        simple_update = not (conv or spec.overflow == "wrap")  # else the generic update() on arrays
        k_m = spec.k_m
        m_lo, m_hi = -(1 << (spec.momentum_width - 1)), (1 << (spec.momentum_width - 1)) - 1
        th_lo, th_hi = spec.theta.min_int, spec.theta.max_int
        X = self.data.x_train.tolist()
        Tt = self.data.t_train.tolist()
        layers = [(o, n_in, n_out, no) for o, n_in, n_out, no in
                  zip(lay.param_offsets(), spec.layers[:-1], spec.layers[1:], lay.neuron_offsets())]
        param_neuron = self._param_neuron.tolist()
        param_input = self._param_input.tolist()
        theta = self.theta.tolist()
        G = self.G.tolist()
        M_np = self.M
        M_list = self.M.tolist()
        C0 = self.C0
        C = C_hat = 0
        u = self._inputs.tolist() if self._inputs is not None else []
        mul = operator.mul

        def _forward(w: list[int], x: list[int], npert: list[int] | None, keep: bool) -> list[int]:
            a = x
            for o, n_in, n_out, no in layers:
                if keep:
                    u.extend(a)
                    u.append(one)
                out = []
                for j in range(n_out):
                    b = o + j * (n_in + 1)
                    z = sum(map(mul, w[b:b + n_in], a)) + (w[b + n_in] << A_f)
                    if npert is not None:
                        z += npert[no + j]
                    r = round_shift(z, sh, rnd) + off if conv else (z + add) >> sh
                    out.append(act_lo if r < act_lo else act_hi if r > act_hi else r)
                a = out
            return a

        def _cost(y: list[int], t: list[int]) -> int:
            if mse:
                ce = sum((p - q) * (p - q) for p, q in zip(y, t))
            else:
                ce = sum(abs(p - q) for p, q in zip(y, t))
            c = round_shift(ce, c_shift, rnd)
            return (c & c_hi) if c_wrap else (0 if c < 0 else c_hi if c > c_hi else c)

        for i in range(steps):
            k = samples[i]
            x, t, s = X[k], Tt[k], signs[i]
            if baseline[i]:
                if not weight_mode:
                    u = []
                C0 = _cost(_forward(theta, x, None, not weight_mode), t)
            if weight_mode:
                C = _cost(_forward([th + amp * si for th, si in zip(theta, s)], x, None, False), t)
            else:
                C = _cost(_forward(theta, x, [amp * si for si in s], False), t)
            C_hat = C - C0
            if weight_mode:
                G = [g + si * C_hat for g, si in zip(G, s)]
            else:
                G = [g + round_shift(s[nj] * C_hat * u[pi], A_f, rnd)
                     for g, nj, pi in zip(G, param_neuron, param_input)]
            if updated[i]:
                if simple_update and not k_m:
                    theta = [min(max(th - ((g + eta_add) >> k_eta), th_lo), th_hi) for th, g in zip(theta, G)]
                elif simple_update:
                    M_list = [min(max(m - (m >> k_m) + ((g + eta_add) >> k_eta), m_lo), m_hi)
                              for m, g in zip(M_list, G)]
                    theta = [min(max(th - m, th_lo), th_hi) for th, m in zip(theta, M_list)]
                    M_np = M_list
                else:
                    th_np, M_np = update(np.array(theta, dtype=np.int64), np.array(G, dtype=np.int64),
                                         np.array(M_np, dtype=np.int64), spec)
                    theta = th_np.tolist()
                    M_list = M_np.tolist()
                G = [0] * len(G)
            if tr is not None:
                tr.record(i, C0=C0, C=C, C_hat=C_hat, theta=theta, G=G, M=M_np)
        self.theta[:] = theta
        self.G[:] = G
        self.M = np.array(M_np, dtype=np.int64)
        self.C0, self.C, self.C_hat = C0, C, C_hat
        self.sample = int(samples[-1])
        self.baseline = bool(baseline[-1])
        self.updated = bool(updated[-1])
        if u:
            self._inputs = np.array(u, dtype=np.int64)
        self.n = n0 + steps
        if tr is None:
            return None
        sched.fill(tr)
        return tr

    def run_reference(self, steps: int) -> Trace:
        """``steps`` calls of :meth:`step`, collected as a :class:`Trace` (the slow, readable path)."""
        tr = Trace.empty(steps, self.spec.n_lanes, self.n_params, self._config_toml)
        for i in range(steps):
            s = self.step()
            for name in ("n", "sample", "baseline", "C0", "C", "C_hat", "updated"):
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
