"""A foreign device: hardware whose gradient nobody can compute, trained by the MGD trainer alone.

Ref: ``shared/design/MGD.md`` ("Hardware non-idealities": device variation and cost noise; the papers'
case of a chip whose cost can be read but not differentiated) and ``shared/design/ARCHITECTURE.md``
("MGDTrainer ... on its own it can train any hardware whose cost it can read").

:class:`ForeignDevice` plays an analog network outside the FPGA: the *float* network of the config
(``network`` section: layer sizes, activations, cost; :class:`golden_model.float_network.FloatNetwork`) with
the device variation and the cost noise of the ``noise`` section. The trainer knows none of it: it sends θ,
the perturbation signs and a sample index, and reads back one quantised cost per pass
(:meth:`ForeignDevice.cost`, a :data:`golden_model.fixed_mgd.CostSource`).

A pass, in real units:

* θ from the trainer's integers, ``θ_real = θ · 2**-T_f`` (exact);
* weight mode: a perturbed pass runs with ``θ_real + s · 2**-k_p`` (the perturbation the fixed model's
  ``2**(T_f - k_p)`` θ LSBs stand for); node mode: ``s_j · 2**-k_p`` is added to neuron ``j``'s
  pre-activation (the fixed model's ``2**(T_f + A_f - k_p)`` z LSBs);
* the float forward pass on the float training sample (the device sees real inputs, not the trainer's
  quantised sample ROM), with the per-neuron gain, offset and saturation drawn once from
  ``default_rng([mgd.seed, 3])`` (:meth:`DeviceVariation.draw`, the float model's stream);
* the cost of ``network.cost``, plus ``noise.cost_sigma · N(0, 1)`` on every read (C and C0 alike) from
  ``default_rng([mgd.seed, 4])`` (the float model's cost-noise stream), one draw per pass in issue order;
* the narrowing to ``fixed.cost``: **round half up, saturate** (a noisy cost below 0 reads 0, one above the
  format's top reads its top), the ADC of the device;
* node mode, a baseline pass also returns every layer's input, narrowed to ``fixed.activation`` with round
  half up and saturation (the first layer's input is the sample itself, which the trainer's own
  quantisation gives the same).

``noise.update_sigma`` is a float-trainer fault and does not apply: the trainer here is the fixed-point one.
The trainer's own config is the same config with the ``noise`` section zeroed (:func:`trainer_config`):
the noise describes the device, not the trainer.

:meth:`ForeignDevice.evaluate` measures the device as built (variation on, no cost noise) with a θ, which is
how a trained θ is judged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from golden_model.config import MGDConfig, NoiseConfig
from golden_model.fixed_mgd import FixedMGD, Pass
from golden_model.fixed_network import FixedSpec
from golden_model.float_network import DeviceVariation, FloatNetwork, cost

__all__ = ["ForeignDevice", "LoopCurve", "trainer_config", "train_model_loop"]


def trainer_config(config: MGDConfig) -> MGDConfig:
    """The config of the trainer that trains ``config``'s device: ``config`` with every ``noise`` field 0
    (device variation and cost noise belong to the device; the fixed-point trainer refuses noise)."""
    return config.replace(noise=NoiseConfig())


class ForeignDevice:
    """The float network of ``config`` with its device variation and cost noise (see the module docstring).

    Parameters
    ----------
    config : MGDConfig
        ``network`` (the device's network), ``noise`` (its variation and cost noise), ``mgd.seed`` (their
        streams), ``fixed`` (the θ, cost and activation formats the trainer speaks), ``task`` (the data).
    dataset : object with float ``x_train, t_train, x_test, t_test``, optional
        Default ``load_dataset(config.task, config.network.layers)``.

    Attributes
    ----------
    reads : int
        Passes evaluated so far (cost-noise draws made).
    """

    def __init__(self, config: MGDConfig, dataset: Any = None) -> None:
        from golden_model.datasets import load_dataset

        self.config = config
        self.spec = spec = FixedSpec.from_config(trainer_config(config))
        if dataset is None:
            dataset = load_dataset(config.task, config.network.layers)
        self.data = dataset
        seed = config.mgd.seed
        n_neurons = config.network.n_neurons
        self.net = FloatNetwork(config.network, DeviceVariation.draw(config.noise, n_neurons, [seed]))
        self.cost_sigma = config.noise.cost_sigma
        self._cost_rng = np.random.default_rng([seed, 4])
        self._adc = spec.cost_fmt.with_modes("half_up", "saturate")
        self._act_adc = spec.act.with_modes("half_up", "saturate")
        self.amplitude = 2.0 ** -spec.k_p  # the perturbation in real units (θ, or z in node mode)
        self.reads = 0

    def theta_real(self, theta: np.ndarray) -> np.ndarray:
        """The trainer's θ (θ LSBs) in real units, ``θ · 2**-T_f``."""
        return self.spec.theta.to_real(theta)

    def cost(self, p: Pass) -> tuple[int, list[np.ndarray] | None]:
        """One pass (:data:`golden_model.fixed_mgd.CostSource`): the quantised, noisy cost in cost LSBs
        and, for a baseline pass in node mode, the layer inputs in activation LSBs."""
        theta = self.theta_real(p.theta)[None, :]
        node = None
        if not p.baseline:
            if self.spec.perturbation == "weight":
                theta = theta + self.amplitude * p.signs[None, :]
            else:
                node = self.amplitude * np.asarray(p.signs, dtype=np.float64)[None, :]
        x = self.data.x_train[p.sample][None, :]
        t = self.data.t_train[p.sample][None, :]
        keep = p.baseline and self.spec.perturbation == "node"
        out = self.net.forward(theta, x, node, keep=keep)
        y = out.out if keep else out
        c = float(cost(self.config.network.cost, y, t)[0, 0])
        if self.cost_sigma:
            c += self.cost_sigma * self._cost_rng.standard_normal()
        self.reads += 1
        inputs = [self._act_adc.from_real(a[0, 0, :-1]) for a in out.inputs] if keep else None
        return int(self._adc.from_real(c)), inputs

    def evaluate(self, theta: np.ndarray) -> tuple[float, float, float]:
        """``(mean cost on the train set, train accuracy, test accuracy)`` of the device as built (its
        variation, no cost noise) with the trainer's θ (θ LSBs)."""
        from golden_model.datasets import accuracy

        th = self.theta_real(theta)[None, :]
        d = self.data
        y_tr = self.net.forward(th, d.x_train)[0]
        y_te = self.net.forward(th, d.x_test)[0]
        c = float(np.mean(cost(self.config.network.cost, y_tr, d.t_train)))
        return c, accuracy(y_tr, d.t_train), accuracy(y_te, d.t_test)


