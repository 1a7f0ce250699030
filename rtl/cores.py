"""One factory for every MGD training core: the datapath style a config's ``[hardware]`` section asks for.

Ref: ``shared/design/ARCHITECTURE.md`` ("Two datapath styles, one contract"). Every command, bench and flow
reaches a core through :func:`build_core` and the contract of :mod:`rtl.contract`; a new style is a class
registered in :data:`STYLES`, nothing else changes.
"""

from __future__ import annotations

import importlib
from typing import NamedTuple

import numpy as np

from golden_model.config import MGDConfig
from golden_model.datasets import load_dataset
from golden_model.fixed_mgd import theta0
from golden_model.fixed_network import FixedSpec, quantize_data
from rtl.contract import MGDCoreBase
from rtl.spec import RTLConfigError, check_samples, hardware_spec

__all__ = ["STYLES", "CoreInputs", "core_inputs", "core_class", "build_core"]

# style -> "module:class"; imported only when that style is built
STYLES: dict[str, str] = {
    "spatial": "rtl.spatial.core:MGDCore",
    "folded": "rtl.folded.core:FoldedCore",
}


class CoreInputs(NamedTuple):
    """What a core is built from, computed once per run: the checked spec, θ₀ and the sample store's
    contents (the quantised training set, activation format)."""

    spec: FixedSpec
    theta0: np.ndarray
    x: np.ndarray
    t: np.ndarray


def core_class(config: MGDConfig) -> type[MGDCoreBase]:
    """The core class of ``config.hardware.style``."""
    style = config.hardware.style
    module, name = STYLES[style].split(":")
    try:
        return getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        built = ", ".join(repr(s) for s in STYLES if s != style)
        raise RTLConfigError(f"hardware.style must be one of the styles built so far ({built}), "
                             f"not {style!r}") from None


def core_inputs(config: MGDConfig) -> CoreInputs:
    """Check ``config`` for the RTL (:func:`rtl.spec.hardware_spec`, then the style's own ``check``) and
    derive the core's inputs: θ₀ (:func:`golden_model.fixed_mgd.theta0`) and the quantised training set
    (spec: "Initial parameters and data"). Raises an :class:`~golden_model.errors.MGDError` before anything
    is built."""
    spec = hardware_spec(config)
    core_class(config).check(config, spec)
    data = load_dataset(config.task, config.network.layers)
    check_samples(data.x_train)
    x, t = quantize_data(data.x_train, spec), quantize_data(data.t_train, spec)
    return CoreInputs(spec, theta0(spec), x, t)


def build_core(config: MGDConfig, *, inputs: CoreInputs | None = None, verify: bool = False) -> MGDCoreBase:
    """The core ``config`` asks for. ``inputs`` from :func:`core_inputs` (computed here when not given);
    ``verify`` adds the verification-only ``digest`` port."""
    cls = core_class(config)
    if inputs is None:
        inputs = core_inputs(config)
    return cls.from_inputs(config, inputs, verify=verify)
