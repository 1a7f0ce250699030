"""The board top (core + UART host link) in Icarus and Verilator, trained through the host driver over a
UART model, bit for bit against the golden model (:mod:`testbench.board_tests`). One model build per
simulator and top: the XOR preset (spatial) trains to train accuracy 1.0 in both simulators; a folded XOR
core with a streamed sample store (Verilator) is LOADed over the link with a training set it was not built
with (XOR in another sample order) and trains on it to 1.0."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from golden_model.config import apply_overrides, from_preset, to_toml
from rtl.board.top import BoardTop
from rtl.generate import write_verilog
from testbench import runner

pytestmark = pytest.mark.cosim

TOP = "board_top"
CLOCKS_PER_BIT = 4  # the protocol's minimum: the fastest simulation, and the receiver's hardest case
CHUNK = 500  # steps between readbacks
MAX_STEPS = 21000  # the golden model (xor preset, seed 1) reaches train accuracy 1.0 at step 19,600


def _verilog(config) -> str:
    from testbench.cosim import config_digest

    out = runner.BUILD_ROOT / "verilog" / f"board-{config_digest(config)}-cpb{CLOCKS_PER_BIT}"
    path = out / f"{TOP}.v"
    if not path.exists():
        write_verilog(BoardTop(config, CLOCKS_PER_BIT), TOP, out, {"block": "board_top",
                                                                  "clocks_per_bit": CLOCKS_PER_BIT})
    return str(path)


def _run(sim, config, tmp_path, *, built=None, words=None, chunk=CHUNK, fails=False) -> dict:
    """Run the bench on the board top of ``built`` (default ``config``), the host training ``config``;
    ``fails``: the bench must fail (its result then holds the mismatch)."""
    built = built if built is not None else config
    build = runner.build(sim, [_verilog(built)], TOP)
    cfg = tmp_path / "config.toml"
    cfg.write_text(to_toml(config))
    result = tmp_path / "result.json"
    env = {"MGD_BOARD_CONFIG": str(cfg), "MGD_BOARD_CLOCKS_PER_BIT": str(CLOCKS_PER_BIT),
           "MGD_BOARD_CHUNK": str(chunk), "MGD_BOARD_STEPS": str(MAX_STEPS), "MGD_BOARD_RESULT": str(result)}
    if built is not config:
        (tmp_path / "built.toml").write_text(to_toml(built))
        env["MGD_BOARD_BUILT_CONFIG"] = str(tmp_path / "built.toml")
    if words is not None:
        (tmp_path / "load.txt").write_text("".join(f"{w:x}\n" for w in words))
        env["MGD_BOARD_LOAD"] = str(tmp_path / "load.txt")
    t0 = time.perf_counter()
    err = None
    try:
        runner.run(sim, build, TOP, "testbench.board_tests", env=env, testcase="train_over_uart")
    except AssertionError as exc:
        err = exc
    r = json.loads(result.read_text()) if result.exists() else {}
    if fails:
        assert err is not None and r.get("mismatch"), f"{sim}: the bench passed a board that is not the model"
        return r
    assert err is None, f"{sim}: {r.get('mismatch', '')}\n{err}\nconfig:\n{to_toml(config)}"
    print(f"{sim}: trained over UART in {r['steps']} steps, {len(r['chunks'])} readbacks, "
          f"{time.perf_counter() - t0:.1f} s")
    return r


@pytest.mark.parametrize("sim", runner.SIMULATORS)
def test_xor_trains_over_uart(sim, tmp_path):
    runner.require_simulator(sim)
    r = _run(sim, from_preset("xor"), tmp_path)
    assert r["final_train_accuracy"] == 1.0
    assert r["identify"]["n_params"] == 9 and r["identify"]["load_beats"] == 0


def test_streamed_folded_core_loads_samples_over_uart(tmp_path):
    """The host LOADs a training set the bitstream was not built with (XOR, samples in another order: other
    store words) and the core trains on it bit-exact with the golden model trained on that set."""
    from rtl._validate import not_elaborated
    from rtl.cores import build_core, core_inputs

    runner.require_simulator("verilator")
    built = apply_overrides(from_preset("xor"), ["hardware.style=folded", "hardware.lanes=2",
                                                 "hardware.samples=stream"])
    x = np.array([[1, 1], [0, 0], [1, 0], [0, 1]], dtype=float)
    y = np.array([0, 0, 1, 1])
    np.savez(tmp_path / "xor_reordered.npz", x=x, y=y, x_test=x, y_test=y)
    loaded = apply_overrides(built, ["task.dataset=file", f"task.data_file={tmp_path / 'xor_reordered.npz'}"])
    core = build_core(built)
    inputs, own = core_inputs(loaded), core_inputs(built)
    words = core.sample_words(inputs.x, inputs.t)
    assert words != core.sample_words(own.x, own.t)
    not_elaborated(core)
    r = _run("verilator", loaded, tmp_path, built=built, words=words, chunk=250)
    assert r["final_train_accuracy"] == 1.0 and r["loaded"] == core.load_beats == 8
    assert r["identify"]["lanes"] == 2


def test_bench_catches_a_board_that_is_not_the_model(tmp_path):
    """The host trains XOR with mgd.seed 2 on the bitstream of seed 1 (other θ₀ and signs): the driver's
    check fails at once, naming θ₀ (the Icarus model of the first test is reused)."""
    runner.require_simulator("icarus")
    built = from_preset("xor")
    r = _run("icarus", apply_overrides(built, ["mgd.seed=2"]), tmp_path, built=built, fails=True)
    assert "theta0 read over the link differs" in r["mismatch"], r
