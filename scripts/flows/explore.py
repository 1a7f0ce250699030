"""``mgd explore``: the design point with the fastest hardware time to a task's target accuracy, searched
with the toolkit itself: the fixed model (steps to target over seeds), the core's schedule (cycles per step)
and synthesis (fit and Fmax).

Ref: issue 12, item 5; :mod:`golden_model.studies.explore` (the space, the fixed-model runs and their
statistics), :meth:`rtl.contract.MGDCoreBase.cycles` (a core's exact busy cycles for a run at given τ's),
:func:`rtl.synth.fit.check_resources` (does a core fit a part, from its config) and
:func:`rtl.synth.synthesize`.

Stages
------
1. **model**: every point of the space, trained on ``seeds`` seeds (:func:`explore_model`).
2. **schedule**: for every point and every lane count P (``lanes``; default :func:`default_lanes`: powers of
   two, the widest layer and its power-of-two multiples, the config's own P, each kept where the folded core
   can fold it as PE × SIMD, and the largest P at which the point's core fits the part), the core of the
   point at P is built (not elaborated) and checked against the
   part before Yosys; a P it does not fit is listed with the reason. Where the point's median seed reached
   the target, ``cycles to target = core.cycles(0, ⌈median steps⌉, τ_x, τ_p, τ_θ)``: the exact busy cycles of
   a run that long (baselines, perturbed passes, correlate sweeps and every pipeline gap at these τ's). The
   spatial style has no lanes; its one core per point is checked the same way.
3. **synthesis**: the ``synth`` candidates with the fewest cycles to target are synthesized for the part
   (Yosys + nextpnr, :func:`rtl.synth.synthesize`, into ``synth/P<lanes>-<digest of part and config>/`` of
   the report folder, each written whole or not at all; a folder whose ``synth_report.json`` is of the same
   configuration and part is reused, not run again: a second run with more candidates synthesizes only the
   new ones). Their
   hardware time to target = cycles to target ÷ Fmax (nextpnr's). A candidate that does not fit after all
   (after Yosys) is recorded as such and the next one is taken, so ``synth`` counts syntheses that gave an
   Fmax. Candidates not synthesized have cycles to target, no time: the flow never assumes an Fmax.

The **best point** is the synthesized candidate with the least hardware time (with ``synth = 0``: the one
with the fewest cycles to target, without a time). Ranking by cycles first and synthesizing the head of
the list is a choice of cost: Fmax falls as P grows (routing to more DSP blocks), which only synthesis
measures, so a larger ``synth`` searches more of that trade.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from golden_model.config import MAX_LANES, MGDConfig, apply_overrides, to_toml
from golden_model.errors import MGDError
from golden_model.studies.explore import Axis, explore_model
from golden_model.validate import write_json, write_text
from scripts.flows.scaling import format_seconds

__all__ = ["default_lanes", "schedule_rows", "run_explore", "markdown_report", "FILES"]

FILES = ("explore.json", "explore.md")


def default_lanes(config: MGDConfig) -> list[int]:
    """P values worth trying for the folded core of ``config``: powers of two, the widest layer's neurons and
    its power-of-two multiples, and ``hardware.lanes``, up to :data:`MAX_LANES`, where the core can fold
    them (:func:`golden_model.schedule.fold`). The part's fit is checked later, per point."""
    from golden_model.schedule import fold

    layers = config.network.layers
    widest = max(layers[1:])
    shifts = range(MAX_LANES.bit_length())
    wanted = {1 << k for k in shifts} | {widest << k for k in shifts}
    wanted.add(config.hardware.lanes)
    out = []
    for p in sorted(v for v in wanted if 1 <= v <= MAX_LANES):
        try:
            fold(layers, p)
        except ValueError:
            continue
        out.append(p)
    return out


