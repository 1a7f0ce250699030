"""The seed's scaling question answered in hardware (``mgd scaling``): steps to a target NIST7x7 accuracy in
the fixed-point model, times the folded core's cycles per step, over an Fmax: hardware time to target vs the
hidden width h, weight vs node perturbation.

Ref: ``shared/design/MGD.md`` (the seed's claim), ``shared/design/FOLDED.md`` ("What fast means here"),
:mod:`golden_model.studies.scaling` (the fixed-model part: configurations, the weight-mode shifts, budgets,
statistics over seeds), :mod:`rtl.contract` (``cycles``: a core's exact busy-cycle count).

Hardware part
-------------
For every (mode, h), the study's configuration (seed 1; the schedule does not depend on the seed) with
``hardware.style = "folded"`` and ``hardware.lanes = P`` goes through :func:`rtl.cores.build_core`, and
``cycles per step = core.cycles(0, S, τ_x, τ_p, τ_θ) / S`` with ``S`` the mode's step budget (τ's = 1: every
step has a baseline pass, a perturbed pass and a correlate-and-update sweep; the run's one setup cycle is
amortised over ``S``). Where P exceeds the widest layer the folded core splits its lanes into PE × SIMD
(:func:`golden_model.schedule.fold`: 49-4-4 at P = 16 is 4 neurons × 4 inputs a clock); a P that does not
split (:func:`lanes_used`) is built with ``P' = min(P, widest layer)`` lanes instead, and reported as such.
A configuration the core cannot build (or a style
that is not built yet) gives a row without cycles and the reason, not a failed run.

Hardware time to a target = steps × cycles per step ÷ Fmax, for each statistic of the steps (min, quartiles,
median, max over seeds); a statistic that is "not reached within the budget" has no time. The Fmax is of one
part and one synthesized configuration: from ``--synth-report`` (``summary.fmax_mhz`` of a
``synth_report.json`` written by ``mgd synth``; the report names what was synthesized, and says when that is
not a folded core at these lanes), or from ``--fmax`` (reported as an assumed figure, a placeholder, not a
synthesis result). Either way the one Fmax is applied at every h.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from golden_model.config import apply_overrides
from golden_model.errors import MGDError
from golden_model.studies.scaling import (
    EVAL_EVERY,
    MODE_SETTINGS,
    TARGETS,
    scaling_config,
    scaling_study,
)
from golden_model.validate import read_text, write_json, write_text

__all__ = ["ScalingError", "fmax_from_args", "read_synth_report", "hardware_part", "combine", "run_scaling",
           "write_report", "markdown_report", "format_seconds", "FILES"]

FILES = ("scaling.json", "scaling.md", "scaling.png")


class ScalingError(MGDError):
    """A ``mgd scaling`` input that is not allowed (e.g. an unreadable synthesis report)."""


# ---- Fmax --------------------------------------------------------------------------------------------
def read_synth_report(path: str | Path, lanes: int | None = None) -> dict[str, Any]:
    """The Fmax of a ``synth_report.json`` (``summary.fmax_mhz``) and what it was measured on.

    Returns
    -------
    dict
        ``fmax_mhz``, ``source`` (``"synth-report"``), ``placeholder`` (False), ``path``, ``target``,
        ``part``, ``top``, ``block``, ``style``, ``lanes``, ``layers`` and ``notes`` (why the figure may not
        be the folded core's at these lanes and widths).

    Raises
    ------
    ScalingError
        The file is missing, not JSON, or has no positive ``summary.fmax_mhz``.
    """
    path = Path(path)
    what = "--synth-report must be a synth_report.json written by `mgd synth` (with summary.fmax_mhz)"
    text = read_text("--synth-report", path, "a synth_report.json written by `mgd synth` (with "
                     "summary.fmax_mhz)", error=ScalingError)
    try:
        data = json.loads(text)
        fmax = data["summary"]["fmax_mhz"]
    except (ValueError, KeyError, TypeError):
        raise ScalingError(f"{what}, not {str(path)!r} (no summary.fmax_mhz in it)") from None
    if isinstance(fmax, bool) or not isinstance(fmax, (int, float)) or not fmax > 0 or math.isinf(fmax):
        raise ScalingError(f"{what}, not {str(path)!r} (summary.fmax_mhz is {fmax!r})")
    params = data.get("params") or {}
    layers = None
    if isinstance(params.get("config"), str):
        from golden_model.config import loads_toml

        try:
            layers = list(loads_toml(params["config"]).network.layers)
        except MGDError:
            layers = None
    info = {"fmax_mhz": float(fmax), "source": "synth-report", "placeholder": False, "path": str(path),
            "target": data.get("target"), "part": data.get("part"), "top": data.get("top"),
            "block": params.get("block"), "style": params.get("style"), "lanes": params.get("lanes"),
            "layers": layers, "harness_bound": bool((data.get("summary") or {}).get("fmax_harness_bound"))}
    notes = []
    if info["block"] != "core" or info["style"] != "folded":
        notes.append(f"the report is of block {info['block']!r} (style {info['style']!r}), not a folded "
                     "core: its Fmax stands in for the folded core's")
    elif lanes is not None and info["lanes"] != lanes:
        notes.append(f"the report's folded core has {info['lanes']} lanes, not {lanes}")
    if info["harness_bound"]:
        notes.append("the worst path ends in the synthesis harness: the block is at least this fast")
    notes.append(f"one Fmax (synthesized for layers {layers}) is applied at every h"
                 if layers else "one Fmax is applied at every h")
    info["notes"] = notes
    return info


def fmax_from_args(fmax: float | None, synth_report: str | Path | None,
                   lanes: int | None = None) -> dict[str, Any]:
    """The Fmax to use and where it came from: a synthesis report (:func:`read_synth_report`) or ``--fmax``
    (then ``placeholder`` is True: an assumed figure, not a synthesis result)."""
    if synth_report is not None:
        return read_synth_report(synth_report, lanes)
    if fmax is None:
        raise ScalingError("give --fmax MHZ or --synth-report FILE (the Fmax that turns cycles into time)")
    return {"fmax_mhz": float(fmax), "source": "--fmax", "placeholder": True,
            "notes": [f"Fmax {fmax:g} MHz was given with --fmax: an assumed figure (placeholder), not a "
                      "synthesis result of the folded core", "one Fmax is applied at every h"]}


# ---- cycles ------------------------------------------------------------------------------------------
def lanes_used(layers, lanes: int, style: str) -> int:
    """The lanes a (mode, h) point is built with: ``lanes`` where the folded core can fold them onto
    ``layers`` (:func:`golden_model.schedule.fold`), else the widest layer's neuron count; the spatial style
    takes ``lanes`` as it is."""
    from golden_model.schedule import fold

    if style != "folded":
        return lanes
    try:
        fold(layers, lanes)
    except ValueError:
        return min(lanes, max(layers[1:]))
    return lanes


def _cycles_row(hidden: int, mode: str, lanes: int, style: str, steps: int,
                overrides: Sequence[str]) -> dict[str, Any]:
    """Build the core of (mode, h) and count its cycles per step (see the module docstring)."""
    from rtl._validate import not_elaborated
    from rtl.cores import build_core

    base = scaling_config(hidden, mode, 1, budget=steps, overrides=overrides)
    used = lanes_used(base.network.layers, lanes, style)
    row: dict[str, Any] = {"mode": mode, "hidden": hidden, "style": style, "lanes": lanes,
                           "lanes_used": used, "cycles_steps": steps, "cycles_per_step": None, "error": None,
                           "core": None}
    cfg = apply_overrides(base, [f"hardware.style={style}", f"hardware.lanes={used}"])
    try:
        core = build_core(cfg)
    except MGDError as exc:
        row["error"] = str(exc)
        return row
    not_elaborated(core)  # built for its schedule only
    m = cfg.mgd
    row["cycles_per_step"] = core.cycles(0, steps, m.tau_x, m.tau_p, m.tau_theta) / steps
    row["core"] = json.loads(json.dumps(core.describe(), default=str))
    return row


def hardware_part(hidden: Sequence[int], modes: Sequence[str], lanes: int, *, style: str = "folded",
                  budgets: dict[str, int] | None = None,
                  overrides: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Cycles per step of the ``style`` core at ``lanes`` lanes for every (mode, h); one row each with
    ``lanes_used``, ``cycles_per_step`` (``None`` and ``error`` when the core cannot be built) and the
    core's ``describe()``."""
    rows = []
    for mode in modes:
        steps = (budgets or {}).get(mode, MODE_SETTINGS[mode]["budget"])
        for h in hidden:
            rows.append(_cycles_row(h, mode, lanes, style, steps, overrides))
    return rows


# ---- the RTL's confirmation ---------------------------------------------------------------------------
def confirm_on_rtl(runs: list[dict[str, Any]], *, lanes: int, style: str, max_steps: int,
                   targets: Sequence[float], overrides: Sequence[str] = (), sim: str = "verilator",
                   progress: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Seed 1 of every (mode, h) co-simulated on the ``style`` core (:func:`testbench.cosim.run_cosim`),
    bit-exact at every update, for as many steps as the model took to its highest target (its budget when
    it did not reach it), capped at ``max_steps``; the RTL's own test accuracy is evaluated every
    ``eval_every`` steps, so ``rtl_steps_to`` is where the RTL reached each target.

    One row per point: ``mode``, ``hidden``, ``seed``, ``steps`` (co-simulated), ``covers_target`` (the run
    reached the model's step to the highest target), ``bit_exact``, ``mismatch``, ``model_steps_to``,
    ``rtl_steps_to`` (``None`` for a target not reached within the co-simulated steps), ``confirmed``
    (bit-exact and, for every target inside the run, the same step as the model), ``sim_s``.
    """
    from testbench.cosim import run_cosim

    top = f"{max(targets):g}"
    rows = []
    for run in runs:
        if run["seed"] != 1:
            continue
        mode, h = run["mode"], run["hidden"]
        steps = min(max_steps, run["steps_to"][top] or run["budget"])
        cfg = scaling_config(h, mode, 1, budget=steps, eval_every=run["eval_every"], target=max(targets),
                             overrides=overrides)
        used = lanes_used(cfg.network.layers, lanes, style)
        cfg = apply_overrides(cfg, [f"hardware.style={style}", f"hardware.lanes={used}"])
        r = run_cosim(cfg, sim, steps, name=f"scaling-{mode}-h{h}", eval_every=run["eval_every"])
        rtl_to = {f"{t:g}": next((int(p[0]) for p in r.curve if p[3] >= t), None) for t in targets}
        inside = [k for k, v in run["steps_to"].items() if v is not None and v <= r.steps]
        row = {"mode": mode, "hidden": h, "seed": 1, "lanes_used": used, "steps": r.steps,
               "covers_target": (run["steps_to"][top] <= r.steps if run["steps_to"][top] is not None
                                 else r.steps >= run["budget"]),
               "bit_exact": r.bit_exact, "mismatch": r.mismatch, "model_steps_to": dict(run["steps_to"]),
               "rtl_steps_to": rtl_to, "sim_s": round(r.sim_s, 1),
               "confirmed": r.bit_exact and all(rtl_to[k] == run["steps_to"][k] for k in inside)}
        rows.append(row)
        if progress:
            verdict = "bit-exact" if r.bit_exact else f"MISMATCH: {r.mismatch}"
            progress(f"RTL ({sim}) {mode} h={h} seed 1: {r.steps:,} steps {verdict}, reached "
                     + ", ".join(f"{float(k):.0%} " + ("not reached" if v is None else f"at {v:,}")
                                 for k, v in rtl_to.items()) + f" ({r.sim_s:.0f} s)")
    return rows


def combine(table: list[dict[str, Any]], hardware: list[dict[str, Any]],
            fmax_mhz: float) -> list[dict[str, Any]]:
    """The study's rows (per mode, h, target) with ``cycles_per_step`` and ``time_s`` (``min``, ``q1``,
    ``median``, ``q3``, ``max``: steps × cycles/step ÷ Fmax, ``None`` where the steps are not reached or
    the cycles unknown)."""
    hw = {(r["mode"], r["hidden"]): r for r in hardware}
    out = []
    for r in table:
        h = hw[(r["mode"], r["hidden"])]
        cps = h["cycles_per_step"]
        times = {k: (None if r[k] is None or cps is None else r[k] * cps / (fmax_mhz * 1e6))
                 for k in ("min", "q1", "median", "q3", "max")}
        out.append({**r, "lanes_used": h["lanes_used"], "cycles_per_step": cps, "hardware_error": h["error"],
                    "time_s": times, "budget_time_s": None if cps is None else r["budget"] * cps /
                    (fmax_mhz * 1e6)})
    return out


def run_scaling(out: str | Path, *, hidden: Sequence[int], modes: Sequence[str], seeds: int, lanes: int,
                fmax: dict[str, Any], workers: int = 2, budgets: dict[str, int] | None = None,
                eval_every: int = EVAL_EVERY, targets: Sequence[float] = TARGETS, style: str = "folded",
                overrides: Sequence[str] = (), command: str = "", confirm_steps: int = 0,
                progress: Callable[[str], None] | None = None,
                scheduler: str | None = None) -> dict[str, Any]:
    """The whole of ``mgd scaling``: the hardware part first (seconds; a core that cannot be built is known
    before the long part), then :func:`golden_model.studies.scaling.scaling_study`, then the report
    (:func:`write_report`); with ``confirm_steps > 0``, seed 1 of every point is also run on the RTL
    (:func:`confirm_on_rtl`, in this process). ``scheduler``: the study's runs go to that Dask scheduler
    instead of ``workers`` local processes. Returns the result written to ``scaling.json``."""
    t0 = time.perf_counter()
    budget_of = {m: (budgets or {}).get(m, MODE_SETTINGS[m]["budget"]) for m in modes}
    hardware = hardware_part(hidden, modes, lanes, style=style, budgets=budget_of, overrides=overrides)
    if progress:
        for r in hardware:
            cps = r["error"] if r["cycles_per_step"] is None else f"{r['cycles_per_step']:.1f} cycles/step"
            progress(f"{style} core, {r['mode']} h={r['hidden']}, {r['lanes_used']} lanes: {cps}")
    study = scaling_study(hidden, modes, seeds, workers=workers, budgets=budget_of, eval_every=eval_every,
                          targets=targets, overrides=overrides, progress=progress, scheduler=scheduler)
    result = {
        "command": command,
        "fmax": fmax,
        "hardware": {"style": style, "lanes": lanes, "rows": hardware},
        "table": combine(study["table"], hardware, fmax["fmax_mhz"]),
        "study": study,
        "rtl": (confirm_on_rtl(study["runs"], lanes=lanes, style=style, max_steps=confirm_steps,
                               targets=targets, overrides=overrides, progress=progress)
                if confirm_steps > 0 else []),
        "wall_time_s": time.perf_counter() - t0,
    }
    write_report(result, out)
    return result


# ---- report ------------------------------------------------------------------------------------------
def format_seconds(v: float | None) -> str:
    """A time in s as µs, ms or s ("—" for None)."""
    if v is None:
        return "—"
    if v < 1e-3:
        return f"{v * 1e6:.0f} µs"
    if v < 1.0:
        return f"{v * 1e3:.2f} ms"
    return f"{v:.2f} s"


def _steps(v: float | None, budget: int) -> str:
    return f"> {budget:,}" if v is None else f"{v:,.0f}"


def _fmax_line(fmax: dict[str, Any]) -> str:
    if fmax["placeholder"]:
        return (f"**Fmax = {fmax['fmax_mhz']:g} MHz is a placeholder** (given with `--fmax`, not a synthesis "
                "result of the folded core): hardware times scale with 1/Fmax.")
    return (f"Fmax = {fmax['fmax_mhz']:g} MHz from synthesis report `{fmax['path']}` ({fmax['target']}, "
            f"{fmax['part']}; block {fmax['block']!r}, style {fmax['style']!r}, lanes {fmax['lanes']}).")


def _trend(table: list[dict[str, Any]], mode: str, target: float) -> str | None:
    """Ratios of median steps, N, cycles/step and hardware time between the narrowest and widest h at which
    the median steps to ``target`` are known."""
    mine = [r for r in table if r["mode"] == mode and r["target"] == target]
    rows = [r for r in mine if r["median"] is not None]
    missing = [str(r["hidden"]) for r in mine if r["median"] is None]
    if len(rows) < 2:
        return None
    a, b = rows[0], rows[-1]
    text = (f"{mode} mode, {target:.0%}: from h = {a['hidden']} to h = {b['hidden']} the perturbed "
            f"parameters grow ×{b['n_perturbation'] / a['n_perturbation']:.1f} and the median steps "
            f"×{b['median'] / a['median']:.2f}")
    if a["cycles_per_step"] and b["cycles_per_step"]:
        text += (f"; cycles per step ×{b['cycles_per_step'] / a['cycles_per_step']:.2f}, hardware time "
                 f"×{b['time_s']['median'] / a['time_s']['median']:.2f}")
    if missing:
        text += f" (the median is not reached at h = {', '.join(missing)})"
    return text + "."


def _by_point(runs: list[dict[str, Any]]) -> dict[tuple[str, int], list[dict[str, Any]]]:
    out: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in runs:
        out.setdefault((r["mode"], r["hidden"]), []).append(r)
    return out


def markdown_report(result: dict[str, Any]) -> str:
    """``scaling.md``: settings, the Fmax and where it came from, the combined table, the trends."""
    study, hw, fmax = result["study"], result["hardware"], result["fmax"]
    s = study["settings"]
    lines = ["# Steps and hardware time to target accuracy vs network width (NIST7x7 49-h-4)", "",
             _fmax_line(fmax), ""]
    lines += [f"- {n}" for n in fmax.get("notes", [])]
    lines += ["", f"Fixed-point model (`golden_model.fixed_mgd`), preset `{s['preset']}` at [49, h, 4], "
              f"seeds {s['seeds'][0]}–{s['seeds'][-1]} ({len(s['seeds'])} per point), test accuracy "
              f"evaluated every {s['eval_every']} steps, a run stops at {max(s['targets']):.0%} or at "
              "its budget. Statistics are over all seeds; a seed that did not reach the target counts as "
              "more than the budget, so a statistic shown as \"> budget\" is not reached.", ""]
    for m in s["modes"]:
        ov = ", ".join(f"`{o}`" for o in s["mode_overrides"][m]) or "the preset's fixed section"
        why = (" (the weight-mode shifts of the search in `golden_model/studies/scaling.py`)"
               if m == "weight" and s["mode_overrides"][m] else "")
        lines.append(f"- {m} mode: {ov}{why}; budget {s['budgets'][m]:,} steps.")
    if s.get("overrides"):
        lines.append("- every run also: " + ", ".join(f"`{o}`" for o in s["overrides"]) + ".")
    lines += ["", f"Hardware: `{hw['style']}` core (`rtl.cores.build_core`) at P = {hw['lanes']} lanes; "
              "cycles per step = `core.cycles(0, S, τ_x, τ_p, τ_θ) / S` (τ's = 1) at S = the budget; "
              "hardware time = steps × cycles/step ÷ Fmax.", ""]
    lines += ["| mode | h | N (perturbed) | lanes | cycles/step | target | solved | median steps | quartiles "
              "| min – max | hw time (median) | hw time (quartiles) |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | --- |"]
    for r in result["table"]:
        b, t = r["budget"], r["time_s"]
        cps = "—" if r["cycles_per_step"] is None else f"{r['cycles_per_step']:,.1f}"
        cells = [r["mode"], str(r["hidden"]), f"{r['n_params']:,} ({r['n_perturbation']:,})",
                 str(r["lanes_used"]), cps, f"{r['target']:.0%}", f"{r['solved']}/{r['seeds']}",
                 _steps(r["median"], b), f"{_steps(r['q1'], b)} – {_steps(r['q3'], b)}",
                 f"{_steps(r['min'], b)} – {_steps(r['max'], b)}", format_seconds(t["median"]),
                 f"{format_seconds(t['q1'])} – {format_seconds(t['q3'])}"]
        lines.append("| " + " | ".join(cells) + " |")
    trends = [_trend(result["table"], m, t) for m in s["modes"] for t in s["targets"]]
    if any(trends):
        lines += ["", "## Trends", ""] + [f"- {t}" for t in trends if t]
    notes = []
    for r in hw["rows"]:
        if r["error"]:
            notes.append(f"{r['mode']} h={r['hidden']}: no {hw['style']} core: {r['error']}")
        elif r["lanes_used"] != r["lanes"]:
            notes.append(f"{r['mode']} h={r['hidden']}: built with {r['lanes_used']} lanes (the widest layer "
                         f"has {r['lanes_used']} neurons; the core refuses more): the same schedule as "
                         f"{r['lanes']} lanes")
    last = max(s["targets"])
    for (mode, h), rows in _by_point(study["runs"]).items():
        missed = [r for r in rows if r["steps_to"][f"{last:g}"] is None]
        if missed:
            accs = ", ".join(f"{r['final_test_accuracy']:.3f}" for r in missed)
            notes.append(f"{mode} h={h}: {len(missed)} of {len(rows)} seeds did not reach {last:.0%} within "
                         f"{rows[0]['budget']:,} steps; their test accuracy at the end: {accs}")
    if notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    if result.get("rtl"):
        lines += ["", "## Confirmed on the RTL", "",
                  "Seed 1 of each point co-simulated on the core in Verilator, θ, G (and M) compared with "
                  "the model at every update (digests every update, full readbacks at intervals), test "
                  "accuracy of the RTL's θ evaluated at the same steps as the model's.", "",
                  "| mode | h | lanes | steps co-simulated | bit-exact | model: steps to | RTL: steps to | "
                  "confirmed | sim time |", "| --- | ---: | ---: | ---: | --- | --- | --- | --- | ---: |"]
        capped = " (capped by --confirm-rtl before the model's step to its top target)"
        for r in result["rtl"]:
            def to(d):
                return ", ".join(f"{float(k):.0%} {'—' if v is None else f'{v:,}'}" for k, v in d.items())
            conf = ("yes" if r["confirmed"] else "NO") + ("" if r["covers_target"] else capped)
            exact = "yes" if r["bit_exact"] else f"NO: {r['mismatch']}"
            lines.append(f"| {r['mode']} | {r['hidden']} | {r['lanes_used']} | {r['steps']:,} | {exact} | "
                         f"{to(r['model_steps_to'])} | {to(r['rtl_steps_to'])} | {conf} | "
                         f"{r['sim_s']:.0f} s |")
    where = (f"the Dask scheduler at {s['scheduler']}" if s.get("scheduler") else f"{s['workers']} worker(s)")
    lines += ["", f"Study wall time {study['wall_time_s']:.0f} s on {where}; whole command "
              f"{result['wall_time_s']:.0f} s."]
    if result.get("command"):
        lines += ["", f"Command: `{result['command']}`"]
    return "\n".join(lines) + "\n"


def _plot(result: dict[str, Any], path: Path) -> None:
    from golden_model.studies.plots import pyplot, save_figure

    table, fmax = result["table"], result["fmax"]
    s = result["study"]["settings"]
    fig, (ax_s, ax_c, ax_t) = pyplot().subplots(1, 3, figsize=(15, 6))
    colors = {"weight": "tab:red", "node": "tab:blue"}
    n_t = len(s["targets"])
    for mode in s["modes"]:
        for i, t in enumerate(s["targets"]):
            shift = 2 ** (0.06 * (i - (n_t - 1) / 2))  # side by side on the log2 axis, not on top
            rows = [r for r in table if r["mode"] == mode and r["target"] == t]
            label = f"{mode}, {t:.0%}"
            for ax, get, top in ((ax_s, lambda r, k: r[k], lambda r: r["budget"]),
                                 (ax_t, lambda r, k: r["time_s"][k], lambda r: r["budget_time_s"])):
                known = [r for r in rows if get(r, "median") is not None]
                if known:
                    med = [get(r, "median") for r in known]
                    lo = [m - get(r, "q1") for r, m in zip(known, med)]
                    up = [top(r) if get(r, "q3") is None else get(r, "q3") for r in known]
                    hi = [u - m for u, m in zip(up, med)]
                    ax.errorbar([r["hidden"] * shift for r in known], med, yerr=[lo, hi], color=colors[mode],
                                ls=("--", "-", ":", "-.")[i % 4], marker="o", capsize=3, label=label)
                miss = [r for r in rows if get(r, "median") is None and top(r) is not None]
                if miss:
                    ax.plot([r["hidden"] * shift for r in miss], [top(r) for r in miss], ls="none",
                            marker="^", mfc="none", color=colors[mode], ms=9,
                            label=f"{label}: median not reached (drawn at the budget)")
        hw = [r for r in result["hardware"]["rows"] if r["mode"] == mode and r["cycles_per_step"] is not None]
        if hw:
            ax_c.plot([r["hidden"] for r in hw], [r["cycles_per_step"] for r in hw], "o-", color=colors[mode],
                      label=f"{mode} perturbation")
    src = "placeholder" if fmax["placeholder"] else f"{fmax.get('target')}"
    ax_s.set(ylabel="steps to target (median, quartile bars)", title="fixed-point model: steps to target")
    ax_c.set(ylabel="cycles per step",
             title=f"{result['hardware']['style']} core, P = {result['hardware']['lanes']} lanes")
    ax_t.set(ylabel="hardware time to target (s)",
             title=f"hardware time, Fmax {fmax['fmax_mhz']:g} MHz ({src})")
    hidden = s["hidden"]
    for ax in (ax_s, ax_c, ax_t):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(hidden, [str(h) for h in hidden])
        ax.set_xlabel("hidden width h (NIST7x7 49-h-4)")
        ax.grid(alpha=0.3, which="both")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)
    save_figure(fig, path)


def write_report(result: dict[str, Any], out: str | Path) -> dict[str, Path]:
    """Write ``scaling.json``, ``scaling.md`` and ``scaling.png`` into ``out``; return their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name.split(".")[1]: out / name for name in FILES}
    write_json(paths["json"], result, name="report")
    write_text(paths["md"], markdown_report(result), name="report")
    _plot(result, paths["png"])
    return paths
