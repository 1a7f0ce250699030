"""Perturbation generators of the float model: code (CDMA), Walsh, time (TDMA) and frequency (FDMA).

Ref: ``shared/design/MGD.md`` ("Multiplexing"); the public reference ``cpu/perturb.jl`` of
``amccaugh/multiplexed-gradient-descent-paper``.

Every generator gives, for time step ``n``, the perturbation θ̃ of ``N`` perturbation parameters for each of
``R`` replicas, an ``(R, N)`` array whose RMS norm ``||θ̃||₂`` is Δθ (``delta``):

``code``       θ̃_i = ±a, a = Δθ/√N, signs uniform random, new every τ_p steps (slot ``n // tau_p``).
``walsh``      θ̃_i = a·H[π(i), slot mod M]: the rows of a Sylvester–Hadamard matrix of size M (the next
               power of two ≥ N), shuffled by a seeded permutation π; over one period of M slots the codes of
               any two parameters are exactly orthogonal.
``time``       one parameter at a time, amplitude Δθ, parameter ``slot mod N`` (sequential order):
               correlating gives a one-sided finite difference.
``frequency``  θ̃_i = a·√2·sin(2π f_i n + φ_i), frequencies f_i evenly spaced in [0.05, 0.45] cycles/step
               (below Nyquist), assigned by a seeded permutation, phases φ_i uniform: RMS over time is a.

Replica ``r`` draws from ``numpy.random.default_rng([seed_r, 2])`` only, so a run in a batch sees exactly
the perturbations it would see alone.
"""

from __future__ import annotations

import numpy as np

from golden_model.config import MULTIPLEXING
from golden_model.errors import MGDError

__all__ = ["PerturbationError", "Perturbation", "CodePerturbation", "WalshPerturbation",
           "TimePerturbation", "FrequencyPerturbation", "make_perturbation", "hadamard"]

_STREAM = 2  # second word of every replica's perturbation seed


class PerturbationError(MGDError):
    """A perturbation argument is not allowed."""


def hadamard(m: int) -> np.ndarray:
    """Sylvester–Hadamard matrix of order ``m`` (a power of two), entries ±1 as float64."""
    if m < 1 or m & (m - 1):
        raise PerturbationError(f"Hadamard order must be a power of two, not {m}")
    h = np.ones((1, 1))
    while h.shape[0] < m:
        h = np.block([[h, h], [h, -h]])
    return h


class Perturbation:
    """Base class: ``at(n)`` returns θ̃ of step ``n`` as ``(R, N)``.

    Parameters
    ----------
    n : int
        Number of perturbation parameters N.
    delta : float
        Δθ, the RMS norm of the perturbation vector.
    tau_p : int
        Steps per perturbation.
    seeds : list of int
        One seed per replica.
    """

    def __init__(self, n: int, delta: float, tau_p: int, seeds: list[int]) -> None:
        if not isinstance(n, int) or n < 1:
            raise PerturbationError(f"number of perturbation parameters must be an integer >= 1, not {n!r}")
        if not delta > 0:
            raise PerturbationError(f"delta must be a number > 0, not {delta!r}")
        if not isinstance(tau_p, int) or tau_p < 1:
            raise PerturbationError(f"tau_p must be an integer >= 1, not {tau_p!r}")
        self.n = n
        self.delta = float(delta)
        self.tau_p = tau_p
        self.seeds = list(seeds)
        self.amplitude = self.delta / np.sqrt(n)  # a

    @property
    def replicas(self) -> int:
        return len(self.seeds)

    def at(self, n: int) -> np.ndarray:
        raise NotImplementedError


