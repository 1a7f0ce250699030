"""Float MGD: the algorithm of ``MGD.md`` step by step, vectorised over parameters and over replicas.

Ref: ``shared/design/MGD.md`` ("One time step", "Weight perturbation vs node perturbation", "Optimizers",
"Hardware non-idealities"); ``cpu/wmgd.jl`` of ``amccaugh/multiplexed-gradient-descent-paper``;
``docs/fixed_point_spec.md`` (step order, sample order), which the fixed-point model follows in integers.

One step ``n`` (digital form), for every replica at once:

1. sample ``k = (n // tau_x) % n_train`` (stored order; ``shuffle=True`` applies one seeded permutation);
2. perturbation θ̃ of step n (:mod:`golden_model.perturbations`; N perturbation parameters);
3. baseline ``C0 = C(x; θ)`` if x changed (``n % tau_x == 0``) or θ was updated at the end of step n−1;
   in node mode this pass also keeps every layer's unperturbed input ``a``;
4. ``C = C(x; θ + θ̃)`` (weight mode) or with θ̃ added to the pre-activations (node mode); cost noise
   ``noise.cost_sigma·N(0,1)`` is added to every cost read (C and C0);
5. ``C_hat = C − C0``; analog form instead: ``C_hat = τ_hp/(τ_hp+1)·(C_hat_prev + C − C_prev)`` (a
   first-order high-pass, reset to the previous value on a new sample as in the reference), no baseline;
6. correlate ``e = C_hat·θ̃/Δθ²``; node mode: ``e_ji = (C_hat·θ̃_j/Δθ²)·a_i`` (chain rule with
   the unperturbed input; the bias input is 1). Digital: ``G += e``. Analog: ``G ← (τ_θ G + e)/(τ_θ + 1)``;
7. update at the end of step n if ``(n + 1) % tau_theta == 0`` (analog: every step) with the optimizer
   (:mod:`golden_model.optimizers`: θ ← θ − η G for SGD), update noise ``noise.update_sigma·N(0,1)``
   on every parameter, then ``G = 0`` (digital only).

For code multiplexing ``E[e] = ∇C/N``. The backprop reference (``gradient="backprop"``) runs the same loop
with ``e = ∇C/N`` computed exactly by backpropagation on the same network, cost and sample order: the
expectation of the MGD estimate, so the same η and optimizer apply and any difference in result is the
price of estimating the gradient by perturbation.

Randomness: replica with seed ``s`` starts from ``init_theta(layers, s, init_scale)`` (shared with the
fixed-point model) and draws perturbations from ``default_rng([s, 2])``, device variation from
``default_rng([s, 3])``, cost noise from ``[s, 4]`` and update noise from ``[s, 5]``; so a replica in a
batch follows the same trajectory as the same seed run alone (up to floating-point summation order).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from golden_model.config import MGDConfig
from golden_model.datasets import Dataset, accuracy, load_dataset
from golden_model.errors import MGDError
from golden_model.float_network import DeviceVariation, FloatNetwork, cost
from golden_model.optimizers import make_optimizer
from golden_model.params import init_theta
from golden_model.perturbations import make_perturbation
from golden_model.results import CurvePoint, TrainResult

__all__ = ["FloatMGDError", "FloatMGD", "BatchRun", "run_batch", "train", "cosine"]

GRADIENTS = ("mgd", "backprop")


class FloatMGDError(MGDError):
    """A float-model argument is not allowed."""


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine of the angle between rows of ``a`` and ``b`` ((R, P) each) -> (R,); 0 where a norm is 0."""
    na = np.linalg.norm(a, axis=-1)
    nb = np.linalg.norm(b, axis=-1)
    den = na * nb
    return np.where(den > 0, np.sum(a * b, axis=-1) / np.where(den > 0, den, 1.0), 0.0)


