"""cocotb benches of the generated correlator and update-unit Verilog at their saturation rails.

Parameters from the environment (set by ``testbench/test_blocks_cosim.py``): ``MGD_BLOCK`` (``correlator``
or ``update``), ``MGD_BLOCK_SPEC`` (JSON: ``config`` TOML text, ``fields`` replacing spec fields,
``node_input`` or ``init``), ``MGD_BLOCK_CYCLES`` and ``MGD_BLOCK_SEED`` (stimulus seed). Every cycle is
compared with the golden twins :func:`golden_model.fixed_mgd.correlate` /
:func:`golden_model.fixed_mgd.update`.
"""

from __future__ import annotations

import dataclasses
import json
import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from golden_model.config import loads_toml
from golden_model.fixed_mgd import correlate, update
from golden_model.fixed_network import FixedSpec


def block_spec() -> tuple[FixedSpec, dict]:
    desc = json.loads(os.environ["MGD_BLOCK_SPEC"])
    spec = FixedSpec.from_config(loads_toml(desc["config"]))
    return dataclasses.replace(spec, **desc.get("fields", {})), desc


async def _start(dut) -> None:
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    await RisingEdge(dut.clk)
    dut.rst.value = 0


def _where(k: int, desc: dict) -> str:
    return (f"at cycle {k} (stimulus seed {os.environ['MGD_BLOCK_SEED']}, "
            f"spec {json.dumps(desc.get('fields'))})")


@cocotb.test()
async def correlator_at_rails(dut) -> None:
    if os.environ["MGD_BLOCK"] != "correlator":
        return
    spec, desc = block_spec()
    node = bool(desc["node_input"])
    rng = np.random.default_rng(int(os.environ["MGD_BLOCK_SEED"]))
    cycles = int(os.environ["MGD_BLOCK_CYCLES"])
    c_max, one = spec.cost_fmt.max_int, 1 << spec.A_f
    g_lo, g_hi = -(1 << (spec.grad_width - 1)), (1 << (spec.grad_width - 1)) - 1
    await _start(dut)
    dut.en.value = 0
    dut.clear.value = 0
    await _next_write_phase(dut)
    G = np.zeros(1, dtype=np.int64)
    rails = set()
    wide = dataclasses.replace(spec, grad_width=62)  # the same step without overflow
    wrapped = 0
    for k in range(cycles):
        phase = (k // 40) % 4  # 40 cycles up at full Ĉ, 40 random, 40 down, 40 random
        sign = 0 if phase == 0 else 1 if phase == 2 else int(rng.integers(0, 2))
        c_hat = c_max if phase in (0, 2) else int(rng.integers(-c_max, c_max + 1))
        a = one if phase in (0, 2) else int(rng.integers(0, one + 1))
        en = 1 if phase in (0, 2) else int(rng.random() < 0.9)
        clear = 0 if phase in (0, 2) else int(rng.random() < 0.05)
        dut.en.value, dut.clear.value, dut.sign.value = en, clear, sign
        dut.c_hat.value, dut.a.value = c_hat, a
        nxt = correlate(G, np.array([1 - 2 * sign]), c_hat, spec, inputs=np.array([a]) if node else None)
        exact = correlate(G, np.array([1 - 2 * sign]), c_hat, wide, inputs=np.array([a]) if node else None)
        wrapped += en and not g_lo <= exact[0] <= g_hi
        await ReadOnly()
        assert dut.g_next.value.to_signed() == nxt[0], (
            f"g_next {dut.g_next.value.to_signed()} != {nxt[0]} " + _where(k, desc))
        await RisingEdge(dut.clk)
        if en:
            rails.add(int(nxt[0]))
        if clear:
            G = np.zeros(1, dtype=np.int64)
        elif en:
            G = nxt
        await ReadOnly()
        assert dut.g.value.to_signed() == G[0], f"G {dut.g.value.to_signed()} != {G[0]} " + _where(k, desc)
        await _next_write_phase(dut)
    if spec.overflow == "saturate":
        assert {g_lo, g_hi} <= rails, f"the stimulus never reached both rails of G ({g_lo}, {g_hi})"
    else:
        assert wrapped >= 2, f"the stimulus overflowed G only {wrapped} times"


async def _next_write_phase(dut) -> None:
    """Leave the read-only phase of this time step (writes are allowed again after the falling edge)."""
    from cocotb.triggers import FallingEdge

    await FallingEdge(dut.clk)


@cocotb.test()
async def update_at_rails(dut) -> None:
    if os.environ["MGD_BLOCK"] != "update":
        return
    spec, desc = block_spec()
    rng = np.random.default_rng(int(os.environ["MGD_BLOCK_SEED"]))
    cycles = int(os.environ["MGD_BLOCK_CYCLES"])
    g_span = 1 << (spec.k_eta + spec.theta.width - 1)
    await _start(dut)
    dut.en.value = 0
    await _next_write_phase(dut)
    theta = np.array([desc["init"]], dtype=np.int64)
    M = np.zeros(1, dtype=np.int64)
    seen = set()
    for k in range(cycles):
        phase = (k // 50) % 4  # 50 cycles pushing θ up, 50 random, 50 pushing down, 50 random
        g = -g_span if phase == 0 else g_span if phase == 2 else int(rng.integers(-g_span, g_span))
        en = 1 if phase in (0, 2) else int(rng.random() < 0.8)
        dut.en.value, dut.g.value = en, g
        await RisingEdge(dut.clk)
        if en:
            theta, M = update(theta, np.array([g]), M, spec)
            seen.add(int(theta[0]))
        await ReadOnly()
        assert dut.theta.value.to_signed() == theta[0], (
            f"theta {dut.theta.value.to_signed()} != {theta[0]} (expected bits "
            f"{int(theta[0]) & ((1 << spec.theta.width) - 1):0{spec.theta.width}b}) " + _where(k, desc))
        if spec.k_m:
            assert dut.momentum.value.to_signed() == M[0], (
                f"M {dut.momentum.value.to_signed()} != {M[0]} " + _where(k, desc))
        await _next_write_phase(dut)
    if spec.overflow == "saturate":
        assert {spec.theta.min_int, spec.theta.max_int} <= seen, "the stimulus never reached both rails of θ"
