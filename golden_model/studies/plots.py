"""PNG plots (matplotlib, headless, imported only when a plot is made): the learning curves, and the two
helpers every plotting module of the toolkit uses, :func:`pyplot` and :func:`save_figure`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from golden_model.results import TrainResult
from golden_model.validate import atomic_path

__all__ = ["pyplot", "save_figure", "plot_learning_curves"]


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the headless Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: str | Path) -> None:
    """Lay out, write as PNG (120 dpi, atomically: no partial file when interrupted) and close ``fig``."""
    try:
        fig.tight_layout()
        with atomic_path(path, name="plot") as tmp:
            fig.savefig(tmp, dpi=120, format="png")
    finally:
        pyplot().close(fig)


def plot_learning_curves(results: dict[str, TrainResult], path: str | Path) -> None:
    """Cost and test accuracy against step, one line per labelled result (e.g. golden model vs RTL)."""
    fig, (ax_c, ax_a) = pyplot().subplots(1, 2, figsize=(10, 4))
    # later curves dashed and thinner, so that identical curves (golden model vs RTL) both stay visible
    styles = [{"lw": 3.0, "alpha": 0.6}] + [{"lw": 1.2, "ls": "--"}] * max(0, len(results) - 1)
    for (label, r), style in zip(results.items(), styles):
        steps = [p.step for p in r.curve]
        ax_c.plot(steps, [p.cost for p in r.curve], label=label, **style)
        ax_a.plot(steps, [p.test_accuracy for p in r.curve], label=label, **style)
    ax_c.set(xlabel="step", ylabel="mean cost", title="cost")
    ax_c.set_yscale("symlog", linthresh=1e-4)  # the fixed-point cost can reach exactly 0
    ax_a.set(xlabel="step", ylabel="test accuracy", ylim=(0, 1.05), title="accuracy")
    for ax in (ax_c, ax_a):
        ax.grid(alpha=0.3)
        ax.legend()
    save_figure(fig, path)
