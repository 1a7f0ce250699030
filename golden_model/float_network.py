"""The float multilayer perceptron: activations, costs, forward passes with perturbations, backpropagation.

Ref: ``shared/design/MGD.md`` ("One time step", "Weight perturbation vs node perturbation", "Hardware
non-idealities") and ``docs/fixed_point_spec.md`` (parameter order, activation and cost definitions, which
the float model shares so that float and fixed mean the same network).

Everything is batched over ``R`` independent *replicas* (copies of the network with their own θ, e.g.
different seeds), so many training runs advance in one NumPy call. Shapes: θ is ``(R, P)`` in the canonical
order of :class:`golden_model.params.ParamLayout`; inputs ``x`` are ``(S, n_in)`` (shared by all replicas,
which see the same sample order) or ``(R, S, n_in)``; outputs are ``(R, S, n_out)``.

Definitions (shared with the fixed-point model):

- ``hard_sigmoid(z) = clip(z/4 + 1/2, 0, 1)``, ``clipped_relu(z) = clip(z, 0, 1)``,
  ``hard_tanh(z) = clip(z, -1, 1)``; ``relu``, ``sigmoid``, ``tanh``, ``linear`` as usual.
- ``mse``: ``C = sum_k (y_k - t_k)**2`` (sum over outputs, no ½, no mean); ``l1``: ``sum_k |y_k - t_k|``;
  ``cross_entropy``: ``-sum_k [t_k log y_k + (1 - t_k) log(1 - y_k)]`` (outputs clipped to [1e-12, 1 - 1e-12];
  meant for sigmoid outputs).
- Device variation (per neuron ``j``, drawn once per replica): ``y_j = s_j * f(g_j * z_j + o_j)`` with gain
  ``g_j = 1 + gain_sigma·N(0,1)``, offset ``o_j = offset_sigma·N(0,1)``, saturation ``s_j = 1 +
  saturation_sigma·N(0,1)``. The backprop reference differentiates the varied function (the true gradient of
  the hardware as built).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden_model.config import ACTIVATIONS, COSTS, NetworkConfig, NoiseConfig
from golden_model.errors import MGDError
from golden_model.params import ParamLayout

__all__ = ["NetworkError", "activate", "activation_slope", "cost", "cost_slope", "DeviceVariation",
           "FloatNetwork", "ForwardPass"]


class NetworkError(MGDError):
    """A network argument is not allowed."""


def activate(name: str, z: np.ndarray) -> np.ndarray:
    """The activation function ``name`` applied elementwise."""
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-np.clip(z, -500.0, 500.0)))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "hard_sigmoid":
        return np.clip(0.25 * z + 0.5, 0.0, 1.0)
    if name == "hard_tanh":
        return np.clip(z, -1.0, 1.0)
    if name == "clipped_relu":
        return np.clip(z, 0.0, 1.0)
    if name == "linear":
        return z
    raise NetworkError(f"activation must be one of {', '.join(map(repr, ACTIVATIONS))}, not {name!r}")


def activation_slope(name: str, z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """df/dz at ``z`` (``y = f(z)``); piecewise-linear functions have slope 0 where they saturate."""
    if name == "sigmoid":
        return y * (1.0 - y)
    if name == "tanh":
        return 1.0 - y * y
    if name == "relu":
        return (z > 0.0).astype(np.float64)
    if name == "hard_sigmoid":
        return np.where((z > -2.0) & (z < 2.0), 0.25, 0.0)
    if name == "hard_tanh":
        return ((z > -1.0) & (z < 1.0)).astype(np.float64)
    if name == "clipped_relu":
        return ((z > 0.0) & (z < 1.0)).astype(np.float64)
    if name == "linear":
        return np.ones_like(z)
    raise NetworkError(f"activation must be one of {', '.join(map(repr, ACTIVATIONS))}, not {name!r}")


_EPS = 1e-12


def cost(name: str, y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Cost of every sample: ``y`` (..., n_out), ``t`` broadcastable to it; sums over the last axis."""
    if name == "mse":
        return np.sum((y - t) ** 2, axis=-1)
    if name == "l1":
        return np.sum(np.abs(y - t), axis=-1)
    if name == "cross_entropy":
        yc = np.clip(y, _EPS, 1.0 - _EPS)
        return -np.sum(t * np.log(yc) + (1.0 - t) * np.log(1.0 - yc), axis=-1)
    raise NetworkError(f"cost must be one of {', '.join(map(repr, COSTS))}, not {name!r}")


