"""MGDTrainer alone, as a Verilog top: parameters out, cost in, for hardware outside the FPGA.

Ref: ``shared/design/ARCHITECTURE.md`` ("MGDTrainer ... on its own it can train any hardware whose cost it can
read"); :class:`rtl.spatial.trainer.MGDTrainer` (ports, timing); :mod:`golden_model.device` (the foreign
device the loop bench, :mod:`testbench.loop`, plays against it).

The top (``mgd generate trainer``, Verilog module :data:`TOP`) has the trainer's ports flattened:
``ctrl__*`` and ``status__*`` (the host contract's control and status, :mod:`rtl.contract`; there is no
readback port: θ and G are outputs), ``theta`` and ``grad`` (every parameter, flat, parameter order),
``issue_valid``, ``issue_baseline``, ``issue_sample`` and ``signs`` (the pass to evaluate), ``cost`` (its
cost, ``latency`` cycles after ``issue_valid``, cost format) and, in node mode, ``acts`` (the layer inputs of
a baseline pass, at the same cycle).
"""

from __future__ import annotations

from golden_model.config import MGDConfig
from golden_model.datasets import load_dataset
from golden_model.device import trainer_config
from golden_model.fixed_mgd import theta0
from rtl.spatial.core import MAX_SPATIAL_PARAMS
from rtl.spatial.trainer import MGDTrainer
from rtl.spec import check_samples, fail, hardware_spec

__all__ = ["TOP", "MAX_DEVICE_LATENCY", "build_trainer"]

TOP = "mgd_trainer"
# Cycles from issuing a pass to the cost being back: a slow device (an ADC, a settling analog network) may
# take many cycles; the trainer's delay lines hold one register per cycle per sign lane, so bound it.
MAX_DEVICE_LATENCY = 1024


def build_trainer(config: MGDConfig, *, latency: int) -> MGDTrainer:
    """The trainer of ``config``'s network for a cost source of ``latency`` cycles.

    The config's ``noise`` section describes the device, not the trainer, and is ignored here
    (:func:`golden_model.device.trainer_config`). The trainer is the spatial style's (one sign lane,
    correlator and update unit per parameter), so it takes the spatial limit
    (:data:`rtl.spatial.core.MAX_SPATIAL_PARAMS`): it has no network multipliers, but its registers and
    delay lines grow with the parameters as the core's do. Raises an :class:`~golden_model.errors.MGDError`
    naming the field before anything is built.
    """
    if not isinstance(latency, int) or isinstance(latency, bool) or not 1 <= latency <= MAX_DEVICE_LATENCY:
        fail("--latency", f"an integer from 1 to {MAX_DEVICE_LATENCY} (cycles from issue to cost)", latency)
    config = trainer_config(config)
    spec = hardware_spec(config)
    n_params = spec.layout.n_params
    if n_params > MAX_SPATIAL_PARAMS:
        fail("network.layers", f"a network of at most {MAX_SPATIAL_PARAMS} parameters for the trainer (one "
             f"sign lane, correlator and update unit each; this one has {n_params})", list(spec.layers))
    data = load_dataset(config.task, config.network.layers)
    check_samples(data.x_train)
    return MGDTrainer(spec=spec, theta0=theta0(spec), n_samples=len(data.x_train), latency=latency)
