"""rtl.multiplier.Multiplier as an ECP5 MULT18X18D with its own registers equals the portable Amaranth
version cycle for cycle: both in one Icarus simulation, random and extreme operands, resets in between."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from amaranth.back import verilog

from rtl.multiplier import Multiplier
from rtl.synth.targets import SynthPlatform
from testbench import runner

MODEL = Path(__file__).resolve().parent / "models" / "ecp5_mult18x18d.v"
CYCLES = 2000


def _bench(wa: int, wb: int, seed: int) -> str:
    """A Verilog bench driving both versions with one operand stream; it prints the compared count."""
    rng = random.Random(seed)
    lo_a, hi_a, lo_b, hi_b = -(1 << (wa - 1)), (1 << (wa - 1)) - 1, -(1 << (wb - 1)), (1 << (wb - 1)) - 1
    steps = []
    for k in range(CYCLES):
        a = rng.choice([lo_a, hi_a, 0, -1, rng.randint(lo_a, hi_a)])
        b = rng.choice([lo_b, hi_b, 0, -1, rng.randint(lo_b, hi_b)])
        rst = int(k < 2 or rng.random() < 0.02)
        steps.append(f"    a = {wa}'sd0 + ({a}); b = {wb}'sd0 + ({b}); rst = {rst}; @(negedge clk); check();")
    wp = wa + wb
    return f"""`default_nettype none
module bench;
  reg clk = 0, rst = 1;
  reg signed [{wa - 1}:0] a = 0;
  reg signed [{wb - 1}:0] b = 0;
  wire signed [{wp - 1}:0] p_dsp, p_fab;
  integer compared = 0, differ = 0;
  mul_dsp dsp(.clk(clk), .rst(rst), .a(a), .b(b), .p(p_dsp));
  mul_fab fab(.clk(clk), .rst(rst), .a(a), .b(b), .p(p_fab));
  always #5 clk = ~clk;
  task check; begin
    compared = compared + 1;
    if (p_dsp !== p_fab) begin
      differ = differ + 1;
      if (differ <= 5) $display("differ at cycle %0d: dsp %0d fabric %0d", compared, p_dsp, p_fab);
    end
  end endtask
  initial begin
    @(negedge clk);
{chr(10).join(steps)}
    $display("compared %0d differ %0d", compared, differ);
    $finish;
  end
endmodule
"""


@pytest.mark.parametrize("wa, wb", [(16, 10), (18, 18), (17, 9), (5, 3), (11, 11), (20, 13), (13, 21),
                                    (36, 18)])
def test_ecp5_dsp_multiplier_equals_the_portable_one(wa, wb, tmp_path):
    runner.require_simulator("icarus")
    seed = 1000 * wa + wb
    dsp = verilog.convert(Multiplier(wa, wb), name="mul_dsp", platform=SynthPlatform("ecp5"), emit_src=False)
    fab = verilog.convert(Multiplier(wa, wb), name="mul_fab", emit_src=False)
    assert "MULT18X18D" in dsp and "MULT18X18D" not in fab
    for name, text in (("dsp.v", dsp), ("fab.v", fab), ("bench.v", _bench(wa, wb, seed))):
        (tmp_path / name).write_text(text)
    build = subprocess.run(["iverilog", "-g2005", "-o", "sim", "bench.v", "dsp.v", "fab.v", str(MODEL)],
                           cwd=tmp_path, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    out = subprocess.run(["vvp", "-n", "sim"], cwd=tmp_path, capture_output=True, text=True).stdout
    assert f"compared {CYCLES} differ 0" in out, f"a={wa} b={wb} bits, seed {seed}:\n{out}"


@pytest.mark.parametrize("wa, wb, slices", [(20, 13, 2), (13, 21, 2), (35, 8, 2), (36, 18, 3), (19, 19, 0)])
def test_wide_operands_take_one_slice_per_chunk(wa, wb, slices):
    """A wide operand is split into 17-bit chunks when the other fits the MULT18X18D; two wide operands are
    left to Yosys (which splits them, unregistered)."""
    text = verilog.convert(Multiplier(wa, wb), name="wide", platform=SynthPlatform("ecp5"), emit_src=False)
    assert text.count("MULT18X18D ") == slices


@pytest.mark.parametrize("field, value", [("a_width", 0), ("b_width", True), ("a_width", 2.5)])
def test_bad_widths_are_refused(field, value):
    args = {"a_width": 8, "b_width": 8, field: value}
    with pytest.raises(ValueError, match=f"Multiplier {field} must be a positive integer, not {value!r}"):
        Multiplier(**args)
