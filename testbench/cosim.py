"""Co-simulation of the generated MGD core against the fixed-point golden model (Icarus or Verilator).

This is the logic behind ``mgd cosim`` and ``mgd train --backend rtl``; the cocotb side is
:mod:`testbench.core_tests`. One call = generate the core's Verilog for a config (refusing configs the RTL
cannot build, before anything runs), build the simulation model once per Verilog (:mod:`testbench.runner`
caches by hash), run the bench, and read back its figures. A core with a ``load`` port (streamed sample
store) is sent the training set of the model's config (:meth:`rtl.contract.MGDCoreBase.sample_words`),
which may differ from the one its Verilog was generated for (``hardware``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from golden_model.config import MGDConfig, to_toml
from golden_model.datasets import data_file_digest
from golden_model.errors import MGDError
from golden_model.results import CurvePoint, TrainResult
from rtl.contract import MGDCoreBase
from testbench import runner

__all__ = ["TOP", "CosimError", "CosimResult", "config_digest", "generate", "run_cosim", "train",
           "readback_every"]

TOP = "mgd_core"
TEST_MODULE = "testbench.core_tests"
BENCH = "core_matches_golden_model"  # the cocotb tests of TEST_MODULE
REFUSAL_BENCH = "core_refuses_unrunnable_taus"


class CosimError(MGDError):
    """A co-simulation that could not run (no simulator, no result) or left the golden model."""


@dataclass
class CosimResult:
    """Figures of one co-simulation run."""

    config_name: str
    sim: str
    steps: int
    updates_compared: int
    params_compared: int
    bit_exact: bool
    mismatch: str | None
    latency: int
    cycles_per_step: float | None  # busy cycles per step of the free-running phase (no pauses)
    bound_cycles_per_step: float  # the core's own schedule (MGDCoreBase.cycles) of the free-running steps
    checked_steps_per_s: float | None  # with a bit-exact comparison after every update
    checked_cycles_per_s: float | None
    checked_rtl_cycles_per_s: float | None  # the same cycles over the time spent in the simulator only
    free_steps_per_s: float | None  # free-running (one long run, compared at its end)
    free_cycles_per_s: float | None
    build_s: float
    sim_s: float
    final: list[float] = field(default_factory=list)  # cost, train accuracy, test accuracy of the RTL's θ
    curve: list[list[float]] = field(default_factory=list)
    sat_events: int = 0
    waves: str | None = None
    style: str = ""
    readbacks: int = 0  # full readbacks of every θ, G, M
    digest_checks: int = 0  # checks of the digests and the status registers
    load_beats: int = 0  # words sent through the load port before training (0: the samples are built in)
    load_cycles: int = 0  # clock cycles that took (not busy cycles: not in status.cycles)

    def summary(self) -> str:
        cps = (f"{self.cycles_per_step:.3f} (schedule {self.bound_cycles_per_step:.3f}, "
               f"latency {self.latency})"
               if self.cycles_per_step is not None
               else f"n/a (no free-running steps; latency {self.latency})")
        status = "bit-exact" if self.bit_exact else f"MISMATCH: {self.mismatch}"
        speed = ""
        if self.checked_steps_per_s:
            speed = (f" checked={self.checked_steps_per_s:.0f} steps/s "
                     f"{self.checked_cycles_per_s:.0f} cycles/s")
        if self.free_steps_per_s:
            speed += f" free={self.free_steps_per_s:.0f} steps/s {self.free_cycles_per_s:.0f} cycles/s"
        acc = f" train_acc={self.final[1]:.3f}" if self.final else ""
        load = f"loaded={self.load_beats} words in {self.load_cycles} cycles " if self.load_beats else ""
        return (f"cosim config={self.config_name} style={self.style} sim={self.sim} {load}steps={self.steps} "
                f"updates_compared={self.updates_compared} params_compared={self.params_compared} "
                f"cycles_per_step={cps}"
                f"{speed}{acc} {status}")

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def readback_every(n_params: int) -> int:
    """Checks between full readbacks of every θ, G and M (the digests are compared at every check).

    Every check for up to 64 parameters; beyond that every ``n_params`` checks, so reading every register
    back (one parameter per transaction) costs about as much as the checks in between."""
    return 1 if n_params <= 64 else n_params


# The waveform format each simulator writes here: Icarus dumps FST (cocotb's dump module); Verilator VCD,
# because its FST writer needs the lz4 headers, which the toolchain does not install.
WAVE_FORMATS = {"icarus": "fst", "verilator": "vcd"}


def config_digest(config: MGDConfig) -> str:
    """Digest of the config, of its data file (``task.dataset = "file"``: the config names the file, not its
    contents) and of every RTL and golden-model source: a cached Verilog is reused only when none changed."""
    h = hashlib.sha256(to_toml(config).encode())
    h.update((data_file_digest(config.task) or "").encode())
    root = Path(__file__).resolve().parent.parent
    for src in sorted([*root.glob("rtl/**/*.py"), *root.glob("golden_model/*.py")]):
        h.update(src.name.encode())
        h.update(src.read_bytes())
    return h.hexdigest()[:16]


def generate(config: MGDConfig, out_dir: str | Path | None = None, *,
             core: MGDCoreBase | None = None) -> tuple[Path, dict[str, Any], MGDCoreBase]:
    """Write the Verilog of ``config``'s core with its verification ``digest`` port, inside the co-simulation
    top (:class:`testbench.sim_top.SimTop`: the core's ports and the check driver's); return ``(verilog path,
    the core's parameters, the core)`` (``params.json``: style, latency, readback latency, ...).

    ``core``: the core :func:`rtl.cores.build_core` built with ``verify=True`` (built here when not given,
    which refuses a config the RTL cannot build before anything is written). A Verilog already written
    for the same config and sources is reused.
    """
    from rtl._validate import not_elaborated
    from rtl.cores import build_core
    from rtl.generate import write_verilog
    from testbench.sim_top import SimTop

    if core is None:
        core = build_core(config, verify=True)
    if not core.verify:
        raise CosimError("the co-simulated core must be built with verify=True (it compares digests)")
    out = Path(out_dir) if out_dir is not None else runner.BUILD_ROOT / "verilog" / config_digest(config)
    path = out / f"{TOP}.v"
    meta = out / "params.json"
    data = data_file_digest(config.task)
    if path.exists() and meta.exists():
        old = json.loads(meta.read_text())
        if old.get("config") == to_toml(config) and old.get("data_file_sha256") == data:
            not_elaborated(core)
            return path, old, core
    params = {"block": "core", "config": to_toml(config), "data_file_sha256": data, **core.describe(),
              "readback_latency": core.readback_latency, "theta0": [int(v) for v in core.theta0]}
    write_verilog(SimTop(core), TOP, out, params)
    return path, params, core


def run_cosim(config: MGDConfig, sim: str, steps: int, *, name: str = "config", free_steps: int = 0,
              eval_every: int = 0, waves: str | Path | None = None,
              hardware: MGDConfig | None = None, core: MGDCoreBase | None = None,
              readback: int | None = None, bench: str = BENCH) -> CosimResult:
    """Co-simulate ``steps`` checked steps (+ ``free_steps`` free-running) of ``config`` in ``sim``.

    ``hardware`` (default ``config``) is the config the Verilog is generated from; a different one is how
    the tests prove that the bench catches hardware that is not the model. ``core``: the verification core
    of ``hardware`` if the caller built it already. ``readback``: checks between full readbacks (default
    :func:`readback_every`). ``bench``: the cocotb test of :mod:`testbench.core_tests` to run (default the
    bit-exact training, :data:`BENCH`; :data:`REFUSAL_BENCH` checks the τ refusal of the host protocol).
    """
    reason = runner.simulator_missing(sim)
    if reason is not None:
        raise CosimError(f"simulator {sim} is not available: {reason}")
    tau = config.mgd.tau_theta
    free_steps = -(-free_steps // tau) * tau  # whole update blocks, so cycles/step is exact
    hw = hardware if hardware is not None else config
    verilog, params, core = generate(hw, core=core)
    t0 = time.perf_counter()
    build_dir = runner.build(sim, [verilog], TOP, waves=waves is not None)
    build_s = time.perf_counter() - t0
    tag = f"{config_digest(config)}-{steps}-{free_steps}-{eval_every}-{time.time_ns()}"
    cfg_file = build_dir / f"config-{tag}.toml"
    cfg_file.write_text(to_toml(config))
    result_file = build_dir / f"result-{tag}.json"
    n_params = int(params["n_params"])
    env = {"MGD_COSIM_CONFIG": str(cfg_file), "MGD_COSIM_STEPS": str(steps),
           "MGD_COSIM_FREE_STEPS": str(free_steps), "MGD_COSIM_EVAL_EVERY": str(eval_every),
           "MGD_COSIM_RESULT": str(result_file),
           "MGD_COSIM_READBACK_EVERY": str(readback if readback is not None else readback_every(n_params)),
           "MGD_COSIM_READBACK_LATENCY": str(params["readback_latency"]),
           "MGD_COSIM_TAU_THETA_MAX": str(core.tau_theta_max)}
    if core.load_beats:  # the model's training set, coded as the core's store holds it
        from rtl.cores import core_inputs

        inputs = core_inputs(config)
        load_file = build_dir / f"load-{tag}.txt"
        load_file.write_text("".join(f"{w:x}\n" for w in core.sample_words(inputs.x, inputs.t)))
        env["MGD_COSIM_LOAD"] = str(load_file)
    t0 = time.perf_counter()
    r, error = _bench(sim, build_dir, env, bench, waves is not None, result_file)
    mismatch = r.get("mismatch") or (error if error else None)
    if r.get("replay_steps"):  # the check chain differed: replay update by update to name the parameter
        replay_file = build_dir / f"replay-{tag}.json"
        replay_env = {**env, "MGD_COSIM_STEPS": str(r["replay_steps"]), "MGD_COSIM_FREE_STEPS": "0",
                      "MGD_COSIM_EVAL_EVERY": "0", "MGD_COSIM_COMMANDS": "0",
                      "MGD_COSIM_RESULT": str(replay_file)}
        rr, replay_error = _bench(sim, build_dir, replay_env, bench, False, replay_file)
        found = rr.get("mismatch") or replay_error
        a, b = r["chain_steps"]
        mismatch = (f"{found} (found by a per-update replay of steps 0..{r['replay_steps'] - 1}, after the "
                    f"check chain over steps {a}..{b} differed)" if found else
                    f"{mismatch}; a per-update replay of those steps found no difference "
                    f"(a check driver bug?)")
    sim_s = time.perf_counter() - t0
    wave_out = None
    if waves is not None:
        found = sorted(build_dir.glob("*.fst")) + sorted(build_dir.glob("*.vcd"))
        if found:
            wave_out = str(Path(waves))
            shutil.copyfile(max(found, key=lambda p: p.stat().st_mtime), wave_out)
    cw, cs = r.get("checked_wall_s"), r.get("checked_cycles", 0)
    fw, fc, fs = r.get("free_wall_s"), r.get("free_cycles"), r.get("free_steps")
    m = config.mgd
    return CosimResult(
        config_name=name, sim=sim, steps=r["steps"], updates_compared=r["updates_compared"],
        params_compared=r["params_compared"], bit_exact=mismatch is None, mismatch=mismatch,
        latency=int(params.get("latency", 0)),
        cycles_per_step=(fc / fs) if fs else None,
        bound_cycles_per_step=(core.cycles(r["steps"] - fs, fs, m.tau_x, m.tau_p, m.tau_theta) / fs
                               if fs else float("nan")),
        checked_steps_per_s=(steps / cw) if cw else None, checked_cycles_per_s=(cs / cw) if cw else None,
        checked_rtl_cycles_per_s=(cs / r["checked_rtl_wall_s"]) if r.get("checked_rtl_wall_s") else None,
        free_steps_per_s=(fs / fw) if fw else None, free_cycles_per_s=(fc / fw) if fw else None,
        build_s=build_s, sim_s=sim_s, final=r.get("final", []), curve=r.get("curve", []),
        sat_events=r.get("sat_events", 0), waves=wave_out, style=str(params.get("style", "")),
        readbacks=int(r.get("readbacks", 0)), digest_checks=int(r.get("digest_checks", 0)),
        load_beats=int(r.get("load_beats", 0)), load_cycles=int(r.get("load_cycles", 0)))


def _bench(sim: str, build_dir: Path, env: dict[str, str], bench: str, waves: bool,
           result_file: Path) -> tuple[dict[str, Any], str | None]:
    """Run the cocotb ``bench`` on a built model; return its result file's figures and its verdict's error
    message (``None`` when it passed)."""
    error = None
    try:
        runner.run(sim, build_dir, TOP, TEST_MODULE, env=env, testcase=bench, waves=waves)
    except AssertionError as exc:  # the cocotb bench's verdict (its message is in the result file too)
        error = str(exc)
    if not result_file.exists():
        raise CosimError(f"the {sim} bench wrote no result ({result_file}): {error}")
    return json.loads(result_file.read_text()), error


def train(config: MGDConfig, progress: bool = True) -> TrainResult:
    """``mgd train --backend rtl``: train on the generated core in Verilator, θ checked bit for bit.

    Runs ``task.steps`` steps, evaluating the RTL's θ every ``task.eval_every`` steps (with the golden
    forward pass on the RTL's θ, which the bench has just proved equal to the model's), and fails with the
    first mismatch if the RTL ever leaves the golden model.
    """
    if progress:
        print(f"rtl: generating and building the core (Verilator), then {config.task.steps} steps ...",
              flush=True)
    t0 = time.perf_counter()
    r = run_cosim(config, "verilator", config.task.steps, name="train", eval_every=config.task.eval_every)
    wall = time.perf_counter() - t0
    if not r.bit_exact:
        raise CosimError(f"RTL left the golden model: {r.mismatch}")
    curve = [CurvePoint(int(p[0]), float(p[1]), float(p[2]), float(p[3])) for p in r.curve]
    target = config.task.target_accuracy
    hit = next((p.step for p in curve if p.test_accuracy >= target), None)
    if progress:
        print(r.summary(), flush=True)
    return TrainResult("rtl", config, r.steps, wall, curve, hit,
                       {"cosim": {k: v for k, v in r.to_dict().items() if k != "curve"}})
