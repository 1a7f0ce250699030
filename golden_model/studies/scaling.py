"""The seed's scaling question in the fixed-point model: steps to a target NIST7x7 test accuracy vs the hidden
width, weight vs node perturbation.

Ref: ``shared/design/MGD.md`` ("Multiplexing": the gradient estimate needs T ∝ N steps; the seed's finding
that time to a target *accuracy* does not follow that), ``shared/design/FOLDED.md`` ("What fast means
here"). ``mgd scaling`` (``scripts/cmd_scaling.py``, ``scripts/flows/scaling.py``) adds the folded core's
cycles per step and an Fmax to turn the steps into hardware time; this module knows nothing of the RTL.

Configurations
--------------
The ``nist7x7`` preset with ``network.layers = [49, h, 4]``, ``mgd.perturbation = weight | node`` and
``mgd.seed = s`` (initial θ and perturbation signs; the data set is the preset's, ``task.data_seed = 0``),
``mgd.optimizer = sgd`` (what the fixed model runs anyway; the preset's Adam is float-only). τ's stay 1.
Per mode (:data:`MODE_SETTINGS`):

* node mode keeps the preset's fixed section (``amplitude_shift = 4``, ``eta_shift = 5``);
* weight mode keeps the preset's formats but takes ``amplitude_shift = 6``, ``eta_shift = 7`` (search
  below) and a larger step budget (weight mode on NIST7x7 trains far slower: the float model never reached
  80 % in 40k steps, ``mgd reproduce`` section (b)).

Two widths follow the network so that the hardware can run it, never narrower than the preset's:
``fixed.grad_width`` is at least :meth:`FixedSpec.min_grad_width` (20 bits here: τ_θ = 1) and
``fixed.lfsr_width`` is the narrowest width that keeps the sign lanes (one per parameter in weight mode:
3,460 at h = 64) ``golden_model.lfsr.MIN_SPACING`` steps apart (16 bits up to h = 16, 17 at h = 32, 18 at
h = 64; node mode stays at 16).

Each run evaluates the unperturbed network every :data:`EVAL_EVERY` steps (``golden_model.fixed_mgd.train``),
records the first evaluated step at which the test accuracy reaches each of :data:`TARGETS`, and stops at
the last target or at the mode's budget; a target not reached is recorded as not reached within the
budget (``None``), never dropped. Statistics over seeds (:func:`summarize`) count such a seed as "more
than the budget": a quantile that falls on one is ``None`` (not reached), so the median is a real
median over all seeds, and ``solved``/``solve_rate`` say how many seeds reached the target.

Weight-mode shifts: the search
------------------------------
A weight moves ``2**(C_f − T_f − k_η)`` real units per unit of ``s·Ĉ`` (``golden_model.bridge``) and
``Ĉ ≈ 2**-k_p · s·∇C``, so the effective learning rate ``2**(C_f − T_f − k_p − k_η)`` (here
``2**(4 − k_p − k_η)``) is set by ``k_p + k_η``, while ``k_p`` alone sets the probe size. With τ_θ = 1 an
update is ``round(s·Ĉ ≫ k_η)``: nothing moves while ``|Ĉ| < 2**(k_η−1)`` cost LSBs, i.e. while the
gradient norm is below about ``2**(k_p + k_η − 17)``, so a smaller rate also means an earlier stall.
Seeds 1 and 2 (steps to 80 % / 90 % test accuracy, "—" = not reached, in brackets the best accuracy):

1. budget 60k, h ∈ {16, 64}, ``k_p`` ∈ {4, 5, 6} × ``k_η`` ∈ {4 … 8}: no pair reached 90 %; only (5, 7) and
   (6, 6) at h = 16 reached 80 % (one seed each, at 60k and 55.5k). Best accuracy on the diagonal
   ``k_p + k_η`` = 12 (h = 16: 0.77–0.81) to 13 (h = 64: 0.76–0.78); at ``k_p + k_η`` ≤ 10 the step is too
   large for the noise of N weight lanes (0.35–0.6 at h = 64).
2. budget 300k for (5, ·) and (6, 6), 400k for the others; ``k_p + k_η`` = 11 … 15::

     k_p, k_η  h = 4          h = 8             h = 16            h = 32            h = 64
     5, 6      161k/— 71k/—                     221k/— 101k/—                       —/—  —/—  (0.57)
     5, 7      96k/—  76k/—                     65k/117k 60k/171k                   —/—  —/—  (0.74)
     5, 8      202k/— 119k/—                    73k/155k 82k/178k                   80k/— 63k/—
     6, 6      103k/— 83k/—                     66k/87k  56k/93k                    —/—  —/—  (0.75)
     6, 7      174k/— 87k/—   96k/206k 100k/167k 96k/143k 77k/169k 59k/153k 56k/96k  87k/275k 69k/325k
     6, 8                     143k/— 151k/322k  143k/224k 177k/330k 94k/148k 96k/181k 86k/196k 76k/152k
     7, 7      236k/— 189k/399k 143k/393k 159k/289k 163k/221k 167k/335k 92k/179k 76k/137k 86k/156k 64k/131k
     7, 8                                       258k/— 274k/—                       125k/266k 114k/249k

   Pairs with ``k_p + k_η`` = 12 are the fastest at h ≤ 16 but stall at h = 64 (best 0.74–0.75); 14 is the
   fastest to 90 % at h = 64 but 1.5–2× slower at h ≤ 16. (6, 7), on the diagonal 13, is the compromise:
   80 % on both seeds at every width (the fastest pair at h = 8 and 32; at most 1.8× (h = 4, one seed),
   1.5× (h = 16) and 1.1× (h = 64) slower than the fastest there), 90 % on both seeds at h = 8 … 64 (the
   fastest at h = 8 and 32; 1.6–1.8× slower than (6, 6) at h = 16, 2× slower than (7, 7) at h = 64); at
   h = 4 no pair reaches 90 % reliably (49-4-4 in weight mode stalls at 0.85–0.90 test accuracy).

Shifts are fixed across widths, as the node mode's are: the question is how steps to target scale with the
network at the same hardware settings. Weight-mode budget: 500k steps (a run that reached 90 % took at
most 335k steps above). Node mode with the preset's shifts reached 90 % within 15k–56k steps at every
width (seeds 1, 2, 18-bit LFSRs); its budget is 150k.

Node mode at the preset's shifts, over seeds 1–10 (the study, 16-bit LFSRs), loses seeds at h ≥ 32: 5/10
(h = 32) and 4/10 (h = 64) reach 80 %, the others end at 0.50, 0.67 or 0.75 test accuracy, i.e. with one or
two output classes never predicted (output units driven into the hard sigmoid's flat zero, as the
``digits`` preset notes for eta_shift 5; the step an output's pre-activation takes grows with its fan-in h).
A side check (``--set fixed.eta_shift=6`` / ``7``, not the default, which keeps the preset as asked): with 6,
80 % on 10/10 seeds at h = 4, 16, 32 and 8/10 at h = 64 (median steps to 90 %: 42k, 22k, 19k, 22k); with 7,
9–10/10 everywhere (63k, 42k, 39k, 33k).

API
---
:func:`scaling_config`, :func:`scaling_study` (runs in a process pool, seeded and deterministic: the same
runs and table for any worker count), :func:`summarize`, :func:`quantile`, :func:`markdown_table`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from golden_model.config import MGDConfig, apply_overrides, from_preset

__all__ = ["HIDDEN", "MODES", "TARGETS", "EVAL_EVERY", "MODE_SETTINGS", "scaling_config", "fit_widths",
           "lfsr_width_for", "step_statistics",
           "one_run", "scaling_study", "summarize", "quantile", "markdown_table"]

HIDDEN = (4, 8, 16, 32, 64)
MODES = ("weight", "node")
TARGETS = (0.8, 0.9)
EVAL_EVERY = 500
PRESET = "nist7x7"

# mode -> fixed-section overrides (on top of the preset's) and step budget; see the module docstring.
MODE_SETTINGS: dict[str, dict[str, Any]] = {
    "weight": {"overrides": ("fixed.amplitude_shift=6", "fixed.eta_shift=7"), "budget": 500_000},
    "node": {"overrides": (), "budget": 150_000},
}


def lfsr_width_for(lanes: int, at_least: int) -> int:
    """The narrowest LFSR width ``>= at_least`` whose m-sequence keeps ``lanes`` sign lanes
    :data:`golden_model.lfsr.MIN_SPACING` steps apart (the check of ``rtl.spec.hardware_spec``)."""
    from golden_model.lfsr import MIN_SPACING, TAPS

    for width in sorted(TAPS):
        if width >= at_least and (lanes <= 1 or ((1 << width) - 1) // lanes >= MIN_SPACING):
            return width
    raise ValueError(f"no LFSR width keeps {lanes} lanes {MIN_SPACING} steps apart")


def scaling_config(hidden: int, mode: str, seed: int, *, budget: int | None = None,
                   eval_every: int = EVAL_EVERY, target: float = max(TARGETS),
                   overrides: Sequence[str] = ()) -> MGDConfig:
    """The configuration of one run: ``nist7x7`` at ``[49, hidden, 4]`` in ``mode``, ``mgd.seed = seed``.

    Parameters
    ----------
    hidden : int
        Hidden-layer width h.
    mode : {"weight", "node"}
    seed : int
        ``mgd.seed``.
    budget : int, optional
        ``task.steps``; default the mode's budget in :data:`MODE_SETTINGS`.
    eval_every : int
        ``task.eval_every``.
    target : float
        ``task.target_accuracy``, where a run stops (the last of :data:`TARGETS`).
    overrides : sequence of str
        Further ``section.field=value`` overrides, applied after the mode's.

    Returns
    -------
    MGDConfig
        With ``fixed.grad_width`` and ``fixed.lfsr_width`` widened where the network needs it (never
        narrowed below the preset's).
    """
    if mode not in MODE_SETTINGS:
        raise ValueError(f"mode must be one of {', '.join(map(repr, MODE_SETTINGS))}, not {mode!r}")
    settings = MODE_SETTINGS[mode]
    steps = settings["budget"] if budget is None else budget
    config = apply_overrides(from_preset(PRESET), [
        f"network.layers=[49, {hidden}, 4]", f"mgd.perturbation={mode}", f"mgd.seed={seed}",
        "mgd.optimizer=sgd", f"task.steps={steps}", f"task.eval_every={eval_every}",
        f"task.target_accuracy={target}", *settings["overrides"], *overrides])
    return fit_widths(config)


def fit_widths(config: MGDConfig) -> MGDConfig:
    """``config`` with ``fixed.lfsr_width`` and ``fixed.grad_width`` widened, where they are too narrow,
    to what the hardware needs for its network, mode and τ_θ (never narrowed): the narrowest LFSR width that
    keeps its sign lanes (weights in weight mode, neurons in node mode) apart (:func:`lfsr_width_for`) and
    the fewest G bits that cannot overflow within τ_θ steps (:meth:`FixedSpec.min_grad_width`)."""
    from golden_model.fixed_network import FixedSpec

    lanes = config.network.n_weights if config.mgd.perturbation == "weight" else config.network.n_neurons
    fixed = dataclasses.replace(config.fixed, lfsr_width=lfsr_width_for(lanes, config.fixed.lfsr_width))
    config = config.replace(fixed=fixed)
    grad = max(config.fixed.grad_width, FixedSpec.min_grad_width(config))
    return config.replace(fixed=dataclasses.replace(config.fixed, grad_width=grad))


def one_run(job: tuple[int, str, int, int, int, tuple[float, ...], tuple[str, ...]]) -> dict[str, Any]:
    """Train one ``(hidden, mode, seed, budget, eval_every, targets, overrides)`` with the fixed model and
    return its row; module level so that worker processes can run it."""
    from golden_model.fixed_mgd import train

    hidden, mode, seed, budget, eval_every, targets, overrides = job
    cfg = scaling_config(hidden, mode, seed, budget=budget, eval_every=eval_every, target=max(targets),
                         overrides=overrides)
    r = train(cfg, progress=False, stop_at_target=True)
    reach = {}
    for t in targets:
        hit = next((p.step for p in r.curve if p.test_accuracy >= t), None)
        reach[f"{t:g}"] = hit
    f = cfg.fixed
    return {
        "hidden": hidden, "mode": mode, "seed": seed, "layers": list(cfg.network.layers),
        "n_params": cfg.network.n_weights,
        "n_perturbation": cfg.network.n_weights if mode == "weight" else cfg.network.n_neurons,
        "amplitude_shift": f.amplitude_shift, "eta_shift": f.eta_shift, "grad_width": f.grad_width,
        "lfsr_width": f.lfsr_width, "budget": budget, "eval_every": eval_every,
        "steps_to": reach, "steps_run": r.steps,
        "final_test_accuracy": r.final.test_accuracy,
        "best_test_accuracy": max(p.test_accuracy for p in r.curve),
        "wall_s": round(r.wall_time_s, 3),
    }


def _describe_run(row: dict[str, Any]) -> str:
    parts = [f"{t:.0%} at {s}" if s is not None else f"{t:.0%} not within {row['budget']}"
             for t, s in ((float(k), v) for k, v in row["steps_to"].items())]
    return (f"{row['mode']} h={row['hidden']} seed {row['seed']}: " + ", ".join(parts)
            + f" (test acc {row['final_test_accuracy']:.3f}, {row['wall_s']:.1f} s)")


def scaling_study(hidden: Sequence[int] = HIDDEN, modes: Sequence[str] = MODES, seeds: int = 10, *,
                  workers: int = 2, budgets: dict[str, int] | None = None, eval_every: int = EVAL_EVERY,
                  targets: Sequence[float] = TARGETS, overrides: Sequence[str] = (),
                  progress: Callable[[str], None] | None = None,
                  scheduler: str | None = None) -> dict[str, Any]:
    """Train every (mode, h, seed) with the fixed model; ``seeds`` are ``mgd.seed = 1 .. seeds``.

    Parameters
    ----------
    hidden, modes : sequences
        Hidden widths and perturbation modes.
    seeds : int
        Seeds per (mode, h).
    workers : int
        Worker processes (1: run in this process). The result does not depend on it.
    budgets : dict, optional
        mode -> step budget; default :data:`MODE_SETTINGS`.
    eval_every : int
        Steps between evaluations (the resolution of steps to target).
    targets : sequence of float
        Test accuracies; a run stops at the largest.
    overrides : sequence of str
        Extra config overrides for every run (after the mode's).
    progress : callable, optional
        Called with one line per finished run (in this process).
    scheduler : str, optional
        Address of a Dask scheduler whose workers run the jobs instead of ``workers`` local processes
        (:mod:`golden_model.studies.executor`). The result does not depend on it either.

    Returns
    -------
    dict
        ``settings`` (what was run), ``runs`` (one row per run, sorted by mode, h, seed; see
        :func:`one_run`), ``table`` (:func:`summarize`) and ``wall_time_s``.
    """
    from golden_model.studies.executor import run_jobs

    targets = tuple(sorted(float(t) for t in targets))
    budget_of = {m: (budgets or {}).get(m, MODE_SETTINGS[m]["budget"]) for m in modes}
    jobs = [(h, m, s, budget_of[m], eval_every, targets, tuple(overrides))
            for m in modes for h in hidden for s in range(1, seeds + 1)]
    # longest first (weight mode, wide networks) so that the workers finish together
    order = sorted(jobs, key=lambda j: (j[1] != "weight", -j[0], j[2]))
    t0 = time.perf_counter()
    rows = run_jobs(one_run, order, workers=workers, scheduler=scheduler,
                    on_result=None if progress is None else lambda i, row: progress(_describe_run(row)))
    rank = {(j[1], j[0], j[2]): i for i, j in enumerate(jobs)}
    rows.sort(key=lambda r: rank[(r["mode"], r["hidden"], r["seed"])])
    settings = {
        "preset": PRESET, "hidden": list(hidden), "modes": list(modes), "seeds": list(range(1, seeds + 1)),
        "targets": list(targets), "eval_every": eval_every, "budgets": budget_of,
        "mode_overrides": {m: list(MODE_SETTINGS[m]["overrides"]) for m in modes},
        "overrides": list(overrides), "workers": workers, "scheduler": scheduler,
    }
    return {"settings": settings, "runs": rows, "table": summarize(rows, targets),
            "wall_time_s": time.perf_counter() - t0}


def quantile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile of ``values`` (NumPy's default linear interpolation between order statistics),
    where ``math.inf`` stands for "not reached within the budget"; ``None`` when the quantile involves one
    (it is then only known to exceed the budget)."""
    v = sorted(values)
    if not v:
        return None
    pos = q * (len(v) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    if math.isinf(v[hi]):
        return None
    return float(v[lo] + (pos - lo) * (v[hi] - v[lo]))


def step_statistics(steps: Sequence[int | None]) -> dict[str, Any]:
    """Statistics of steps to a target over seeds (``None``: not reached within the budget, counted as more
    than it): ``solved``, ``solve_rate``, ``min``, ``q1``, ``median``, ``q3``, ``max`` over *all* seeds (a
    statistic that falls on an unreached seed is ``None``) and ``median_solved`` (over the solved ones)."""
    vals = [math.inf if s is None else float(s) for s in steps]
    solved = sorted(v for v in vals if not math.isinf(v))
    return {"solved": len(solved), "solve_rate": len(solved) / len(vals),
            "min": quantile(vals, 0.0), "q1": quantile(vals, 0.25), "median": quantile(vals, 0.5),
            "q3": quantile(vals, 0.75), "max": quantile(vals, 1.0), "median_solved": quantile(solved, 0.5)}


def summarize(runs: list[dict[str, Any]], targets: Sequence[float] = TARGETS) -> list[dict[str, Any]]:
    """One row per (mode, h, target): seeds, ``solved`` and ``solve_rate``, and ``min``, ``q1``,
    ``median``, ``q3``, ``max`` of the steps to the target over *all* seeds (unreached seeds count as more
    than the budget, so a statistic that falls on one is ``None``: not reached), ``median_solved`` (over
    the seeds that reached it only), mean final test accuracy."""
    out = []
    for mode, hidden in dict.fromkeys((r["mode"], r["hidden"]) for r in runs):
        mine = [r for r in runs if (r["mode"], r["hidden"]) == (mode, hidden)]
        first = mine[0]
        for t in targets:
            key = f"{float(t):g}"
            steps = [r["steps_to"][key] for r in mine]
            out.append({
                "mode": mode, "hidden": hidden, "target": float(t), "layers": first["layers"],
                "n_params": first["n_params"], "n_perturbation": first["n_perturbation"],
                "amplitude_shift": first["amplitude_shift"], "eta_shift": first["eta_shift"],
                "budget": first["budget"], "seeds": len(mine), **step_statistics(steps),
                "steps_to": steps,
                "mean_final_test_accuracy": sum(r["final_test_accuracy"] for r in mine) / len(mine),
            })
    return out


def _steps(v: float | None, budget: int) -> str:
    return f"> {budget:,}" if v is None else f"{v:,.0f}"


def markdown_table(table: list[dict[str, Any]]) -> list[str]:
    """The fixed-model part of the table as Markdown lines (one row per mode, h, target)."""
    lines = ["| mode | h | parameters | perturbed | target | solved | median steps | quartiles | min–max |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for r in table:
        b = r["budget"]
        lines.append(f"| {r['mode']} | {r['hidden']} | {r['n_params']:,} | {r['n_perturbation']:,} | "
                     f"{r['target']:.0%} | {r['solved']}/{r['seeds']} | {_steps(r['median'], b)} | "
                     f"{_steps(r['q1'], b)} – {_steps(r['q3'], b)} | "
                     f"{_steps(r['min'], b)} – {_steps(r['max'], b)} |")
    return lines
