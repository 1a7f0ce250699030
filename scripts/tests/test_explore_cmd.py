"""``mgd explore`` (scripts/cmd_explore.py, scripts/flows/explore.py, golden_model/studies/explore.py): bad
values refused before any run, the space and its points, the fixed-model statistics against runs of our
own, cycles to target against the schedule, the fit on the part, and the synthesis stage's ranking and reuse
(with the tools replaced by a report of known Fmax: the flow's arithmetic, not the tools, is under test
here; `mgd synth` has its own tests)."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest

from golden_model.config import apply_overrides, from_preset
from golden_model.fixed_mgd import train
from golden_model.schedule import folded_cycles, spatial_cycles
from golden_model.studies.explore import Axis, ExploreError, default_axes, parse_axis, point_configs
from rtl.folded.core import CORRELATE_GAP, LAYER_GAP, RUN_SETUP
from scripts.cli import main
from scripts.flows import explore as flow

FORM = ("FIELD[,FIELD...]=V1,V2,... such as fixed.eta_shift=5,6,7 or mgd.tau_x,mgd.tau_theta=1,2")


@pytest.mark.parametrize("args, message", [
    (["--vary", "eta_shift=4,5"], f"--vary must be {FORM}, not 'eta_shift=4,5'"),
    (["--vary", "fixed.eta_shift"], f"--vary must be {FORM}, not 'fixed.eta_shift'"),
    (["--vary", "fixed.eta_shift=4,,5"],
     f"--vary must be {FORM}, not 'fixed.eta_shift=4,,5' (an empty value)"),
    (["--vary", "fixed.eta_shift=4,4"], "--vary must list each value once, not 'fixed.eta_shift=4,4'"),
    (["--vary", "mgd.seed=1,2"], "--vary must not vary mgd.seed, hardware.lanes, hardware.style (the study "
                                 "sets them: seeds from --seeds, lanes from --lanes), not 'mgd.seed=1,2'"),
    (["--vary", "fixed.eta_shift=4,5", "--vary", "fixed.eta_shift,mgd.tau_x=1,2"],
     "--vary must name each field in one axis only, not 'fixed.eta_shift' in both 'fixed.eta_shift' and "
     "'fixed.eta_shift,mgd.tau_x'"),
    (["--vary", "fixed.eta_shift=4,99"], "--vary point fixed.eta_shift=99 is not a configuration the model "
                                         "takes: fixed.eta_shift must be an integer from 0 to 40, not 99"),
    (["--vary", "fixed.speed=1,2"],
     "--vary point fixed.speed=1 is not a configuration the model takes: --set fixed field must be one of "),
    (["--target", "ecp5-45k"],
     "--target must be one of 'ice40-up5k', 'ecp5-25k', 'ecp5-85k', not 'ecp5-45k'"),
    (["--lanes", "8"], "--lanes is for hardware.style = 'folded', not 'spatial' (the spatial core has one "
                       "multiplier per weight, no lanes)"),
    (["--preset", "nist7x7", "--lanes", "8,17"],
     "--lanes must be lane counts the folded core can use on [49, 16, 4], not 17 (at most 16 (the widest "
     "layer's neurons), or PE x SIMD with PE <= 16 and SIMD a power of two (e.g. 32, 64))"),
    (["--lanes", "0"], "--lanes must be comma-separated integers from 1 to 1024 such as 8,16,32, not '0'"),
    (["--seeds", "0"], "--seeds must be an integer from 1 to 1000, not '0'"),
    (["--synth", "-1"], "--synth must be an integer from 0 to 50, not '-1'"),
])
def test_bad_values_give_one_line_before_any_work(tmp_path, capsys, monkeypatch, args, message) -> None:
    monkeypatch.chdir(tmp_path)
    if "--preset" not in args:
        args = ["--preset", "xor", *args]
    out = tmp_path / "out"
    monkeypatch.setattr(flow, "explore_model", lambda *a, **k: pytest.fail("a run started"))
    assert main(["explore", *args, "--out", str(out)]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("mgd: note: ")]
    assert len(err) == 1 and err[0].startswith(f"mgd: error: {message}"), err
    assert not out.exists()


def test_axes_tie_fields_and_the_default_space_brackets_the_config() -> None:
    axis = parse_axis("mgd.tau_x,mgd.tau_theta=1,4")
    assert axis == Axis(("mgd.tau_x", "mgd.tau_theta"), (1, 4))
    assert axis.overrides(4) == ["mgd.tau_x=4", "mgd.tau_theta=4"]
    assert parse_axis('mgd.perturbation=weight,node').overrides("node") == ['mgd.perturbation="node"']
    xor = from_preset("xor")  # eta_shift 5, momentum_shift 1
    assert default_axes(xor) == [Axis(("fixed.eta_shift",), (4, 5, 6)),
                                 Axis(("fixed.momentum_shift",), (0, 1)),
                                 Axis(("mgd.tau_x", "mgd.tau_theta"), (1, 2))]
    nist = from_preset("nist7x7")  # momentum off: the space tries 2
    assert default_axes(nist)[1] == Axis(("fixed.momentum_shift",), (0, 2))
    points = point_configs(nist, [Axis(("mgd.tau_x", "mgd.tau_theta"), (1, 2, 8))])
    assert [v for v, _ in points] == [{"mgd.tau_x,mgd.tau_theta": t} for t in (1, 2, 8)]
    cfgs = [c for _, c in points]
    assert [(c.mgd.tau_x, c.mgd.tau_theta) for c in cfgs] == [(1, 1), (2, 2), (8, 8)]
    # G widens with τ_θ (it must not overflow within τ_θ steps), never below the preset's 20 bits
    assert [c.fixed.grad_width for c in cfgs] == [20, 21, 23]


def _median(values):
    v = sorted(math.inf if s is None else s for s in values)
    mid = (len(v) - 1) / 2
    lo, hi = v[math.floor(mid)], v[math.ceil(mid)]
    return None if math.isinf(hi) else (lo + hi) / 2


def test_spatial_points_steps_and_cycles_match_our_own_runs(tmp_path, capsys) -> None:
    out = tmp_path / "ex"
    assert main(["explore", "--preset", "xor", "--vary", "fixed.eta_shift=4,5", "--vary",
                 "mgd.tau_x,mgd.tau_theta=1,2", "--seeds", "3", "--synth", "0", "--workers", "1", "--quiet",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    result = json.loads((out / "explore.json").read_text())
    assert (out / "explore.md").read_text().startswith("# mgd explore: xor 2-2-1 to 100% test accuracy on "
                                                       "ecp5-25k")
    assert len(result["points"]) == 4 and len(result["rows"]) == 4 and len(result["runs"]) == 12
    base = from_preset("xor")
    for point in result["points"]:
        eta, tau = point["values"]["fixed.eta_shift"], point["values"]["mgd.tau_x,mgd.tau_theta"]
        steps = []
        for seed in (1, 2, 3):
            cfg = apply_overrides(base, [f"fixed.eta_shift={eta}", f"mgd.tau_x={tau}", f"mgd.tau_theta={tau}",
                                         f"mgd.seed={seed}", f"fixed.grad_width={17 + tau}"])  # 18, 19 at τ 2
            steps.append(train(cfg, progress=False, stop_at_target=True).steps_to_target)
        assert point["steps_to"] == steps, point["values"]
        assert point["solved"] == sum(s is not None for s in steps)
        assert point["median"] == _median(steps)
    for row in result["rows"]:
        point = result["points"][row["point"]]
        tau = point["values"]["mgd.tau_x,mgd.tau_theta"]
        assert row["lanes"] is None and row["fits"]
        assert row["cycles_per_step"] == spatial_cycles(0, 20000, tau, tau, 5) / 20000
        want = None if point["median"] is None else spatial_cycles(0, math.ceil(point["median"]), tau, tau, 5)
        assert row["cycles_to_target"] == want
    ranked = [r["cycles_to_target"] for r in result["rows"] if r["cycles_to_target"] is not None]
    assert ranked == sorted(ranked) and ranked, "rows ranked by cycles to target, reached first"
    best = result["rows"][result["best"]]
    assert best["cycles_to_target"] == ranked[0] and "time_s" not in best
    assert printed.splitlines()[-1] == f"-> {out}/explore.md, explore.json"
    md = (out / "explore.md").read_text()
    ranked_lines = [line for line in md.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(ranked_lines) == len(ranked), "the ranked table lists the rows that reached the target"
    missed = sum(p["median"] is None for p in result["points"])
    assert (f"{missed} of 4 points did not reach the target on their median seed" in md) == (missed > 0)


def test_folded_lanes_are_checked_against_the_part_and_counted_by_the_schedule(tmp_path) -> None:
    out = tmp_path / "ex"
    assert main(["explore", "--preset", "nist7x7", "--set", "task.steps=2000", "--set", "task.eval_every=500",
                 "--set", "task.target_accuracy=0.3", "--vary", "mgd.perturbation=node,weight",
                 "--lanes", "8,16,32,128", "--seeds", "2", "--synth", "0", "--workers", "1", "--quiet",
                 "--out", str(out)]) == 0
    result = json.loads((out / "explore.json").read_text())
    rows = result["rows"]
    assert len(rows) == 8
    # the largest P that fits: node 10 x 2 (20 MAC + 4 cost squares + 4 for the two Ĉ·a products), weight
    # 12 x 2 (24 + 4: no correlation products)
    largest = {"node": 20, "weight": 24}
    for row in rows:
        mode = row["values"]["mgd.perturbation"]
        p = row["lanes"]
        cfg = from_preset("nist7x7")
        assert row["fits"] == (p <= 16), row  # ecp5-25k: 28 multipliers
        if p > 16:
            assert row["refused"].startswith(
                "design 'mgd_core' does not fit ecp5-25k (Lattice LFE5U-25F-CABGA381): hardware.lanes must "
                f"be at most {largest[mode]} on ecp5-25k, not {p} ")
        assert row["fold"] == {8: "8", 16: "16", 32: "16 x 2", 128: "16 x 8"}[p]
        want = folded_cycles(0, 2000, 1, 1, layers=cfg.network.layers, lanes=p, perturbation=mode,
                             layer_gap=LAYER_GAP, correlate_gap=CORRELATE_GAP, run_setup=RUN_SETUP) / 2000
        assert row["cycles_per_step"] == want, row
    # the README's table: node 292 / 191 / 117 / 63, weight 390 / 240 / 141 / 69 cycles per step
    per = {(r["values"]["mgd.perturbation"], r["lanes"]): round(r["cycles_per_step"]) for r in rows}
    assert per == {("node", 8): 292, ("node", 16): 191, ("node", 32): 117, ("node", 128): 63,
                   ("weight", 8): 390, ("weight", 16): 240, ("weight", 32): 141, ("weight", 128): 69}
    assert not any(r["cycles_to_target"] for r in rows if not r["fits"]) or all(
        rows.index(r) > rows.index(f) for r in rows if not r["fits"] for f in rows
        if f["fits"] and f["cycles_to_target"] is not None), "what does not fit ranks after what does"


def test_synthesis_stage_ranks_by_hardware_time_and_reuses_its_reports(tmp_path, monkeypatch) -> None:
    """The candidate with the fewest cycles is not the fastest when its Fmax is low enough: with the two
    best candidates synthesized (Fmax given by a stand-in for the tools), the best is the least time."""
    calls = []

    def synthesize(core, top, target, folder, *, freq_mhz, params):
        calls.append(params["config"])
        fmax = 1.0 if len(calls) == 1 else 40.0  # the first (fewest cycles) is slow
        folder.mkdir(parents=True)
        data = {"target": target, "params": params, "critical_paths": ["path"],
                "summary": {"lut": 1, "ff": 2, "dsp": 3, "bram": 4, "fmax_mhz": fmax}}
        (folder / "synth_report.json").write_text(json.dumps(data))
        return SimpleNamespace(to_dict=lambda: data, summary_line=lambda: f"{fmax} MHz")

    import rtl.synth

    monkeypatch.setattr(rtl.synth, "synthesize", synthesize)
    base = apply_overrides(from_preset("xor"), ["fixed.eta_shift=5"])  # both points reach 100 % (4 seeds)
    axes = [Axis(("mgd.tau_x", "mgd.tau_theta"), (1, 2))]
    out = tmp_path / "ex"
    result = flow.run_explore(out, base, axes, target="ecp5-25k", seeds=4, synth=2, workers=1)
    rows = result["rows"]
    first, second = rows[0], rows[1]
    assert first["cycles_to_target"] is not None and second["cycles_to_target"] is not None
    assert first["cycles_to_target"] <= second["cycles_to_target"]
    assert second["cycles_to_target"] < 40 * first["cycles_to_target"]
    assert first["fmax_mhz"] == 1.0 and second["fmax_mhz"] == 40.0
    assert first["time_s"] == first["cycles_to_target"] / 1e6
    assert second["time_s"] == second["cycles_to_target"] / 40e6
    assert result["best"] == 1, "the least hardware time, not the fewest cycles"
    md = (out / "explore.md").read_text()
    assert f"Fmax 40.0 MHz: **{flow.format_seconds(second['time_s'])}**" in md
    assert len(calls) == 2
    again = flow.run_explore(out, base, axes, target="ecp5-25k", seeds=4, synth=2, workers=1)
    assert len(calls) == 2, "a second run reuses the reports of the same configurations and part"
    assert [r["synth"]["reused"] for r in again["rows"][:2]] == [True, True]
    assert [r["time_s"] for r in again["rows"][:2]] == [first["time_s"], second["time_s"]]
    with pytest.raises(ExploreError):
        parse_axis("x")
