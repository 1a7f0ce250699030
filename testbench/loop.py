"""The foreign-device loop: the generated MGDTrainer alone trains a float device with variation and noise.

This is the logic behind ``mgd loop``; the cocotb side is :mod:`testbench.loop_tests`, the device
:class:`golden_model.device.ForeignDevice`. One call = generate the trainer's Verilog for a config and a
device latency (:func:`rtl.spatial.standalone.build_trainer` refuses what it cannot build, before anything
runs), build the simulation model once per Verilog (:mod:`testbench.runner` caches by hash), run the bench,
read back its figures. ``sim = "model"`` runs the same loop without RTL
(:func:`golden_model.device.train_model_loop`): the fixed-point trainer against the device, fast, no
bit-exact check (there is no RTL to check).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from golden_model.config import MGDConfig, to_toml
from golden_model.errors import MGDError
from testbench import runner

__all__ = ["LOOP_SIMS", "LoopError", "LoopResult", "generate", "run_loop"]

TEST_MODULE = "testbench.loop_tests"
BENCH = "trainer_trains_foreign_device"
LOOP_SIMS = ("icarus", "verilator", "model")  # model: the fixed-point trainer, no RTL


class LoopError(MGDError):
    """A loop that could not run (no simulator, no result)."""


@dataclass
class LoopResult:
    """Figures of one loop run. ``final``: cost, train and test accuracy of the device as built (variation
    on, no cost noise) with the trained θ; ``bit_exact``: the RTL trainer equal to the fixed-point model at
    every step and update (``None`` for ``sim = "model"``)."""

    config_name: str
    sim: str
    latency: int
    steps: int
    final: list[float]
    steps_to_target: int | None
    target: float
    bit_exact: bool | None
    mismatch: str | None
    steps_compared: int = 0
    updates_compared: int = 0
    passes: int = 0
    cycles: int = 0
    build_s: float = 0.0
    sim_s: float = 0.0
    wall_s: float = 0.0
    noise: dict[str, float] = field(default_factory=dict)
    curve: list[list[float]] = field(default_factory=list)
    theta: list[int] = field(default_factory=list)

    def summary(self) -> str:
        status = {True: "bit-exact", None: "no RTL (model loop)"}.get(
            self.bit_exact, f"MISMATCH: {self.mismatch}")
        noise = " ".join(f"{k}={v:g}" for k, v in self.noise.items() if v)
        acc = (f"train_acc={self.final[1]:.3f} test_acc={self.final[2]:.3f}" if self.final else "no accuracy")
        rtl = (f"steps_compared={self.steps_compared} updates_compared={self.updates_compared} "
               f"cycles={self.cycles} " if self.sim != "model" else "")
        return (f"loop config={self.config_name} sim={self.sim} latency={self.latency} "
                f"device=[{noise or 'ideal'}] steps={self.steps} {acc} "
                f"steps_to_target={self.steps_to_target} "
                f"(target {self.target:g}) {rtl}wall={self.wall_s:.1f}s {status}")

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def generate(config: MGDConfig, latency: int) -> tuple[Path, dict[str, Any]]:
    """Write (or reuse) the trainer's Verilog for ``config`` and ``latency``; return its path and params."""
    from golden_model.device import trainer_config
    from rtl._validate import not_elaborated
    from rtl.generate import write_verilog
    from rtl.spatial.standalone import TOP, build_trainer
    from testbench.cosim import config_digest

    trainer = build_trainer(config, latency=latency)  # refuses before anything is written
    tconfig = trainer_config(config)
    out = runner.BUILD_ROOT / "verilog-trainer" / f"{config_digest(tconfig)}-lat{latency}"
    path, meta = out / f"{TOP}.v", out / "params.json"
    params = {"block": "trainer", "config": to_toml(tconfig), "latency": latency,
              "n_params": trainer.spec.layout.n_params}
    if path.exists() and meta.exists() and json.loads(meta.read_text()).get("config") == params["config"]:
        not_elaborated(trainer)
        return path, params
    write_verilog(trainer, TOP, out, params)
    return path, params


def run_loop(config: MGDConfig, sim: str, steps: int, *, latency: int, eval_every: int | None = None,
             name: str = "config", device_latency: int | None = None) -> LoopResult:
    """Train ``config``'s device for ``steps`` steps with the trainer in ``sim`` (``LOOP_SIMS``), built for a
    cost source of ``latency`` cycles; evaluate the device every ``eval_every`` steps (default
    ``task.eval_every``). ``device_latency`` (RTL only, default ``latency``): the latency the device really
    has; any other value breaks the loop, which is how the tests prove that the bench catches it."""
    import dataclasses

    from golden_model.device import train_model_loop

    noise = dataclasses.asdict(config.noise)
    every = eval_every or config.task.eval_every
    if sim == "model":
        from rtl._validate import not_elaborated
        from rtl.spatial.standalone import build_trainer

        not_elaborated(build_trainer(config, latency=latency))  # the same refusals as the RTL loop
        r = train_model_loop(config, steps, every)
        return LoopResult(name, sim, latency, r["steps"], r["final"], r["steps_to_target"],
                          config.task.target_accuracy, None, None, wall_s=r["wall_s"], passes=r["reads"],
                          noise=noise, curve=r["curve"], theta=r["theta"])
    reason = runner.simulator_missing(sim)
    if reason is not None:
        raise LoopError(f"simulator {sim} is not available: {reason}")
    from rtl.spatial.standalone import TOP

    t_all = time.perf_counter()
    verilog, _ = generate(config, latency)
    t0 = time.perf_counter()
    build_dir = runner.build(sim, [verilog], TOP)
    build_s = time.perf_counter() - t0
    tag = f"{steps}-{latency}-{time.time_ns()}"
    cfg_file = build_dir / f"loop-config-{tag}.toml"
    cfg_file.write_text(to_toml(config))
    result_file = build_dir / f"loop-result-{tag}.json"
    env = {"MGD_LOOP_CONFIG": str(cfg_file), "MGD_LOOP_STEPS": str(steps), "MGD_LOOP_LATENCY": str(latency),
           "MGD_LOOP_EVAL_EVERY": str(every), "MGD_LOOP_RESULT": str(result_file),
           "MGD_LOOP_DEVICE_LATENCY": str(latency if device_latency is None else device_latency)}
    t0 = time.perf_counter()
    error = None
    try:
        runner.run(sim, build_dir, TOP, TEST_MODULE, env=env, testcase=BENCH)
    except AssertionError as exc:  # the bench's verdict; its message is in the result file too
        error = str(exc)
    sim_s = time.perf_counter() - t0
    if not result_file.exists():
        raise LoopError(f"the {sim} loop bench wrote no result ({result_file}): {error}")
    r = json.loads(result_file.read_text())
    mismatch = r.get("mismatch") or error
    return LoopResult(name, sim, latency, r["steps"], r["final"], r["steps_to_target"],
                      config.task.target_accuracy, mismatch is None, mismatch,
                      steps_compared=r["steps_compared"], updates_compared=r["updates_compared"],
                      passes=r["passes"], cycles=r.get("cycles", 0), build_s=build_s, sim_s=sim_s,
                      wall_s=time.perf_counter() - t_all, noise=noise, curve=r["curve"], theta=r["theta"])
