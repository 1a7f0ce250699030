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
4. **backprop**: scikit-learn's ``MLPClassifier`` on the same task and layer sizes, timed to the same target
   accuracy (:func:`golden_model.studies.sklearn_reference.time_to_accuracy`).

**Hardware time to train** = steps to the target accuracy (RTL) × measured cycles per step ÷ Fmax.
Results: ``summary.json``, ``summary.md``, ``learning_curve.png`` (golden and RTL overlaid) and the
synthesis reports under ``synth/<target>/`` in the report folder.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from golden_model.config import MGDConfig, to_toml
from golden_model.params import ParamLayout
from golden_model.results import CurvePoint, TrainResult

__all__ = ["MainJobResult", "main_job"]


@dataclass
class MainJobResult:
    """Everything ``mgd run`` measured; ``ok`` only when the RTL was bit-exact and synthesis succeeded."""

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

    def to_dict(self) -> dict[str, Any]:
        f = self.rtl.final
        s = self.synth["summary"]
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
            "backprop_time_to_target_s": self.backprop.get("median_time_s"),
            "backprop_solve_rate": self.backprop.get("solve_rate"),
            "stage_seconds": self.stage_seconds,
            "cosim": self.cosim,
            "backprop": self.backprop,
            "config": self.config.to_dict(),
        }

    def summary_lines(self) -> list[str]:
        d = self.to_dict()
        hw = d["hardware_time_to_target_s"]
        bp = d["backprop_time_to_target_s"]
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
            "backprop    scikit-learn MLPClassifier on this CPU: "
            + (f"{bp * 1e3:.1f} ms median to the same target (solve rate {d['backprop_solve_rate']:.0%})"
               if bp is not None else "did not reach the target"),
        ]


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
        ("backprop (scikit-learn, CPU) time to target", "n/a" if d["backprop_time_to_target_s"] is None
         else f"{d['backprop_time_to_target_s'] * 1e3:.1f} ms (median, solve rate "
              f"{d['backprop_solve_rate']:.0%})"),
    ]
    lines = ["# mgd run", "", "| figure | value |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    lines += ["", "Stage times (s): " + ", ".join(f"{k} {v:.1f}" for k, v in d["stage_seconds"].items()), "",
              "## Configuration", "", "```toml", to_toml(result.config).rstrip(), "```", ""]
    path.write_text("\n".join(lines))


def main_job(config: MGDConfig, out_dir: str | Path, *, target: str = "ecp5-25k", sim: str = "verilator",
             free_steps: int = 2000, backprop_repeats: int = 5, progress: bool = True,
             fallback_targets: tuple[str, ...] = ()) -> MainJobResult:
    """Run the four stages for ``config`` and write the report folder ``out_dir``.

    ``fallback_targets``: when the core does not fit ``target``, synthesize for these in order instead (the
    parts it did not fit are kept in ``MainJobResult.synth_does_not_fit``); without them (``mgd run``) a
    design that does not fit raises :class:`rtl.synth.DoesNotFitError`.
    """
    from golden_model.fixed_mgd import train as train_fixed
    from golden_model.studies.plots import plot_learning_curves
    from golden_model.studies.sklearn_reference import time_to_accuracy
    from rtl.cores import build_core, core_inputs
    from rtl.synth import DoesNotFitError, synthesize
    from testbench.cosim import run_cosim

    def say(msg: str) -> None:
        if progress:
            print(msg, flush=True)

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

    say(f"[4/4] backprop reference: scikit-learn MLPClassifier, {backprop_repeats} seeds")
    t0 = time.perf_counter()
    bp = time_to_accuracy(config, repeats=backprop_repeats, seed=config.mgd.seed)
    stages["backprop"] = time.perf_counter() - t0

    result = MainJobResult(
        config=config, golden=golden, rtl=rtl, bit_exact=mismatch is None, mismatch=mismatch,
        cosim={k: v for k, v in r.to_dict().items() if k != "curve"}, synth=report.to_dict(),
        backprop={"median_time_s": bp.median_time_s, "solve_rate": bp.solve_rate, "times_s": list(bp.times_s),
                  "epochs": list(bp.epochs), "final_accuracy": list(bp.final_accuracy),
                  "hidden_layers": list(bp.hidden_layers), "activation": bp.activation},
        stage_seconds=stages, synth_does_not_fit=not_fit)
    (out / "summary.json").write_text(json.dumps(result.to_dict(), indent=2, default=str) + "\n")
    _write_markdown(result, out / "summary.md")
    plot_learning_curves({"golden model (fixed)": golden, f"RTL ({sim})": rtl}, out / "learning_curve.png")
    return result
