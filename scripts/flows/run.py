"""The toolkit's main job (``mgd run``): golden model → RTL training in a simulator, bit-exact at every
update → synthesis → one summary with the hardware time to train next to backprop on a CPU.

Ref: ``shared/design/ARCHITECTURE.md`` ("Command line": ``mgd run``; "Figures the toolkit must report").

Stages, each timed:

1. **golden**: train the fixed-point golden model (:func:`golden_model.fixed_mgd.train`) for ``task.steps``.
2. **rtl**: generate the core's Verilog and train it in the simulator for the same steps
   (:func:`testbench.cosim.run_cosim`); every θ is compared with the golden model after every update, and
   the RTL's learning curve (its own θ, evaluated every ``task.eval_every`` steps) must equal the golden
   curve. A further ``free_steps`` run uninterrupted to measure cycles per step.
3. **synth**: synthesize the same core for ``target`` (:func:`rtl.synth.synthesize`).
4. **backprop**: two references on the same task and layer sizes, each timed to the same target accuracy:
   compiled backprop (Numba, online SGD on the MGD network's own activation, cost and initial θ, one core,
   ``compiled_repeats`` seeds; :func:`golden_model.studies.backprop.compiled_time_to_accuracy`) and
   scikit-learn's ``MLPClassifier`` (``backprop_repeats`` seeds;
   :func:`golden_model.studies.sklearn_reference.time_to_accuracy`).

**Hardware time to train** = steps to the target accuracy (RTL) × measured cycles per step ÷ Fmax. It is set
against the *faster* of the two references (the smaller median time to target), named in the report:
"hardware 20x faster vs compiled backprop (numba)", or "... slower vs scikit-learn" when the hardware time is
the larger.
Results: ``summary.json``, ``summary.md``, ``learning_curve.png`` (golden and RTL overlaid) and the
synthesis reports under ``synth/<target>/`` in the report folder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from golden_model.config import MGDConfig, to_toml
from golden_model.errors import MGDError
from golden_model.params import ParamLayout
from golden_model.results import CurvePoint, TrainResult
from golden_model.validate import write_json, write_text

__all__ = ["COMPILED_LABEL", "SKLEARN_LABEL", "MainJobResult", "RunError", "hardware_vs_backprop", "main_job"]

COMPILED_LABEL = "compiled backprop (numba)"
SKLEARN_LABEL = "scikit-learn"


class RunError(MGDError):
    """A ``main_job`` argument that is not allowed."""


def _times(x: float) -> str:
    return f"{x:.0f}x" if x >= 10 else f"{x:.1f}x"


def hardware_vs_backprop(hw: float | None, references: dict[str, float | None]
                         ) -> tuple[float | None, str | None, str]:
    """Hardware time against the faster backprop reference.

    ``references``: label -> median time to target (``None``: not reached / not run). Returns (hardware
    time ÷ that reference's time, the reference's label, the text: "20x faster vs scikit-learn", "3.2x
    slower vs compiled backprop (numba)", or "n/a (...)" saying why there is no ratio).
    """
    done = {k: v for k, v in references.items() if v is not None}
    if not done:
        return None, None, "n/a (no backprop reference reached the target)"
    ref = min(done, key=lambda k: done[k])
    if hw is None:
        return None, ref, "n/a (the hardware did not reach the target)"
    ratio = hw / done[ref]
    text = f"{_times(ratio)} slower" if ratio > 1 else f"{_times(1 / ratio)} faster"
    return ratio, ref, f"{text} vs {ref}"


def _fmt_time(s: float | None) -> str:
    if s is None:
        return "n/a"
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


@dataclass
class MainJobResult:
    """Everything ``mgd run`` measured; ``ok`` only when the RTL was bit-exact and synthesis succeeded.

    ``backprop``: the scikit-learn reference; ``compiled_backprop``: the compiled one
    (:meth:`golden_model.studies.backprop.CompiledBackpropTiming.to_dict`); either is ``{}`` when not run.
    """

    config: MGDConfig
    golden: TrainResult
    rtl: TrainResult
    bit_exact: bool
    mismatch: str | None
    cosim: dict[str, Any]
    synth: dict[str, Any]
    backprop: dict[str, Any]
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # targets tried before ``synth["target"]`` that the design does not fit: target -> message
    synth_does_not_fit: dict[str, str] = field(default_factory=dict)
    compiled_backprop: dict[str, Any] = field(default_factory=dict)

    @property
    def fmax_mhz(self) -> float:
        return float(self.synth["summary"]["fmax_mhz"])

    @property
    def hardware_time_s(self) -> float | None:
        steps, cps = self.rtl.steps_to_target, self.cosim.get("cycles_per_step")
        if steps is None or not cps:
            return None
        return steps * cps / (self.fmax_mhz * 1e6)

    @property
    def ok(self) -> bool:
        return self.bit_exact

    def versus_backprop(self) -> tuple[float | None, str | None, str]:
        """:func:`hardware_vs_backprop` of this run: (hardware / faster reference, its label, text)."""
        return hardware_vs_backprop(self.hardware_time_s, {
            COMPILED_LABEL: self.compiled_backprop.get("median_time_s"),
            SKLEARN_LABEL: self.backprop.get("median_time_s")})

    def to_dict(self) -> dict[str, Any]:
        f = self.rtl.final
        s = self.synth["summary"]
        c = self.compiled_backprop
        ratio, ref, versus = self.versus_backprop()
        refs = {COMPILED_LABEL: c, SKLEARN_LABEL: self.backprop}
        return {
            "task": self.config.task.dataset,
            "layers": list(self.config.network.layers),
            "perturbation": self.config.mgd.perturbation,
            "bit_exact": self.bit_exact,
            "mismatch": self.mismatch,
            "steps": self.rtl.steps,
            "rtl_train_accuracy": f.train_accuracy,
            "rtl_test_accuracy": f.test_accuracy,
            "target_accuracy": self.config.task.target_accuracy,
            "steps_to_target": self.rtl.steps_to_target,
            "cycles_per_step": self.cosim.get("cycles_per_step"),
            "schedule_cycles_per_step": self.cosim.get("bound_cycles_per_step"),
            "synth_target": self.synth["target"],
            "synth_does_not_fit": self.synth_does_not_fit,
            "fmax_mhz": self.fmax_mhz,
            "lut": s.get("lut"), "ff": s.get("ff"), "dsp": s.get("dsp"), "bram": s.get("bram"),
            "hardware_time_to_target_s": self.hardware_time_s,
            # the faster reference (smaller median time), the one the ratio is taken against
            "backprop_reference": ref,
            "backprop_time_to_target_s": refs.get(ref, {}).get("median_time_s"),
            "backprop_solve_rate": refs.get(ref, {}).get("solve_rate"),
            "hardware_over_backprop": ratio,
            "hardware_vs_backprop": versus,
            "compiled_backprop_time_to_target_s": c.get("median_time_s"),
            "compiled_backprop_solve_rate": c.get("solve_rate"),
            "compiled_backprop_median_epochs": c.get("median_epochs"),
            "compiled_backprop_compile_s": c.get("compile_s"),
            "sklearn_time_to_target_s": self.backprop.get("median_time_s"),
            "sklearn_solve_rate": self.backprop.get("solve_rate"),
            "stage_seconds": self.stage_seconds,
            "cosim": self.cosim,
            "backprop": self.backprop,
            "compiled_backprop": c,
            "config": self.config.to_dict(),
        }

    def summary_lines(self) -> list[str]:
        d = self.to_dict()
        hw = d["hardware_time_to_target_s"]
        return [
            f"task        {d['task']} {d['layers']} ({d['perturbation']} perturbation), "
            f"target accuracy {d['target_accuracy']:.0%}",
            f"rtl         {'bit-exact' if self.bit_exact else 'MISMATCH: ' + str(self.mismatch)}"
            f" with the golden model at every update ({self.cosim.get('updates_compared')} updates: "
            f"digests of θ, G and the status at each; every register of the "
            f"{ParamLayout(self.config.network.layers).n_params} parameters read back "
            f"{self.cosim.get('readbacks')} times)",
            f"accuracy    train {d['rtl_train_accuracy']:.3f}, test {d['rtl_test_accuracy']:.3f} after "
            f"{d['steps']} steps; target reached at step {d['steps_to_target']}",
            f"cycles/step {d['cycles_per_step']:.3f} measured "
            f"(the core's schedule {d['schedule_cycles_per_step']:.3f})",
            f"synthesis   {d['synth_target']}: Fmax {d['fmax_mhz']:.1f} MHz, LUT {d['lut']}, FF {d['ff']}, "
            f"DSP {d['dsp']}, BRAM {d['bram']}",
            "hardware    time to target "
            + (f"{hw * 1e6:.1f} us" if hw is not None else "n/a (target not reached)")
            + " = steps x cycles/step / Fmax",
            f"backprop    {COMPILED_LABEL}, one core of this CPU: {_compiled_text(self.compiled_backprop)}",
            f"backprop    {SKLEARN_LABEL} MLPClassifier on this CPU: {_sklearn_text(self.backprop)}",
            f"ratio       hardware {d['hardware_vs_backprop']}"
            + (" (the faster reference)" if d["hardware_over_backprop"] is not None else ""),
        ]


def _compiled_text(c: dict[str, Any]) -> str:
    """The compiled reference in one phrase (summary lines and summary.md)."""
    if not c:
        return "not run"
    n = _seeds(len(c["seeds"]))
    how = (f"online SGD eta {c['eta']:g}, momentum {c['momentum']:g}; "
           + ("kernel loaded from the Numba cache in" if c.get("compile_cached") else "compile")
           + f" {c['compile_s']:.2f} s, not included")
    if c["median_time_s"] is None:
        return f"did not reach the target ({n}, {c['max_epochs']} epochs each; {how})"
    return (f"{_fmt_time(c['median_time_s'])} median to the same target ({n}, solve rate "
            f"{c['solve_rate']:.0%}, median {c['median_epochs']:.1f} epochs; {how})")


def _sklearn_text(b: dict[str, Any]) -> str:
    if not b:
        return "not run"
    if b["median_time_s"] is None:
        return f"did not reach the target ({_seeds(len(b['times_s']))})"
    return (f"{_fmt_time(b['median_time_s'])} median to the same target ({_seeds(len(b['times_s']))}, solve "
            f"rate {b['solve_rate']:.0%})")


def _seeds(n: int) -> str:
    return "1 seed" if n == 1 else f"{n} seeds"


def _rtl_result(config: MGDConfig, r: Any, wall: float) -> TrainResult:
    curve = [CurvePoint(int(p[0]), float(p[1]), float(p[2]), float(p[3])) for p in r.curve]
    hit = next((p.step for p in curve if p.test_accuracy >= config.task.target_accuracy), None)
    # r.steps also counts the free-running steps after the checked training run; the training is task.steps.
    return TrainResult("rtl", config, config.task.steps, wall, curve, hit)


def _write_markdown(result: MainJobResult, path: Path) -> None:
    d = result.to_dict()
    rows = [
        ("task", f"{d['task']} {d['layers']}, {d['perturbation']} perturbation"),
        ("bit-exact at every update", f"{d['bit_exact']} ({result.cosim.get('updates_compared')} updates)"),
        ("RTL test accuracy", f"{d['rtl_test_accuracy']:.3f} (target {d['target_accuracy']})"),
        ("steps to target", d["steps_to_target"]),
        ("cycles per step (measured / schedule)",
         f"{d['cycles_per_step']:.3f} / {d['schedule_cycles_per_step']:.3f}"),
        (f"Fmax on {d['synth_target']}", f"{d['fmax_mhz']:.1f} MHz"),
        ("LUT / FF / DSP / BRAM", f"{d['lut']} / {d['ff']} / {d['dsp']} / {d['bram']}"),
        ("hardware time to target", "n/a" if d["hardware_time_to_target_s"] is None
         else f"{d['hardware_time_to_target_s'] * 1e6:.1f} µs"),
        (f"backprop: {COMPILED_LABEL}, one core, time to target",
         _compiled_text(result.compiled_backprop).replace(" us", " µs")),
        (f"backprop: {SKLEARN_LABEL} MLPClassifier, CPU, time to target",
         _sklearn_text(result.backprop).replace(" us", " µs")),
        ("hardware vs the faster backprop", f"hardware {d['hardware_vs_backprop']}"),
    ]
    lines = ["# mgd run", "", "| figure | value |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    lines += ["", "Stage times (s): " + ", ".join(f"{k} {v:.1f}" for k, v in d["stage_seconds"].items()), "",
              "## Configuration", "", "```toml", to_toml(result.config).rstrip(), "```", ""]
    write_text(path, "\n".join(lines), name="report")


def main_job(config: MGDConfig, out_dir: str | Path, *, target: str = "ecp5-25k", sim: str = "verilator",
             free_steps: int = 2000, backprop_repeats: int = 5, compiled_repeats: int = 10,
             progress: bool = True, fallback_targets: tuple[str, ...] = ()) -> MainJobResult:
    """Run the four stages for ``config`` and write the report folder ``out_dir``.

    ``backprop_repeats``: scikit-learn seeds; ``compiled_repeats``: compiled backprop seeds (0 skips either).

    ``fallback_targets``: when the core does not fit ``target``, synthesize for these in order instead (the
    parts it did not fit are kept in ``MainJobResult.synth_does_not_fit``); without them (``mgd run``) a
    design that does not fit raises :class:`rtl.synth.DoesNotFitError`.
    """
    from golden_model.fixed_mgd import train as train_fixed
    from golden_model.studies.backprop import compiled_time_to_accuracy
    from golden_model.studies.plots import plot_learning_curves
    from golden_model.studies.sklearn_reference import time_to_accuracy
    from rtl.cores import build_core, core_inputs
    from rtl.synth import DoesNotFitError, synthesize
    from testbench.cosim import run_cosim

    def say(msg: str) -> None:
        if progress:
            print(msg, flush=True)

    for name, value in (("backprop_repeats", backprop_repeats), ("compiled_repeats", compiled_repeats)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise RunError(f"{name} must be an integer >= 0 (0: skip that reference), not {value!r}")
    inputs = core_inputs(config)  # refuses a config the RTL cannot build before anything runs
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stages: dict[str, float] = {}

    say(f"[1/4] golden model: fixed-point MGD, {config.task.steps} steps")
    t0 = time.perf_counter()
    golden = train_fixed(config, progress=progress)
    stages["golden"] = time.perf_counter() - t0

    say(f"[2/4] rtl: generate the core, train it in {sim} with a bit-exact check at every update")
    t0 = time.perf_counter()
    r = run_cosim(config, sim, config.task.steps, name="run", eval_every=config.task.eval_every,
                  free_steps=free_steps, core=build_core(config, inputs=inputs, verify=True))
    stages["rtl"] = time.perf_counter() - t0
    rtl = _rtl_result(config, r, stages["rtl"])
    mismatch = r.mismatch
    if r.bit_exact and [(p.step, p.cost, p.train_accuracy, p.test_accuracy) for p in rtl.curve] != [
            (p.step, p.cost, p.train_accuracy, p.test_accuracy) for p in golden.curve]:
        mismatch = "the RTL's learning curve differs from the golden model's"
    say(f"      {r.summary()}")

    t0 = time.perf_counter()
    not_fit: dict[str, str] = {}
    tried = (target, *fallback_targets)
    for i, tgt in enumerate(tried):
        say(f"[3/4] synthesis: Yosys + nextpnr for {tgt}")
        try:
            report = synthesize(build_core(config, inputs=inputs), "mgd_core", tgt,
                                out / "synth" / tgt, params={"block": "core", "config": to_toml(config)},
                                progress=(lambda stage: say(f"      {stage} ...")) if progress else None,
                                command="mgd run")
            break
        except DoesNotFitError as exc:
            if i == len(tried) - 1:
                raise
            not_fit[tgt] = str(exc)
            say(f"      does not fit: {exc}")
    stages["synth"] = time.perf_counter() - t0

    say(f"[4/4] backprop references: {COMPILED_LABEL} {compiled_repeats} seeds, "
        f"{SKLEARN_LABEL} MLPClassifier {backprop_repeats} seeds")
    compiled: dict[str, Any] = {}
    if compiled_repeats:
        t0 = time.perf_counter()
        compiled = compiled_time_to_accuracy(config, compiled_repeats, seed=config.mgd.seed).to_dict()
        stages["backprop_compiled"] = time.perf_counter() - t0
    sklearn: dict[str, Any] = {}
    if backprop_repeats:
        t0 = time.perf_counter()
        bp = time_to_accuracy(config, repeats=backprop_repeats, seed=config.mgd.seed)
        stages["backprop_sklearn"] = time.perf_counter() - t0
        sklearn = {"median_time_s": bp.median_time_s, "solve_rate": bp.solve_rate,
                   "times_s": list(bp.times_s), "epochs": list(bp.epochs),
                   "final_accuracy": list(bp.final_accuracy), "hidden_layers": list(bp.hidden_layers),
                   "activation": bp.activation,
                   "reference": SKLEARN_LABEL}

    result = MainJobResult(
        config=config, golden=golden, rtl=rtl, bit_exact=mismatch is None, mismatch=mismatch,
        cosim={k: v for k, v in r.to_dict().items() if k != "curve"}, synth=report.to_dict(),
        backprop=sklearn, stage_seconds=stages, synth_does_not_fit=not_fit, compiled_backprop=compiled)
    write_json(out / "summary.json", result.to_dict(), name="report", default=str)
    _write_markdown(result, out / "summary.md")
    plot_learning_curves({"golden model (fixed)": golden, f"RTL ({sim})": rtl}, out / "learning_curve.png")
    return result