class FloatMGD:
    """The float MGD trainer, state exposed after every :meth:`step`.

    Parameters
    ----------
    config : MGDConfig
        Network, method, noise and task.
    dataset : Dataset, optional
        Defaults to ``load_dataset(config.task, config.network.layers)``.
    seeds : list of int, optional
        One seed per replica; defaults to ``[config.mgd.seed]``.
    gradient : {"mgd", "backprop"}
        ``"backprop"`` replaces the MGD estimate by its expectation ∇C/N (the reference).
    shuffle : bool
        Present the training samples in one seeded permutation (``default_rng([task.data_seed, 7])``)
        instead of stored order.

    Attributes
    ----------
    theta, G : ndarray (R, P)
        Parameters and integrated gradient.
    C, C0, C_hat : ndarray (R,)
        Last perturbed cost, baseline cost and cost change.
    n : int
        Number of steps taken.
    n_perturbation : int
        N, the number of perturbation parameters (weights and biases, or neurons).
    """

    def __init__(self, config: MGDConfig, dataset: Dataset | None = None, seeds: list[int] | None = None,
                 gradient: str = "mgd", shuffle: bool = False) -> None:
        if gradient not in GRADIENTS:
            raise FloatMGDError(f"gradient must be one of {', '.join(map(repr, GRADIENTS))}, "
                                f"not {gradient!r}")
        self.config = config
        self.gradient = gradient
        self.seeds = [config.mgd.seed] if seeds is None else [int(s) for s in seeds]
        if not self.seeds:
            raise FloatMGDError("seeds must be a non-empty list of integers, not []")
        self.data = load_dataset(config.task, config.network.layers) if dataset is None else dataset
        if (self.data.n_in, self.data.n_out) != (config.network.layers[0], config.network.layers[-1]):
            raise FloatMGDError(f"dataset must have {config.network.layers[0]} inputs and "
                                f"{config.network.layers[-1]} outputs, "
                                f"not {self.data.n_in} and {self.data.n_out}")
        self.x_train, self.t_train = self.data.x_train, self.data.t_train
        if shuffle:
            perm = np.random.default_rng([config.task.data_seed, 7]).permutation(len(self.x_train))
            self.x_train, self.t_train = self.x_train[perm], self.t_train[perm]
        m = config.mgd
        layers = tuple(config.network.layers)
        variation = DeviceVariation.draw(config.noise, sum(layers[1:]), self.seeds)
        self.net = FloatNetwork(config.network, variation)
        self.theta = np.stack([init_theta(layers, s, config.network.init_scale) for s in self.seeds])
        self.node = m.perturbation == "node"
        self.n_perturbation = self.net.n_neurons if self.node else self.net.n_params
        self.perturbation = make_perturbation(m.multiplexing, self.n_perturbation, m.delta, m.tau_p,
                                              self.seeds)
        self.optimizer = make_optimizer(m, self.theta.shape)
        self.analog = m.cost_change == "analog"
        R = len(self.seeds)
        self.G = np.zeros_like(self.theta)
        self.C = np.zeros(R)
        self.C0 = np.zeros(R)
        self.C_hat = np.zeros(R)
        self._C_prev = np.zeros(R)
        self.n = 0
        self._updated = True
        self._base = None
        self._inv_d2 = 1.0 / m.delta ** 2
        self._cost_rngs = ([np.random.default_rng([s, 4]) for s in self.seeds]
                           if config.noise.cost_sigma > 0 else None)
        self._update_rngs = ([np.random.default_rng([s, 5]) for s in self.seeds]
                             if config.noise.update_sigma > 0 else None)
        self.capture = False  # set to record the gradient cosine at the next update
        self.last_cosine: np.ndarray | None = None

    @property
    def replicas(self) -> int:
        return len(self.seeds)

    # --- one step -------------------------------------------------------------------------------------
    def _cost_noise(self) -> np.ndarray | float:
        if self._cost_rngs is None:
            return 0.0
        return self.config.noise.cost_sigma * np.array([rng.standard_normal() for rng in self._cost_rngs])

    def _sample(self, n: int) -> int:
        return (n // self.config.mgd.tau_x) % len(self.x_train)

    def _estimate(self, x: np.ndarray, t: np.ndarray, x_changed: bool) -> np.ndarray:
        """The correlator output e of this step, (R, P)."""
        theta, net = self.theta, self.net
        theta_tilde = self.perturbation.at(self.n)
        if self.node and (x_changed or self._updated):
            self._base = net.forward(theta, x, keep=True)
        if not self.analog and (x_changed or self._updated):
            self.C0 = self._base_cost(x, t) + self._cost_noise()
        if self.node:
            C = net.costs(theta, x, t, node_delta=theta_tilde)[:, 0]
        else:
            C = net.costs(theta + theta_tilde, x, t)[:, 0]
        C = C + self._cost_noise()
        if self.analog:
            if self.n == 0 or x_changed:
                self._C_prev = C
            k = self.config.mgd.tau_hp / (self.config.mgd.tau_hp + 1.0)
            self.C_hat = k * (self.C_hat + C - self._C_prev)
            self._C_prev = C
        else:
            self.C_hat = C - self.C0
        self.C = C
        s = self.C_hat[:, None] * theta_tilde * self._inv_d2  # (R, N)
        if not self.node:
            return s
        # node perturbation: e_ji = s_j * a_i with a the unperturbed layer input (bias input 1)
        out, o = [], 0
        for a1, width in zip(self._base.inputs, self.net.config.layers[1:]):
            # a1: (R, 1, n_in + 1), this layer's unperturbed input with the bias input 1
            out.append((s[:, o:o + width, None] * a1[:, 0, None, :]).reshape(len(s), -1))
            o += width
        return np.concatenate(out, axis=1)

    def _base_cost(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        if self.node:
            return cost(self.net.config.cost, self._base.out, t)[:, 0]
        return self.net.costs(self.theta, x, t)[:, 0]

    def step(self) -> None:
        """Advance every replica by one MGD step."""
        m = self.config.mgd
        n = self.n
        k = self._sample(n)
        x, t = self.x_train[k:k + 1], self.t_train[k:k + 1]
        x_changed = n % m.tau_x == 0
        if self.gradient == "backprop":
            e = self.net.backprop(self.theta, x, t) / self.n_perturbation
        else:
            e = self._estimate(x, t, x_changed)
        if self.analog:
            self.G *= m.tau_theta / (m.tau_theta + 1.0)
            self.G += e / (m.tau_theta + 1.0)
            update = True
        else:
            self.G += e
            update = (n + 1) % m.tau_theta == 0
        if update:
            if self.capture:
                self.last_cosine = cosine(self.G, self._window_gradient(n))
                self.capture = False
            self.optimizer.step(self.theta, self.G)
            if self._update_rngs is not None:
                self.theta += self.config.noise.update_sigma * np.stack(
                    [rng.standard_normal(self.theta.shape[1]) for rng in self._update_rngs])
            if not self.analog:
                self.G[:] = 0.0
        self._updated = update
        self.n += 1

    def _window_gradient(self, n: int) -> np.ndarray:
        """True gradient over the samples G integrated (steps n − τ_θ + 1 … n), at the current θ."""
        steps = np.arange(max(0, n - self.config.mgd.tau_theta + 1), n + 1)
        ks = (steps // self.config.mgd.tau_x) % len(self.x_train)
        return self.net.backprop(self.theta, self.x_train[ks], self.t_train[ks])

    # --- evaluation ---------------------------------------------------------------------------------
    def evaluate(self) -> dict[str, np.ndarray]:
        """Per replica: mean training cost, training and test accuracy (each (R,))."""
        d = self.data
        y_train = self.net.forward(self.theta, d.x_train)
        c = cost(self.net.config.cost, y_train, d.t_train).mean(axis=1)
        train_acc = np.array([accuracy(y, d.t_train) for y in y_train])
        same = d.x_test.shape == d.x_train.shape and np.array_equal(d.x_test, d.x_train)
        if same:
            test_acc = train_acc
        else:
            test_acc = np.array([accuracy(y, d.t_test) for y in self.net.forward(self.theta, d.x_test)])
        return {"cost": c, "train_accuracy": train_acc, "test_accuracy": test_acc}


@dataclass
class BatchRun:
    """Curves of a batch of replicas: ``steps`` (E,), and (E, R) arrays of cost and accuracies."""

    seeds: list[int]
    gradient: str
    steps: np.ndarray
    cost: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    steps_to_target: list[int | None]
    wall_time_s: float
    steps_run: int
    n_perturbation: int
    cosine: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def final_test_accuracy(self) -> np.ndarray:
        return self.test_accuracy[-1]


def run_batch(config: MGDConfig, seeds: list[int] | None = None, gradient: str = "mgd",
              steps: int | None = None, eval_every: int | None = None, stop_at_target: bool = False,
              progress: bool = False, dataset: Dataset | None = None, shuffle: bool = False,
              track_cosine: bool = False) -> BatchRun:
    """Train ``len(seeds)`` replicas side by side, evaluating every ``eval_every`` steps.

    ``steps_to_target[r]`` is the first evaluated step at which replica r's test accuracy reached
    ``config.task.target_accuracy``. With ``stop_at_target`` the run ends once every replica has.
    """
    engine = FloatMGD(config, dataset=dataset, seeds=seeds, gradient=gradient, shuffle=shuffle)
    steps = config.task.steps if steps is None else steps
    eval_every = config.task.eval_every if eval_every is None else eval_every
    R = engine.replicas
    target = config.task.target_accuracy
    hist: dict[str, list] = {"steps": [], "cost": [], "train_accuracy": [], "test_accuracy": [], "cosine": []}
    to_target: list[int | None] = [None] * R
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=steps, unit="step", desc=f"float {config.task.dataset}", smoothing=0.1)
    t0 = time.perf_counter()

    def record() -> None:
        ev = engine.evaluate()
        hist["steps"].append(engine.n)
        for key in ("cost", "train_accuracy", "test_accuracy"):
            hist[key].append(ev[key])
        hist["cosine"].append(engine.last_cosine if engine.last_cosine is not None else np.full(R, np.nan))
        for r in range(R):
            if to_target[r] is None and ev["test_accuracy"][r] >= target:
                to_target[r] = engine.n

    record()
    while engine.n < steps:
        chunk = min(eval_every - engine.n % eval_every, steps - engine.n)
        for _ in range(chunk):
            if track_cosine and (engine.n + 1) % eval_every == 0:
                engine.capture = True
            engine.step()
        if bar is not None:
            bar.update(chunk)
        record()
        if stop_at_target and all(s is not None for s in to_target):
            break
    wall = time.perf_counter() - t0
    if bar is not None:
        bar.close()
    return BatchRun(seeds=engine.seeds, gradient=gradient, steps=np.array(hist["steps"]),
                    cost=np.array(hist["cost"]), train_accuracy=np.array(hist["train_accuracy"]),
                    test_accuracy=np.array(hist["test_accuracy"]), steps_to_target=to_target,
                    wall_time_s=wall, steps_run=engine.n, n_perturbation=engine.n_perturbation,
                    cosine=np.array(hist["cosine"]))


def train(config: MGDConfig, progress: bool = True) -> TrainResult:
    """Train one network on the float model (``mgd train --backend float``).

    Runs ``config.task.steps`` steps from seed ``config.mgd.seed``, evaluating every ``task.eval_every``
    steps; ``extra`` holds N (perturbation parameters), P, and the cosine between each evaluation's
    integrated gradient G and the true gradient over the samples G integrated.
    """
    run = run_batch(config, progress=progress, track_cosine=True)
    curve = [CurvePoint(step=int(s), cost=float(c[0]), train_accuracy=float(a[0]), test_accuracy=float(b[0]))
             for s, c, a, b in zip(run.steps, run.cost, run.train_accuracy, run.test_accuracy)]
    cos = [None if np.isnan(c[0]) else float(c[0]) for c in run.cosine]
    extra = {"n_perturbation_params": run.n_perturbation, "n_params": config.network.n_weights,
             "perturbation": config.mgd.perturbation, "multiplexing": config.mgd.multiplexing,
             "gradient_cosine": cos}
    return TrainResult(backend="float", config=config, steps=run.steps_run, wall_time_s=run.wall_time_s,
                       curve=curve, steps_to_target=run.steps_to_target[0], extra=extra)