def cost_slope(name: str, y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """dC/dy, same shape as ``y``."""
    if name == "mse":
        return 2.0 * (y - t)
    if name == "l1":
        return np.sign(y - t)
    if name == "cross_entropy":
        yc = np.clip(y, _EPS, 1.0 - _EPS)
        return (yc - t) / (yc * (1.0 - yc))
    raise NetworkError(f"cost must be one of {', '.join(map(repr, COSTS))}, not {name!r}")


@dataclass(frozen=True)
class DeviceVariation:
    """Per-neuron gain, offset and saturation of every replica's activations, each ``(R, n_neurons)``."""

    gain: np.ndarray
    offset: np.ndarray
    saturation: np.ndarray

    @classmethod
    def draw(cls, noise: NoiseConfig, n_neurons: int, seeds: list[int]) -> DeviceVariation | None:
        """Draw one variation per replica from ``default_rng([seed, 3])``; ``None`` if all sigmas are 0."""
        if noise.gain_sigma == noise.offset_sigma == noise.saturation_sigma == 0.0:
            return None
        g, o, s = [], [], []
        for seed in seeds:
            rng = np.random.default_rng([seed, 3])
            g.append(1.0 + noise.gain_sigma * rng.standard_normal(n_neurons))
            o.append(noise.offset_sigma * rng.standard_normal(n_neurons))
            s.append(1.0 + noise.saturation_sigma * rng.standard_normal(n_neurons))
        return cls(np.array(g), np.array(o), np.array(s))


@dataclass
class ForwardPass:
    """What a forward pass leaves behind: every layer's input ``a`` (with the bias input 1 appended),
    pre-activation ``z`` (after any node perturbation) and output ``y``; each ``(R, S, width)``."""

    inputs: list[np.ndarray]
    z: list[np.ndarray]
    y: list[np.ndarray]

    @property
    def out(self) -> np.ndarray:
        return self.y[-1]


class FloatNetwork:
    """An MLP in float64, batched over replicas.

    Parameters
    ----------
    network : NetworkConfig
        Layer sizes, activations and cost.
    variation : DeviceVariation or None
        Per-neuron activation variation (``None``: ideal devices).
    """

    def __init__(self, network: NetworkConfig, variation: DeviceVariation | None = None) -> None:
        self.config = network
        self.layout = ParamLayout(tuple(network.layers))
        self.variation = variation
        n_layers = len(network.layers) - 1
        self.activations = [network.activation] * (n_layers - 1) + [network.output_activation]
        self._poff = self.layout.param_offsets()
        self._noff = self.layout.neuron_offsets()
        self._shapes = list(zip(network.layers[1:], network.layers[:-1]))  # (n_out, n_in)

    @property
    def n_params(self) -> int:
        return self.layout.n_params

    @property
    def n_neurons(self) -> int:
        return self.layout.n_neurons

    def blocks(self, theta: np.ndarray) -> list[np.ndarray]:
        """Per layer a view ``(R, n_out, n_in + 1)`` of θ ``(R, P)``: weights then bias."""
        return [theta[:, o:o + b * (a + 1)].reshape(theta.shape[0], b, a + 1)
                for o, (b, a) in zip(self._poff, self._shapes)]

    def _act(self, layer: int, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(argument of f, output) of layer ``layer`` for pre-activation ``z`` (R, S, n)."""
        name = self.activations[layer]
        if self.variation is None:
            return z, activate(name, z)
        sl = slice(self._noff[layer], self._noff[layer] + z.shape[-1])
        u = self.variation.gain[:, None, sl] * z + self.variation.offset[:, None, sl]
        return u, self.variation.saturation[:, None, sl] * activate(name, u)

    def forward(self, theta: np.ndarray, x: np.ndarray, node_delta: np.ndarray | None = None,
                keep: bool = False) -> ForwardPass | np.ndarray:
        """Outputs ``(R, S, n_out)`` of every replica on inputs ``x``.

        ``node_delta`` ``(R, n_neurons)`` is added to the pre-activations (node perturbation). With
        ``keep`` the whole :class:`ForwardPass` is returned (layer inputs, z, y), else only the outputs.
        """
        R = theta.shape[0]
        a = np.asarray(x, dtype=np.float64)
        inputs, zs, ys = [], [], []
        for layer, W in enumerate(self.blocks(theta)):
            # z = a·Wᵀ + b; a is (S, n_in) for the first layer (shared by the replicas), then (R, S, n_in)
            z = np.matmul(a, W[:, :, :-1].transpose(0, 2, 1)) + W[:, None, :, -1]
            if node_delta is not None:
                o = self._noff[layer]
                z += node_delta[:, None, o:o + z.shape[-1]]
            if keep:
                a_full = np.broadcast_to(a, (R,) + a.shape[-2:]) if a.ndim == 2 else a
                inputs.append(np.concatenate([a_full, np.ones(a_full.shape[:-1] + (1,))], axis=-1))
            u, a = self._act(layer, z)
            if keep:
                zs.append(u)
                ys.append(a)
        if keep:
            return ForwardPass(inputs, zs, ys)
        return a

    def costs(self, theta: np.ndarray, x: np.ndarray, t: np.ndarray,
              node_delta: np.ndarray | None = None) -> np.ndarray:
        """Cost of every replica on every sample, ``(R, S)``."""
        return cost(self.config.cost, self.forward(theta, x, node_delta), t)

    def backprop(self, theta: np.ndarray, x: np.ndarray, t: np.ndarray,
                 node: bool = False) -> np.ndarray:
        """Exact gradient of the mean cost over the ``S`` samples, ``(R, P)``; with ``node``, dC/dz instead,
        ``(R, n_neurons)``.

        Backpropagation on the same network (and the same device variation) as the MGD forward pass.
        """
        fp = self.forward(theta, x, keep=True)
        S = fp.out.shape[1]
        delta = cost_slope(self.config.cost, fp.out, t) / S  # dC/dy
        grads: list[np.ndarray] = []
        node_grads: list[np.ndarray] = []
        Ws = self.blocks(theta)
        for layer in range(len(Ws) - 1, -1, -1):
            f_of_z = fp.y[layer] if self.variation is None else fp.y[layer] / self._sat(layer)
            slope = activation_slope(self.activations[layer], fp.z[layer], f_of_z)
            if self.variation is not None:
                sl = slice(self._noff[layer], self._noff[layer] + slope.shape[-1])
                slope = slope * (self.variation.gain[:, None, sl] * self.variation.saturation[:, None, sl])
            dz = delta * slope  # (R, S, n_out)
            node_grads.append(dz.sum(axis=1))
            grads.append((dz.transpose(0, 2, 1) @ fp.inputs[layer]).reshape(theta.shape[0], -1))
            if layer > 0:
                delta = dz @ Ws[layer][:, :, :-1]
        if node:
            return np.concatenate(node_grads[::-1], axis=1)
        return np.concatenate(grads[::-1], axis=1)

    def _sat(self, layer: int) -> np.ndarray:
        o = self._noff[layer]
        return self.variation.saturation[:, None, o:o + self._shapes[layer][0]]
