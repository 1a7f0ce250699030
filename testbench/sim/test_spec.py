"""rtl.spec.hardware_spec and rtl.cores: configs the RTL cannot build are refused before generation."""

from __future__ import annotations

import pytest

from golden_model.errors import MGDError
from rtl.cores import build_core, core_inputs
from rtl.spatial.core import MAX_SPATIAL_PARAMS
from rtl.spec import RTLConfigError, hardware_spec
from testbench.sim._support import config_of


def _config(*overrides: str, preset: str = "xor"):
    return config_of(*overrides, preset=preset)


def test_presets_build():
    for preset in ("xor", "parity4"):
        hardware_spec(_config(preset=preset))
    # 220 parameters: still spatial
    hardware_spec(_config("mgd.optimizer=sgd", "network.layers=[49,4,4]", preset="nist7x7"))


@pytest.mark.parametrize("overrides, message", [
    (["network.layers=[2,80,1]"],
     rf"network.layers must be a network of at most {MAX_SPATIAL_PARAMS} parameters for the spatial core "
     r"\(this one has 321; set hardware.style = \"folded\" for larger networks\), not \[2, 80, 1\]"),
    (["fixed.theta=Q20.20", "fixed.grad_width=64"],
     r"fixed.theta must be a Q-format of at most 32 bits for the RTL, not 'Q20.20'"),
    (["fixed.cost=UQ10.30", "fixed.grad_width=64"],
     r"fixed.cost must be a Q-format of at most 32 bits for the RTL, not 'UQ10.30'"),
])
def test_rtl_rejects_with_field_allowed_value(overrides, message):
    with pytest.raises(RTLConfigError, match=message):
        core_inputs(_config(*overrides))
    with pytest.raises(RTLConfigError, match=message):  # and so does the factory, before building anything
        build_core(_config(*overrides))


def test_lfsr_too_narrow_for_the_lanes():
    with pytest.raises(RTLConfigError, match=r"fixed.lfsr_width must be at least 14 for 220 sign lanes "
                                             r"\(64 steps apart\), not 8"):
        hardware_spec(_config("fixed.lfsr_width=8", "mgd.optimizer=sgd", "mgd.perturbation=weight",
                              "network.layers=[49,4,4]", preset="nist7x7"))


@pytest.mark.parametrize("overrides", [
    ["network.cost=cross_entropy"], ["mgd.multiplexing=walsh"], ["noise.cost_sigma=0.1"],
    ["fixed.grad_width=8"], ["mgd.tau_theta=1000000", "fixed.grad_width=20"],
])
def test_what_the_fixed_model_rejects_is_rejected_too(overrides):
    with pytest.raises(MGDError, match=r" must be .*, not "):
        build_core(_config(*overrides))


def test_config_lists_the_synthesis_targets():
    """golden_model.config validates hardware.target without importing rtl: its list is rtl.synth's."""
    from golden_model.config import HARDWARE_TARGETS
    from rtl.synth import TARGETS

    assert tuple(TARGETS) == HARDWARE_TARGETS


@pytest.mark.parametrize("style, lanes", [("spatial", 8), ("folded", 1), ("folded", 3)])
def test_the_factory_builds_the_style_the_config_asks_for(style, lanes):
    from rtl._validate import not_elaborated
    from rtl.contract import MGDCoreBase
    from rtl.cores import STYLES

    config = _config(f'hardware.style="{style}"', f"hardware.lanes={lanes}", "network.layers=[2,3,1]")
    core = build_core(config)
    not_elaborated(core)
    assert isinstance(core, MGDCoreBase) and core.style == style
    assert f"{type(core).__module__}:{type(core).__name__}" == STYLES[style]
    assert core.describe()["n_params"] == 13 and core.theta0 == list(core_inputs(config).theta0)
    if style == "folded":
        assert core.describe()["lanes"] == lanes
