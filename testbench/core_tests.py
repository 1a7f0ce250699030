"""cocotb bench of the generated ``mgd_core`` Verilog against the fixed-point golden model.

The bench is transaction-level: it asks the core to run up to the next θ update (``n_steps``, ``start``),
waits for ``busy`` to fall, and compares every θ, every G (and every momentum register M, with momentum),
the step counter, C, C0, the sample index and the saturation-event counter with
:class:`golden_model.fixed_mgd.FixedMGD` after the same steps; Python never touches the core clock by clock.
Every eighth update block (when τ_θ > 1) is split in two so G is also compared mid-block and the stop/resume
path is exercised.

Parameters come from the environment (set by :mod:`testbench.cosim`):
``MGD_COSIM_CONFIG`` (TOML file of the config), ``MGD_COSIM_STEPS`` (steps checked one update at a time),
``MGD_COSIM_FREE_STEPS`` (steps run afterwards in one go, checked at the end: the free-running speed),
``MGD_COSIM_EVAL_EVERY`` (0, or steps between accuracy evaluations of the RTL's θ),
``MGD_COSIM_RESULT`` (JSON file the figures and the first mismatch are written to).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

from golden_model.config import load_toml, to_toml
from golden_model.datasets import accuracy
from golden_model.fixed_mgd import FixedMGD
from golden_model.fixed_network import cost, forward

SPLIT_EVERY = 8  # every 8th update block is run in two parts (G compared mid-block)
TRACE_BATCH = 2048  # golden-model steps recorded per batch (its fast path amortises per call)


def _unflat(word: int, n: int, width: int) -> np.ndarray:
    mask, top = (1 << width) - 1, 1 << (width - 1)
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        v = (word >> (i * width)) & mask
        out[i] = v - (1 << width) if v & top else v
    return out


def _bits(v: int, width: int) -> str:
    return format(int(v) & ((1 << width) - 1), f"0{width}b")


class CoreBench:
    """Clock, reset, the run/read transactions and the comparison with the golden model."""

    def __init__(self, dut, config) -> None:
        self.dut = dut
        self.config = config
        self.model = FixedMGD(config)
        self.model.warm_up()  # load the compiled kernel now, not inside the timed checked steps
        self.spec = self.model.spec
        self.n_params = self.spec.layout.n_params
        self.updates = 0
        self.compares = 0
        self.params_compared = 0
        self.rtl_wall = 0.0
        self.n = 0  # steps run on the core
        self.trace = None
        self.trace_start = 0  # wall time spent waiting for the simulator (not the model, not the checks)

    async def reset(self) -> None:
        d, s = self.dut, self.spec
        cocotb.start_soon(Clock(d.clk, 10, unit="ns").start())
        d.rst.value = 1
        d.start.value = 0
        d.stop.value = 0
        d.n_steps.value = 0
        d.rd_index.value = 0
        d.tau_x.value = s.tau_x
        d.tau_p.value = s.tau_p
        d.tau_theta.value = s.tau_theta
        await RisingEdge(d.clk)
        await RisingEdge(d.clk)
        d.rst.value = 0
        await RisingEdge(d.clk)

    async def run(self, steps: int) -> None:
        """Run ``steps`` MGD steps on the core (the model is advanced lazily by :meth:`expected`)."""
        d = self.dut
        t0 = time.perf_counter()
        d.n_steps.value = steps
        d.start.value = 1
        await RisingEdge(d.clk)
        d.start.value = 0
        await FallingEdge(d.busy)
        # Read at the next falling clock edge, when every net has settled: at the busy edge itself an
        # event-driven simulator (Icarus) may not yet have evaluated the outputs computed from registers
        # that changed at the same clock edge (sat_events = total + this cycle's registered events).
        await FallingEdge(d.clk)
        self.rtl_wall += time.perf_counter() - t0
        self.n += steps

    def expected(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
        """The model's θ, G, M and scalar registers (C, C0, sample, sat_events) after ``self.n`` steps, from
        traces recorded in batches."""
        m = self.model
        if self.n > m.n:
            skip = self.n - 1 - m.n  # steps before the trace window that no check looks at
            if skip > TRACE_BATCH:
                m.run(skip, record=False)
            self.trace_start = m.n
            self.trace = m.run(max(TRACE_BATCH, self.n - m.n))
        i = self.n - 1 - self.trace_start
        tr = self.trace
        scalars = {"C": tr.C[i], "C0": tr.C0[i], "sample": tr.sample[i], "sat_events": tr.sat_events[i]}
        return tr.theta[i], tr.G[i], tr.M[i], {k: int(v) for k, v in scalars.items()}

    def read(self) -> tuple[np.ndarray, np.ndarray]:
        d, s = self.dut, self.spec
        return (_unflat(d.theta.value.to_unsigned(), self.n_params, s.theta.width),
                _unflat(d.grad.value.to_unsigned(), self.n_params, s.grad_width))

    def mismatch(self) -> str | None:
        """Compare the core with the model; the first difference as a message, or ``None``."""
        d, s = self.dut, self.spec
        theta, grad = self.read()
        e_theta, e_grad, e_m, e_scalars = self.expected()
        self.compares += 1
        self.params_compared += self.n_params

        def where() -> str:
            return (f"after step {self.n - 1} (update {self.n // s.tau_theta}), seed {self.config.mgd.seed}, "
                    f"config:\n{to_toml(self.config)}")

        if int(d.step.value) != self.n:
            return f"step counter is {int(d.step.value)}, expected {self.n}, {where()}"
        regs = [("theta", theta, e_theta, s.theta.width), ("G", grad, e_grad, s.grad_width)]
        if s.k_m:
            regs.append(("M", _unflat(d.momentum.value.to_unsigned(), self.n_params, s.momentum_width), e_m,
                         s.momentum_width))
        for name, act, exp, width in regs:
            if not np.array_equal(act, exp):
                bad = np.flatnonzero(act != exp)
                i = int(bad[0])
                return (f"{name} mismatch in {bad.size} of {self.n_params} parameters; first: parameter {i}: "
                        f"expected {int(exp[i])} ({_bits(exp[i], width)}), actual {int(act[i])} "
                        f"({_bits(act[i], width)}) {where()}")
        actual = {"C": d.last_cost, "C0": d.c0, "sample": d.sample, "sat_events": d.sat_events}
        for name, exp in e_scalars.items():
            act = int(actual[name].value)
            if act != exp:
                return f"{name} is {act}, expected {exp}, {where()}"
        return None

    def evaluate(self, theta: np.ndarray) -> tuple[float, float, float]:
        """Mean cost (real units) and train/test accuracy of the network with the RTL's θ."""
        s, data = self.spec, self.model.quantized_dataset()
        one = float(1 << s.A_f)
        blocks = s.layout.unflatten(theta)
        y_tr = forward(blocks, data.x_train, s)[0]
        y_te = forward(blocks, data.x_test, s)[0]
        c = float(np.mean(cost(y_tr, data.t_train, s))) * s.cost_fmt.lsb
        return c, accuracy(y_tr / one, data.t_train / one), accuracy(y_te / one, data.t_test / one)


