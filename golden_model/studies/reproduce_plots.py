"""PNG figures of the reproduction (:mod:`golden_model.studies.reproduce`); matplotlib is imported lazily,
headless."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from golden_model.studies.plots import pyplot as _plt
from golden_model.studies.plots import save_figure

__all__ = ["plot_all"]


def plot_gradient_quality(gq: dict[str, Any], path: Path) -> None:
    plt = _plt()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for r in gq["networks"]:
        line, = ax.plot(r["T"], r["cos_mean"], "o", ms=3,
                        label=f"N={r['N']} ({'-'.join(map(str, r['layers']))})")
        ax.plot(r["T"], r["theory"], "-", color=line.get_color(), lw=1)
    ax.axhline(gq["cos_target"], color="grey", ls=":", lw=1)
    ax.set(xscale="log", xlabel="τ_θ = integration steps T", ylabel="cos(G, ∇C)",
           title="MGD gradient estimate (dots) vs √(T/(T+N−1)) (lines)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    Ns = [r["N"] for r in gq["networks"] if r["T_star"] is not None]
    Ts = [r["T_star"] for r in gq["networks"] if r["T_star"] is not None]
    ax2.plot(Ns, Ts, "o", label="measured")
    f = gq["fit"]
    xs = [min(Ns), max(Ns)]
    ax2.plot(xs, [f["slope"] * x + f["intercept"] for x in xs], "-",
             label=f"fit {f['slope']:.2f}·N {f['intercept']:+.0f} (R²={f['r2']:.4f})")
    ax2.plot(xs, [f["slope_theory"] * (x - 1) for x in xs], "--", label="theory")
    ax2.set(xscale="log", yscale="log", xlabel="N (perturbation parameters)",
            ylabel=f"τ_θ for cos ≥ {gq['cos_target']}", title="time to estimate the gradient")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3)
    save_figure(fig, path)


def plot_width_scaling(ws: dict[str, Any], path: Path) -> None:
    plt = _plt()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    styles = {"weight": "o-", "node": "s--"}
    for mode in ("weight", "node"):
        rows = [r for r in ws["rows"] if r["perturbation"] == mode]
        for t in ws["targets"]:
            pts = [(r["width"], r["reach"][f"{t:g}"]["median_steps"]) for r in rows
                   if r["reach"][f"{t:g}"]["median_steps"] is not None]
            if pts:
                ax.plot(*zip(*pts), styles[mode], label=f"{mode}, {t:.0%}")
        ax2.plot([r["width"] for r in rows], [sum(r["final_test_accuracy"]) / len(r["final_test_accuracy"])
                                              for r in rows], styles[mode], label=mode)
    ax.set(xscale="log", yscale="log", xlabel="hidden width h (49-h-4)", ylabel="median steps to target",
           title="NIST7x7: time to target vs width (missing: not reached)")
    ax2.set(xscale="log", xlabel="hidden width h", ylabel="test accuracy at end of run",
            title=f"accuracy after at most {ws['steps']} steps")
    for a in (ax, ax2):
        if a.get_legend_handles_labels()[0]:
            a.legend(fontsize=7)
        a.grid(alpha=0.3)
    save_figure(fig, path)


def plot_backprop_comparison(bp: dict[str, Any], path: Path) -> None:
    plt = _plt()
    rows = bp["rows"]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    xs = range(len(rows))
    ax.bar([x - 0.2 for x in xs], [r["mgd"]["mean"] for r in rows], 0.4,
           yerr=[r["mgd"]["std"] for r in rows], label="MGD")
    ax.bar([x + 0.2 for x in xs], [r["backprop"]["mean"] for r in rows], 0.4,
           yerr=[r["backprop"]["std"] for r in rows], label="backprop")
    ax.set_xticks(list(xs), [f"{r['task']}\n{r['optimizer']}" for r in rows], fontsize=8)
    ax.set(ylim=(0, 1.18), ylabel="final test accuracy", title="MGD vs backprop, same network and η")
    ax.legend(loc="upper center", ncol=2)
    ax.grid(alpha=0.3, axis="y")
    save_figure(fig, path)


def plot_all(results: dict[str, Any], out: Path) -> None:
    """Write every figure whose section is present in ``results``."""
    if "gradient_quality" in results:
        plot_gradient_quality(results["gradient_quality"], out / "gradient_quality.png")
    if "width_scaling" in results:
        plot_width_scaling(results["width_scaling"], out / "width_scaling.png")
    if "backprop_comparison" in results:
        plot_backprop_comparison(results["backprop_comparison"], out / "backprop_comparison.png")
