"""Fuzzing the cores against the golden model: seeded random valid configurations, each co-simulated.

This is the logic behind ``mgd fuzz``. :func:`draw` makes configuration ``index`` of ``seed``, a pure function
of the two (NumPy's generator seeded with ``[seed, index]``): layer sizes and depth (on the small truth-table
tasks, XOR and 2-5 bit parity, so one configuration co-simulates in seconds), weight or node perturbation,
τ_x / τ_p / τ_θ, the θ, activation and cost Q-formats, rounding, overflow, momentum, the hardware
activation, mse or l1, the LFSR width, both datapath styles and, folded, P from 1 to the widest layer (and,
a third of the time, P above it: PE × SIMD, SIMD 2 or 4; a generator of its own, ``[seed, index, 136]``),
and sometimes the faults of spec "Faults" (cost noise, update noise, stuck parameters; their own generator,
``[seed, index, 135]``, so the other fields are what they were before the faults existed).
Only configurations the toolkit itself accepts are kept: every draw goes through the config's own checks
and :func:`rtl.cores.core_inputs` (the fixed model's and the RTL's refusals); a refused draw is redrawn
from the same generator, and the refusals are counted. G gets the fewest bits the fixed model accepts
(:meth:`FixedSpec.min_grad_width`) plus 0-3.

:func:`run` co-simulates each configuration (:func:`testbench.cosim.run_cosim`: θ, G, M digests and the
status registers compared with the golden model after every update, every register read back at the end)
in Icarus, Verilator or both, and reports each as a :class:`FuzzResult`; a failure carries the seed, the
index and the configuration as TOML, which ``mgd cosim --config FILE`` replays.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from golden_model.config import MGDConfig, from_dict, to_toml
from golden_model.errors import MGDError
from golden_model.fixed_network import FixedSpec

__all__ = ["FuzzCase", "FuzzResult", "MAX_DRAWS", "draw", "cases", "run", "describe"]

#: draws tried for one configuration before giving up (a generator bug: nearly every draw is valid)
MAX_DRAWS = 200


@dataclass(frozen=True)
class FuzzCase:
    """Configuration ``index`` of ``seed``, after ``refused`` draws the toolkit refused (their reasons:
    the field each refusal named)."""

    seed: int
    index: int
    config: MGDConfig
    refused: int = 0
    reasons: tuple[str, ...] = ()

    def describe(self) -> str:
        return describe(self.config)


def describe(config: MGDConfig) -> str:
    """One line: style (and P), mode, layers, τ's, formats, rounding, overflow, momentum, activation, cost."""
    c, f, m = config, config.fixed, config.mgd
    style = "spatial" if c.hardware.style == "spatial" else f"folded P={c.hardware.lanes}"
    layers = "-".join(map(str, c.network.layers))
    return (f"{style} {m.perturbation} {layers} tau={m.tau_x}/{m.tau_p}/{m.tau_theta} "
            f"{f.theta}/{f.activation}/{f.cost} G={f.grad_width} lfsr={f.lfsr_width} {f.rounding} "
            f"{f.overflow} k_p={f.amplitude_shift} k_eta={f.eta_shift} k_m={f.momentum_shift} "
            f"{f.hw_activation} {c.network.cost} seed={m.seed}{_describe_faults(f)}")


def _describe_faults(f) -> str:
    """The faults of a config (spec "Faults"), '' when none."""
    out = ""
    if f.cost_noise_bits:
        out += f" cost_noise={f.cost_noise_bits}:{f.cost_noise_shift}"
    if f.update_noise_bits:
        out += f" update_noise={f.update_noise_bits}:{f.update_noise_shift}"
    if f.stuck_fraction:
        out += f" stuck={f.stuck_fraction:g}"
    return out


def _faults(rng: np.random.Generator, fixed: dict[str, Any]) -> None:
    """Faults (spec "Faults") drawn sometimes into a candidate's ``fixed`` section, from their own generator
    (the other fields are drawn as before they existed), always within the fields' ranges."""
    from golden_model.config import parse_qformat

    for kind, reg in (("cost", "cost"), ("update", "theta")):
        on = rng.random() < 0.3
        signed, i, f = parse_qformat(f"fixed.{reg}", fixed[reg])
        room = i + f
        bits = int(rng.integers(1, min(8, room) + 1))
        shift = int(rng.integers(0, min(3, room - bits) + 1))
        if on:
            fixed[f"{kind}_noise_bits"], fixed[f"{kind}_noise_shift"] = bits, shift
    stuck = _pick(rng, (0.0, 0.0, 0.0, 0.1, 0.3, 0.5))
    if stuck:
        fixed["stuck_fraction"] = stuck


