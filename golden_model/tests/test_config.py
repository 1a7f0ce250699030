"""The shared configuration: presets, TOML round trip, overrides, and one clear error per bad field."""

from __future__ import annotations

import re

import pytest

from golden_model import config as cfg


@pytest.mark.parametrize("name", sorted(cfg.PRESETS))
def test_presets_round_trip_through_toml(name):
    c = cfg.from_preset(name)
    assert cfg.loads_toml(cfg.to_toml(c)) == c


def test_xor_preset_is_paper_one():
    c = cfg.from_preset("xor")
    assert c.network.layers == (2, 2, 1) and c.network.activation == "sigmoid" and c.network.cost == "mse"
    assert (c.mgd.delta, c.mgd.eta, c.mgd.tau_x, c.mgd.tau_p, c.mgd.tau_theta) == (0.05, 0.1, 1, 1, 1)
    assert c.mgd.multiplexing == "code" and c.network.n_weights == 9


def test_overrides_apply_in_order_and_parse_toml_values():
    c = cfg.apply_overrides(cfg.from_preset("xor"),
                            ["mgd.eta=0.2", "mgd.eta=0.3", "mgd.perturbation=node",
                             "network.layers=[2, 4, 1]"])
    assert c.mgd.eta == 0.3 and c.mgd.perturbation == "node" and c.network.layers == (2, 4, 1)


def test_resolve_from_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(cfg.to_toml(cfg.from_preset("parity4")))
    assert cfg.resolve(config_file=path, overrides=["mgd.seed=9"]).mgd.seed == 9
    with pytest.raises(cfg.ConfigError, match="give either --preset or --config, not both"):
        cfg.resolve("xor", path)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("mgd.tau_x=0", "mgd.tau_x must be an integer from 1 to 1048576, not 0"),
        ("mgd.eta=-1", "mgd.eta must be a number > 0 and <= 1000, not -1"),
        ("mgd.perturbation=spin", "mgd.perturbation must be one of 'weight', 'node', not 'spin'"),
        ("network.layers=[2]",
         "network.layers must be a list of 2 to 16 layer sizes, each an integer from 1 to 4096, not (2,)"),
        ("network.layers=[3, 2, 1]", "network.layers must be a list starting with 2 inputs and ending with 1 "
                                     "outputs for task.dataset = 'xor', not [3, 2, 1]"),
        ("fixed.theta=Q3", 'fixed.theta must be a Q-format such as "Q3.12" (signed) or "UQ1.7" (unsigned), '
                           "not 'Q3'"),
        ("task.dataset=mnist",
         "task.dataset must be one of 'xor', 'parity', 'nist7x7', 'digits', 'file', not 'mnist'"),
        ("mgd.nonsense=1", "--set mgd field must be one of"),
        ("nosection.x=1", "--set section must be one of 'network', 'mgd', 'noise', 'fixed', 'task', "
                          "'hardware', not 'nosection'"),
        ("hardware.style=systolic", "hardware.style must be one of 'spatial', 'folded', not 'systolic'"),
        ("hardware.lanes=0", "hardware.lanes must be an integer from 1 to 1024, not 0"),
        ("hardware.lanes=2.5", "hardware.lanes must be an integer from 1 to 1024, not 2.5"),
        ("hardware.samples=flash", "hardware.samples must be one of 'rom', 'stream', not 'flash'"),
        ("hardware.samples=stream", "hardware.samples must be 'rom' for hardware.style = 'spatial' (only the "
                                    "folded core streams its training set: set hardware.style = 'folded'), "
                                    "not 'stream'"),
        ("mgd.eta", "--set must be of the form section.field=value, e.g. mgd.eta=0.2, not 'mgd.eta'"),
    ],
)
def test_bad_values_name_field_value_and_allowed(override, message):
    with pytest.raises(cfg.ConfigError, match="^" + re.escape(message)):
        cfg.apply_overrides(cfg.from_preset("xor"), [override])


def test_bad_toml_and_missing_file(tmp_path):
    with pytest.raises(cfg.ConfigError, match="config is not valid TOML"):
        cfg.loads_toml("[mgd\n")
    with pytest.raises(cfg.ConfigError,
                       match=r"--config must be a readable UTF-8 TOML config file, not .*missing.toml' "
                             r"\(no such file\)"):
        cfg.load_toml(tmp_path / "missing.toml")
    with pytest.raises(cfg.ConfigError, match="preset must be one of 'xor'"):
        cfg.from_preset("nope")
