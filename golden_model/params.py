"""Canonical layout of an MLP's parameters, shared by the float model, the fixed-point model and the RTL.

Ref: ``docs/fixed_point_spec.md`` ("Parameter order").

The flat parameter vector θ is ordered layer by layer, neuron by neuron, the neuron's input weights first
and its bias last: for layer ``l`` with ``n_in`` inputs and ``n_out`` neurons, weight ``W_l[j, i]`` sits at
``offset_l + j * (n_in + 1) + i`` and bias ``b_l[j]`` at ``offset_l + j * (n_in + 1) + n_in``. Neurons (the
node-perturbation parameters) are ordered layer by layer, ``neuron_offset_l + j``. Weight-mode sign lane
``k`` belongs to parameter ``k``; node-mode lane ``k`` to neuron ``k``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ParamLayout", "init_theta", "index_bits"]


def index_bits(count: int) -> int:
    """Bits of an index into ``count`` items (at least 1): the width of a parameter, neuron, address or lane
    index in the cores (re-exported by :mod:`rtl.contract`)."""
    return max(1, (count - 1).bit_length())


@dataclass(frozen=True)
class ParamLayout:
    """Where each layer's weights, biases and neurons sit in the flat vectors."""

    layers: tuple[int, ...]

    @property
    def n_params(self) -> int:
        return sum((a + 1) * b for a, b in zip(self.layers[:-1], self.layers[1:]))

    @property
    def n_neurons(self) -> int:
        return sum(self.layers[1:])

    def param_offsets(self) -> list[int]:
        """Start of each layer's block of ``n_out * (n_in + 1)`` parameters."""
        out, pos = [], 0
        for a, b in zip(self.layers[:-1], self.layers[1:]):
            out.append(pos)
            pos += (a + 1) * b
        return out

    def neuron_offsets(self) -> list[int]:
        out, pos = [], 0
        for b in self.layers[1:]:
            out.append(pos)
            pos += b
        return out

    def synapses(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per parameter (canonical order): its neuron (node-mode lane), its layer, and its input ``i``
        within that layer (``i == n_in`` for the bias). int64 arrays of length :attr:`n_params`."""
        neuron, layer, inp = [], [], []
        for k, (a, b, o) in enumerate(zip(self.layers[:-1], self.layers[1:], self.neuron_offsets())):
            neuron += np.repeat(np.arange(o, o + b), a + 1).tolist()
            layer += [k] * ((a + 1) * b)
            inp += list(range(a + 1)) * b
        return (np.array(neuron, dtype=np.int64), np.array(layer, dtype=np.int64),
                np.array(inp, dtype=np.int64))

    def unflatten(self, theta: np.ndarray) -> list[np.ndarray]:
        """Per layer, a view of shape ``(n_out, n_in + 1)``: weights in columns ``:n_in``, bias last."""
        return [theta[o:o + (a + 1) * b].reshape(b, a + 1)
                for o, a, b in zip(self.param_offsets(), self.layers[:-1], self.layers[1:])]

    def flatten(self, blocks: list[np.ndarray]) -> np.ndarray:
        return np.concatenate([np.asarray(b).reshape(-1) for b in blocks])


def init_theta(layers: tuple[int, ...], seed: int, scale: float = 1.0) -> np.ndarray:
    """Initial parameters, float64 in canonical order: weights and biases ~ U(-1, 1) * scale / sqrt(n_in + 1).

    Seeded by ``seed`` alone (``numpy.random.default_rng(seed)``), so the float model, the fixed-point model
    (which quantises this vector) and the RTL's reset values all start from the same point.
    """
    layout = ParamLayout(tuple(layers))
    rng = np.random.default_rng(seed)
    blocks = []
    for a, b in zip(layout.layers[:-1], layout.layers[1:]):
        blocks.append(rng.uniform(-1.0, 1.0, size=(b, a + 1)) * scale / np.sqrt(a + 1))
    return layout.flatten(blocks)
