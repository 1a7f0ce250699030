"""``mgd cosim`` from the command line: one summary line, exit 0 when bit-exact; refusals before any work.

(The cosim bench itself is tested in ``testbench/test_core_cosim.py``; these tests sit here because they
drive the command line, which lives above the testbench.)
"""

from __future__ import annotations

import pytest

from scripts.cli import main
from testbench import runner
from testbench.test_core_cosim import CASES, LAYERS, PINNED


@pytest.mark.cosim
def test_mgd_cosim_command(capsys):
    """``mgd cosim`` prints one summary line and exits 0 when bit-exact (reuses the xor-weight-A build)."""
    runner.require_simulator("verilator")
    _, overrides, _, _ = CASES["xor-weight-A"]
    args = ["cosim", "--preset", "xor", "--sim", "verilator", "--steps", "300", "--free-steps", "100"]
    for o in [*PINNED, LAYERS["xor"], *overrides]:
        args += ["--set", o]
    assert main(args) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert (len(out) == 1 and "bit-exact" in out[0] and "steps=400" in out[0]
            and "cycles_per_step=7.000" in out[0])


def test_mgd_cosim_rejects_what_the_rtl_cannot_build(capsys):
    assert main(["cosim", "--preset", "xor", "--set", "network.layers=[2,90,1]"]) == 2
    err = capsys.readouterr().err
    assert "network.layers must be a network of at most 256 parameters for the spatial core" in err
