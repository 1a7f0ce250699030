"""Training through faults (issue 13.5): final test accuracy vs cost noise, update noise and stuck parameters,
the fixed-point model next to the float model with the same noise.

Ref: ``docs/fixed_point_spec.md`` ("Faults"), :mod:`golden_model.faults`; ``shared/design/MGD.md`` (the
papers: MGD trains through a noisy cost, noisy updates and dead parameters). ``mgd faults``
(``scripts/cmd_faults.py``) is the front end.

Points
------
One row per fault point: ``none`` (the preset as is), ``cost b:s`` (``fixed.cost_noise_bits = b``,
``cost_noise_shift = s``), ``update b:s`` (``fixed.update_noise_*``) and ``stuck f``
(``fixed.stuck_fraction = f``, the mask drawn from each ``mgd.seed``). ``fixed.grad_width`` is raised to
:meth:`FixedSpec.min_grad_width` where cost noise widens C_hat's bound (never lowered). Every point runs
seeds ``1 .. S`` (``mgd.seed``; θ₀, signs, noise and mask all follow it) for the preset's ``task.steps``
(or ``steps``) and records the final test accuracy of the unperturbed network.

Float twin
----------
The float model on the same network, data and seeds with the settings the fixed section is equivalent
to (:func:`golden_model.bridge.fixed_to_float`: Δθ, η), ``mgd.optimizer = sgd`` and
``fixed.hw_activation`` on every layer (the fixed model's own arithmetic in real numbers), and Gaussian
noise of the same standard deviation (:func:`golden_model.faults.float_sigma`): ``noise.cost_sigma`` in
cost units, ``noise.update_sigma`` in θ units. Stuck parameters: the same indices as the fixed run of
that seed, θ reset to θ₀ after every step.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from golden_model.config import MGDConfig, apply_overrides, from_preset, loads_toml, to_toml
from golden_model.faults import float_sigma, noise_std, stuck_indices
from golden_model.fixed_network import FixedSpec

__all__ = ["FaultPoint", "fault_points", "point_config", "float_config", "run_faults", "markdown_report",
           "plot_faults", "COST_LEVELS", "UPDATE_LEVELS", "STUCK_FRACTIONS", "FILES"]

FILES = ("faults.json", "faults.md", "faults.png")
# the defaults of ``mgd faults``: (bits, shift) levels, σ ≈ 2^(s+4)/√3 cost LSBs and 2^s·√5 θ LSBs per update
# (on NIST7x7 the cliffs lie between 4:6 and 4:8 and between 2:4 and 2:6, hence 4:7 and 2:5)
COST_LEVELS = ((4, 4), (4, 6), (4, 7), (4, 8), (4, 10), (4, 12))
UPDATE_LEVELS = ((2, 0), (2, 2), (2, 4), (2, 5), (2, 6))
STUCK_FRACTIONS = (0.01, 0.05, 0.1, 0.25, 0.5)


@dataclasses.dataclass(frozen=True)
class FaultPoint:
    """One fault setting: ``kind`` none | cost | update | stuck; ``bits, shift`` for noise, ``fraction`` for
    stuck parameters."""

    kind: str
    bits: int = 0
    shift: int = 0
    fraction: float = 0.0

    @property
    def label(self) -> str:
        if self.kind == "none":
            return "none"
        if self.kind == "stuck":
            return f"stuck {self.fraction:g}"
        return f"{self.kind} {self.bits}:{self.shift}"

    def overrides(self) -> list[str]:
        if self.kind in ("cost", "update"):
            return [f"fixed.{self.kind}_noise_bits={self.bits}",
                    f"fixed.{self.kind}_noise_shift={self.shift}"]
        if self.kind == "stuck":
            return [f"fixed.stuck_fraction={self.fraction!r}"]
        return []


def fault_points(cost=COST_LEVELS, update=UPDATE_LEVELS, stuck=STUCK_FRACTIONS) -> list[FaultPoint]:
    """The baseline, then every cost-noise level, update-noise level and stuck fraction."""
    return ([FaultPoint("none")] + [FaultPoint("cost", b, s) for b, s in cost]
            + [FaultPoint("update", b, s) for b, s in update]
            + [FaultPoint("stuck", fraction=f) for f in stuck])


def point_config(base: MGDConfig, point: FaultPoint, seed: int) -> MGDConfig:
    """The fixed model's config of a point and seed (``fixed.grad_width`` raised where cost noise needs
    it)."""
    cfg = apply_overrides(base, [*point.overrides(), f"mgd.seed={seed}", "fixed.grad_width=64"])
    width = max(base.fixed.grad_width, FixedSpec.min_grad_width(cfg))
    cfg = cfg.replace(fixed=dataclasses.replace(cfg.fixed, grad_width=width))
    FixedSpec.from_config(cfg)
    return cfg


def float_config(cfg: MGDConfig) -> MGDConfig:
    """The float twin of a fixed config (module docstring)."""
    from golden_model.bridge import fixed_to_float

    spec = FixedSpec.from_config(cfg)
    f = cfg.fixed
    eq = fixed_to_float(cfg)
    return apply_overrides(cfg, [
        "mgd.optimizer=sgd", f"mgd.delta={eq['delta']!r}", f"mgd.eta={eq['eta']!r}",
        f"network.activation={f.hw_activation}", f"network.output_activation={f.hw_activation}",
        f"noise.cost_sigma={float_sigma(f.cost_noise_bits, f.cost_noise_shift, spec.cost_fmt.lsb)!r}",
        f"noise.update_sigma={float_sigma(f.update_noise_bits, f.update_noise_shift, spec.theta.lsb)!r}",
        "fixed.cost_noise_bits=0", "fixed.cost_noise_shift=0", "fixed.update_noise_bits=0",
        "fixed.update_noise_shift=0"])


def _fixed_job(job: tuple[str, int]) -> float:
    """Final test accuracy of one fixed-model run (module-level: worker processes import it)."""
    from golden_model.fixed_mgd import FixedMGD

    toml, steps = job
    model = FixedMGD(loads_toml(toml))
    model.run(steps, record=False)
    return float(model.evaluate()[2])


def _float_job(job: tuple[str, list[int], float, int]) -> list[float]:
    """Final test accuracies of the float twin, one replica per seed (stuck: θ reset after every step)."""
    from golden_model.float_mgd import FloatMGD

    toml, seeds, fraction, steps = job
    cfg = loads_toml(toml)
    engine = FloatMGD(cfg, seeds=seeds)
    n = engine.theta.shape[1]
    rows, cols = [], []
    for r, s in enumerate(seeds):
        idx = stuck_indices(n, fraction, (), s, cfg.fixed.stuck_seed)
        rows += [r] * len(idx)
        cols += list(idx)
    theta0 = engine.theta[rows, cols].copy()
    for _ in range(steps):
        engine.step()
        if rows:
            engine.theta[rows, cols] = theta0
    return [float(a) for a in engine.evaluate()["test_accuracy"]]


def _stats(values: list[float]) -> dict[str, float]:
    a = np.asarray(values, dtype=float)
    return {"median": float(np.median(a)), "min": float(a.min()), "max": float(a.max()),
            "q25": float(np.quantile(a, 0.25)), "q75": float(np.quantile(a, 0.75))}


def run_faults(preset: str = "nist7x7", seeds: int = 5, steps: int | None = None,
               points: list[FaultPoint] | None = None, overrides: tuple[str, ...] = (),
               with_float: bool = True,
               workers: int = 1, scheduler: str | None = None,
               progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run every point on seeds ``1 .. seeds``; returns the result table (JSON-ready)."""
    from golden_model.studies.executor import run_jobs

    base = apply_overrides(from_preset(preset), list(overrides))
    steps = base.task.steps if steps is None else steps
    points = fault_points() if points is None else points
    seed_list = list(range(1, seeds + 1))
    configs = {(p, s): point_config(base, p, s) for p in points for s in seed_list}  # all checked first
    fixed_jobs = [(to_toml(configs[p, s]), steps) for p in points for s in seed_list]
    float_jobs = ([(to_toml(float_config(configs[p, 1])), seed_list, p.fraction, steps) for p in points]
                  if with_float else [])
    t0 = time.perf_counter()
    n_fixed = len(fixed_jobs)

    def on_result(i: int, _: Any) -> None:
        if progress is not None:
            what = (f"fixed {points[i // seeds].label} seed {seed_list[i % seeds]}" if i < n_fixed
                    else f"float {points[i - n_fixed].label}")
            progress(f"{what} done ({time.perf_counter() - t0:.0f} s)")

    jobs: list[tuple[Callable, Any]] = ([(_fixed_job, j) for j in fixed_jobs]
                                        + [(_float_job, j) for j in float_jobs])
    results = run_jobs(_call, jobs, workers=workers, scheduler=scheduler, on_result=on_result)
    rows = []
    for k, p in enumerate(points):
        cfg = configs[p, 1]
        spec = FixedSpec.from_config(cfg)
        fixed_acc = results[k * seeds:(k + 1) * seeds]
        row: dict[str, Any] = {
            "point": p.label, "kind": p.kind, "bits": p.bits, "shift": p.shift, "fraction": p.fraction,
            "fixed_overrides": p.overrides(), "grad_width": cfg.fixed.grad_width,
            "stuck_params": len(spec.stuck),
            "sigma_lsb": noise_std(p.bits, p.shift),
            "sigma_real": float_sigma(p.bits, p.shift,
                                      spec.cost_fmt.lsb if p.kind == "cost" else spec.theta.lsb),
            "fixed": {"test_accuracy": fixed_acc, **_stats(fixed_acc)},
        }
        if with_float:
            float_acc = results[n_fixed + k]
            row["float"] = {"test_accuracy": float_acc, **_stats(float_acc)}
        rows.append(row)
    fcfg = float_config(configs[points[0], 1])
    return {"preset": preset, "seeds": seed_list, "steps": steps, "overrides": list(overrides),
            "target": base.task.target_accuracy,
            "float_settings": {"delta": fcfg.mgd.delta, "eta": fcfg.mgd.eta, "optimizer": fcfg.mgd.optimizer,
                               "activation": fcfg.network.activation} if with_float else None,
            "table": rows, "wall_time_s": time.perf_counter() - t0}


