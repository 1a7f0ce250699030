"""What the spatial RTL builds from one config, and what it refuses to build.

Ref: ``docs/fixed_point_spec.md`` (formats and widths) and :class:`golden_model.fixed_network.FixedSpec`
(the golden model's own derivation and checks, which this module reuses unchanged).

:func:`hardware_spec` turns an :class:`~golden_model.config.MGDConfig` into the golden model's
:class:`FixedSpec` and then applies the checks that only the hardware needs. Every refusal is an
:class:`RTLConfigError` (an :class:`~golden_model.errors.MGDError`) with the message shape
``"<field> must be <allowed>, not <value>"``, raised before any Verilog is generated.
"""

from __future__ import annotations

import numpy as np

from golden_model.config import MGDConfig
from golden_model.errors import MGDError
from golden_model.fixed_network import FixedSpec
from golden_model.lfsr import MIN_SPACING, TAPS

__all__ = ["RTLConfigError", "MAX_SPATIAL_PARAMS", "MAX_SAMPLES", "MAX_WIDTH", "TAU_BITS", "hardware_spec",
           "base_seed", "check_samples"]

# The spatial style builds one perturbation lane, correlator, update unit and (node mode) multiplier per
# parameter, and one multiplier per weight in the datapath: beyond a few hundred parameters the folded style
# is the sane choice. NIST7x7's [49, 4, 4] (220 parameters) still fits.
MAX_SPATIAL_PARAMS = 256
# Depth of the sample ROM.
MAX_SAMPLES = 4096
# Widest θ, activation and cost register the RTL builds (the widths of FixedConfig go to 48).
MAX_WIDTH = 32
# τ_x, τ_p, τ_θ are run-time registers of this many bits (MGDSettings allows up to 2**20).
TAU_BITS = 21


class RTLConfigError(MGDError):
    """A configuration the fixed-point model accepts but the spatial RTL cannot build."""


def _fail(field: str, allowed: str, value: object) -> None:
    raise RTLConfigError(f"{field} must be {allowed}, not {value!r}")


def base_seed(spec: FixedSpec) -> int:
    """The sign bank's base seed, ``mgd.seed % (2**lfsr_width - 1) + 1`` (spec: "Perturbation signs")."""
    return spec.seed % ((1 << spec.lfsr_width) - 1) + 1


def hardware_spec(config: MGDConfig) -> FixedSpec:
    """The golden model's :class:`FixedSpec` of ``config``, after the RTL's own checks.

    Raises
    ------
    golden_model.config.ConfigError
        What the fixed-point model itself rejects.
    RTLConfigError
        A format wider than :data:`MAX_WIDTH` bits; an activation format that cannot hold the activation's
        range (hard_sigmoid and clipped_relu reach ``1.0``, hard_tanh ``-1.0``); more than
        :data:`MAX_SPATIAL_PARAMS` parameters; a τ wider than :data:`TAU_BITS` bits; a sign bank whose
        lanes are closer than :data:`golden_model.lfsr.MIN_SPACING` steps.
    """
    spec = FixedSpec.from_config(config)
    formats = (("fixed.theta", spec.theta), ("fixed.activation", spec.act), ("fixed.cost", spec.cost_fmt))
    for field, fmt in formats:
        if fmt.width > MAX_WIDTH:
            _fail(field, f"a Q-format of at most {MAX_WIDTH} bits for the RTL", str(fmt))
    lo, hi = spec.activation_range()
    if hi > spec.act.max_int or lo < spec.act.min_int:
        _fail("fixed.activation",
              f"a format holding {spec.hw_activation}'s range [{lo}, {hi}] (in LSBs: at least 1 integer bit"
              f"{', signed' if lo < 0 else ''})", str(spec.act))
    n_params = spec.layout.n_params
    if n_params > MAX_SPATIAL_PARAMS:
        _fail("network.layers", f"a network of at most {MAX_SPATIAL_PARAMS} parameters for the spatial core "
              f"(this one has {n_params}; the folded style for larger networks is not built yet)",
              list(spec.layers))
    for name in ("tau_x", "tau_p", "tau_theta"):
        value = getattr(spec, name)
        if not 1 <= value < (1 << TAU_BITS):
            _fail(f"mgd.{name}",
                  f"an integer from 1 to {(1 << TAU_BITS) - 1} (the RTL's {TAU_BITS}-bit register)",
                  value)
    lanes = spec.n_lanes
    if lanes > 1 and ((1 << spec.lfsr_width) - 1) // lanes < MIN_SPACING:
        need = next(w for w in sorted(TAPS) if ((1 << w) - 1) // lanes >= MIN_SPACING)
        _fail("fixed.lfsr_width", f"at least {need} for {lanes} sign lanes ({MIN_SPACING} steps apart)",
              spec.lfsr_width)
    return spec


def check_samples(x: np.ndarray) -> None:
    """The sample ROM holds between 1 and :data:`MAX_SAMPLES` training samples."""
    if not 1 <= len(x) <= MAX_SAMPLES:
        _fail("task.dataset", f"a training set of 1 to {MAX_SAMPLES} samples for the sample ROM",
              f"{len(x)} samples")
