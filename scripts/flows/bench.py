"""Hardware-side benchmarks (``mgd bench`` sections ``cosim`` and ``synth``)
and the MGD-vs-backprop comparison
(``mgd compare``).

Ref: ``shared/design/ARCHITECTURE.md`` ("Figures the toolkit must report": cycles per MGD step vs the ideal,
resource use and Fmax per target, hardware time to reach the target accuracy, simulation throughput per
simulator, accuracy vs a backprop reference on the same network); issue 6, items 3 and 4.

These are measurements, not assertions: every function returns the figures with the configuration that
produced them.

* :func:`cosim_throughput`: cycles/s and steps/s of the core in ``amaranth.sim`` (the Python simulator driving
  :class:`rtl.spatial.core.MGDCore` directly, free-running: one ``start`` then the testbench sleeps until
  ``busy`` falls), in Icarus and in Verilator (checked at every update and free-running,
  :func:`testbench.cosim.run_cosim`),
  and the measured cycles per step against the ideal schedule ``(T + 1 + L) / T`` for τ_x = τ_θ = T.
* :func:`model_over_rtl`: the fixed-point golden model's speed over the fastest RTL simulation of the same
  run, from the ``fixed`` and ``cosim`` figures.
* :func:`synth_per_target`: synthesis wall time, LUT/FF/DSP/Fmax of the XOR core per target; a design that
  does not fit is reported as such.
* :func:`compare`: for XOR, 4-bit parity, NIST7x7 and digits (the presets, each in its own style and for
  its own part; see :data:`COMPARE_TASKS`), run the main job (:func:`scripts.flows.run.main_job`: RTL in
  Verilator bit-exact at every update, synthesis, compiled (Numba) and scikit-learn backprop) and the fixed
  model over ``model_seeds`` seeds (steps to target: median and solve rate,
  :func:`golden_model.studies.explore.explore_model`), and tabulate hardware time to the target accuracy
  next to both backprop references' CPU wall time, with the ratio to the faster of the two.
"""

from __future__ import annotations

import platform
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from golden_model.config import MGDConfig, apply_overrides, from_preset
from golden_model.errors import MGDError
from golden_model.validate import write_json, write_text

__all__ = ["COMPARE_TASKS", "COSIM_CASES", "DEFAULT_COMPARE_TASKS", "CompareError", "amaranth_throughput",
           "compare", "cosim_throughput", "model_over_rtl", "synth_per_target"]

# name -> (preset, overrides); the cores whose simulation throughput ``mgd bench --only cosim`` measures.
COSIM_CASES: dict[str, tuple[str, list[str]]] = {
    "xor 2-2-1 weight": ("xor", ["mgd.perturbation=weight"]),
    "parity4 4-8-1 weight": ("parity4", ["mgd.perturbation=weight"]),
    "digits 64-32-10 node, folded P = 32": ("digits", []),  # the digits preset's own core
}

# name -> (preset, overrides); the tasks of ``mgd compare``: each preset as it is, in its own hardware style
# (xor and parity4 spatial; nist7x7 49-16-4 and digits 64-32-10 folded, P = 20 and 32) and for its own part
# (``hardware.target``) unless ``--target`` says otherwise.
COMPARE_TASKS: dict[str, tuple[str, list[str]]] = {
    "xor": ("xor", []),
    "parity4": ("parity4", []),
    "nist7x7": ("nist7x7", []),
    "digits": ("digits", []),
}
# what ``mgd compare`` runs without --task
DEFAULT_COMPARE_TASKS: tuple[str, ...] = ("xor", "parity4", "nist7x7", "digits")


class CompareError(MGDError):
    """A ``mgd compare`` argument that is not allowed."""


def _config(preset: str, overrides: Sequence[str]) -> MGDConfig:
    return apply_overrides(from_preset(preset), list(overrides))


