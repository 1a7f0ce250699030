"""Design-space exploration, the fixed-model part (``mgd explore``): steps to a task's target accuracy over
seeds for every point of a space of configuration axes.

Ref: issue 12, item 5 ("Find the design point, with the toolkit itself"): hardware time to target = steps ×
cycles per step ÷ Fmax, and the factors depend on each other. This module gives the first factor and
knows nothing of the RTL; ``scripts/flows/explore.py`` adds the cycles per step of the core each point
builds at each lane count, the fit on the part and the Fmax from synthesis.

The space
---------
An axis is one or more configuration fields tied together and the values they take, written
``FIELD[,FIELD...]=V1,V2,...`` (values in TOML syntax, as ``--set`` takes them): ``fixed.eta_shift=5,6,7``
varies one field, ``mgd.tau_x,mgd.tau_theta=1,2,4`` gives τ_x = τ_θ = K (one baseline and one update per
K perturbed passes). The space is the Cartesian product of its axes, applied to the base configuration (a
preset or a file with its ``--set`` overrides). :func:`default_axes` is the space used when none is given:
``fixed.eta_shift`` the base's −1, 0, +1; ``fixed.momentum_shift`` 0 and the base's (or 2 when the base has
none); τ_x = τ_θ ∈ {1, 2}. ``hardware.lanes`` is not an axis here: P does not change the arithmetic (the
folded core is bit-exact with the same model at any P), only the cycles and the Fmax, so the flow varies it
without training again.

Every point's configuration is built and checked before any run (:func:`point_configs`): a value no field
takes is refused with the field, the value and what is allowed, naming the point. The G and LFSR widths
follow each point (:func:`golden_model.studies.scaling.fit_widths`: τ_θ = 2 needs one more G bit, weight
mode an LFSR wide enough for one lane per weight), as the hardware would have to.

Runs and statistics
-------------------
Each (point, seed) trains the fixed model (``mgd.seed`` = 1 … seeds) for the base's ``task.steps``, stopping
at the first evaluation (every ``task.eval_every`` steps) that reaches ``task.target_accuracy``. Per point
(:func:`summarize`): seeds solved, the solve rate, and min / quartiles / median / max of the steps to
target over *all* seeds, an unreached seed counting as more than the budget
(:func:`golden_model.studies.scaling.quantile`): a median that falls on one is ``None``, "not reached".
The runs are seeded by their job, so the table does not depend on the worker count or the scheduler.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from golden_model.config import MGDConfig, _parse_value, apply_overrides, loads_toml, to_toml
from golden_model.errors import MGDError

__all__ = ["ExploreError", "Axis", "parse_axis", "default_axes", "OWN_FIELDS", "point_configs", "one_run",
           "explore_model", "summarize"]

#: fields the study sets itself: an axis or override must not
OWN_FIELDS = ("mgd.seed", "hardware.lanes", "hardware.style")
MAX_POINTS = 10_000
_FORM = "FIELD[,FIELD...]=V1,V2,... such as fixed.eta_shift=5,6,7 or mgd.tau_x,mgd.tau_theta=1,2"


class ExploreError(MGDError):
    """An ``mgd explore`` input that is not allowed (a malformed axis, a point no configuration takes)."""


@dataclass(frozen=True)
class Axis:
    """Fields that take the same value at every point, and the values they take."""

    fields: tuple[str, ...]
    values: tuple[Any, ...]

    @property
    def name(self) -> str:
        return ",".join(self.fields)

    def overrides(self, value: Any) -> list[str]:
        """``--set``-style overrides that give every field of the axis ``value``."""
        text = _toml_value(value)
        return [f"{f}={text}" for f in self.fields]


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def parse_axis(text: str, option: str = "--vary") -> Axis:
    """An :class:`Axis` from ``FIELD[,FIELD...]=V1,V2,...``; :class:`ExploreError` names ``option`` and the
    text when it is malformed, repeats a value or names a field the study sets itself."""
    left, sep, right = text.partition("=")
    fields = tuple(f.strip() for f in left.split(","))
    if not sep or not all(fields) or not all(f.count(".") == 1 and all(f.split(".")) for f in fields):
        raise ExploreError(f"{option} must be {_FORM}, not {text!r}")
    own = [f for f in fields if f in OWN_FIELDS]
    if own:
        raise ExploreError(f"{option} must not vary {', '.join(OWN_FIELDS)} (the study sets them: seeds from "
                           f"--seeds, lanes from --lanes), not {text!r}")
    if len(set(fields)) != len(fields):
        raise ExploreError(f"{option} must name each field once, not {text!r}")
    items = [v.strip() for v in right.split(",")]
    if not all(items):
        raise ExploreError(f"{option} must be {_FORM}, not {text!r} (an empty value)")
    values = tuple(_parse_value(v) for v in items)
    if len(set(map(repr, values))) != len(values):
        raise ExploreError(f"{option} must list each value once, not {text!r}")
    return Axis(fields, values)


def default_axes(config: MGDConfig) -> list[Axis]:
    """The space explored when no axis is given (module docstring): η shift −1/0/+1, momentum off/on,
    τ 1/2."""
    f = config.fixed
    eta = tuple(sorted({max(f.eta_shift - 1, 0), f.eta_shift, f.eta_shift + 1}))
    momentum = tuple(sorted({0, f.momentum_shift or 2}))
    taus = tuple(sorted({1, 2, config.mgd.tau_theta}))
    return [Axis(("fixed.eta_shift",), eta), Axis(("fixed.momentum_shift",), momentum),
            Axis(("mgd.tau_x", "mgd.tau_theta"), taus)]


def _check_axes(axes: Sequence[Axis]) -> None:
    seen: dict[str, str] = {}
    for axis in axes:
        for f in axis.fields:
            if f in seen:
                raise ExploreError(f"--vary must name each field in one axis only, not {f!r} in both "
                                   f"{seen[f]!r} and {axis.name!r}")
            seen[f] = axis.name
    count = math.prod(len(a.values) for a in axes)
    if count > MAX_POINTS:
        raise ExploreError(f"--vary must give at most {MAX_POINTS:,} points, not {count:,} "
                           f"({' x '.join(str(len(a.values)) for a in axes)})")


def point_configs(base: MGDConfig, axes: Sequence[Axis]) -> list[tuple[dict[str, Any], MGDConfig]]:
    """Every point of the space as ``(values, config)``: ``values`` maps each axis name to its value, and
    ``config`` is the base with the point's overrides and its widths fitted (module docstring). Raises
    :class:`ExploreError` naming the point when a configuration refuses it (nothing has run)."""
    from golden_model.fixed_network import FixedSpec
    from golden_model.studies.scaling import fit_widths

    _check_axes(axes)
    out = []
    for combo in itertools.product(*(a.values for a in axes)):
        values = {a.name: v for a, v in zip(axes, combo)}
        overrides = [o for a, v in zip(axes, combo) for o in a.overrides(v)]
        try:
            cfg = fit_widths(apply_overrides(base, overrides))
            FixedSpec.from_config(cfg)
        except (MGDError, ValueError) as exc:
            point = ", ".join(f"{k}={_toml_value(v)}" for k, v in values.items())
            raise ExploreError(f"--vary point {point} is not a configuration the model takes: "
                               f"{exc}") from None
        out.append((values, cfg))
    return out


def one_run(job: tuple[int, str, int]) -> dict[str, Any]:
    """Train ``(point index, config TOML, seed)`` with the fixed model to the target or the budget; module
    level so that worker processes can run it."""
    from golden_model.fixed_mgd import train

    index, text, seed = job
    cfg = apply_overrides(loads_toml(text), [f"mgd.seed={seed}"])
    r = train(cfg, progress=False, stop_at_target=True)
    return {"point": index, "seed": seed, "steps_to_target": r.steps_to_target, "steps_run": r.steps,
            "final_test_accuracy": r.final.test_accuracy,
            "best_test_accuracy": max(p.test_accuracy for p in r.curve), "wall_s": round(r.wall_time_s, 3)}


def summarize(values: dict[str, Any], cfg: MGDConfig, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The statistics of one point over its seeds (module docstring)."""
    from golden_model.studies.scaling import step_statistics

    steps = [r["steps_to_target"] for r in runs]
    return {
        "values": values, "perturbation": cfg.mgd.perturbation,
        "taus": {"tau_x": cfg.mgd.tau_x, "tau_p": cfg.mgd.tau_p, "tau_theta": cfg.mgd.tau_theta},
        "grad_width": cfg.fixed.grad_width, "lfsr_width": cfg.fixed.lfsr_width,
        "target": cfg.task.target_accuracy, "budget": cfg.task.steps, "seeds": len(runs), "steps_to": steps,
        **step_statistics(steps),
        "mean_final_test_accuracy": sum(r["final_test_accuracy"] for r in runs) / len(runs),
        "config": to_toml(cfg),
    }


