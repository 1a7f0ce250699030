"""What a training run returns, whatever the backend (float, fixed, rtl): one record, written as JSON."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from golden_model.config import MGDConfig
from golden_model.validate import write_json

__all__ = ["CurvePoint", "TrainResult"]


@dataclass(frozen=True)
class CurvePoint:
    """One evaluation during training: the step it was taken after, mean cost and accuracies."""

    step: int
    cost: float
    train_accuracy: float
    test_accuracy: float


@dataclass
class TrainResult:
    """A finished training run.

    ``steps_to_target`` is the first evaluated step at which the test accuracy reached
    ``config.task.target_accuracy`` (``None`` if it never did).
    """

    backend: str
    config: MGDConfig
    steps: int
    wall_time_s: float
    curve: list[CurvePoint] = field(default_factory=list)
    steps_to_target: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def final(self) -> CurvePoint:
        return self.curve[-1]

    @property
    def reached_target(self) -> bool:
        return self.steps_to_target is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "steps": self.steps,
            "wall_time_s": self.wall_time_s,
            "steps_per_s": self.steps / self.wall_time_s if self.wall_time_s > 0 else None,
            "final": dataclasses.asdict(self.final) if self.curve else None,
            "target_accuracy": self.config.task.target_accuracy,
            "steps_to_target": self.steps_to_target,
            "curve": [dataclasses.asdict(p) for p in self.curve],
            "extra": self.extra,
            "config": self.config.to_dict(),
        }

    def write_json(self, path: str | Path) -> None:
        write_json(path, self.to_dict(), name="result")
