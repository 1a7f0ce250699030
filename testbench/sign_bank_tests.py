"""cocotb tests of the generated ``sign_bank`` Verilog against ``golden_model.lfsr.SignBank``.

Parameters come from the environment (set by ``testbench/test_sign_bank.py``): ``SB_LANES``, ``SB_WIDTH``,
``SB_SEED`` (the bank), ``SB_STEPS`` (how many advances to compare), ``SB_STIM_SEED`` (the seed of the
pattern of idle cycles between advances).
"""

from __future__ import annotations

import os
import time

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from golden_model.lfsr import SignBank


def _params() -> dict[str, int]:
    return {k: int(os.environ[f"SB_{k.upper()}"]) for k in ("lanes", "width", "seed", "steps", "stim_seed")}


def _unpack(word: int, lanes: int) -> np.ndarray:
    return np.array([(word >> i) & 1 for i in range(lanes)], dtype=np.uint8)


async def _reset(dut) -> None:
    dut.advance.value = 0
    dut.rst.value = 1
    await RisingEdge(dut.clk)
    await RisingEdge(dut.clk)
    dut.rst.value = 0


def _cycle_pattern(idle: np.ndarray):
    """The cycle pattern: for every step, its idle cycles (advance low) first, then one advance."""
    for hold in idle:
        if hold:
            yield True
        yield False


@cocotb.test()
async def signs_match_golden_model(dut) -> None:
    """Every lane's sign bit equals the twin's at every step; idle cycles (advance low) hold the state."""
    p = _params()
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    await _reset(dut)
    model = SignBank(lanes=p["lanes"], width=p["width"], seed=p["seed"])
    expected = model.run(p["steps"] + 1)
    rng = np.random.default_rng(p["stim_seed"])
    idle = rng.random(p["steps"]) < 0.25  # before a quarter of the steps, one cycle holds the bank
    actual = np.empty_like(expected)
    t0 = time.perf_counter()
    await ReadOnly()
    actual[0] = _unpack(int(dut.signs.value), p["lanes"])
    n = 0
    for hold in _cycle_pattern(idle):
        await FallingEdge(dut.clk)
        dut.advance.value = 0 if hold else 1
        await RisingEdge(dut.clk)
        await ReadOnly()
        signs = _unpack(int(dut.signs.value), p["lanes"])
        if hold:
            assert np.array_equal(signs, actual[n]), (
                f"sign bank changed with advance low after step {n} "
                f"(seed={p['seed']}, stim_seed={p['stim_seed']})")
        else:
            n += 1
            actual[n] = signs
    elapsed = time.perf_counter() - t0
    diff = np.argwhere(actual != expected)
    assert diff.size == 0, (
        f"{len(diff)} sign bits differ; first at step {diff[0][0]}, lane {diff[0][1]}: expected "
        f"{expected[diff[0][0], diff[0][1]]}, got {actual[diff[0][0], diff[0][1]]} "
        f"(lanes={p['lanes']}, width={p['width']}, seed={p['seed']}, stim_seed={p['stim_seed']})")
    dut._log.info("sign bank: %d steps, %d lanes bit-exact, %.0f steps/s", p["steps"], p["lanes"],
                  p["steps"] / elapsed)