def _describe(config: MGDConfig) -> str:
    m = config.mgd
    return (f"{config.task.dataset} {'-'.join(map(str, config.network.layers))} "
            f"{m.perturbation} perturbation, "
            f"tau_x={m.tau_x} tau_p={m.tau_p} tau_theta={m.tau_theta}, seed {m.seed}")


# ----------------------------------------------------------------------------------------------- cosim


def amaranth_throughput(config: MGDConfig, steps: int) -> dict[str, Any]:
    """Run ``steps`` MGD steps of ``config``'s core in ``amaranth.sim``, free-running.

    The testbench starts the core once with ``n_steps = steps`` and then waits for ``busy`` to change
    (``ctx.changed``), so no Python code runs per clock besides the simulator's own.

    Parameters
    ----------
    config : MGDConfig
        Configuration the core is built from (must fit the spatial core).
    steps : int
        MGD steps to run (>= 1).

    Returns
    -------
    dict
        ``steps``, ``style``, ``cycles`` (the core's own busy-cycle counter), ``cycles_per_step``,
        ``schedule_cycles_per_step`` (the core's :meth:`~rtl.contract.MGDCoreBase.cycles`), ``seconds``,
        ``steps_per_s``, ``cycles_per_s`` and ``elaborate_s`` (building the simulation, not in ``seconds``).
    """
    from amaranth.sim import Simulator

    from rtl.cores import build_core

    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise CompareError(f"steps must be an integer >= 1, not {steps!r}")
    t0 = time.perf_counter()
    core = build_core(config)
    spec = core.spec
    sim = Simulator(core)
    sim.add_clock(1e-6)
    out: dict[str, Any] = {}
    ctrl, status = core.ctrl, core.status

    async def bench(ctx: Any) -> None:
        ctx.set(ctrl.tau_x, spec.tau_x)
        ctx.set(ctrl.tau_p, spec.tau_p)
        ctx.set(ctrl.tau_theta, spec.tau_theta)
        ctx.set(ctrl.n_steps, steps)
        ctx.set(ctrl.start, 1)
        await ctx.tick()
        ctx.set(ctrl.start, 0)
        t_run = time.perf_counter()
        while ctx.get(status.busy):
            await ctx.changed(status.busy)
        out["seconds"] = time.perf_counter() - t_run
        out["step"] = ctx.get(status.step)
        out["cycles"] = ctx.get(status.cycles)

    sim.add_testbench(bench)
    elaborate_s = time.perf_counter() - t0
    sim.run()
    if out.get("step") != steps:
        raise CompareError(f"amaranth.sim: the core stopped at step {out.get('step')}, not {steps}")
    sec = out["seconds"]
    m = config.mgd
    return {"steps": steps, "style": core.style, "cycles": out["cycles"],
            "cycles_per_step": out["cycles"] / steps,
            "schedule_cycles_per_step": core.cycles(0, steps, m.tau_x, m.tau_p, m.tau_theta) / steps,
            "seconds": round(sec, 3), "steps_per_s": round(steps / sec, 1),
            "cycles_per_s": round(out["cycles"] / sec, 1), "elaborate_s": round(elaborate_s, 2)}


def _wide_enough(config: MGDConfig) -> MGDConfig:
    """``config`` with ``fixed.grad_width`` widened to what its τ_θ needs
    (:meth:`golden_model.fixed_network.FixedSpec.min_grad_width`), if it is narrower."""
    from golden_model.fixed_network import FixedSpec

    need = FixedSpec.min_grad_width(config)
    if config.fixed.grad_width >= need:
        return config
    return apply_overrides(config, [f"fixed.grad_width={need}"])