def explore_model(base: MGDConfig, axes: Sequence[Axis], seeds: int = 10, *, workers: int = 2,
                  scheduler: str | None = None,
                  progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train every (point, seed) of the space with the fixed model.

    Returns
    -------
    dict
        ``axes`` (name -> values), ``points`` (one :func:`summarize` row per point, in the order of the
        product), ``runs`` (every run) and ``wall_time_s``.
    """
    from golden_model.studies.executor import run_jobs

    points = point_configs(base, axes)
    jobs = [(i, to_toml(cfg), s) for i, (_, cfg) in enumerate(points) for s in range(1, seeds + 1)]
    t0 = time.perf_counter()

    def report(_: int, row: dict[str, Any]) -> None:
        if progress is not None:
            hit = row["steps_to_target"]
            progress(f"point {row['point']} {points[row['point']][0]} seed {row['seed']}: "
                     + (f"target at {hit:,}" if hit is not None else f"not within {row['steps_run']:,}")
                     + f" ({row['wall_s']:.1f} s)")

    runs = run_jobs(one_run, jobs, workers=workers, scheduler=scheduler, on_result=report)
    table = [summarize(values, cfg, [r for r in runs if r["point"] == i])
             for i, (values, cfg) in enumerate(points)]
    return {"axes": {a.name: list(a.values) for a in axes}, "points": table, "runs": runs,
            "wall_time_s": time.perf_counter() - t0}