def _call(job: tuple[Callable, Any]) -> Any:
    fn, arg = job
    return fn(arg)


def _cell(r: dict[str, Any] | None, target: float) -> str:
    """``median [min, max], k/S >= target``."""
    if r is None:
        return "—"
    acc = r["test_accuracy"]
    return (f"{r['median']:.3f} [{r['min']:.3f}, {r['max']:.3f}], "
            f"{sum(a >= target for a in acc)}/{len(acc)}")


def markdown_report(result: dict[str, Any], command: str = "") -> str:
    """The fault table: one row per point, final test accuracy median [min, max] over the seeds."""
    seeds = result["seeds"]
    lines = [f"# Faults: {result['preset']}, {result['steps']:,} steps, seeds {seeds[0]}-{seeds[-1]}", ""]
    if command:
        lines += [f"`{command}`", ""]
    target = result["target"]
    lines += [f"Final test accuracy, median [min, max] over the seeds, and how many seeds end at >= "
              f"{target:g} (the preset's target). σ: standard deviation of one noise "
              "draw, in LSBs of the register it is added to (cost or θ) and in real units (the float model's "
              "Gaussian noise.cost_sigma / noise.update_sigma).", "",
              "| fault | fixed setting | σ (LSB) | σ (real) | fixed model | float model |",
              "| --- | --- | --- | --- | --- | --- |"]
    for r in result["table"]:
        setting = ", ".join(o.removeprefix("fixed.") for o in r["fixed_overrides"]) or "—"
        if r["kind"] == "stuck":
            setting += f" ({r['stuck_params']} parameters)"
        sig = f"{r['sigma_lsb']:.1f}" if r["kind"] in ("cost", "update") else "—"
        sig_r = f"{r['sigma_real']:.3g}" if r["kind"] in ("cost", "update") else "—"
        lines.append(f"| {r['point']} | {setting} | {sig} | {sig_r} | {_cell(r['fixed'], target)} | "
                     f"{_cell(r.get('float'), target)} |")
    fs = result.get("float_settings")
    if fs:
        lines += ["", f"Float model: {fs['optimizer']}, Δθ = {fs['delta']:.4g}, η = {fs['eta']:.4g}, "
                  f"{fs['activation']} on every layer (the fixed section's equivalent, golden_model.bridge)."]
    lines += ["", f"Wall time {result['wall_time_s']:.0f} s."]
    return "\n".join(lines) + "\n"


