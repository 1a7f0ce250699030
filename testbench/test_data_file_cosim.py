"""The RTL on the user's own data (``task.dataset = "file"``): the core's sample store holds the file's
training set, the core trains on it bit for bit with the golden model in Icarus and Verilator, and a cached
Verilog is not reused once the file changed (the config names the file, not its contents)."""

from __future__ import annotations

import numpy as np
import pytest

from golden_model.config import apply_overrides, from_preset
from golden_model.datasets import load_dataset
from golden_model.fixed_network import quantize_data
from rtl.cores import core_inputs
from testbench import runner
from testbench.cosim import generate, run_cosim

pytestmark = pytest.mark.cosim

CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def _write(path, shift: int = 0) -> None:
    """Jittered XOR, 5 copies of each corner moved (k + shift)/16 towards the middle (20 samples)."""
    rng = np.random.default_rng(3)
    idx = np.tile(np.arange(4), 5)
    x = np.abs(CORNERS[idx] - (rng.integers(0, 3, size=(20, 2)) + shift) / 16)
    np.savez(path, x=x, y=np.array([0, 1, 1, 0])[idx])


def _config(path, *overrides: str):
    return apply_overrides(from_preset("xor"), ["task.dataset=file", f"task.data_file={path}", *overrides])


@pytest.mark.parametrize("style", ["spatial", "folded"])
def test_the_sample_store_holds_the_files_training_set(tmp_path, style):
    _write(tmp_path / "d.npz")
    config = _config(tmp_path / "d.npz", f"hardware.style={style}", "hardware.lanes=2")
    inputs = core_inputs(config)
    data = load_dataset(config.task, config.network.layers)
    assert len(data.x_train) == 16 and len(data.x_test) == 4  # round(0.25 * 10) = 2 of each class
    np.testing.assert_array_equal(inputs.x, quantize_data(data.x_train, inputs.spec))
    np.testing.assert_array_equal(inputs.t, quantize_data(data.t_train, inputs.spec))


@pytest.mark.parametrize("sim", runner.SIMULATORS)
def test_spatial_core_on_a_file_is_bit_exact(tmp_path, sim):
    """400 steps, every update's digests and status compared, every θ and G read back after each command of
    the check driver (Icarus about 5 s; Verilator about 5 s once its
    model of this Verilog is built, which takes about 30 s)."""
    runner.require_simulator(sim)
    _write(tmp_path / "d.npz")
    config = _config(tmp_path / "d.npz")
    r = run_cosim(config, sim, 400, name="xor-file", free_steps=0)
    print("\n" + r.summary())
    assert r.bit_exact, f"{sim}: {r.mismatch}"
    assert r.updates_compared == 400 and r.digest_checks == 400 and r.params_compared >= 2 * 9, r.summary()


def test_a_changed_data_file_gets_a_new_verilog(tmp_path):
    """Same config text, other file contents: another sample ROM, so the cached Verilog is not reused."""
    path = tmp_path / "d.npz"
    _write(path)
    config = _config(path)
    first, _, _ = generate(config)
    text = first.read_text()
    assert generate(config)[0] == first  # unchanged file: the cache is reused
    _write(path, shift=1)
    second, params, _ = generate(_config(path))
    assert second != first and second.read_text() != text
    assert params["data_file_sha256"] is not None


@pytest.mark.parametrize(("style", "sim"), [("spatial", "icarus"), ("spatial", "verilator"),
                                            ("folded", "verilator")])
def test_a_difference_inside_a_command_is_named_by_its_update(tmp_path, style, sim):
    """Hardware whose sample store differs from the model's in one training sample only: the core and the
    model agree until the first step that uses it, so the check chain of the command around it differs and
    the per-update replay names that step and a parameter (the chain is compared once per 256 updates)."""
    runner.require_simulator(sim)
    _write(tmp_path / "a.npz")
    with np.load(tmp_path / "a.npz") as f:
        x, y = f["x"].copy(), f["y"]
    x_b = x.copy()
    x_b[:, 0] = np.where(np.arange(len(x)) == 13, 0.5, x[:, 0])  # one sample moved (its label unchanged)
    np.savez(tmp_path / "b.npz", x=x_b, y=y)
    sets = [f"hardware.style={style}", "hardware.lanes=2"]
    built, model = _config(tmp_path / "a.npz", *sets), _config(tmp_path / "b.npz", *sets)
    differ = np.flatnonzero((core_inputs(built).x != core_inputs(model).x).any(axis=1))
    assert differ.size == 1, differ  # the split kept every other sample where it was
    first = int(differ[0])  # tau_x = 1: step n trains on sample n mod n_train, so step `first` is the first
    r = run_cosim(model, sim, 400, name="xor-one-sample-differs", hardware=built)
    assert not r.bit_exact
    assert f"after step {first} (update {first + 1})" in r.mismatch, r.mismatch
    assert ("found by a per-update replay of steps 0..255, after the check chain over steps 0..255 differed"
            in r.mismatch), r.mismatch
