"""PNG plots written by the command line (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from golden_model.results import TrainResult  # noqa: E402

__all__ = ["plot_learning_curves"]


def plot_learning_curves(results: dict[str, TrainResult], path: str | Path) -> None:
    """Cost and test accuracy against step, one line per labelled result (e.g. golden model vs RTL)."""
    fig, (ax_c, ax_a) = plt.subplots(1, 2, figsize=(10, 4))
    for label, r in results.items():
        steps = [p.step for p in r.curve]
        ax_c.plot(steps, [p.cost for p in r.curve], label=label)
        ax_a.plot(steps, [p.test_accuracy for p in r.curve], label=label)
    ax_c.set(xlabel="step", ylabel="mean cost", yscale="log", title="cost")
    ax_a.set(xlabel="step", ylabel="test accuracy", ylim=(0, 1.05), title="accuracy")
    for ax in (ax_c, ax_a):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
