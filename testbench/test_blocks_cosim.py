"""Generated correlator and update-unit Verilog at their saturation rails, in Icarus and Verilator."""

from __future__ import annotations

import dataclasses
import json

import pytest

from golden_model.config import apply_overrides, from_preset, to_toml
from golden_model.fixed_network import FixedSpec
from rtl.generate import write_verilog
from rtl.spatial.correlator import Correlator
from rtl.spatial.update import WeightUpdate
from testbench import runner

pytestmark = pytest.mark.cosim

# name: (block, config overrides, spec fields replaced (narrow G to reach its rails), block parameter)
BLOCKS = {
    "correlator-weight-wrap": ("correlator",
                               ["fixed.cost=UQ1.6", "fixed.rounding=floor", "fixed.overflow=wrap"],
                               {"grad_width": 9}, {"node_input": False}),
    "correlator-node-sat": ("correlator", ["fixed.cost=UQ1.6", "fixed.rounding=convergent"],
                            {"grad_width": 10}, {"node_input": True}),
    "update-momentum-sat": ("update", ["fixed.theta=Q1.6", "fixed.amplitude_shift=4", "fixed.eta_shift=2",
                                       "fixed.momentum_shift=2", "fixed.rounding=half_up"],
                            {}, {"init": -100}),
}


@pytest.mark.parametrize("sim", runner.SIMULATORS)
@pytest.mark.parametrize("name", list(BLOCKS))
def test_block_at_rails(name, sim, tmp_path):
    runner.require_simulator(sim)
    block, overrides, fields, param = BLOCKS[name]
    config = apply_overrides(from_preset("xor"), overrides)
    spec = dataclasses.replace(FixedSpec.from_config(config), **fields)
    dut = Correlator(spec=spec, **param) if block == "correlator" else WeightUpdate(spec=spec, **param)
    verilog = write_verilog(dut, block, tmp_path / name, {})[0]
    build_dir = runner.build(sim, [verilog], block)
    env = {"MGD_BLOCK": block, "MGD_BLOCK_CYCLES": "640", "MGD_BLOCK_SEED": "21",
           "MGD_BLOCK_SPEC": json.dumps({"config": to_toml(config), "fields": fields, **param})}
    runner.run(sim, build_dir, block, "testbench.block_tests", env=env, testcase=f"{block}_at_rails")