class CodePerturbation(Perturbation):
    """Random ±a codes, new every τ_p steps (drawn in chunks, one generator per replica)."""

    def __init__(self, n: int, delta: float, tau_p: int, seeds: list[int]) -> None:
        super().__init__(n, delta, tau_p, seeds)
        self._rngs = [np.random.default_rng([s, _STREAM]) for s in self.seeds]
        self._chunk = max(1, min(1024, (1 << 20) // max(1, n)))
        self._base = -1  # first slot of the buffered chunk
        self._buf = np.empty((0,))
        self._slot = -1
        self._cur = np.empty((0,))

    def _fill(self, first: int) -> None:
        # draw every chunk in order, so the signs of slot k do not depend on which slots were asked for
        while self._base < 0 or first >= self._base + self._chunk:
            self._base = 0 if self._base < 0 else self._base + self._chunk
            bits = np.stack([rng.integers(0, 2, size=(self._chunk, self.n), dtype=np.int8)
                             for rng in self._rngs], axis=1)
            self._buf = bits  # (chunk, R, N), 1 means −a

    def at(self, n: int) -> np.ndarray:
        slot = n // self.tau_p
        if slot != self._slot:
            if slot < self._base:
                raise PerturbationError(f"step must be at least the last step's chunk start "
                                        f"{self._base * self.tau_p}, not {n}")
            self._fill(slot)
            self._cur = (1.0 - 2.0 * self._buf[slot - self._base]) * self.amplitude
            self._slot = slot
        return self._cur


class WalshPerturbation(Perturbation):
    """Shuffled rows of a Hadamard matrix; exactly orthogonal over a period of ``period`` slots."""

    def __init__(self, n: int, delta: float, tau_p: int, seeds: list[int]) -> None:
        super().__init__(n, delta, tau_p, seeds)
        self.period = 1 << max(0, (n - 1).bit_length())
        h = hadamard(self.period)
        rows = [np.random.default_rng([s, _STREAM]).permutation(self.period)[:n] for s in self.seeds]
        self._codes = np.stack([h[r] for r in rows], axis=0).transpose(2, 0, 1) * self.amplitude  # (M, R, N)

    def at(self, n: int) -> np.ndarray:
        return self._codes[(n // self.tau_p) % self.period]


class TimePerturbation(Perturbation):
    """One parameter at a time with amplitude Δθ, in index order."""

    def __init__(self, n: int, delta: float, tau_p: int, seeds: list[int]) -> None:
        super().__init__(n, delta, tau_p, seeds)
        self._eye = np.eye(n) * self.delta

    def at(self, n: int) -> np.ndarray:
        row = self._eye[(n // self.tau_p) % self.n]
        return np.broadcast_to(row, (self.replicas, self.n))


class FrequencyPerturbation(Perturbation):
    """Sinusoids of distinct frequencies (cycles per step) and random phases; the step is the time."""

    F_LO, F_HI = 0.05, 0.45

    def __init__(self, n: int, delta: float, tau_p: int, seeds: list[int]) -> None:
        super().__init__(n, delta, tau_p, seeds)
        base = np.linspace(self.F_LO, self.F_HI, n) if n > 1 else np.array([0.25])
        f, phi = [], []
        for s in self.seeds:
            rng = np.random.default_rng([s, _STREAM])
            f.append(rng.permutation(base))
            phi.append(rng.uniform(0.0, 2.0 * np.pi, n))
        self.freqs = np.array(f)
        self.phases = np.array(phi)

    def at(self, n: int) -> np.ndarray:
        t = (n // self.tau_p) * self.tau_p
        return self.amplitude * np.sqrt(2.0) * np.sin(2.0 * np.pi * self.freqs * t + self.phases)


_KINDS = {"code": CodePerturbation, "walsh": WalshPerturbation, "time": TimePerturbation,
          "frequency": FrequencyPerturbation}


def make_perturbation(multiplexing: str, n: int, delta: float, tau_p: int, seeds: list[int]) -> Perturbation:
    """The generator for ``mgd.multiplexing``."""
    if multiplexing not in _KINDS:
        raise PerturbationError(f"mgd.multiplexing must be one of {', '.join(map(repr, MULTIPLEXING))}, "
                                f"not {multiplexing!r}")
    return _KINDS[multiplexing](n, delta, tau_p, seeds)
