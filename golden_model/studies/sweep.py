"""Weight-width sweep of the fixed-point model: final accuracy vs the width of θ, per task and mode.

Ref: issue 4 ("Results"), ``docs/fixed_point_spec.md`` ("Real-unit meaning"). ``mgd sweep`` is the thin front
end (``scripts/cmd_sweep.py``).

At width ``W`` the θ format keeps the preset's integer bits ``I`` and has ``T_f' = W − 1 − I`` fraction bits.
Everything else keeps its real-unit meaning (:mod:`golden_model.bridge`): the perturbation amplitude stays
``2**-k_p`` unless θ cannot hold it (``k_p' = min(k_p, T_f')``, a larger perturbation), and
``k_η' = k_η + (T_f − T_f') + (k_p − k_p')`` keeps the real step per unit of accumulated ``s·Ĉ``; where that
would be negative, ``k_η' = 0`` and the cost (and G) get the missing fraction bits instead. Each run trains
the preset's ``task.steps`` steps (stopping early once the target accuracy is reached), for several
``mgd.seed`` values (initial θ and signs); a width *trains* the task when at least half of the seeds reach
``task.target_accuracy``, and the minimum width is the smallest from which every wider swept width trains.
Per (preset, mode), :data:`MODE_OVERRIDES` applies shifts for the mode the preset was not tuned for.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from golden_model.config import MGDConfig, apply_overrides, from_preset, parse_qformat
from golden_model.validate import write_json, write_text

__all__ = ["at_width", "width_sweep", "summarize", "min_widths", "write_report", "DEFAULT_WIDTHS",
           "MODE_OVERRIDES"]

DEFAULT_WIDTHS = (6, 8, 10, 12, 14, 16, 20, 24)

# Per (preset, mode): overrides applied before the width when the preset's fixed section is tuned for the
# other mode (a preset has one fixed section; see the comments in golden_model/config.py PRESETS).
MODE_OVERRIDES: dict[tuple[str, str], tuple[str, ...]] = {
    ("parity4", "node"): ("fixed.amplitude_shift=4", "fixed.eta_shift=3"),
    # 868 weight lanes: a 4x smaller step than node mode's (0.68 test accuracy at 60k steps, float 0.69)
    ("nist7x7", "weight"): ("fixed.amplitude_shift=5", "fixed.eta_shift=7"),
}


def at_width(config: MGDConfig, width: int) -> MGDConfig:
    """``config`` with a ``width``-bit θ, shifts adjusted as in the module docstring."""
    f = config.fixed
    _, i_bits, t_f = parse_qformat("fixed.theta", f.theta)
    t_new = width - 1 - i_bits
    if t_new < 0:
        raise ValueError(f"width must be at least {i_bits + 1} for {f.theta}, not {width}")
    k_p = min(f.amplitude_shift, t_new)
    k_eta = f.eta_shift + (t_f - t_new) + (f.amplitude_shift - k_p)
    fixed = dataclasses.replace(f, theta=f"Q{i_bits}.{t_new}", amplitude_shift=k_p, eta_shift=max(k_eta, 0))
    if k_eta < 0:  # θ finer than the cost can feed: widen the cost's fraction (and G), not a left shift
        _, c_int, c_f = parse_qformat("fixed.cost", f.cost)
        fixed = dataclasses.replace(fixed, cost=f"UQ{c_int}.{c_f - k_eta}", grad_width=f.grad_width - k_eta)
    return config.replace(fixed=fixed)


def _one_run(job: tuple[str, str, int, int, tuple[str, ...]]) -> dict[str, Any]:
    """Train one (preset, mode, width, seed); a module-level function so worker processes can run it."""
    from golden_model.fixed_mgd import train

    preset, mode, width, seed, overrides = job
    mode_ov = MODE_OVERRIDES.get((preset, mode), ())
    base = apply_overrides(from_preset(preset),
                           [f"mgd.perturbation={mode}", f"mgd.seed={seed}", *mode_ov, *overrides])
    cfg = at_width(base, width)
    r = train(cfg, progress=False, stop_at_target=True)
    return {
        "preset": preset, "mode": mode, "width": width, "seed": seed, "theta": cfg.fixed.theta,
        "amplitude_shift": cfg.fixed.amplitude_shift, "eta_shift": cfg.fixed.eta_shift,
        "cost": cfg.fixed.cost, "steps": r.steps, "final_test_accuracy": r.final.test_accuracy,
        "best_test_accuracy": max(p.test_accuracy for p in r.curve),
        "target_accuracy": cfg.task.target_accuracy, "steps_to_target": r.steps_to_target,
        "trained": r.steps_to_target is not None, "wall_s": round(r.wall_time_s, 2),
    }


def width_sweep(presets: tuple[str, ...] = ("xor", "parity4", "nist7x7"),
                widths: tuple[int, ...] = DEFAULT_WIDTHS, modes: tuple[str, ...] = ("weight", "node"),
                overrides: tuple[str, ...] = (), seeds: tuple[int, ...] = (1,), jobs: int = 1,
                progress: bool = True, scheduler: str | None = None) -> list[dict[str, Any]]:
    """Train every (preset, mode, width, seed), in ``jobs`` processes or on the Dask scheduler at
    ``scheduler`` (:func:`golden_model.studies.executor.run_jobs`); one row per run (see :func:`_one_run`),
    in the same order wherever they ran.

    Each run stops once the test accuracy reaches the target, else runs the preset's ``task.steps``.
    """
    from tqdm import tqdm

    from golden_model.studies.executor import run_jobs

    runs = [(p, m, w, s, tuple(overrides)) for p in presets for m in modes for w in widths for s in seeds]
    with tqdm(total=len(runs), disable=not progress, desc="width sweep", unit="run") as bar:
        return run_jobs(_one_run, runs, workers=jobs, scheduler=scheduler,
                        on_result=lambda i, row: bar.update(1))


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (preset, mode, width): seeds that reached the target, mean final test accuracy, median
    steps to target; ``trained`` when at least half of the seeds reached it."""
    out = []
    keys = dict.fromkeys((r["preset"], r["mode"], r["width"]) for r in rows)
    for preset, mode, width in keys:
        mine = [r for r in rows if (r["preset"], r["mode"], r["width"]) == (preset, mode, width)]
        hits = sorted(r["steps_to_target"] for r in mine if r["trained"])
        first = mine[0]
        out.append({
            "preset": preset, "mode": mode, "width": width, "theta": first["theta"],
            "amplitude_shift": first["amplitude_shift"], "eta_shift": first["eta_shift"],
            "cost": first["cost"], "seeds": len(mine), "reached": len(hits),
            "mean_final_test_accuracy": sum(r["final_test_accuracy"] for r in mine) / len(mine),
            "median_steps_to_target": hits[len(hits) // 2] if hits else None,
            "target_accuracy": first["target_accuracy"], "trained": 2 * len(hits) >= len(mine),
        })
    return out


def min_widths(rows: list[dict[str, Any]]) -> dict[str, dict[str, int | None]]:
    """Per ``preset/mode`` (``rows`` as from :func:`summarize`, or any rows with ``preset``, ``mode``,
    ``width``, ``trained``):

    ``min``     the smallest swept width that trains the task (``None`` if none does);
    ``stable``  the smallest width from which every wider swept width trains it too (``None`` if the widest
                does not). With few seeds the two differ where training is marginal.
    """
    out: dict[str, dict[str, int | None]] = {}
    for key in dict.fromkeys(f"{r['preset']}/{r['mode']}" for r in rows):
        mine = sorted((r for r in rows if f"{r['preset']}/{r['mode']}" == key), key=lambda r: r["width"])
        stable = None
        for r in reversed(mine):
            if not r["trained"]:
                break
            stable = r["width"]
        first = next((r["width"] for r in mine if r["trained"]), None)
        out[key] = {"min": first, "stable": stable}
    return out


def write_report(rows: list[dict[str, Any]], out: str | Path) -> dict[str, Path]:
    """Write ``width_sweep.png`` (share of seeds reaching the target and mean final test accuracy vs width),
    ``width_sweep.md`` (minimum widths and the per-width table) and ``width_sweep.json`` (also every run)."""
    from golden_model.studies.plots import pyplot, save_figure

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table = summarize(rows)
    mins = min_widths(table)
    fig, (ax0, ax1) = pyplot().subplots(1, 2, figsize=(11, 4.5))
    for key in mins:
        mine = sorted((r for r in table if f"{r['preset']}/{r['mode']}" == key), key=lambda r: r["width"])
        w = [r["width"] for r in mine]
        ax0.plot(w, [r["reached"] / r["seeds"] for r in mine], "o-", label=key)
        ax1.plot(w, [r["mean_final_test_accuracy"] for r in mine], "o-", label=key)
    ax0.set_ylabel("share of seeds reaching the target accuracy")
    ax1.set_ylabel("mean test accuracy at the end (or at the target)")
    for ax in (ax0, ax1):
        ax.set_xlabel("θ width (bits, incl. sign; Q3.x)")
        ax.grid(alpha=0.3)
    ax1.legend(fontsize=8)
    fig.suptitle("fixed-point MGD: training vs weight width")
    png = out / "width_sweep.png"
    save_figure(fig, png)
    seeds = sorted({r["seed"] for r in rows})
    lines = ["# Fixed-point MGD: weight width sweep", "",
             f"Seeds {seeds}; a width *trains* a task when at least half of them reach the target test "
             "accuracy within the preset's steps. Shifts follow the width as in `golden_model/sweep.py`.", "",
             "Minimum θ width that trains each task, and the width from which every wider swept width trains "
             "it too:", "",
             "| task/mode | min width that trains | trains at every width from |", "| --- | --- | --- |"]
    lines += [f"| {k} | {v['min'] if v['min'] is not None else 'none swept'} | "
              f"{v['stable'] if v['stable'] is not None else 'none swept'} |" for k, v in mins.items()]
    lines += ["", "| task | mode | width | θ | k_p | k_η | cost | reached target | mean final test acc "
              "| target | median steps to target |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in table:
        lines.append(f"| {r['preset']} | {r['mode']} | {r['width']} | {r['theta']} | "
                     f"{r['amplitude_shift']} | {r['eta_shift']} | {r['cost']} | "
                     f"{r['reached']}/{r['seeds']} | "
                     f"{r['mean_final_test_accuracy']:.3f} | {r['target_accuracy']:.2f} | "
                     f"{r['median_steps_to_target']} |")
    md = out / "width_sweep.md"
    write_text(md, "\n".join(lines) + "\n", name="report")
    js = out / "width_sweep.json"
    write_json(js, {"min_width": mins, "table": table, "runs": rows}, name="report")
    return {"png": png, "md": md, "json": js}