def _cosim_figures(config: MGDConfig, sim: str, steps: int, free_steps: int) -> dict[str, Any]:
    from testbench.cosim import run_cosim

    r = run_cosim(config, sim, steps, name="bench", free_steps=free_steps)
    return {"bit_exact": r.bit_exact, "checked steps": r.steps - free_steps if free_steps else r.steps,
            "free steps": free_steps,
            "checked steps/s": round(r.checked_steps_per_s or 0.0, 1),
            "checked cycles/s": round(r.checked_cycles_per_s or 0.0, 1),
            "free steps/s": round(r.free_steps_per_s or 0.0, 1),
            "free cycles/s": round(r.free_cycles_per_s or 0.0, 1),
            "cycles/step measured": r.cycles_per_step, "cycles/step schedule": r.bound_cycles_per_step,
            "build s (cached when 0)": round(r.build_s, 2)}


def cosim_throughput(amaranth_steps: int = 300, icarus_steps: int = 200, icarus_free: int = 1000,
                     verilator_steps: int = 2000, verilator_free: int = 20000,
                     taus: Sequence[int] = (1, 4, 16), simulators: Sequence[str] = ("icarus", "verilator"),
                     ) -> dict[str, Any]:
    """Simulation throughput per simulator and cycles per step vs the ideal bound
    (``mgd bench --only cosim``).

    Parameters
    ----------
    amaranth_steps : int
        Free-running steps per case in ``amaranth.sim``.
    icarus_steps, icarus_free : int
        Checked and free-running steps per case in Icarus.
    verilator_steps, verilator_free : int
        Checked and free-running steps per case in Verilator.
    taus : sequence of int
        T values of the cycles-per-step sweep (XOR weight mode, τ_x = τ_θ = T, τ_p = 1, in Verilator).
    simulators : sequence of str
        Event-driven simulators to measure; one that is not installed is reported as missing.

    Returns
    -------
    dict
        One nested dict per case and simulator, the T sweep, and the configuration.
    """
    from testbench import runner

    figures: dict[str, Any] = {}
    for name, (preset, overrides) in COSIM_CASES.items():
        config = _config(preset, overrides)
        case: dict[str, Any] = {"config": _describe(config)}
        case["amaranth.sim"] = amaranth_throughput(config, amaranth_steps)
        for sim in simulators:
            missing = runner.simulator_missing(sim)
            if missing is not None:
                case[sim] = f"not measured: {missing}"
                continue
            steps, free = ((icarus_steps, icarus_free) if sim == "icarus"
                           else (verilator_steps, verilator_free))
            case[sim] = _cosim_figures(config, sim, steps, free)
        figures[name] = case
    sweep: dict[str, Any] = {}
    sweep_sim = "verilator" if runner.simulator_missing("verilator") is None else "icarus"
    for T in taus:
        config = _wide_enough(_config("xor", ["mgd.perturbation=weight", f"mgd.tau_x={T}",
                                              f"mgd.tau_theta={T}", "mgd.tau_p=1"]))
        f = _cosim_figures(config, sweep_sim, 20 * T, 200 * T)
        sweep[f"T={T}"] = {"measured": f["cycles/step measured"],
                           "schedule (T+1+L)/T": f["cycles/step schedule"], "bit_exact": f["bit_exact"]}
    figures[f"cycles per step vs ideal (xor weight, {sweep_sim})"] = sweep
    figures["configuration"] = {
        "python": platform.python_version(), "machine": platform.machine(),
        "amaranth.sim": f"{amaranth_steps} free-running steps (one start, testbench waits on busy)",
        "icarus": f"{icarus_steps} checked + {icarus_free} free-running steps",
        "verilator": f"{verilator_steps} checked + {verilator_free} free-running steps",
        "checked": "theta compared with the golden model after every update (cocotb)",
        "T sweep": "xor weight, tau_x = tau_theta = T, tau_p = 1, grad_width widened for T; "
                   "L = pipeline latency of the core",
    }
    return figures


# ---------------------------------------------------------------------------------------------- folded
#: the folded core's schedule table (issue 11.2): task presets, P values
FOLDED_TASKS: tuple[str, ...] = ("nist7x7", "digits")
FOLDED_LANES: tuple[int, ...] = (8, 32, 128)