def _with_largest(cfg: MGDConfig, tgt) -> list[int]:
    """:func:`default_lanes` and the largest P at which the core of ``cfg`` fits ``tgt``
    (:func:`rtl.synth.fit.largest_lanes`, from the core at the largest default P)."""
    from rtl._validate import not_elaborated
    from rtl.cores import build_core
    from rtl.synth.fit import largest_lanes

    ps = default_lanes(cfg)
    core = build_core(apply_overrides(cfg, [f"hardware.lanes={ps[-1]}"]))
    not_elaborated(core)
    best = largest_lanes(core.resources(), tgt)
    return sorted(set(ps) | ({best} if best else set()))


def _fold_text(layers: Sequence[int], lanes: int) -> str:
    from golden_model.schedule import fold

    pe, simd = fold(layers, lanes)
    return f"{pe} x {simd}" if simd > 1 else f"{pe}"


def schedule_rows(points: list[dict[str, Any]], target: str,
                  lanes: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Stage 2 (module docstring): one row per (point, P) with ``fits`` (or ``refused``: the fit check's
    message), ``cycles_per_step`` and ``cycles_to_target`` (``None`` where the point's median seed did not
    reach the target), sorted by cycles to target (unreached and refused last)."""
    from golden_model.config import loads_toml
    from rtl._validate import not_elaborated
    from rtl.cores import build_core
    from rtl.synth.fit import check_resources
    from rtl.synth.targets import DoesNotFitError, get_target

    tgt = get_target(target)
    rows = []
    for index, point in enumerate(points):
        cfg = loads_toml(point["config"])
        folded = cfg.hardware.style == "folded"
        ps = (list(lanes) if lanes is not None else _with_largest(cfg, tgt)) if folded else [None]
        for p in ps:
            at = cfg if p is None else apply_overrides(cfg, [f"hardware.lanes={p}"])
            row: dict[str, Any] = {"point": index, "values": point["values"], "style": cfg.hardware.style,
                                   "lanes": p,
                                   "fold": None if p is None else _fold_text(cfg.network.layers, p),
                                   "solved": point["solved"], "seeds": point["seeds"],
                                   "median_steps": point["median"], "fits": False, "refused": None,
                                   "cycles_per_step": None, "cycles_to_target": None}
            try:
                core = build_core(at)
            except MGDError as exc:
                row["refused"] = str(exc)
                rows.append(row)
                continue
            not_elaborated(core)  # built for its schedule and resources only
            try:
                check_resources(core.resources(), tgt, "mgd_core")
                row["fits"] = True
            except DoesNotFitError as exc:
                row["refused"] = str(exc)
            m = at.mgd
            budget = at.task.steps
            row["cycles_per_step"] = core.cycles(0, budget, m.tau_x, m.tau_p, m.tau_theta) / budget
            if point["median"] is not None:
                steps = math.ceil(point["median"])
                row["cycles_to_target"] = core.cycles(0, steps, m.tau_x, m.tau_p, m.tau_theta)
            row["config"] = to_toml(at)
            rows.append(row)

    def key(r: dict[str, Any]) -> tuple:
        usable = r["fits"] and r["cycles_to_target"] is not None
        return (not usable, r["cycles_to_target"] if usable else math.inf, r["point"], r["lanes"] or 0)

    return sorted(rows, key=key)


def _reusable(folder: Path, config_text: str, target: str) -> dict[str, Any] | None:
    """The ``synth_report.json`` in ``folder`` when it is of this configuration and part."""
    from rtl.synth import REPORT_JSON

    path = folder / REPORT_JSON
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("target") == target and (data.get("params") or {}).get("config") == config_text:
        return data
    return None


def _synthesize(rows: list[dict[str, Any]], count: int, target: str, folder: Path, *, freq: float | None,
                progress: Callable[[str], None]) -> None:
    """Stage 3 (module docstring), in place on ``rows``: ``synth`` (the report's summary, folder, reused)
    or ``synth_refused``, and ``fmax_mhz`` and ``time_s`` for each synthesized candidate."""
    from golden_model.config import loads_toml
    from rtl.cores import build_core
    from rtl.synth import DoesNotFitError, synthesize

    done = 0
    for rank, row in enumerate(rows, 1):
        if done >= count:
            break
        if not row["fits"] or row["cycles_to_target"] is None:
            break  # sorted: the rest have no cycles to target either
        key = hashlib.sha256(f"{target}\n{row['config']}".encode()).hexdigest()[:12]
        sub = folder / f"P{row['lanes'] or 0}-{key}"
        data = _reusable(sub, row["config"], target)
        reused = data is not None
        if reused:
            progress(f"synthesis {rank}: point {row['point']} P={row['lanes']}: reused {sub}")
        else:
            progress(f"synthesis {rank}: point {row['point']} {row['values']} P={row['lanes']} on {target}")
            t0 = time.perf_counter()
            try:
                report = synthesize(build_core(loads_toml(row["config"])), "mgd_core", target, sub,
                                    freq_mhz=freq, params={"block": "core", "config": row["config"],
                                                           "style": row["style"], "lanes": row["lanes"]})
            except DoesNotFitError as exc:
                row["synth_refused"] = str(exc)
                progress(f"  does not fit: {exc}")
                continue
            data = report.to_dict()
            progress(f"  {report.summary_line()} ({time.perf_counter() - t0:.0f} s)")
        s = data["summary"]
        row["synth"] = {"folder": str(sub), "reused": reused, "lut": s["lut"], "ff": s["ff"], "dsp": s["dsp"],
                        "bram": s["bram"], "fmax_mhz": s["fmax_mhz"],
                        "fmax_harness_bound": s.get("fmax_harness_bound", False),
                        "critical_path": (data.get("critical_paths") or [None])[0]}
        row["fmax_mhz"] = float(s["fmax_mhz"])
        row["time_s"] = row["cycles_to_target"] / (row["fmax_mhz"] * 1e6)
        done += 1


def _best(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    timed = [r for r in rows if r.get("time_s") is not None]
    if timed:
        return min(timed, key=lambda r: r["time_s"])
    usable = [r for r in rows if r["fits"] and r["cycles_to_target"] is not None]
    return usable[0] if usable else None


def run_explore(out: str | Path, base: MGDConfig, axes: Sequence[Axis], *, target: str, seeds: int = 10,
                lanes: Sequence[int] | None = None, synth: int = 1, freq: float | None = None,
                workers: int = 2, scheduler: str | None = None, command: str = "",
                progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the three stages and write ``explore.json`` and ``explore.md`` into ``out`` (each atomically, once
    every stage has finished; the synthesis folders under ``out/synth`` are kept and reused where they match).

    Returns the result dict written to ``explore.json``: ``settings``, ``points`` (the fixed-model
    statistics), ``rows`` (stage 2 and 3, ranked), ``best`` (index into ``rows`` or ``None``),
    ``stage_seconds``, ``runs``."""
    say = progress or (lambda line: None)
    out = Path(out)
    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    say(f"[1/3] fixed model: {math.prod(len(a.values) for a in axes)} points x {seeds} seeds")
    model = explore_model(base, axes, seeds, workers=workers, scheduler=scheduler, progress=progress)
    stages["model"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    say(f"[2/3] schedule and fit on {target}")
    rows = schedule_rows(model["points"], target, lanes)
    stages["schedule"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if synth:
        say(f"[3/3] synthesis of up to {synth} candidate{'s' if synth > 1 else ''} on {target}")
        _synthesize(rows, synth, target, out / "synth", freq=freq, progress=say)
    stages["synth"] = time.perf_counter() - t0
    best = _best(rows)
    result = {
        "settings": {"task": base.task.dataset, "layers": list(base.network.layers), "target_part": target,
                     "target_accuracy": base.task.target_accuracy, "budget": base.task.steps,
                     "seeds": seeds, "axes": model["axes"], "lanes": list(lanes) if lanes else "default",
                     "synth": synth, "freq_mhz": freq, "workers": workers, "scheduler": scheduler,
                     "command": command, "base_config": to_toml(base)},
        "points": [{k: v for k, v in p.items() if k != "config"} for p in model["points"]],
        "rows": rows, "best": None if best is None else rows.index(best),
        "stage_seconds": stages, "runs": model["runs"],
    }
    write_json(out / "explore.json", result, name="report")
    write_text(out / "explore.md", "\n".join(markdown_report(result)) + "\n", name="report")
    return result


def _steps(v: float | None) -> str:
    return "not reached" if v is None else f"{v:,.0f}"


def _values(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items()) or "(base)"


def markdown_report(result: dict[str, Any]) -> list[str]:
    """``explore.md``: the best point, the ranked (point, P) rows and the fixed-model table."""
    s = result["settings"]
    rows = result["rows"]
    lines = [f"# mgd explore: {s['task']} {'-'.join(map(str, s['layers']))} to "
             f"{s['target_accuracy']:.0%} test accuracy on {s['target_part']}", "",
             f"{s['seeds']} seeds per point, budget {s['budget']:,} steps; axes: "
             + "; ".join(f"{k} in {v}" for k, v in s["axes"].items()) + f"; lanes {s['lanes']}; "
             f"{s['synth']} candidate(s) synthesized.", ""]
    if s["command"]:
        lines += [f"`{s['command']}`", ""]
    if result["best"] is None:
        lines += ["**No point reached the target on its median seed with a core that fits the part.**", ""]
    else:
        b = rows[result["best"]]
        lanes = "" if b["lanes"] is None else f", P = {b['lanes']} ({b['fold']})"
        timed = b.get("time_s") is not None
        lines += [f"**Best point**: {_values(b['values'])}{lanes}: median {_steps(b['median_steps'])} steps "
                  f"({b['solved']}/{b['seeds']} seeds), {b['cycles_per_step']:.1f} cycles/step, "
                  f"{b['cycles_to_target']:,} cycles to target"
                  + (f", Fmax {b['fmax_mhz']:.1f} MHz: **{format_seconds(b['time_s'])}**" if timed
                     else " (not synthesized: no hardware time)") + ".", ""]
    lines += ["| rank | point | P | solved | median steps | cycles/step | cycles to target | Fmax "
              "| hardware time | LUT / FF / DSP / BRAM |", "|---:|---|---|---:|---:|---:|---:|---:|---:|---|"]
    reached = [r for r in rows if r["cycles_to_target"] is not None]
    for rank, r in enumerate(reached, 1):
        p = "—" if r["lanes"] is None else f"{r['lanes']} ({r['fold']})"
        syn = r.get("synth")
        res = f"{syn['lut']} / {syn['ff']} / {syn['dsp']} / {syn['bram']}" if syn else (
            "does not fit" if not r["fits"] or r.get("synth_refused") else "")
        fmax = f"{r['fmax_mhz']:.1f} MHz" if r.get("fmax_mhz") else "—"
        lines.append(f"| {rank} | {_values(r['values'])} | {p} | {r['solved']}/{r['seeds']} | "
                     f"{_steps(r['median_steps'])} | {r['cycles_per_step']:.1f} | "
                     f"{r['cycles_to_target']:,} | {fmax} | "
                     f"{format_seconds(r.get('time_s'))} | {res} |")
    missed = sum(p["median"] is None for p in result["points"])
    if missed:
        lines += ["", f"{missed} of {len(result['points'])} points did not reach the target on their median "
                  "seed (no cycles to target; the fixed-model table below)."]
    refused = [r for r in rows if r["refused"]]
    if refused:
        lines += ["", "Refused (point, P: reason):", ""]
        seen = set()
        for r in refused:
            if (r["lanes"], r["refused"]) in seen:
                continue
            seen.add((r["lanes"], r["refused"]))
            lines.append(f"- P = {r['lanes']}: {r['refused']}")
    lines += ["", "Fixed model per point (steps to target over all seeds; an unreached seed counts as more "
              "than the budget):", "",
              "| point | solved | median | quartiles | min – max | mean final test accuracy |",
              "|---|---:|---:|---|---|---:|"]
    for p in result["points"]:
        lines.append(f"| {_values(p['values'])} | {p['solved']}/{p['seeds']} | {_steps(p['median'])} | "
                     f"{_steps(p['q1'])} – {_steps(p['q3'])} | {_steps(p['min'])} – {_steps(p['max'])} | "
                     f"{p['mean_final_test_accuracy']:.3f} |")
    return lines
