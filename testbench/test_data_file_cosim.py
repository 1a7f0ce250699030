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
    """400 steps, every θ and G compared at every update (Icarus about 5 s; Verilator about 5 s once its
    model of this Verilog is built, which takes about 30 s)."""
    runner.require_simulator(sim)
    _write(tmp_path / "d.npz")
    config = _config(tmp_path / "d.npz")
    r = run_cosim(config, sim, 400, name="xor-file", free_steps=0)
    print("\n" + r.summary())
    assert r.bit_exact, f"{sim}: {r.mismatch}"
    assert r.updates_compared == 400 and r.params_compared == 400 * 9


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
