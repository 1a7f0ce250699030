"""cocotb bench of the generated ``mgd_core`` Verilog against the fixed-point golden model.

The bench speaks only the host contract (:mod:`rtl.contract`), so it checks every datapath style. It is
transaction-level: it asks the core to run up to the next θ update (``ctrl.n_steps``, ``ctrl.start``),
waits for ``status.busy`` to fall, and compares with :class:`golden_model.fixed_mgd.FixedMGD` after the
same steps: the digests of θ, G and M (:mod:`golden_model.digest`, the core's verification-only ``digest``
port) and the step counter, C, C0, the sample index and the saturation-event counter at every check; and
every θ, G and M, read back one parameter at a time through ``rd``, every ``MGD_COSIM_READBACK_EVERY``
checks, after the last one, and at once when a digest differs (so a report names the first parameter that
disagrees). Python never touches the core clock by clock.

With the co-simulation top's check driver (``check`` port, :mod:`testbench.sim_top`) the bench sends a run of
consecutive equal chunks as one command (up to :data:`COMMAND_RUNS` runs), the driver starts each run and
folds every run's digests and status registers into a check chain (:func:`golden_model.digest.chain`), and
the bench compares the chain with the model's, then the state after the command as above: every update is
still compared, with one round trip through the simulator's interface per command instead of four per
update. A chain that differs names the steps it covers and asks for a replay (``replay_steps`` in the
result): :func:`testbench.cosim.run_cosim` then reruns the bench per update (``MGD_COSIM_COMMANDS=0``) to
those steps, which names the first update and parameter that disagree. Every eighth update block (when
τ_θ > 1) is split in two so G is also compared mid-block and the stop/resume path is exercised. A core
with a ``load`` port (a streamed sample store, host protocol step 0) is first sent the model's training set
through it, one beat a clock; those clock cycles are counted apart (``load_cycles``; the core counts none
in ``status.cycles``).

Parameters come from the environment (set by :mod:`testbench.cosim`):
``MGD_COSIM_CONFIG`` (TOML file of the config), ``MGD_COSIM_STEPS`` (steps checked one update at a time),
``MGD_COSIM_FREE_STEPS`` (steps run afterwards in one go, checked at the end: the free-running speed),
``MGD_COSIM_EVAL_EVERY`` (0, or steps between accuracy evaluations of the RTL's θ),
``MGD_COSIM_READBACK_EVERY`` (checks between full readbacks; 1 = every parameter at every check),
``MGD_COSIM_READBACK_LATENCY`` (the core's ``readback_latency``),
``MGD_COSIM_COMMANDS`` (0: one start per chunk even with a check driver, the replay's mode),
``MGD_COSIM_LOAD`` (a core with a ``load`` port: file of the words to send, hexadecimal, one a line),
``MGD_COSIM_RESULT`` (JSON file the figures and the first mismatch are written to).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, RisingEdge, Timer

from golden_model.config import load_toml, to_toml
from golden_model.digest import CHAIN_INIT, chain, digest, digests
from golden_model.fixed_mgd import FixedMGD
from testbench.host_contract import reset_host
from testbench.sim_top import chain_fields

SPLIT_EVERY = 8  # every 8th update block is run in two parts (G compared mid-block)
TRACE_BATCH = 2048  # golden-model steps recorded per batch (its fast path amortises per call)
COMMAND_RUNS = 256  # runs per check-driver command: one chain comparison and one round trip per command


def _bits(v: int, width: int) -> str:
    return format(int(v) & ((1 << width) - 1), f"0{width}b")


class CoreBench:
    """Clock, reset, the run/read transactions and the comparison with the golden model."""

    def __init__(self, dut, config, *, readback_every: int = 1, readback_latency: int = 0) -> None:
        self.dut = dut
        self.config = config
        self.model = FixedMGD(config)
        self.model.warm_up()  # load the compiled kernel now, not inside the timed checked steps
        self.spec = self.model.spec
        self.n_params = self.spec.layout.n_params
        self.readback_every = readback_every
        self.readback_latency = readback_latency
        self.compares = 0
        self.params_compared = 0
        self.readbacks = 0
        self.rtl_wall = 0.0  # wall time spent waiting for the simulator (not the model, not the checks)
        self.n = 0  # steps run on the core
        self.trace = None
        self.trace_start = 0
        s = self.spec
        # (register, readback port, digest port, width) of every register file the bench compares
        self.has_load = hasattr(dut, "load__valid")  # the optional sample-load ports (rtl.contract)
        self.has_check = hasattr(dut, "check__go")  # the co-simulation top's check driver (sim_top)
        self.files = [("theta", dut.rd__theta, dut.digest__theta, s.theta.width),
                      ("G", dut.rd__grad, dut.digest__grad, s.grad_width)]
        if s.k_m:
            self.files.append(("M", dut.rd__momentum, dut.digest__momentum, s.momentum_width))

    async def reset(self) -> None:
        idle = (["rd__index"] + (["load__valid", "load__payload", "load_restart"] if self.has_load else [])
                + (["check__go", "check__runs", "check__n_steps"] if self.has_check else []))
        await reset_host(self.dut, self.spec, idle)

    async def load(self, words: list[int]) -> int:
        """Host protocol step 0: ``words`` through ``load``, a beat at every rising edge with ``ready`` high
        (payload and valid set, ready read, at falling edges); returns the clock cycles it took."""
        d = self.dut
        cycles = 0
        d.load__valid.value = 1
        for word in words:
            d.load__payload.value = word
            while not int(d.load__ready.value):
                await FallingEdge(d.clk)
                cycles += 1
            await FallingEdge(d.clk)  # the rising edge before it stored the word
            cycles += 1
        d.load__valid.value = 0
        return cycles

    async def run(self, steps: int) -> None:
        """Run ``steps`` MGD steps on the core (the model is advanced lazily by :meth:`expected`)."""
        d = self.dut
        t0 = time.perf_counter()
        d.ctrl__n_steps.value = steps
        d.ctrl__start.value = 1
        await RisingEdge(d.clk)
        d.ctrl__start.value = 0
        await FallingEdge(d.clk)
        if not int(d.status__busy.value):  # the start was refused (status.refused says why): nothing ran
            self.rtl_wall += time.perf_counter() - t0
            return
        await FallingEdge(d.status__busy)
        # Read at the next falling clock edge, when every net has settled: at the busy edge itself an
        # event-driven simulator (Icarus) may not yet have evaluated the outputs computed from registers
        # that changed at the same clock edge (sat_events = total + this cycle's registered events).
        await FallingEdge(d.clk)
        self.rtl_wall += time.perf_counter() - t0
        self.n += steps

    async def run_command(self, steps: int, runs: int) -> int:
        """Have the check driver run ``runs`` runs of ``steps`` steps; return the runs it completed (fewer
        when the core refused a start)."""
        d = self.dut
        t0 = time.perf_counter()
        d.check__n_steps.value = steps
        d.check__runs.value = runs
        d.check__go.value = 1
        await RisingEdge(d.clk)
        d.check__go.value = 0
        await FallingEdge(d.check__active)
        await FallingEdge(d.clk)  # as in run(): every net settled
        self.rtl_wall += time.perf_counter() - t0
        done = int(d.check__runs_done.value)
        self.n += done * steps
        return done

    def _window(self, n: int) -> None:
        """Move the trace window forward so that it holds step ``n - 1`` (the state after ``n`` steps)."""
        m = self.model
        if n > m.n:
            skip = n - 1 - m.n  # steps before the trace window that no check looks at
            if skip > TRACE_BATCH:
                m.run(skip, record=False)
            self.trace_start = m.n
            self.trace = m.run(max(TRACE_BATCH, n - m.n))

    def expected(self) -> tuple[dict[str, np.ndarray], dict[str, int]]:
        """The model's register files (θ, G, M) and scalar registers (step, C, C0, sample, sat_events) after
        ``self.n`` steps, from traces recorded in batches."""
        self._window(self.n)
        i = self.n - 1 - self.trace_start
        tr = self.trace
        scalars = {"step": self.n, "C": tr.C[i], "C0": tr.C0[i], "sample": tr.sample[i],
                   "sat_events": tr.sat_events[i]}
        return {"theta": tr.theta[i], "G": tr.G[i], "M": tr.M[i]}, {k: int(v) for k, v in scalars.items()}

    def expected_chain(self, ends: list[int], names: list[str]) -> int:
        """The model's check chain over the states after ``ends[0], ends[1], ...`` steps (increasing), of
        the words ``names`` (:func:`testbench.sim_top.chain_fields`' model names) in order."""
        widths = {name: width for name, _, _, width in self.files}
        h, k = None, 0
        while k < len(ends):
            self._window(ends[k])
            tr = self.trace
            last = self.trace_start + len(tr.C)  # steps the window reaches
            j = k
            while j < len(ends) and ends[j] <= last:
                j += 1
            rows = np.asarray(ends[k:j], dtype=np.int64) - 1 - self.trace_start
            cols = {"step": np.asarray(ends[k:j], dtype=np.int64), "C": tr.C[rows], "C0": tr.C0[rows],
                    "sample": tr.sample[rows], "sat_events": tr.sat_events[rows]}
            for name in ("theta", "G", "M"):
                if name in names:
                    cols[name] = digests(getattr(tr, name)[rows], widths[name])
            words = np.stack([np.asarray(cols[name]).astype(np.int64).astype(np.uint64) for name in names],
                             axis=1)
            h = chain(words) if h is None else chain(words, h)
            k = j
        return h

    async def read_all(self) -> dict[str, np.ndarray]:
        """Every parameter's θ, G (and M) through the readback port, one index at a time."""
        d = self.dut
        out = {name: np.empty(self.n_params, dtype=np.int64) for name, *_ in self.files}
        for i in range(self.n_params):
            d.rd__index.value = i
            if self.readback_latency:
                for _ in range(self.readback_latency):
                    await RisingEdge(d.clk)
                await FallingEdge(d.clk)
            else:
                await Timer(1, unit="ns")
            for name, port, _, _ in self.files:
                out[name][i] = port.value.to_signed()
        if not self.readback_latency:
            # back on a falling clock edge, where every transaction starts: n_params 1 ns reads can end on a
            # rising edge, and a start set then may be sampled by none (seen in Icarus with 25 parameters)
            await FallingEdge(d.clk)
        self.readbacks += 1
        return out

    def where(self) -> str:
        s = self.spec
        return (f"after step {self.n - 1} (update {self.n // s.tau_theta}), seed {self.config.mgd.seed}, "
                f"config:\n{to_toml(self.config)}")

    async def mismatch(self, *, full: bool = False, checks: int = 1) -> str | None:
        """Compare the core with the model; the first difference as a message, or ``None``.

        The digests and the scalar registers every time; every register of every parameter when ``full``,
        every :attr:`readback_every` checks (a command's chain counts as ``checks``), or when a digest
        differs."""
        d = self.dut
        refused = int(d.status__refused.value)
        if refused:  # the bench's τ's are the config's, which the core must accept (host protocol, step 1)
            s = self.spec
            return (f"status.refused is {refused}: the core refused a start with tau_x/p/theta "
                    f"{s.tau_x}/{s.tau_p}/{s.tau_theta}, {self.where()}")
        files, e_scalars = self.expected()
        due = (self.compares + checks) // self.readback_every > self.compares // self.readback_every
        self.compares += checks
        actual = {"step": d.status__step, "C": d.status__last_cost, "C0": d.status__c0,
                  "sample": d.status__sample, "sat_events": d.status__sat_events}
        bad_digest = None
        for name, _, port, width in self.files:
            exp = digest(files[name], width)
            act = int(port.value)
            if act != exp and bad_digest is None:
                bad_digest = f"{name} digest is {act:#010x}, expected {exp:#010x}"
        if full or bad_digest is not None or due:
            got = await self.read_all()
            self.params_compared += self.n_params
            for name, _, _, width in self.files:
                act, exp = got[name], files[name]
                if not np.array_equal(act, exp):
                    bad = np.flatnonzero(act != exp)
                    i = int(bad[0])
                    return (f"{name} mismatch in {bad.size} of {self.n_params} parameters; first: parameter "
                            f"{i}: expected {int(exp[i])} ({_bits(exp[i], width)}), actual {int(act[i])} "
                            f"({_bits(act[i], width)}) {self.where()}")
        if bad_digest is not None:
            return f"{bad_digest} while every register read back equal (a digest bug), {self.where()}"
        for name, exp in e_scalars.items():
            act = int(actual[name].value)
            if act != exp:
                return f"{name} is {act}, expected {exp}, {self.where()}"
        return None

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


def _commands(plan: list[int], eval_every: int) -> list[tuple[int, int]]:
    """``plan``'s chunks as check-driver commands ``(steps per run, runs)``: consecutive equal chunks, up to
    :data:`COMMAND_RUNS`, a command ending at every evaluation point."""
    out: list[tuple[int, int]] = []
    done = 0
    for chunk in plan:
        if out and out[-1][0] == chunk and out[-1][1] < COMMAND_RUNS and not (
                eval_every and (done % eval_every == 0)):
            out[-1] = (chunk, out[-1][1] + 1)
        else:
            out.append((chunk, 1))
        done += chunk
    return out


@cocotb.test()
async def core_matches_golden_model(dut) -> None:
    """θ, G (and M) equal the golden model's after every update (and mid-block every 8th block): digests
    at every check, every parameter every ``MGD_COSIM_READBACK_EVERY`` checks and at the end."""
    env = os.environ
    config = load_toml(env["MGD_COSIM_CONFIG"])
    steps = int(env.get("MGD_COSIM_STEPS", "1000"))
    free = int(env.get("MGD_COSIM_FREE_STEPS", "0"))
    eval_every = int(env.get("MGD_COSIM_EVAL_EVERY", "0"))
    out = Path(env["MGD_COSIM_RESULT"])
    tb = CoreBench(dut, config, readback_every=int(env.get("MGD_COSIM_READBACK_EVERY", "1")),
                   readback_latency=int(env.get("MGD_COSIM_READBACK_LATENCY", "0")))
    s = tb.spec
    res: dict = {"steps": 0, "updates_compared": 0, "params_compared": 0, "mismatch": None, "curve": []}
    try:
        await tb.reset()
        if tb.has_load:  # the model's training set into the streamed sample store
            words = [int(line, 16) for line in Path(env["MGD_COSIM_LOAD"]).read_text().split()]
            t0 = time.perf_counter()
            res["load_cycles"] = await tb.load(words)
            res.update(load_beats=len(words), load_wall_s=time.perf_counter() - t0)
            if int(dut.loaded.value) != len(words):
                res["mismatch"] = f"the sample store took {int(dut.loaded.value)} of {len(words)} words"
        got = await tb.read_all()
        theta = got["theta"]
        if res["mismatch"] is None and not (np.array_equal(theta, tb.model.theta0) and not got["G"].any()):
            bad = (int(np.flatnonzero(theta != tb.model.theta0)[0])
                   if not np.array_equal(theta, tb.model.theta0) else -1)
            res["mismatch"] = (f"reset state differs: theta[{bad}] = {theta[bad]}, "
                               f"expected {tb.model.theta0[bad]}"
                               if bad >= 0 else "reset state differs: G is not 0")
        if eval_every and res["mismatch"] is None:
            res["curve"].append([0, *tb.model.evaluate(theta)])
        t0 = time.perf_counter()
        plan = [] if res["mismatch"] else _plan(steps, s.tau_theta, eval_every)
        use_driver = tb.has_check and env.get("MGD_COSIM_COMMANDS", "1") != "0"
        commands = _commands(plan, eval_every) if use_driver else [(chunk, 1) for chunk in plan]
        names = [name for _, name in chain_fields(bool(s.k_m))]
        for k, (chunk, runs) in enumerate(commands):
            n0 = tb.n
            if use_driver:
                done = await tb.run_command(chunk, runs)
                ends = [n0 + chunk * (i + 1) for i in range(done)]
                want = tb.expected_chain(ends, names) if ends else CHAIN_INIT
                got = int(dut.check__chain.value)
                if got != want:
                    res["replay_steps"], res["chain_steps"] = tb.n, [n0, tb.n - 1]
                    res["mismatch"] = (f"check chain over steps {n0}..{tb.n - 1} is {got:#010x}, expected "
                                       f"{want:#010x}: some update's digests or status differ, "
                                       f"{tb.where()}")
            else:
                await tb.run(chunk)
                ends = [tb.n]
            res["mismatch"] = res["mismatch"] or await tb.mismatch(full=k == len(commands) - 1 and not free,
                                                                   checks=len(ends))
            res["updates_compared"] += sum(e % s.tau_theta == 0 for e in ends)
            if res["mismatch"]:
                break
            if eval_every and tb.n % eval_every == 0:
                res["curve"].append([tb.n, *tb.model.evaluate((await tb.read_all())["theta"])])
        wall = time.perf_counter() - t0
        final_theta = (await tb.read_all())["theta"]
        if eval_every and not res["mismatch"] and tb.n % eval_every:  # the end of the run, as train() does
            res["curve"].append([tb.n, *tb.model.evaluate(final_theta)])
        res["final"] = list(tb.model.evaluate(final_theta))  # accuracy at the end of the checked steps
        res.update(steps=tb.n, params_compared=tb.params_compared, checked_wall_s=wall,
                   checked_rtl_wall_s=tb.rtl_wall, checked_cycles=int(dut.status__cycles.value),
                   readbacks=tb.readbacks, digest_checks=tb.compares)
        if free and not res["mismatch"]:
            c0, n0 = int(dut.status__cycles.value), tb.n
            w0 = tb.rtl_wall
            await tb.run(free)
            res["free_wall_s"] = tb.rtl_wall - w0
            res["free_cycles"] = int(dut.status__cycles.value) - c0
            res["free_steps"] = tb.n - n0
            res["mismatch"] = await tb.mismatch(full=True)
            res["steps"] = tb.n
            res["params_compared"] = tb.params_compared
            res["readbacks"] = tb.readbacks
            res["digest_checks"] = tb.compares
            if tb.n % s.tau_theta == 0:
                res["updates_compared"] += 1
        res["sat_events"] = int(dut.status__sat_events.value)
    finally:
        out.write_text(json.dumps(res, indent=1) + "\n")
    assert res["mismatch"] is None, res["mismatch"]


@cocotb.test()
async def core_refuses_unrunnable_taus(dut) -> None:
    """Host protocol, step 1 (:mod:`rtl.contract`): a start with τ_θ above the core's bound
    (``MGD_COSIM_TAU_THETA_MAX``), with a τ of 0, or, once steps have run, with other τ's is refused:
    ``status.refused`` says why, busy stays low, and no θ, G, M, digest, status register or cycle count
    moves. Starts with the config's τ's before, between and after run bit-exact (``MGD_COSIM_STEPS``
    steps each time)."""
    from rtl.contract import REFUSED_TAU_CHANGED, REFUSED_TAU_THETA, REFUSED_ZERO_TAU, TAU_BITS

    env = os.environ
    config = load_toml(env["MGD_COSIM_CONFIG"])
    steps = int(env.get("MGD_COSIM_STEPS", "4"))
    tau_max = int(env["MGD_COSIM_TAU_THETA_MAX"])
    out = Path(env["MGD_COSIM_RESULT"])
    tb = CoreBench(dut, config, readback_latency=int(env.get("MGD_COSIM_READBACK_LATENCY", "0")))
    s = tb.spec
    res: dict = {"steps": 0, "updates_compared": 0, "params_compared": 0, "mismatch": None, "refusals": []}
    scalars = ("step", "updates", "cycles", "sat_events", "last_cost", "c0", "sample", "busy")

    async def state() -> tuple:
        regs = await tb.read_all()
        return ({k: int(getattr(dut, f"status__{k}").value) for k in scalars},
                {name: int(port.value) for name, _, port, _ in tb.files}, regs)

    async def refused_start(taus: tuple[int, int, int], want: int, driver: bool = False) -> str | None:
        """A start (``driver``: a check-driver command of 4 runs) with ``taus``, refused with ``want``."""
        d = dut
        (st0, dg0, regs0) = await state()
        d.ctrl__tau_x.value, d.ctrl__tau_p.value, d.ctrl__tau_theta.value = taus
        busy = done = 0
        if driver:
            n0 = tb.n
            done = await tb.run_command(max(1, s.tau_theta), 4)
            busy = tb.n != n0
        else:
            d.ctrl__n_steps.value = max(1, s.tau_theta)
            d.ctrl__start.value = 1
            await RisingEdge(d.clk)
            d.ctrl__start.value = 0
            for _ in range(8):  # a run would be busy from the edge after the start on
                await FallingEdge(d.clk)
                busy |= int(d.status__busy.value)
        got = int(d.status__refused.value)
        d.ctrl__tau_x.value, d.ctrl__tau_p.value, d.ctrl__tau_theta.value = s.tau_x, s.tau_p, s.tau_theta
        (st1, dg1, regs1) = await state()
        res["refusals"].append({"taus": list(taus), "refused": got, "expected": want, "busy": busy,
                                "driver": driver})
        what = (f"a {'check-driver command' if driver else 'start'} with tau_x/p/theta "
                f"{'/'.join(map(str, taus))} after {tb.n} steps")
        if driver and (done or int(d.check__active.value)):
            return f"{what}: the driver completed {done} runs and is active {int(d.check__active.value)}"
        if got != want:
            return f"{what}: status.refused is {got}, expected {want}, {tb.where()}"
        if busy:
            return f"{what} was refused (status.refused = {got}) but the core ran (busy rose), {tb.where()}"
        changed = [k for k in st0 if st0[k] != st1[k]] + [f"{k} digest" for k in dg0 if dg0[k] != dg1[k]]
        changed += [k for k in regs0 if not np.array_equal(regs0[k], regs1[k])]
        if changed:
            return f"{what} was refused but changed {', '.join(changed)}, {tb.where()}"
        return None

    async def runs_bit_exact() -> str | None:
        await tb.run(steps)
        found = await tb.mismatch(full=True)
        res.update(steps=tb.n, params_compared=tb.params_compared)
        res["updates_compared"] += int(tb.n % s.tau_theta == 0)
        return found

    over = tau_max + 1
    try:
        await tb.reset()
        if tb.has_load:  # the model's training set into the streamed sample store (host protocol, step 0)
            await tb.load([int(line, 16) for line in Path(env["MGD_COSIM_LOAD"]).read_text().split()])
        if over >= 1 << TAU_BITS:
            res["mismatch"] = f"this core runs every τ_θ its {TAU_BITS}-bit register holds: nothing to refuse"
        checks = [
            lambda: refused_start((s.tau_x, s.tau_p, over), REFUSED_TAU_THETA),  # at reset
            lambda: refused_start((0, s.tau_p, s.tau_theta), REFUSED_ZERO_TAU),
            lambda: refused_start((s.tau_x, s.tau_p, 0), REFUSED_ZERO_TAU),
            runs_bit_exact,  # an accepted start clears status.refused (the bench checks it is 0)
            lambda: refused_start((s.tau_x, s.tau_p, over), REFUSED_TAU_THETA | REFUSED_TAU_CHANGED),
            lambda: refused_start((s.tau_x, s.tau_p + 1, s.tau_theta), REFUSED_TAU_CHANGED),
            lambda: refused_start((s.tau_x, 0, s.tau_theta), REFUSED_ZERO_TAU | REFUSED_TAU_CHANGED),
            runs_bit_exact,
        ]
        if tb.has_check:  # the check driver ends a command at a refused start, with nothing run
            checks += [lambda: refused_start((s.tau_x, s.tau_p + 1, s.tau_theta), REFUSED_TAU_CHANGED, True),
                       runs_bit_exact]
        for check in checks:
            if res["mismatch"] is None:
                res["mismatch"] = await check()
        res.update(readbacks=tb.readbacks, digest_checks=tb.compares)
    finally:
        out.write_text(json.dumps(res, indent=1) + "\n")
    assert res["mismatch"] is None, res["mismatch"]