def _simd(rng: np.random.Generator, data: dict[str, dict[str, Any]]) -> None:
    """A third of the folded draws get P above the widest layer: their PE (at most the widest layer) times
    SIMD 2 or 4 (:func:`golden_model.schedule.fold`; a P it cannot fold is refused and redrawn)."""
    hw, layers = data["hardware"], data["network"]["layers"]
    if hw["style"] == "folded" and rng.random() < 1 / 3:
        hw["lanes"] = min(hw["lanes"], max(layers[1:])) * _pick(rng, (2, 4))


def _pick(rng: np.random.Generator, values, p=None):
    return values[int(rng.choice(len(values), p=p))]


def _candidate(rng: np.random.Generator) -> dict[str, dict[str, Any]]:
    """One random configuration as nested dicts (not yet checked)."""
    bits = int(rng.integers(2, 6))
    dataset = "xor" if rng.random() < 0.3 else "parity"
    n_in = 2 if dataset == "xor" else bits
    depth = _pick(rng, (1, 2, 3), (0.5, 0.35, 0.15))
    layers = [n_in, *(int(rng.integers(1, 7)) for _ in range(depth)), 1]
    style = _pick(rng, ("spatial", "folded"))
    lanes = int(rng.integers(1, max(layers) + 1))
    hw = _pick(rng, ("hard_sigmoid", "clipped_relu", "relu", "hard_tanh"))
    a_frac = int(rng.integers(5, 12))
    if hw == "hard_tanh":
        activation = f"Q1.{a_frac}"
    elif hw == "relu":
        activation = f"UQ{int(rng.integers(0, 3))}.{a_frac}"
    else:
        activation = _pick(rng, (f"UQ1.{a_frac}", f"Q1.{a_frac}"), (0.8, 0.2))
    t_frac = int(rng.integers(6, 14))
    theta = f"Q{int(rng.integers(1, 5))}.{t_frac}"
    cost = f"UQ{int(rng.integers(1, 5))}.{int(rng.integers(8, 17))}"
    return {
        "network": {"layers": layers, "cost": _pick(rng, ("mse", "l1")),
                    "init_scale": _pick(rng, (0.5, 1.0, 2.0))},
        "mgd": {"perturbation": _pick(rng, ("weight", "node")), "optimizer": "sgd",
                "tau_x": _pick(rng, (1, 1, 2, 3, 4)), "tau_p": _pick(rng, (1, 1, 2, 3, 5)),
                "tau_theta": _pick(rng, (1, 1, 2, 3, 4, 6, 8)), "seed": int(rng.integers(0, 1 << 20))},
        "fixed": {"theta": theta, "activation": activation, "cost": cost, "hw_activation": hw,
                  "amplitude_shift": int(rng.integers(1, min(t_frac, 8) + 1)),
                  "eta_shift": int(rng.integers(0, 7)),
                  "momentum_shift": _pick(rng, (0, 0, 1, 2, 3)),
                  "lfsr_width": _pick(rng, (8, 12, 16, 16, 20, 24)),
                  "rounding": _pick(rng, ("floor", "half_up", "convergent")),
                  "overflow": _pick(rng, ("saturate", "wrap")), "grad_width": 64},
        "task": {"dataset": dataset, "parity_bits": bits},
        "hardware": {"style": style, "lanes": lanes},
    }


def _reason(exc: Exception) -> str:
    """The field a refusal names (its message starts with it), for the refusal counts."""
    return str(exc).split(" ", 1)[0]


def draw(seed: int, index: int) -> FuzzCase:
    """Configuration ``index`` of ``seed``: the first draw of ``numpy.random.default_rng([seed, index])``
    that the toolkit accepts (config checks, the fixed model's, :func:`rtl.cores.core_inputs`)."""
    from rtl.cores import core_inputs

    if seed < 0 or index < 0:
        raise ValueError(f"fuzz seed and index must be non-negative, not {seed} and {index}")
    rng = np.random.default_rng([seed, index])
    fault_rng = np.random.default_rng([seed, index, 135])  # issue 13.5's faults, a stream of their own
    fold_rng = np.random.default_rng([seed, index, 136])  # lanes above the widest layer, likewise
    reasons: list[str] = []
    for _ in range(MAX_DRAWS):
        data = _candidate(rng)
        _faults(fault_rng, data["fixed"])
        _simd(fold_rng, data)
        extra = int(rng.integers(0, 4))
        try:
            config = from_dict(data)
            need = FixedSpec.min_grad_width(config)
            data["fixed"]["grad_width"] = min(64, need + extra)
            config = from_dict(data)
            core_inputs(config)
        except MGDError as exc:
            reasons.append(_reason(exc))
            continue
        return FuzzCase(seed, index, config, len(reasons), tuple(reasons))
    raise RuntimeError(f"fuzz: no valid configuration in {MAX_DRAWS} draws for seed {seed}, index {index} "
                       f"(refused: {Counter(reasons).most_common(3)})")


