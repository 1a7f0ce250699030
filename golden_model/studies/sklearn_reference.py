"""Backprop on a CPU, the comparison users ask about: wall time for scikit-learn's ``MLPClassifier`` to reach
a target accuracy on the same task and the same layer sizes as an MGD configuration.

Ref: ``shared/design/ARCHITECTURE.md`` ("Figures the toolkit must report": accuracy vs a backprop reference;
hardware time to reach the target accuracy). This is the *measured* baseline the hardware time is set against;
it is not the golden model's own backprop reference (that one shares our network code exactly).

Method: the classifier (``hidden_layer_sizes`` = the config's hidden layers, logistic activation for sigmoid
networks, Adam, the library's defaults otherwise) is trained one epoch at a time with ``partial_fit``; after
every epoch the test accuracy is measured; the clock stops at the first epoch that reaches the target. Only
``partial_fit`` calls are timed (not the accuracy checks). Repeated ``repeats`` times with seeds
``seed, seed + 1, ...``; the median time is reported with the spread.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from golden_model.config import MGDConfig
from golden_model.datasets import load_dataset

__all__ = ["BackpropTiming", "time_to_accuracy"]

_SKLEARN_ACTIVATION = {"sigmoid": "logistic", "tanh": "tanh", "relu": "relu", "hard_sigmoid": "logistic",
                       "hard_tanh": "tanh", "clipped_relu": "relu", "linear": "identity"}


@dataclass(frozen=True)
class BackpropTiming:
    """Median over repeats; ``None`` time when the target was not reached within ``max_epochs``."""

    target_accuracy: float
    median_time_s: float | None
    times_s: tuple[float | None, ...]
    epochs: tuple[int | None, ...]
    final_accuracy: tuple[float, ...]
    hidden_layers: tuple[int, ...]
    activation: str

    @property
    def solve_rate(self) -> float:
        return sum(t is not None for t in self.times_s) / len(self.times_s)


def _labels(t: np.ndarray) -> np.ndarray:
    return (t[:, 0] >= 0.5).astype(int) if t.shape[1] == 1 else np.argmax(t, axis=1)


def time_to_accuracy(config: MGDConfig, *, target: float | None = None, repeats: int = 5, seed: int = 0,
                     max_epochs: int = 5000) -> BackpropTiming:
    """Time scikit-learn backprop to ``target`` test accuracy (default: the config's target)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    target = config.task.target_accuracy if target is None else target
    data = load_dataset(config.task, config.network.layers)
    y_train, y_test = _labels(data.t_train), _labels(data.t_test)
    classes = np.unique(np.concatenate([y_train, y_test]))
    hidden = tuple(config.network.layers[1:-1])
    activation = _SKLEARN_ACTIVATION[config.network.activation]
    times: list[float | None] = []
    epochs: list[int | None] = []
    finals: list[float] = []
    for r in range(repeats):
        clf = MLPClassifier(hidden_layer_sizes=hidden, activation=activation, solver="adam",
                            learning_rate_init=0.01, random_state=seed + r)
        elapsed, reached, acc = 0.0, None, 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for epoch in range(1, max_epochs + 1):
                t0 = time.perf_counter()
                clf.partial_fit(data.x_train, y_train, classes=classes)
                elapsed += time.perf_counter() - t0
                acc = float(np.mean(clf.predict(data.x_test) == y_test))
                if acc >= target:
                    reached = epoch
                    break
        times.append(elapsed if reached is not None else None)
        epochs.append(reached)
        finals.append(acc)
    done = [t for t in times if t is not None]
    return BackpropTiming(target, float(np.median(done)) if done else None, tuple(times), tuple(epochs),
                          tuple(finals), hidden, activation)