def _plan(steps: int, tau_theta: int, eval_every: int) -> list[int]:
    """Chunks: up to the next update (split every SPLIT_EVERY-th block) and to every evaluation point."""
    out, done, block = [], 0, 0
    while done < steps:
        nxt = min(steps, (done // tau_theta + 1) * tau_theta)
        if eval_every:
            nxt = min(nxt, (done // eval_every + 1) * eval_every)
        if (tau_theta > 1 and block % SPLIT_EVERY == SPLIT_EVERY - 1 and nxt - done > 1
                and nxt % tau_theta == 0):
            nxt = done + (nxt - done) // 2
        else:
            block += nxt % tau_theta == 0
        out.append(nxt - done)
        done = nxt
    return out


@cocotb.test()
async def core_matches_golden_model(dut) -> None:
    """Every θ and G equal the golden model's after every update (and mid-block every 8th block)."""
    env = os.environ
    config = load_toml(env["MGD_COSIM_CONFIG"])
    steps = int(env.get("MGD_COSIM_STEPS", "1000"))
    free = int(env.get("MGD_COSIM_FREE_STEPS", "0"))
    eval_every = int(env.get("MGD_COSIM_EVAL_EVERY", "0"))
    out = Path(env["MGD_COSIM_RESULT"])
    tb = CoreBench(dut, config)
    s = tb.spec
    res: dict = {"steps": 0, "updates_compared": 0, "params_compared": 0, "mismatch": None, "curve": []}
    try:
        await tb.reset()
        theta, grad = tb.read()
        if not (np.array_equal(theta, tb.model.theta0) and not grad.any()):
            bad = (int(np.flatnonzero(theta != tb.model.theta0)[0])
                   if not np.array_equal(theta, tb.model.theta0) else -1)
            res["mismatch"] = (f"reset state differs: theta[{bad}] = {theta[bad]}, "
                               f"expected {tb.model.theta0[bad]}"
                               if bad >= 0 else "reset state differs: G is not 0")
        if eval_every and res["mismatch"] is None:
            res["curve"].append([0, *tb.evaluate(theta)])
        t0 = time.perf_counter()
        for chunk in ([] if res["mismatch"] else _plan(steps, s.tau_theta, eval_every)):
            await tb.run(chunk)
            res["mismatch"] = tb.mismatch()
            if tb.n % s.tau_theta == 0:
                res["updates_compared"] += 1
            if res["mismatch"]:
                break
            if eval_every and tb.n % eval_every == 0:
                res["curve"].append([tb.n, *tb.evaluate(tb.read()[0])])
        wall = time.perf_counter() - t0
        if eval_every and not res["mismatch"] and tb.n % eval_every:  # the end of the run, as train() does
            res["curve"].append([tb.n, *tb.evaluate(tb.read()[0])])
        res["final"] = list(tb.evaluate(tb.read()[0]))  # accuracy at the end of the checked steps
        res.update(steps=tb.n, params_compared=tb.params_compared, checked_wall_s=wall,
                   checked_rtl_wall_s=tb.rtl_wall, checked_cycles=int(dut.cycles.value))
        if free and not res["mismatch"]:
            c0, n0 = int(dut.cycles.value), tb.n
            w0 = tb.rtl_wall
            await tb.run(free)
            res["free_wall_s"] = tb.rtl_wall - w0
            res["free_cycles"] = int(dut.cycles.value) - c0
            res["free_steps"] = tb.n - n0
            res["mismatch"] = tb.mismatch()
            res["steps"] = tb.n
            res["params_compared"] = tb.params_compared
            if tb.n % s.tau_theta == 0:
                res["updates_compared"] += 1
        res["sat_events"] = int(dut.sat_events.value)
    finally:
        out.write_text(json.dumps(res, indent=1) + "\n")
    assert res["mismatch"] is None, res["mismatch"]
