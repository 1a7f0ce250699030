"""cocotb bench: the generated ``mgd_trainer`` (MGDTrainer alone) trains a foreign device, clock by clock.

The device is :class:`golden_model.device.ForeignDevice` (the float network with device variation and cost
noise). At every falling clock edge the bench reads what the trainer issues (``issue_valid``, the sample,
baseline or perturbed, the signs, θ), evaluates the pass on the device at once, and drives its quantised
cost (and, node mode, the layer inputs) onto ``cost``/``acts`` exactly ``latency`` cycles later: a cost
source of that latency, as the trainer requires.

Every pass the device evaluated is recorded, and the fixed-point model
(:meth:`golden_model.fixed_mgd.FixedMGD.step`) runs the same steps with a cost source that replays those
very costs and checks that each pass it asks for is the one the RTL issued (sample, baseline or not, θ and
signs, equal). After every step the RTL's G (and M) equal the model's; after every update θ, G, M, the
step and update counters, C, C0 and the saturation-event count do (``numpy.testing`` equality of
integers). Timing: a perturbed cost driven in cycle ``c`` is correlated at the edge ending ``c`` (G seen at
the falling edge of ``c + 1``); an update writes θ one edge later (seen at ``c + 2``).

Every ``MGD_LOOP_EVAL_EVERY`` steps the device as built (variation on, no cost noise) is evaluated with
the RTL's θ: the learning curve. Parameters come from the environment (set by :mod:`testbench.loop`):
``MGD_LOOP_CONFIG`` (TOML, with the device's ``noise`` section), ``MGD_LOOP_STEPS``, ``MGD_LOOP_LATENCY``
(the trainer's), ``MGD_LOOP_DEVICE_LATENCY`` (the device's, default the trainer's: a device of another
latency feeds the correlator the wrong pass's cost, which the bench must catch), ``MGD_LOOP_EVAL_EVERY``,
``MGD_LOOP_RESULT`` (JSON file of the figures and the first mismatch).
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from pathlib import Path

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, RisingEdge

from golden_model.config import load_toml, to_toml
from golden_model.device import ForeignDevice, LoopCurve, trainer_config
from golden_model.fixed_mgd import FixedMGD, Pass
from golden_model.schedule import spatial_cycles
from testbench.host_contract import reset_host
from testbench.sim._support import unpack


class LoopMismatch(AssertionError):
    """The RTL trainer left the fixed-point model."""


class LoopBench:
    """Clock, reset, the device behind a ``latency``-cycle pipe, and the model replaying its costs."""

    def __init__(self, dut, config, latency: int, trainer_latency: int) -> None:
        self.dut = dut
        self.config = config
        self.latency = latency  # the device's
        self.trainer_latency = trainer_latency  # what the trainer was generated for
        self.device = ForeignDevice(config)
        self.model = FixedMGD(trainer_config(config))
        self.spec = s = self.model.spec
        self.n_params = s.layout.n_params
        self.node = s.perturbation == "node"
        self.pipe: deque = deque([None] * latency)  # (cost, acts word, baseline) of the last passes issued
        self.issued: deque = deque()  # (Pass, cost, inputs) for the model's replay, in issue order
        self.passes = 0
        self.updates_compared = 0
        self.steps_compared = 0

    def where(self) -> str:
        return (f"at step {self.model.n - 1}, device latency {self.latency} (trainer built for "
                f"{self.trainer_latency}), seed {self.config.mgd.seed}, config:\n{to_toml(self.config)}")

    async def reset(self) -> None:
        await reset_host(self.dut, self.spec, ["cost", "acts"])

    def rtl_theta(self) -> np.ndarray:
        return unpack(int(self.dut.theta.value), self.n_params, self.spec.theta.width)

    def issue(self) -> None:
        """This cycle's pass, if any, onto the device; its cost into the pipe."""
        d, s = self.dut, self.spec
        if not int(d.issue_valid.value):
            self.pipe.append(None)
            return
        bits = unpack(int(d.signs.value), s.n_lanes, 1, signed=False)
        p = Pass(self.rtl_theta(), 1 - 2 * bits, int(d.issue_sample.value), bool(int(d.issue_baseline.value)))
        c, inputs = self.device.cost(p)
        word = 0
        if inputs is not None:
            mask = (1 << s.act.width) - 1
            for i, v in enumerate(np.concatenate(inputs)):
                word |= (int(v) & mask) << (i * s.act.width)
        self.issued.append((p, c, inputs))
        self.pipe.append((c, word, p.baseline))
        self.passes += 1

    def replay(self, p: Pass) -> tuple[int, list[np.ndarray] | None]:
        """The model's cost source: the next recorded pass, which must be the one the model asks for."""
        if not self.issued:
            raise LoopMismatch(f"the model asked for a {'baseline' if p.baseline else 'perturbed'} pass the "
                               f"RTL had not issued, {self.where()}")
        q, c, inputs = self.issued.popleft()
        kind = "baseline" if p.baseline else "perturbed"
        for what, want, got in (("sample", p.sample, q.sample), ("baseline flag", p.baseline, q.baseline)):
            if want != got:
                raise LoopMismatch(f"the RTL issued a pass with {what} {got}, the model's {kind} pass has "
                                   f"{want}, {self.where()}")
        for what, want, got in (("theta", p.theta, q.theta), ("signs", p.signs, q.signs)):
            if not np.array_equal(want, got):
                i = int(np.flatnonzero(want != got)[0])
                raise LoopMismatch(f"the RTL issued a {kind} pass with {what}[{i}] = {int(got[i])}, the "
                                   f"model has {int(want[i])} ({int(np.sum(want != got))} differ), "
                                   f"{self.where()}")
        return c, inputs

    def compare(self, full: bool) -> None:
        """The RTL's registers against the model's after a step (``full``: after an update, every status)."""
        d, m, s = self.dut, self.model, self.spec
        files = [("G", d.grad, m.G, s.grad_width)]
        if s.k_m:
            files.append(("M", d.momentum, m.M, s.momentum_width))
        if full:
            files.insert(0, ("theta", d.theta, m.theta, s.theta.width))
        for name, port, want, width in files:
            got = unpack(int(port.value), self.n_params, width)
            if not np.array_equal(got, want):
                bad = np.flatnonzero(got != want)
                i = int(bad[0])
                raise LoopMismatch(f"{name} mismatch in {bad.size} of {self.n_params} parameters; first: "
                                   f"parameter {i}: expected {int(want[i])}, actual {int(got[i])}, "
                                   f"{self.where()}")
        scalars = {"step": m.n}
        if full:
            scalars.update(updates=m.n // s.tau_theta, last_cost=m.C, c0=m.C0, sat_events=m.sat_events)
        for name, want in scalars.items():
            got = int(getattr(d, f"status__{name}").value)
            if got != want:
                raise LoopMismatch(f"status.{name} is {got}, expected {want}, {self.where()}")
        self.steps_compared += 1
        self.updates_compared += int(full)


@cocotb.test()
async def trainer_trains_foreign_device(dut) -> None:
    """The trainer trains the device; θ, G (and M) equal the model's after every step and update."""
    env = os.environ
    config = load_toml(env["MGD_LOOP_CONFIG"])
    steps = int(env["MGD_LOOP_STEPS"])
    latency = int(env["MGD_LOOP_LATENCY"])
    device_latency = int(env.get("MGD_LOOP_DEVICE_LATENCY", latency))
    eval_every = int(env.get("MGD_LOOP_EVAL_EVERY", "0")) or steps
    out = Path(env["MGD_LOOP_RESULT"])
    tb = LoopBench(dut, config, device_latency, latency)
    s = tb.spec
    curve = LoopCurve(config.task.target_accuracy)
    res: dict = {"steps": 0, "mismatch": None}
    # the trainer's own schedule for the run (one pass a cycle, a drain of latency + 1 per update), plus slack
    slack = 4 * max(latency, device_latency) + 16
    budget = spatial_cycles(0, steps, s.tau_x, s.tau_theta, latency + 1) + slack
    t0 = time.perf_counter()
    try:
        await tb.reset()
        got = tb.rtl_theta()
        if not np.array_equal(got, tb.model.theta):
            raise LoopMismatch(f"reset θ differs from the model's θ₀, {tb.where()}")
        curve.add(0, tb.device.evaluate(got))
        dut.ctrl__n_steps.value = steps
        dut.ctrl__start.value = 1
        await RisingEdge(dut.clk)
        dut.ctrl__start.value = 0
        step_due = update_due = -1  # cycles at whose falling edge a step / an update is to be compared
        cycle = 0
        while tb.model.n < steps or update_due >= cycle:
            await FallingEdge(dut.clk)
            if cycle == update_due:
                tb.compare(full=True)
                if tb.model.n % eval_every == 0 or tb.model.n == steps:
                    curve.add(tb.model.n, tb.device.evaluate(tb.rtl_theta()))
            if cycle == step_due:
                tb.model.step(tb.replay)
                if tb.model.updated:
                    update_due = cycle + 1
                else:
                    tb.compare(full=False)
            tb.issue()
            entry = tb.pipe.popleft()
            if entry is not None:
                c, word, baseline = entry
                dut.cost.value = c
                if tb.node:
                    dut.acts.value = word
                if not baseline:
                    step_due = cycle + 1
            cycle += 1
            if cycle > budget:
                raise LoopMismatch(f"the trainer ran {cycle} cycles without finishing {steps} steps (its "
                                   f"schedule: {budget - slack}), {tb.where()}")
        await FallingEdge(dut.clk)
        if curve.points[-1][0] != tb.model.n:  # a run that does not end on an update
            curve.add(tb.model.n, tb.device.evaluate(tb.rtl_theta()))
        if int(dut.status__busy.value) or tb.issued:
            raise LoopMismatch(f"after {steps} steps the trainer is busy ({int(dut.status__busy.value)}) or "
                               f"issued {len(tb.issued)} passes the model did not use, {tb.where()}")
        res["cycles"] = int(dut.status__cycles.value)
    except LoopMismatch as exc:
        res["mismatch"] = str(exc)
    finally:
        res.update(steps=tb.model.n, passes=tb.passes, device_reads=tb.device.reads,
                   steps_compared=tb.steps_compared, updates_compared=tb.updates_compared,
                   curve=curve.points, final=curve.final, steps_to_target=curve.steps_to_target,
                   theta=[int(v) for v in tb.model.theta], sat_events=tb.model.sat_events,
                   wall_s=time.perf_counter() - t0)
        out.write_text(json.dumps(res, indent=1) + "\n")
    assert res["mismatch"] is None, res["mismatch"]