def folded_schedule(tasks: Sequence[str] = FOLDED_TASKS, lanes: Sequence[int] = FOLDED_LANES,
                    modes: Sequence[str] = ("weight", "node"), measure: bool = True, checked_steps: int = 20,
                    free_steps: int = 200, sim: str = "verilator") -> dict[str, Any]:
    """Cycles per step of the folded core for each task preset, mode and P (``mgd bench --only folded``),
    against ``⌈MACs/P⌉`` per pass.

    For each point: the fold ``PE × SIMD`` (:func:`golden_model.schedule.fold`), the derived cycles per
    step at τ's = 1 (the core's :meth:`~rtl.folded.core.FoldedCore.cycles`, i.e.
    :func:`golden_model.schedule.folded_cycles`, one step of a long run: setup excluded), its segments
    (baseline, perturbed, correlate), ``⌈MACs/P⌉`` (one pass's multiply-accumulates over P lanes, the
    bound a pass cannot beat) and the step's ratio to ``3·⌈MACs/P⌉`` (baseline + perturbed + correlate, each
    a sweep over the parameters); and with ``measure``, the cycles per step measured free-running in ``sim``
    after ``checked_steps`` checked bit-exact (:func:`testbench.cosim.run_cosim`), the schedule's count for
    that same run (its setup cycles included) and measured ÷ derived.
    """
    from golden_model.schedule import fold, folded_passes
    from rtl.cores import build_core
    from rtl.folded.core import CORRELATE_GAP, LAYER_GAP, RUN_SETUP
    from testbench import runner

    figures: dict[str, Any] = {}
    missing = runner.simulator_missing(sim) if measure else None
    for task in tasks:
        for mode in modes:
            for P in lanes:
                config = _wide_enough(_config(task, [f"mgd.perturbation={mode}", "hardware.style=folded",
                                                     f"hardware.lanes={P}", "mgd.tau_x=1", "mgd.tau_p=1",
                                                     "mgd.tau_theta=1"]))
                layers = list(config.network.layers)
                macs = sum(a * b for a, b in zip(layers[:-1], layers[1:]))
                name = f"{task} {'-'.join(map(str, layers))} {mode} P={P}"
                try:
                    core = build_core(config)  # refuses a P the fold cannot split, naming the field
                    pe, simd = fold(layers, P)
                except MGDError as exc:
                    figures[name] = f"refused: {exc}"
                    continue
                derived = core.cycles(0, 1, 1, 1, 1) - RUN_SETUP  # one step of a long run
                seg = folded_passes(layers, P, mode, LAYER_GAP, CORRELATE_GAP)
                row: dict[str, Any] = {"PE x SIMD": f"{pe} x {simd}", "cycles/step derived": derived,
                                       "segments (baseline/perturbed/correlate)":
                                           f"{seg['baseline']}/{seg['perturbed']}/{seg['correlate']}",
                                       "ceil(MACs/P) per pass": -(-macs // P),
                                       "step / (3 ceil(MACs/P))": round(derived / (3 * -(-macs // P)), 3)}
                if measure:
                    if missing is not None:
                        row["measured"] = f"not measured: {missing}"
                    else:
                        from testbench.cosim import run_cosim

                        r = run_cosim(config, sim, checked_steps, name=f"bench-folded-{task}-{mode}-P{P}",
                                      free_steps=free_steps)
                        row.update({"bit_exact": r.bit_exact, "cycles/step measured": r.cycles_per_step,
                                    "cycles/step schedule of the run (setup included)":
                                        r.bound_cycles_per_step,
                                    "measured / derived": round(r.cycles_per_step / derived, 4),
                                    "build s": round(r.build_s, 1),
                                    "free cycles/s": round(r.free_cycles_per_s or 0.0, 1)})
                figures[name] = row
    how = f"{sim}, {checked_steps} checked + {free_steps} free-running steps"
    figures["configuration"] = {"taus": "tau_x = tau_p = tau_theta = 1",
                                "measured": how if measure else "not measured (derived only)"}
    return figures


def model_over_rtl(fixed: dict[str, Any], cosim: dict[str, Any]) -> dict[str, Any]:
    """How many times faster the fixed-point golden model runs than the fastest RTL simulation of the same
    run (issue 4's target: at least 10×), from the figures of ``mgd bench``'s ``fixed`` and ``cosim``
    sections.

    A case is compared when ``golden_model.studies.fixed_bench.FIXED_CASES`` has it under the same name as
    :data:`COSIM_CASES` (same preset and overrides: the same run). The fastest RTL simulation is the highest
    steps/s among amaranth.sim and the checked and free-running Icarus and Verilator runs; the model is
    compared without its per-step trace (what a free run needs) and with it (what a checked run needs).
    """
    out: dict[str, Any] = {}
    for name in COSIM_CASES:
        case = cosim.get(name)
        model = fixed.get(f"{name}: steps/s")
        if not isinstance(case, dict) or model is None:
            continue
        rates = {"amaranth.sim": case["amaranth.sim"]["steps_per_s"]}
        for sim in ("icarus", "verilator"):
            if isinstance(case.get(sim), dict):
                rates[f"{sim} free-running"] = case[sim]["free steps/s"]
                rates[f"{sim} checked"] = case[sim]["checked steps/s"]
        fastest = max(rates, key=lambda k: rates[k])
        traced = fixed[f"{name}: steps/s with trace"]
        out[name] = {"fastest RTL simulation": f"{fastest}, {rates[fastest]} steps/s",
                     "fixed model steps/s": model, "times the fastest RTL": round(model / rates[fastest], 1),
                     "fixed model with trace steps/s": traced,
                     "times the fastest RTL, with trace": round(traced / rates[fastest], 1)}
    return out


# ----------------------------------------------------------------------------------------------- synth


def synth_per_target(targets: Sequence[str] | None = None, preset: str = "xor",
                     overrides: Sequence[str] = ()) -> dict[str, Any]:
    """Synthesis wall time and LUT/FF/DSP/Fmax of one core per target (``mgd bench --only synth``).

    Parameters
    ----------
    targets : sequence of str, optional
        Targets of :data:`rtl.synth.TARGETS` (default: all).
    preset, overrides : str, sequence of str
        The core's configuration (default: the ``xor`` preset).

    Returns
    -------
    dict
        Per target: ``wall s``, LUT/FF/DSP/BRAM, ``Fmax MHz``, or ``does not fit`` with the over-used
        resources; and the configuration.
    """
    from golden_model.config import to_toml
    from rtl.cores import build_core, core_inputs
    from rtl.synth import TARGETS, DoesNotFitError, synthesize

    config = _config(preset, overrides)
    inputs = core_inputs(config)
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="mgd-bench-synth-") as tmp:
        for target in (list(TARGETS) if targets is None else list(targets)):
            core = build_core(config, inputs=inputs)
            t0 = time.perf_counter()
            try:
                rep = synthesize(core, "mgd_core", target, Path(tmp) / target,
                                 params={"block": "core", "config": to_toml(config)}, command="mgd bench")
            except DoesNotFitError as exc:
                figures[target] = {"wall s": round(time.perf_counter() - t0, 1),
                                   "does not fit": "; ".join(f"{r} {u}/{a}" for r, u, a in exc.overflows)}
                continue
            s = rep.summary
            figures[target] = {"wall s": round(time.perf_counter() - t0, 1), "part": rep.part,
                               "LUT": s.get("lut"), "FF": s.get("ff"), "DSP": s.get("dsp"),
                               "BRAM": s.get("bram"), "Fmax MHz": round(float(s["fmax_mhz"]), 2),
                               "stage s": {k: round(v, 1) for k, v in rep.stage_seconds.items()},
                               "YoWASP cache": ", ".join(f"{k} {v}" for k, v in rep.stage_cache.items())}
    figures["configuration"] = {"core": _describe(config), "preset": preset, "overrides": list(overrides),
                                "tools": "YoWASP Yosys + nextpnr (rtl.synth), placement seed 1"}
    return figures


# ----------------------------------------------------------------------------------------------- compare


def _fmt_time(s: float | None) -> str:
    if s is None:
        return "n/a"
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def _row(name: str, result: Any, wall_s: float) -> dict[str, Any]:
    from rtl.spec import hardware_spec

    d = result.to_dict()
    hw = d["hardware_time_to_target_s"]
    return {
        "task": name, "layers": d["layers"], "parameters": hardware_spec(result.config).layout.n_params,
        "style": result.config.hardware.style,
        "lanes": result.config.hardware.lanes if result.config.hardware.style == "folded" else None,
        "mode": d["perturbation"], "target_accuracy": d["target_accuracy"], "steps": d["steps"],
        "bit_exact": d["bit_exact"], "mismatch": d["mismatch"],
        "rtl_test_accuracy": d["rtl_test_accuracy"], "steps_to_target": d["steps_to_target"],
        "cycles_per_step": d["cycles_per_step"], "schedule_cycles_per_step": d["schedule_cycles_per_step"],
        "synth_target": d["synth_target"], "synth_does_not_fit": d["synth_does_not_fit"],
        "fmax_mhz": d["fmax_mhz"],
        "lut": d["lut"], "ff": d["ff"], "dsp": d["dsp"], "bram": d["bram"],
        "hardware_time_to_target_s": hw,
        "compiled_backprop_time_to_target_s": d["compiled_backprop_time_to_target_s"],
        "compiled_backprop_solve_rate": d["compiled_backprop_solve_rate"],
        "compiled_backprop_median_epochs": d["compiled_backprop_median_epochs"],
        "compiled_backprop_compile_s": d["compiled_backprop_compile_s"],
        "sklearn_time_to_target_s": d["sklearn_time_to_target_s"],
        "sklearn_solve_rate": d["sklearn_solve_rate"],
        "sklearn_epochs": d["backprop"].get("epochs"),
        "backprop_reference": d["backprop_reference"],
        "hardware_over_backprop": d["hardware_over_backprop"],
        "hardware_vs_backprop": d["hardware_vs_backprop"],
        "rtl_verilator_steps_per_s": d["cosim"].get("checked_steps_per_s"),
        "stage_seconds": d["stage_seconds"], "wall_s": wall_s,
    }


def _model_steps(config: MGDConfig, seeds: int, workers: int) -> dict[str, Any]:
    """The fixed model's steps to ``config``'s target over ``mgd.seed`` = 1 … ``seeds`` (the task's one point
    of :func:`golden_model.studies.explore.explore_model`): median (``None``: not reached on the median
    seed), solved seeds, every seed's steps."""
    if not seeds:
        return {"model_seeds": 0, "model_solved": None, "model_median_steps": None, "model_steps_to": []}
    from golden_model.studies.explore import explore_model

    point = explore_model(config, [], seeds, workers=workers)["points"][0]
    return {"model_seeds": seeds, "model_solved": point["solved"], "model_median_steps": point["median"],
            "model_steps_to": point["steps_to"]}


def _model_cell(r: dict[str, Any]) -> str:
    if not r.get("model_seeds"):
        return "not run"
    med = r["model_median_steps"]
    return f"{'not reached' if med is None else f'{med:,.0f}'} ({r['model_solved']}/{r['model_seeds']})"


def _ref_cell(time_s: float | None, solve_rate: float | None) -> str:
    if solve_rate is None:
        return "not run"
    return f"{_fmt_time(time_s)} ({solve_rate:.0%})"


def _markdown(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    from scripts.flows.run import COMPILED_LABEL, SKLEARN_LABEL, hardware_vs_backprop

    head = ("| task | layers | mode | style | target | steps to target: RTL | fixed model median (solved) "
            "| cycles/step (schedule) | Fmax (part) | LUT / FF / DSP / BRAM "
            f"| hardware time | {COMPILED_LABEL} time (solve rate) | {SKLEARN_LABEL} time (solve rate) "
            "| hardware vs the faster backprop |")
    lines = ["# mgd compare: MGD in hardware vs backprop on a CPU", "", head,
             "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['task']} | {'-'.join(map(str, r.get('layers', [])))} | | | | | | | | | "
                         f"{r['error']} | | | |")
            continue
        hw, c, sk = (r["hardware_time_to_target_s"], r["compiled_backprop_time_to_target_s"],
                     r["sklearn_time_to_target_s"])
        versus = hardware_vs_backprop(hw, {COMPILED_LABEL: c, SKLEARN_LABEL: sk})[2]
        part = r["synth_target"] + "".join(f"; does not fit {t}" for t in r.get("synth_does_not_fit") or {})
        style = r.get("style", "spatial") + (f" P = {r['lanes']}" if r.get("lanes") else "")
        rtl_steps = "not reached" if r["steps_to_target"] is None else f"{r['steps_to_target']:,}"
        lines.append(
            f"| {r['task']} | {'-'.join(map(str, r['layers']))} ({r['parameters']} params) | {r['mode']} "
            f"| {style} | {r['target_accuracy']:.2f} "
            f"| {rtl_steps} "
            f"| {_model_cell(r)} "
            f"| {r['cycles_per_step']:.3f} ({r['schedule_cycles_per_step']:.3f}) "
            f"| {r['fmax_mhz']:.1f} MHz ({part}) | {r['lut']} / {r['ff']} / {r['dsp']} / {r.get('bram', 0)} "
            f"| {_fmt_time(hw)} "
            f"| {_ref_cell(c, r['compiled_backprop_solve_rate'])} "
            f"| {_ref_cell(sk, r['sklearn_solve_rate'])} "
            f"| {versus} |")
    lines += ["", ("Hardware time = steps to target "
                   "(RTL in Verilator, bit-exact with the golden model at every "
                   "update) x measured cycles/step / Fmax. The fixed model's median is over mgd.seed = 1 … N "
                   "(an unreached seed counts as more than the budget: a median on one is \"not reached\"); "
                   "the RTL run is the preset's seed. "
                   f"{COMPILED_LABEL} = median wall time of a Numba-compiled online-SGD loop on one core "
                   "(same layer sizes, activations, cost and initial θ as the MGD network; η per task from "
                   "golden_model.studies.backprop.TUNED; compile time excluded; accuracy checks excluded "
                   "by re-running the identical training without them) to the same test accuracy. "
                   f"{SKLEARN_LABEL} = median wall time of MLPClassifier "
                   "(Adam, same layer sizes, this CPU) to the same test accuracy, timing only "
                   "`partial_fit`. Solve rate = share of seeds that reached the target. "
                   "The last column compares the hardware time with the faster of the two references "
                   "(hardware time / backprop time, said as \"x slower\" or \"x faster\")."),
              ""]
    lines += ["| task | bit-exact | RTL test acc. at end | checked Verilator steps/s | stage seconds |",
              "| --- | --- | ---: | ---: | --- |"]
    for r in rows:
        if "error" in r:
            continue
        st = ", ".join(f"{k} {v:.1f}" for k, v in r["stage_seconds"].items())
        lines.append(f"| {r['task']} | {r['bit_exact']} | "
                     f"{r['rtl_test_accuracy']:.3f} after {r['steps']} steps "
                     f"| {r['rtl_verilator_steps_per_s']:.0f} | {st} |")
    lines += ["", "## Configuration", ""]
    lines += [f"- {k}: {v}" for k, v in meta.items()]
    lines += ["", "Per task: `<task>/summary.md` (full config), `learning_curve.png`, `synth/<target>/`.", ""]
    return "\n".join(lines)


def compare(out_dir: str | Path, tasks: Sequence[str] | None = None, *, target: str | None = None,
            fallback_targets: Sequence[str] = ("ecp5-85k",), sim: str = "verilator", free_steps: int = 2000,
            backprop_repeats: int = 3, compiled_repeats: int = 10, model_seeds: int = 10,
            workers: int = 2, progress: bool = True) -> list[dict[str, Any]]:
    """Hardware time to target vs backprop wall time for each task; writes ``compare.json``/``compare.md``.

    Each task is one :func:`scripts.flows.run.main_job` (its report folder is ``out_dir/<task>``).
    A core that does
    not fit ``target`` is synthesized for ``fallback_targets`` in order (the table says which part it did not
    fit); one that fits none of them is recorded with its error and the other tasks still run.

    Parameters
    ----------
    out_dir : str or Path
        Output folder.
    tasks : sequence of str, optional
        Names from :data:`COMPARE_TASKS` (default: :data:`DEFAULT_COMPARE_TASKS`).
    target : str, optional
        Synthesis target whose Fmax sets the hardware time; default each task's ``hardware.target``.
    fallback_targets : sequence of str
        Larger parts to try, in order, for a core that does not fit ``target``.
    sim : str
        Simulator of the RTL training run.
    free_steps : int
        Free-running steps after training, to measure cycles/step.
    backprop_repeats : int
        scikit-learn seeds per task.
    compiled_repeats : int
        Compiled (Numba) backprop seeds per task.
    model_seeds : int
        Seeds (``mgd.seed`` = 1 … N) of the fixed model's steps to target per task (0 skips it).
    workers : int
        Worker processes for those fixed-model runs.
    progress : bool
        Print the stages.

    Returns
    -------
    list of dict
        One row per task (see ``compare.json``).
    """
    from rtl.synth import SynthesisError
    from scripts.flows.run import main_job

    names = list(DEFAULT_COMPARE_TASKS) if tasks is None else list(tasks)
    for n in names:
        if n not in COMPARE_TASKS:
            raise CompareError(f"task must be one of {', '.join(map(repr, COMPARE_TASKS))}, not {n!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    t_all = time.perf_counter()
    for name in names:
        preset, overrides = COMPARE_TASKS[name]
        config = _config(preset, overrides)
        part = target or config.hardware.target
        if progress:
            print(f"== {name}: {_describe(config)}, {config.task.steps} steps, target accuracy "
                  f"{config.task.target_accuracy}", flush=True)
        t0 = time.perf_counter()
        try:
            result = main_job(config, out / name, target=part, sim=sim, free_steps=free_steps,
                              backprop_repeats=backprop_repeats, compiled_repeats=compiled_repeats,
                              progress=progress,
                              fallback_targets=tuple(t for t in fallback_targets if t != part))
        except SynthesisError as exc:
            rows.append({"task": name, "layers": list(config.network.layers), "error": str(exc)})
            continue
        row = _row(name, result, time.perf_counter() - t0)
        row.update(_model_steps(config, model_seeds, workers))
        rows.append(row)
        if progress:
            print("\n".join(result.summary_lines()), flush=True)
    meta = {"command": "mgd compare", "tasks": {n: {"preset": COMPARE_TASKS[n][0],
                                                    "overrides": COMPARE_TASKS[n][1]} for n in names},
            "synthesis target": target or "each preset's hardware.target",
            "fallback targets": list(fallback_targets), "simulator": sim,
            "free-running steps for cycles/step": free_steps,
            "scikit-learn seeds": backprop_repeats, "compiled backprop seeds": compiled_repeats,
            "fixed-model seeds": model_seeds,
            "python": platform.python_version(),
            "machine": platform.machine(), "total wall s": round(time.perf_counter() - t_all, 1)}
    write_json(out / "compare.json", {"rows": rows, "configuration": meta}, name="report", default=str)
    write_text(out / "compare.md", _markdown(rows, meta), name="report")
    return rows
