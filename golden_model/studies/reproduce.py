"""Reproduction of the seed's claims with the float model (``mgd reproduce``).

Ref: ``shared/design/MGD.md`` ("Experiments in the papers", "Multiplexing": the √(T/(T+N−1)) law) and the
issue's list (a)–(e). Every experiment is a function returning a JSON-ready dict; :func:`reproduce` runs
them all, writes ``reproduce.json``, ``reproduce.md`` and the PNGs
(:mod:`golden_model.studies.reproduce_plots`).
Sizes are module constants so that the whole run fits in about eight minutes on two cores; ``quick=True``
shrinks every experiment to a smoke test of a few seconds.

(a) :func:`gradient_quality`: the cosine between the integrated MGD gradient G and the true gradient
    (backprop), on one fixed sample and fixed θ (τ_x, τ_θ ≥ the window), code multiplexing, as a function
    of the integration time T = τ_θ, for networks of N = 9 … 2410 perturbation parameters, against
    √(T/(T+N−1)); then the T at which the mean cosine first reaches ``COS_TARGET``, fitted linearly in N.
(b) :func:`width_scaling`: steps to a target test accuracy on NIST7x7 against the hidden width, weight vs
    node perturbation, with the same optimizer settings at every width.
(c) :func:`backprop_comparison`: final test accuracy of MGD (momentum, Adam) and of the backprop reference
    (same network, cost, sample order, optimizer and η; see :mod:`golden_model.float_mgd`) on XOR,
    4-bit parity, NIST7x7 and digits.
(d) :func:`xor_paper`: XOR with paper 1's settings (preset ``xor``).
(e) :func:`solve_rates`: solve rate over ``SOLVE_SEEDS`` seeds and median steps to 100 % for XOR and
    4-bit parity, MGD and backprop on the same network.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from golden_model.config import MGDConfig, apply_overrides, from_preset
from golden_model.datasets import Dataset, load_dataset
from golden_model.float_mgd import FloatMGD, cosine, run_batch
from golden_model.validate import write_json, write_text

__all__ = ["gradient_quality", "width_scaling", "backprop_comparison", "xor_paper", "solve_rates",
           "reproduce", "markdown_report", "summarize", "SECTIONS"]

# ---- (a) gradient-estimate quality -------------------------------------------------------------------
GQ_NETWORKS = [("xor", (2, 2, 1)), ("parity", (4, 8, 1)), ("nist7x7", (49, 4, 4)), ("nist7x7", (49, 20, 4)),
               ("digits", (64, 32, 10))]
GQ_T_FACTOR = 6  # integrate up to T = GQ_T_FACTOR * N steps (theory: cos = 0.93 there)
GQ_REPLICAS = 12  # independent (θ, perturbation) draws averaged per network (4× that for N < 100: cheap)
GQ_DELTA = 1e-3  # small enough that C is linear in θ̃ over the perturbation
COS_TARGET = 0.9  # cosine whose τ_θ must be linear in N; theory T* = c²(N−1)/(1−c²)

# ---- (b) width scaling on NIST7x7 --------------------------------------------------------------------
WS_WIDTHS = (4, 8, 16, 32, 64)
WS_SEEDS = 2
WS_STEPS = 40000
WS_TARGETS = (0.6, 0.7, 0.8)  # steps to each, read off the same runs (which stop once all reach the last)
WS_SETTINGS = {"mgd.optimizer": "adam", "mgd.eta": 0.01, "mgd.tau_x": 1, "mgd.tau_theta": 1}

# ---- (c) MGD vs backprop -----------------------------------------------------------------------------
# task -> (preset, overrides common to all runs, {optimizer: eta}, steps). Each η was picked for MGD by a
# short sweep (2-3 values, 2-3 seeds); the backprop reference then runs with the same η (see float_mgd), so
# a gap is the price of the perturbative estimate at that η, not a separately tuned backprop.
BP_TASKS: dict[str, tuple[str, dict[str, Any], dict[str, float], int]] = {
    "xor": ("xor", {"network.layers": [2, 4, 1]}, {"momentum": 0.2, "adam": 0.03}, 20000),
    "parity4": ("parity4", {}, {"momentum": 0.3, "adam": 0.03}, 60000),
    "nist7x7": ("nist7x7", {}, {"momentum": 0.03, "adam": 0.003}, 80000),
    "digits": ("digits", {}, {"momentum": 0.02, "adam": 0.003}, 150000),
}
BP_SEEDS = 3

# ---- (d), (e) ----------------------------------------------------------------------------------------
XOR_PAPER_SEEDS = 20
XOR_PAPER_STEPS = 200000
SOLVE_SEEDS = 20
SOLVE_TASKS: dict[str, tuple[str, dict[str, Any], int]] = {
    # paper 1's plain SGD, as the xor preset was before its float model took momentum
    "xor 2-4-1": ("xor", {"network.layers": [2, 4, 1], "mgd.eta": 2.0, "mgd.optimizer": "sgd"}, 50000),
    "parity4 4-8-1": ("parity4", {}, 100000),
}


def _cfg(preset: str, overrides: dict[str, Any]) -> MGDConfig:
    return apply_overrides(from_preset(preset), [f"{k}={json.dumps(v)}" for k, v in overrides.items()])


def _stats(values: list[float]) -> dict[str, float]:
    a = np.asarray(values, dtype=float)
    return {"mean": float(a.mean()), "std": float(a.std()), "min": float(a.min()), "max": float(a.max())}


# ---- (a) ---------------------------------------------------------------------------------------------
def _cosine_curve(task: str, layers: tuple[int, ...], T: int, replicas: int, seed0: int) -> np.ndarray:
    """Cosine(G after t steps, ∇C) for t = 1..T, each replica with its own θ, sample and codes: (T, R)."""
    overrides = {"network.layers": list(layers), "task.dataset": task, "mgd.delta": GQ_DELTA,
                 "mgd.tau_x": T + 1, "mgd.tau_theta": T + 1, "mgd.multiplexing": "code",
                 "mgd.perturbation": "weight", "mgd.optimizer": "sgd"}
    if task == "parity":
        overrides["task.parity_bits"] = layers[0]
    cfg = _cfg("xor", overrides)
    seeds = [seed0 + r for r in range(replicas)]
    data = load_dataset(cfg.task, cfg.network.layers)
    k = int(np.argmax(data.x_train.sum(axis=1)))  # the sample with the most input: every weight matters
    one = Dataset(data.name, data.x_train[k:k + 1], data.t_train[k:k + 1], data.x_test, data.t_test)
    engine = FloatMGD(cfg, dataset=one, seeds=seeds)  # replicas differ in θ and in their codes
    x, t = one.x_train, one.t_train
    true = engine.net.backprop(engine.theta, x, t)
    out = np.empty((T, replicas))
    for n in range(T):
        engine.step()
        out[n] = cosine(engine.G, true)
    return out


def gradient_quality(networks=GQ_NETWORKS, t_factor: int = GQ_T_FACTOR, replicas: int = GQ_REPLICAS,
                     cos_target: float = COS_TARGET, progress: Callable[[str], None] | None = None
                     ) -> dict[str, Any]:
    """(a) Cosine of the integrated MGD gradient with the true gradient vs τ_θ, against √(T/(T+N−1))."""
    rows = []
    for i, (task, layers) in enumerate(networks):
        N = sum((a + 1) * b for a, b in zip(layers[:-1], layers[1:]))
        T = t_factor * N
        n_rep = 4 * replicas if N < 100 else replicas
        cos = _cosine_curve(task, layers, T, n_rep, seed0=1000 * (i + 1))
        mean = cos.mean(axis=1)
        t = np.arange(1, T + 1)
        theory = np.sqrt(t / (t + N - 1))
        # compare on a log grid of T (the early steps are few and noisy for every N alike)
        grid = np.unique(np.round(np.geomspace(max(1, N // 10), T, 40)).astype(int))
        rel = np.abs(mean[grid - 1] - theory[grid - 1]) / theory[grid - 1]
        above = np.flatnonzero(mean >= cos_target)
        t_star = int(above[0] + 1) if len(above) else None
        rows.append({"task": task, "layers": list(layers), "N": N, "T_max": T, "replicas": n_rep,
                     "T": grid.tolist(), "cos_mean": mean[grid - 1].tolist(),
                     "cos_std": cos.std(axis=1)[grid - 1].tolist(), "theory": theory[grid - 1].tolist(),
                     "max_rel_dev": float(rel.max()), "mean_rel_dev": float(rel.mean()),
                     "T_star": t_star, "T_star_theory": cos_target ** 2 * (N - 1) / (1 - cos_target ** 2)})
        if progress:
            progress(f"(a) N={N}: max |cos−theory|/theory = {rel.max():.3f}, T*={t_star}")
    Ns = np.array([r["N"] for r in rows], dtype=float)
    Ts = np.array([r["T_star"] if r["T_star"] is not None else np.nan for r in rows], dtype=float)
    ok = ~np.isnan(Ts)
    slope, intercept = np.polyfit(Ns[ok], Ts[ok], 1)
    pred = slope * Ns[ok] + intercept
    r2 = 1.0 - np.sum((Ts[ok] - pred) ** 2) / np.sum((Ts[ok] - Ts[ok].mean()) ** 2)
    big = ok & (Ns >= 40)
    exponent = float(np.polyfit(np.log(Ns[big]), np.log(Ts[big]), 1)[0]) if big.sum() >= 2 else float("nan")
    return {"cos_target": cos_target, "networks": rows,
            "fit": {"slope": float(slope), "intercept": float(intercept), "r2": float(r2),
                    "loglog_exponent_N_ge_40": exponent,
                    "slope_theory": cos_target ** 2 / (1 - cos_target ** 2)}}


# ---- (b) ---------------------------------------------------------------------------------------------
def _first_reach(steps: np.ndarray, acc: np.ndarray, target: float) -> list[int | None]:
    """Per replica, the first evaluated step with accuracy ≥ target (acc is (E, R))."""
    out: list[int | None] = []
    for r in range(acc.shape[1]):
        hit = np.flatnonzero(acc[:, r] >= target)
        out.append(int(steps[hit[0]]) if len(hit) else None)
    return out


def width_scaling(widths=WS_WIDTHS, seeds: int = WS_SEEDS, steps: int = WS_STEPS, targets=WS_TARGETS,
                  settings: dict[str, Any] = WS_SETTINGS, modes=("weight", "node"),
                  progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """(b) Steps to target NIST7x7 test accuracies vs hidden width, weight vs node perturbation."""
    rows = []
    for mode in modes:
        for h in widths:
            cfg = _cfg("nist7x7", {**settings, "network.layers": [49, h, 4], "mgd.perturbation": mode,
                                   "task.target_accuracy": max(targets)})
            run = run_batch(cfg, seeds=list(range(1, seeds + 1)), steps=steps, eval_every=1000,
                            stop_at_target=True)
            reach = {}
            for target in targets:
                st = _first_reach(run.steps, run.test_accuracy, target)
                ok = [s for s in st if s is not None]
                reach[f"{target:g}"] = {"steps_to_target": st, "solved": len(ok),
                                        "median_steps": float(np.median(ok)) if len(ok) == seeds else None}
            rows.append({"perturbation": mode, "width": h, "N": run.n_perturbation,
                         "P": cfg.network.n_weights, "seeds": seeds, "reach": reach,
                         "final_test_accuracy": run.final_test_accuracy.tolist(), "steps_run": run.steps_run,
                         "wall_s": run.wall_time_s})
            if progress:
                progress(f"(b) {mode} h={h} N={run.n_perturbation}: "
                         + ", ".join(f"{k}: {v['steps_to_target']}" for k, v in reach.items()))
    return {"dataset": "nist7x7", "targets": list(targets), "steps": steps, "seeds": seeds,
            "settings": settings, "rows": rows}


# ---- (c) ---------------------------------------------------------------------------------------------
def backprop_comparison(tasks=BP_TASKS, seeds: int = BP_SEEDS, steps_scale: float = 1.0,
                        progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """(c) Final test accuracy of MGD and backprop with momentum and Adam on the same networks."""
    rows = []
    for task, (preset, common, etas, steps) in tasks.items():
        steps = max(1000, int(steps * steps_scale))
        for opt, eta in etas.items():
            cfg = _cfg(preset, {**common, "mgd.optimizer": opt, "mgd.eta": eta, "task.steps": steps})
            res = {}
            for grad in ("mgd", "backprop"):
                run = run_batch(cfg, seeds=list(range(1, seeds + 1)), gradient=grad,
                                eval_every=max(500, steps // 20))
                res[grad] = run.final_test_accuracy.tolist()
            diff = np.mean(res["mgd"]) - np.mean(res["backprop"])
            rows.append({"task": task, "layers": list(cfg.network.layers), "optimizer": opt, "eta": eta,
                         "steps": steps, "perturbation": cfg.mgd.perturbation, "tau_theta": cfg.mgd.tau_theta,
                         "mgd": _stats(res["mgd"]), "backprop": _stats(res["backprop"]),
                         "mgd_minus_backprop": float(diff)})
            if progress:
                progress(f"(c) {task} {opt}: MGD {np.mean(res['mgd']):.3f} vs backprop "
                         f"{np.mean(res['backprop']):.3f}")
    return {"seeds": seeds, "rows": rows}


# ---- (d) ---------------------------------------------------------------------------------------------
def xor_paper(seeds: int = XOR_PAPER_SEEDS, steps: int = XOR_PAPER_STEPS,
              progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """(d) Preset ``xor`` with paper 1's settings (2-2-1 sigmoid, MSE, Δθ=0.05, η=0.1, τ's=1, code, plain
    SGD: the preset's float momentum is not the paper's): final accuracy per seed."""
    cfg = _cfg("xor", {"task.steps": steps, "mgd.optimizer": "sgd"})
    run = run_batch(cfg, seeds=list(range(seeds)), eval_every=1000, stop_at_target=True)
    st = [s for s in run.steps_to_target if s is not None]
    if progress:
        progress(f"(d) xor paper settings: {len(st)}/{seeds} reached 100 %")
    return {"config": cfg.to_dict()["mgd"], "layers": list(cfg.network.layers), "seeds": seeds,
            "steps": steps, "solved": len(st), "steps_to_target": run.steps_to_target,
            "median_steps": float(np.median(st)) if st else None,
            "first_seed_solved": next((s for s, v in zip(run.seeds, run.steps_to_target) if v is not None),
                                      None)}


# ---- (e) ---------------------------------------------------------------------------------------------
def solve_rates(tasks=SOLVE_TASKS, seeds: int = SOLVE_SEEDS, progress: Callable[[str], None] | None = None
                ) -> dict[str, Any]:
    """(e) Solve rate and median steps to 100 % over seeds, MGD and backprop on the same network."""
    rows = []
    for name, (preset, overrides, steps) in tasks.items():
        cfg = _cfg(preset, {**overrides, "task.steps": steps, "task.target_accuracy": 1.0})
        for grad in ("mgd", "backprop"):
            run = run_batch(cfg, seeds=list(range(seeds)), gradient=grad, eval_every=500, stop_at_target=True)
            st = [s for s in run.steps_to_target if s is not None]
            rows.append({"task": name, "layers": list(cfg.network.layers), "gradient": grad,
                         "eta": cfg.mgd.eta, "optimizer": cfg.mgd.optimizer, "steps_budget": steps,
                         "solved": len(st), "seeds": seeds,
                         "median_steps": float(np.median(st)) if st else None,
                         "steps_to_target": run.steps_to_target})
            if progress:
                progress(f"(e) {name} {grad}: {len(st)}/{seeds}, median {rows[-1]['median_steps']}")
    return {"rows": rows}


SECTIONS: dict[str, Callable[..., dict[str, Any]]] = {
    "gradient_quality": gradient_quality,
    "width_scaling": width_scaling,
    "backprop_comparison": backprop_comparison,
    "xor_paper": xor_paper,
    "solve_rates": solve_rates,
}


def _quick_kwargs() -> dict[str, dict[str, Any]]:
    """Smoke-test sizes: every code path, seconds in all."""
    return {
        "gradient_quality": {"networks": [("xor", (2, 2, 1)), ("parity", (4, 8, 1)), ("nist7x7", (49, 2, 4))],
                             "t_factor": 6, "replicas": 4},
        "width_scaling": {"widths": (2, 4), "seeds": 2, "steps": 2000},
        "backprop_comparison": {"tasks": {k: v for k, v in BP_TASKS.items() if k in ("xor", "nist7x7")},
                                "seeds": 2, "steps_scale": 0.02},
        "xor_paper": {"seeds": 2, "steps": 2000},
        "solve_rates": {"tasks": {"xor 2-4-1": SOLVE_TASKS["xor 2-4-1"][:2] + (2000,)}, "seeds": 3},
    }


def _jobs(quick: bool, only: list[str] | None) -> list[tuple[str, dict[str, Any]]]:
    """(section, kwargs) jobs, longest first; the long sections are split so two workers stay busy."""
    kw = _quick_kwargs() if quick else {}
    jobs: list[tuple[str, dict[str, Any]]] = []
    for name in ("backprop_comparison", "width_scaling", "solve_rates", "gradient_quality", "xor_paper"):
        if only and name not in only:
            continue
        base = kw.get(name, {})
        if name == "backprop_comparison":  # one job per (task, optimizer)
            tasks = base.get("tasks", BP_TASKS)
            jobs += [(name, {**base, "tasks": {k: (v[0], v[1], {opt: eta}, v[3])}})
                     for k, v in reversed(tasks.items()) for opt, eta in v[2].items()]  # digits first
        elif name == "width_scaling":
            jobs += [(name, {**base, "modes": (m,)}) for m in ("weight", "node")]
        elif name == "solve_rates":
            tasks = base.get("tasks", SOLVE_TASKS)
            jobs += [(name, {**base, "tasks": {k: v}}) for k, v in tasks.items()]
        else:
            jobs.append((name, base))
    return jobs


def _run_job(job: tuple[str, dict[str, Any]],
             progress: Callable[[str], None] | None) -> tuple[str, dict, float]:
    name, kwargs = job
    t0 = time.perf_counter()
    return name, SECTIONS[name](progress=progress, **kwargs), time.perf_counter() - t0


def _merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    merged = dict(parts[0])
    for key in ("rows",):
        if key in merged:
            merged[key] = [row for p in parts for row in p[key]]
    return merged


def reproduce(out: str | Path, quick: bool = False, only: list[str] | None = None,
              progress: Callable[[str], None] | None = print, workers: int | None = None,
              scheduler: str | None = None) -> dict[str, Any]:
    """Run the experiments on ``workers`` processes (default: up to 2) or on the Dask scheduler at
    ``scheduler`` (:func:`golden_model.studies.executor.run_jobs`), write ``reproduce.json``,
    ``reproduce.md`` and PNG plots into ``out``; return the results. ``progress`` gets the sections' own
    lines (printed where a job runs: on a Dask worker, in its log) and, here, one line per finished job."""
    import functools
    import os

    from golden_model.studies.executor import run_jobs

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = _jobs(quick, only)
    workers = max(1, min(2, os.cpu_count() or 1)) if workers is None else workers
    t0 = time.perf_counter()
    finished = 0

    def on_result(i: int, result: tuple[str, dict, float]) -> None:
        nonlocal finished
        finished += 1
        if progress is not None:
            progress(f"[{finished}/{len(jobs)}] {result[0]} job done in {result[2]:.1f} s")

    # module-level function + picklable arguments: the workers import _run_job by name
    done = run_jobs(functools.partial(_run_job, progress=progress), jobs, workers=workers,
                    scheduler=scheduler, on_result=on_result)
    results: dict[str, Any] = {"quick": quick}
    timings: dict[str, float] = {}
    for name in SECTIONS:
        parts = [r for n, r, _ in done if n == name]
        if parts:
            results[name] = _merge(parts)
            timings[name] = sum(t for n, _, t in done if n == name)
    results["wall_time_s"] = timings
    results["total_wall_time_s"] = time.perf_counter() - t0
    results["workers"] = workers
    results["scheduler"] = scheduler
    write_json(out / "reproduce.json", results, name="report")
    write_text(out / "reproduce.md", markdown_report(results), name="report")
    from golden_model.studies.reproduce_plots import plot_all
    plot_all(results, out)
    return results


def summarize(results: dict[str, Any]) -> list[dict[str, str]]:
    """One row per claim: what the paper says, what we measured, whether it holds here."""
    rows: list[dict[str, str]] = []
    gq = results.get("gradient_quality")
    if gq:
        worst = max(r["max_rel_dev"] for r in gq["networks"])
        Ns = [r["N"] for r in gq["networks"]]
        rows.append({"claim": f"cos(G, ∇C) follows √(T/(T+N−1)) within 10 % (N = {min(Ns)}…{max(Ns)})",
                     "measured": f"worst relative deviation {worst:.1%}",
                     "holds": "yes" if worst < 0.10 else "no"})
        f = gq["fit"]
        lin = f["r2"] > 0.99 and abs(f["loglog_exponent_N_ge_40"] - 1) < 0.1
        rows.append({"claim": f"τ_θ for cos ≥ {gq['cos_target']} is linear in N",
                     "measured": f"T* = {f['slope']:.2f}·N {f['intercept']:+.0f}, R² = {f['r2']:.4f}, "
                                 f"exponent {f['loglog_exponent_N_ge_40']:.2f} "
                                 f"(theory slope {f['slope_theory']:.2f})",
                     "holds": "yes" if lin else "no"})
    xp = results.get("xor_paper")
    if xp:
        rows.append({"claim": "XOR with paper-1 settings reaches 100 %",
                     "measured": f"{xp['solved']}/{xp['seeds']} seeds within {xp['steps']} steps, median "
                                 f"{_fmt(xp['median_steps'], '.0f')}",
                     "holds": "yes" if xp["solved"] > 0 else "no"})
    bp = results.get("backprop_comparison")
    if bp:
        for r in bp["rows"]:
            d = r["mgd_minus_backprop"]
            rows.append({"claim": f"MGD ≈ backprop on {r['task']} ({r['optimizer']}, {r['steps']} steps)",
                         "measured": f"{r['mgd']['mean']:.3f} vs {r['backprop']['mean']:.3f} ({d:+.3f})",
                         "holds": "yes" if d > -0.03 else "no (gap > 3 points)"})
    ws = results.get("width_scaling")
    if ws:
        t = f"{max(ws['targets']):g}"
        node = [(r["width"], r["reach"][t]["median_steps"])
                for r in ws["rows"] if r["perturbation"] == "node"]
        weight = [(r["width"], r["reach"][t]["solved"]) for r in ws["rows"] if r["perturbation"] == "weight"]
        rows.append({"claim": "time to target accuracy does not grow linearly with N (NIST7x7, node pert.)",
                     "measured": "median steps to " + f"{float(t):.0%} by width: "
                                 + ", ".join(f"h={h}: {_fmt(v, '.0f')}" for h, v in node)
                                 + "; weight pert. seeds reaching it: "
                                 + ", ".join(f"h={h}: {v}" for h, v in weight),
                     "holds": "see (b)"})
    return rows


def _fmt(v: float | None, spec: str = ".3f") -> str:
    return "—" if v is None else format(v, spec)


def markdown_report(results: dict[str, Any]) -> str:
    """The reproduction table(s) as Markdown."""
    lines = ["# MGD float-model reproduction", ""]
    if results.get("quick"):
        lines += ["**Quick smoke-test sizes: numbers are not meaningful.**", ""]
    claims = summarize(results)
    if claims:
        lines += ["## Summary", "", "| claim | measured | holds |", "|---|---|---|"]
        lines += [f"| {c['claim']} | {c['measured']} | {c['holds']} |" for c in claims]
        lines.append("")
    gq = results.get("gradient_quality")
    if gq:
        f = gq["fit"]
        lines += ["## (a) Gradient-estimate quality: cos(G, ∇C) vs τ_θ, code multiplexing", "",
                  f"Cosine between the integrated MGD gradient and the true gradient, mean over replicas, "
                  f"against √(T/(T+N−1)); T* = first τ_θ with mean cosine ≥ {gq['cos_target']}.", "",
                  "| network | N | max rel. dev. from theory | mean rel. dev. | T* measured | T* theory |",
                  "|---|---:|---:|---:|---:|---:|"]
        for r in gq["networks"]:
            lines.append(f"| {'-'.join(map(str, r['layers']))} | {r['N']} | {r['max_rel_dev']:.1%} | "
                         f"{r['mean_rel_dev']:.1%} | {r['T_star']} | {r['T_star_theory']:.0f} |")
        lines += ["", f"Linear fit T* = {f['slope']:.3f}·N + {f['intercept']:.1f} "
                  f"(R² = {f['r2']:.4f}; theory slope {f['slope_theory']:.3f}); log-log exponent (N ≥ 40) = "
                  f"{f['loglog_exponent_N_ge_40']:.3f}.", ""]
    ws = results.get("width_scaling")
    if ws:
        tg = ws["targets"]
        lines += ["## (b) Steps to target test accuracy on NIST7x7 vs width, weight vs node perturbation", "",
                  f"Settings: {ws['settings']}, budget {ws['steps']} steps, {ws['seeds']} seeds; "
                  "median steps when every seed reached the target, else how many did. "
                  f"A run stops once every seed has reached {max(tg):.0%}.", "",
                  "| perturbation | width | N | P | " + " | ".join(f"steps to {t:.0%}" for t in tg)
                  + " | steps run | test acc at end (per seed) |",
                  "|---|---:|---:|---:|" + "---:|" * len(tg) + "---:|---|"]
        for r in ws["rows"]:
            cells = []
            for t in tg:
                v = r["reach"][f"{t:g}"]
                cells.append(_fmt(v["median_steps"], ".0f") if v["median_steps"] is not None
                             else f"{v['solved']}/{r['seeds']} reached")
            lines.append(f"| {r['perturbation']} | {r['width']} | {r['N']} | {r['P']} | " + " | ".join(cells)
                         + f" | {r['steps_run']} | "
                           f"{', '.join(f'{a:.3f}' for a in r['final_test_accuracy'])} |")
        lines.append("")
    bp = results.get("backprop_comparison")
    if bp:
        lines += ["## (c) MGD vs backprop: final test accuracy (mean ± std over seeds)", "",
                  "| task | network | optimizer | η | steps | MGD | backprop | MGD − backprop |",
                  "|---|---|---|---:|---:|---:|---:|---:|"]
        for r in bp["rows"]:
            lines.append(f"| {r['task']} | {'-'.join(map(str, r['layers']))} ({r['perturbation']}) | "
                         f"{r['optimizer']} | {r['eta']} | {r['steps']} | {r['mgd']['mean']:.3f} ± "
                         f"{r['mgd']['std']:.3f} | {r['backprop']['mean']:.3f} ± "
                         f"{r['backprop']['std']:.3f} | {r['mgd_minus_backprop']:+.3f} |")
        lines.append("")
    xp = results.get("xor_paper")
    if xp:
        lines += ["## (d) XOR, paper-1 settings (2-2-1 sigmoid, MSE, Δθ=0.05, η=0.1, τ's=1, code)", "",
                  f"{xp['solved']}/{xp['seeds']} seeds reach 100 % within {xp['steps']} steps; median steps "
                  f"{_fmt(xp['median_steps'], '.0f')}; first solving seed {xp['first_seed_solved']}.", ""]
    sr = results.get("solve_rates")
    if sr:
        lines += ["## (e) Solve rate and median steps to 100 %", "",
                  "| task | network | gradient | optimizer, η | solved | median steps | budget |",
                  "|---|---|---|---|---:|---:|---:|"]
        for r in sr["rows"]:
            lines.append(f"| {r['task']} | {'-'.join(map(str, r['layers']))} | {r['gradient']} | "
                         f"{r['optimizer']}, {r['eta']} | {r['solved']}/{r['seeds']} | "
                         f"{_fmt(r['median_steps'], '.0f')} | {r['steps_budget']} |")
        lines.append("")
    if "wall_time_s" in results:
        lines += ["Time per section (sum over its jobs): " + ", ".join(f"{k} {v:.0f} s" for k, v in
                                                        results["wall_time_s"].items())
                  + f"; total wall time {results.get('total_wall_time_s', 0):.0f} s on "
                  + (f"the Dask scheduler at {results['scheduler']}." if results.get("scheduler") else
                     f"{results.get('workers', 1)} worker(s)."), ""]
    return "\n".join(lines)
