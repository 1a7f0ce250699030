"""Optimizers that consume the MGD gradient estimate G (or any gradient) as a drop-in.

Ref: ``shared/design/MGD.md`` ("Optimizers as drop-in"). The gradient handed over is ``G``, the correlator
output integrated over τ_θ steps exactly as the reference code and the fixed-point model use it
(``θ ← θ − η·G``), so η means the same thing in the float and the fixed model.

- ``sgd``: θ ← θ − η G
- ``momentum``: M ← γ M + η G; θ ← θ − M
- ``adam``: m ← β1 m + (1−β1) G; v ← β2 v + (1−β2) G²; θ ← θ − η m̂ / (√v̂ + ε), with the usual bias
  corrections m̂ = m / (1 − β1^k), v̂ = v / (1 − β2^k) at the k-th update.
"""

from __future__ import annotations

import numpy as np

from golden_model.config import OPTIMIZERS, MGDSettings
from golden_model.errors import MGDError

__all__ = ["OptimizerError", "Optimizer", "make_optimizer"]


class OptimizerError(MGDError):
    """An optimizer argument is not allowed."""


class Optimizer:
    """Stateful update rule over θ of shape ``(R, P)``; ``step(theta, G)`` updates ``theta`` in place."""

    def __init__(self, settings: MGDSettings, shape: tuple[int, ...]) -> None:
        if settings.optimizer not in OPTIMIZERS:
            raise OptimizerError(f"mgd.optimizer must be one of {', '.join(map(repr, OPTIMIZERS))}, "
                                 f"not {settings.optimizer!r}")
        self.kind = settings.optimizer
        self.eta = settings.eta
        self.gamma = settings.momentum
        self.beta1, self.beta2, self.eps = settings.beta1, settings.beta2, settings.adam_eps
        self.k = 0
        self.M = np.zeros(shape) if self.kind == "momentum" else None
        self.m = np.zeros(shape) if self.kind == "adam" else None
        self.v = np.zeros(shape) if self.kind == "adam" else None

    def step(self, theta: np.ndarray, G: np.ndarray) -> None:
        self.k += 1
        if self.kind == "sgd":
            theta -= self.eta * G
        elif self.kind == "momentum":
            self.M *= self.gamma
            self.M += self.eta * G
            theta -= self.M
        else:
            self.m *= self.beta1
            self.m += (1.0 - self.beta1) * G
            self.v *= self.beta2
            self.v += (1.0 - self.beta2) * G * G
            m_hat = self.m / (1.0 - self.beta1 ** self.k)
            v_hat = self.v / (1.0 - self.beta2 ** self.k)
            theta -= self.eta * m_hat / (np.sqrt(v_hat) + self.eps)


def make_optimizer(settings: MGDSettings, shape: tuple[int, ...]) -> Optimizer:
    return Optimizer(settings, shape)