@dataclass
class LoopCurve:
    """The learning curve of a trainer on a device: ``(step, cost, train accuracy, test accuracy)`` of the
    device as built (:meth:`ForeignDevice.evaluate`) at step 0, every ``eval_every`` steps and at the end;
    ``steps_to_target``: the first evaluated step whose test accuracy reaches ``task.target_accuracy``."""

    target: float
    points: list[list[float]] = field(default_factory=list)
    steps_to_target: int | None = None

    def add(self, step: int, figures: tuple[float, float, float]) -> None:
        self.points.append([step, *figures])
        if self.steps_to_target is None and figures[2] >= self.target:
            self.steps_to_target = step

    @property
    def final(self) -> list[float]:
        return self.points[-1][1:] if self.points else []


def train_model_loop(config: MGDConfig, steps: int, eval_every: int) -> dict[str, Any]:
    """The loop without RTL: the fixed-point trainer (:meth:`FixedMGD.step` with the device as its cost
    source) trains ``config``'s device for ``steps`` steps; returns the curve, steps to target and time.
    The same trainer, pass for pass, as the RTL loop (:mod:`testbench.loop`), which checks the RTL against
    it."""
    device = ForeignDevice(config)
    model = FixedMGD(trainer_config(config))
    curve = LoopCurve(config.task.target_accuracy)
    curve.add(0, device.evaluate(model.theta))
    t0 = time.perf_counter()
    while model.n < steps:
        model.step(device.cost)
        if model.n % eval_every == 0 or model.n == steps:
            curve.add(model.n, device.evaluate(model.theta))
    return {"steps": model.n, "curve": curve.points, "final": curve.final,
            "steps_to_target": curve.steps_to_target, "wall_s": time.perf_counter() - t0,
            "theta": [int(v) for v in model.theta], "reads": device.reads}