def plot_faults(result: dict[str, Any], path) -> None:
    """Three panels (cost noise, update noise, stuck fraction): median accuracy with the min-max range."""
    from golden_model.studies.plots import pyplot, save_figure

    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
    base = next((r for r in result["table"] if r["kind"] == "none"), None)
    panels = (("cost", "cost noise σ (real cost units)", "sigma_real", True),
              ("update", "update noise σ per update (real θ units)", "sigma_real", True),
              ("stuck", "stuck fraction of θ", "fraction", False))
    for ax, (kind, xlabel, key, log) in zip(axes, panels):
        rows = [r for r in result["table"] if r["kind"] == kind]
        for model, style in (("fixed", "o-"), ("float", "s--")):
            pts = [(r[key], r[model]) for r in rows if model in r]
            if not pts:
                continue
            x = np.array([p[0] for p in pts])
            med = np.array([p[1]["median"] for p in pts])
            lo = med - np.array([p[1]["min"] for p in pts])
            hi = np.array([p[1]["max"] for p in pts]) - med
            ax.errorbar(x, med, yerr=[lo, hi], fmt=style, capsize=3, label=f"{model} model")
            if base is not None and model in base:
                ax.axhline(base[model]["median"], ls=":", color="C0" if model == "fixed" else "C1", lw=1)
        if log:
            ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("final test accuracy (median, min-max)")
    axes[0].legend()
    fig.suptitle(f"{result['preset']}: {result['steps']:,} steps, {len(result['seeds'])} seeds "
                 "(dotted: no fault)")
    save_figure(fig, path)