def cases(seed: int, count: int, start: int = 0) -> Iterator[FuzzCase]:
    """Configurations ``start .. start + count - 1`` of ``seed``."""
    for index in range(start, start + count):
        yield draw(seed, index)


@dataclass
class FuzzResult:
    """One configuration in one simulator: ``status`` is ``"pass"``, ``"mismatch"`` (the RTL left the golden
    model) or ``"error"`` (the co-simulation could not run); ``message`` the first mismatch or the error."""

    seed: int
    index: int
    sim: str
    status: str
    description: str
    config_toml: str
    steps: int = 0
    updates_compared: int = 0
    wall_s: float = 0.0
    message: str | None = None
    refused: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        verdict = {"pass": "bit-exact", "mismatch": "MISMATCH", "error": "ERROR"}[self.status]
        return (f"fuzz seed={self.seed} index={self.index} sim={self.sim} {self.description}: {verdict} "
                f"steps={self.steps} updates={self.updates_compared} {self.wall_s:.1f} s")

    def replay(self) -> str:
        """How to replay a failure: the seed, the index, the config as TOML and the command."""
        return (f"fuzz failure: seed {self.seed}, index {self.index}, sim {self.sim}: {self.message}\n"
                f"replay: mgd fuzz --seed {self.seed} --start {self.index} --count 1 --sim {self.sim}, or "
                f"save the config below as fuzz.toml and run: mgd cosim --config fuzz.toml --sim {self.sim} "
                f"--steps {max(self.steps, 1)} --free-steps 0\n{self.config_toml}")

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _remove_build(config: MGDConfig, sim: str) -> Path:
    """Delete the simulation model of a configuration that passed in ``sim`` (a Verilator model is about
    150 MB, and a fuzz configuration is never built again); return its Verilog's path."""
    from testbench import runner
    from testbench.cosim import TOP, generate

    verilog, _, _ = generate(config)  # the Verilog written for the run, reused
    shutil.rmtree(runner.model_dir(sim, [verilog], TOP), ignore_errors=True)
    return verilog


#: C++ optimisation of a fuzz configuration's Verilator model: a few hundred steps run in well under a
#: second at -O0, while the default optimisation makes the C++ build about 3x longer (32 s against 89 s for
#: a small spatial core on a loaded 2-core machine). ``make`` takes these from ``MAKEFLAGS``.
QUICK_CXX = "OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0"


@contextmanager
def _quick_cxx() -> Iterator[None]:
    """Build Verilator models with :data:`QUICK_CXX` within this block."""
    old = os.environ.get("MAKEFLAGS")
    os.environ["MAKEFLAGS"] = f"{old or ''} {QUICK_CXX}".strip()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("MAKEFLAGS", None)
        else:
            os.environ["MAKEFLAGS"] = old


def run(fuzz_cases: Iterable[FuzzCase], sims: tuple[str, ...], steps: int, *, keep: bool = False,
        report: Callable[[FuzzResult], None] | None = None) -> list[FuzzResult]:
    """Co-simulate each of ``fuzz_cases`` (e.g. :func:`cases`) for ``steps`` checked steps in each of
    ``sims``; ``report`` is called with each result as it comes. Verilator models are built with
    :data:`QUICK_CXX`; a configuration's builds are deleted once it passed in every simulator, unless
    ``keep``."""
    from testbench.cosim import run_cosim

    results: list[FuzzResult] = []
    for case in fuzz_cases:
        seed = case.seed
        toml = to_toml(case.config)
        verilogs = set()
        for sim in sims:
            t0 = time.perf_counter()
            res = FuzzResult(seed, case.index, sim, "pass", case.describe(), toml, refused=case.refused)
            try:
                with _quick_cxx():
                    r = run_cosim(case.config, sim, steps, name=f"fuzz-{seed}-{case.index}")
                res.steps, res.updates_compared = r.steps, r.updates_compared
                if not r.bit_exact:
                    res.status, res.message = "mismatch", r.mismatch
                elif r.steps != steps:
                    res.status, res.message = "mismatch", f"the bench ran {r.steps} of {steps} steps"
            except Exception as exc:  # noqa: BLE001 - a fuzz run reports every failure and goes on
                res.status, res.message = "error", f"{type(exc).__name__}: {exc}"
            res.wall_s = time.perf_counter() - t0
            if res.status == "pass" and not keep:
                verilogs.add(_remove_build(case.config, sim))
            results.append(res)
            if report is not None:
                report(res)
        if verilogs and all(r.status == "pass" for r in results if r.index == case.index):
            for v in verilogs:
                shutil.rmtree(v.parent, ignore_errors=True)
    return results
