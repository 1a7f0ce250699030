"""What the RTL builds from one config, and what every datapath style refuses to build.

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
from rtl.contract import TAU_BITS

__all__ = ["RTLConfigError", "fail", "MAX_SAMPLES", "MAX_WIDTH", "hardware_spec",
           "check_samples"]

# Depth of the sample ROM.
MAX_SAMPLES = 4096
# Widest θ, activation and cost register the RTL builds (the widths of FixedConfig go to 48).
MAX_WIDTH = 32


class RTLConfigError(MGDError):
    """A configuration the fixed-point model accepts but the RTL cannot build."""


def fail(field: str, allowed: str, value: object) -> None:
    """Raise :class:`RTLConfigError` ``"<field> must be <allowed>, not <value>"``."""
    raise RTLConfigError(f"{field} must be {allowed}, not {value!r}")


def hardware_spec(config: MGDConfig) -> FixedSpec:
    """The golden model's :class:`FixedSpec` of ``config``, after the RTL's own checks.

    Raises
    ------
    golden_model.config.ConfigError
        What the fixed-point model itself rejects.
    RTLConfigError
        A format wider than :data:`MAX_WIDTH` bits; an activation format that cannot hold the activation's
        range (hard_sigmoid and clipped_relu reach ``1.0``, hard_tanh ``-1.0``); a τ wider than
        :data:`rtl.contract.TAU_BITS` bits; a sign bank whose lanes are closer than
        :data:`golden_model.lfsr.MIN_SPACING` steps. Each style's own limits are checked by its ``check``
        (:func:`rtl.cores.build_core`).
    """
    spec = FixedSpec.from_config(config)
    formats = (("fixed.theta", spec.theta), ("fixed.activation", spec.act), ("fixed.cost", spec.cost_fmt))
    for field, fmt in formats:
        if fmt.width > MAX_WIDTH:
            fail(field, f"a Q-format of at most {MAX_WIDTH} bits for the RTL", str(fmt))
    lo, hi = spec.activation_range()
    if hi > spec.act.max_int or lo < spec.act.min_int:
        fail("fixed.activation",
              f"a format holding {spec.hw_activation}'s range [{lo}, {hi}] (in LSBs: at least 1 integer bit"
              f"{', signed' if lo < 0 else ''})", str(spec.act))
    for name in ("tau_x", "tau_p", "tau_theta"):
        value = getattr(spec, name)
        if not 1 <= value < (1 << TAU_BITS):
            fail(f"mgd.{name}",
                  f"an integer from 1 to {(1 << TAU_BITS) - 1} (the RTL's {TAU_BITS}-bit register)",
                  value)
    lanes = spec.n_lanes
    if lanes > 1 and ((1 << spec.lfsr_width) - 1) // lanes < MIN_SPACING:
        need = next(w for w in sorted(TAPS) if ((1 << w) - 1) // lanes >= MIN_SPACING)
        fail("fixed.lfsr_width", f"at least {need} for {lanes} sign lanes ({MIN_SPACING} steps apart)",
              spec.lfsr_width)
    return spec


def check_samples(x: np.ndarray) -> None:
    """The sample ROM holds between 1 and :data:`MAX_SAMPLES` training samples."""
    if not 1 <= len(x) <= MAX_SAMPLES:
        fail("task.dataset", f"a training set of 1 to {MAX_SAMPLES} samples for the sample ROM",
              f"{len(x)} samples")
