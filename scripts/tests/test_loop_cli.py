"""``mgd loop`` and ``mgd generate trainer`` from the command line: refusals before any work, one summary
line, the exit status. (The RTL loop itself is tested in ``testbench/test_loop.py``.)"""

from __future__ import annotations

import json

import pytest

from scripts.cli import main

NOISY_XOR = ["--set", "noise.gain_sigma=0.1", "--set", "noise.offset_sigma=0.05", "--set",
             "noise.cost_sigma=0.001", "--set", "mgd.seed=4"]


@pytest.fixture
def no_loop(monkeypatch):
    """Running a loop or writing Verilog fails the test: a refusal must come first."""
    import scripts.cmd_generate  # before rtl.generate is patched: it binds write_verilog at import
    import testbench.loop

    def work(*args, **kwargs):
        raise AssertionError("the command started work before refusing its input")

    monkeypatch.setattr("golden_model.device.train_model_loop", work)
    monkeypatch.setattr(testbench.loop.runner, "build", work)
    monkeypatch.setattr("rtl.generate.write_verilog", work)
    monkeypatch.setattr(scripts.cmd_generate, "write_verilog", work)


@pytest.mark.parametrize(("argv", "expected"), [
    (["loop", "--latency", "0"], ["--latency", "from 1 to 1024", "'0'"]),
    (["loop", "--latency", "1025"], ["--latency", "'1025'"]),
    (["loop", "--steps", "0"], ["--steps", "'0'"]),
    (["loop", "--eval-every", "-3"], ["--eval-every", "'-3'"]),
    (["loop", "--sim", "model", "--preset", "nist7x7"],
     ["network.layers", "at most 256 parameters for the trainer", "868", "[49, 16, 4]"]),
    (["loop", "--sim", "icarus", "--set", "noise.gain_sigma=-1"], ["noise.gain_sigma", "-1"]),
    (["loop", "--sim", "icarus", "--set", "fixed.grad_width=8"], ["fixed.grad_width", "not 8"]),
    (["loop", "--json", "{tmp}"], ["--json", "an existing folder"]),
    (["generate", "trainer", "--latency", "0", "--out", "{tmp}/v"], ["--latency", "'0'"]),
    (["generate", "trainer", "--preset", "digits", "--out", "{tmp}/v"],
     ["network.layers", "at most 256 parameters for the trainer"]),
])
def test_bad_loop_input_is_refused_before_any_work(argv, expected, no_loop, capsys, tmp_path):
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    line = [e for e in err if e.startswith("mgd: error:")]
    assert len(line) == 1, err
    for text in expected:
        assert text.format(tmp=tmp_path) in line[0], line[0]
    assert not (tmp_path / "v").exists()


def test_mgd_loop_model_trains_and_writes_json(capsys, tmp_path):
    out = tmp_path / "loop.json"
    argv = ["loop", "--preset", "xor", *NOISY_XOR, "--sim", "model", "--steps", "1500", "--json", str(out)]
    assert main([*argv, "--require-target"]) == 0
    line = capsys.readouterr().out.strip().splitlines()
    assert len(line) == 1 and "train_acc=1.000" in line[0] and "no RTL" in line[0], line
    r = json.loads(out.read_text())
    assert r["steps"] == 1500 and r["final"][1] == 1.0 and len(r["theta"]) == 9
    # far too few steps for the target: --require-target says so in the exit status
    assert main(["loop", "--preset", "xor", *NOISY_XOR, "--sim", "model", "--steps", "20",
                 "--require-target"]) == 1


def test_mgd_generate_trainer(capsys, tmp_path):
    out = tmp_path / "v"
    assert main(["generate", "trainer", "--preset", "xor", "--latency", "5", "--out", str(out)]) == 0
    params = json.loads((tmp_path / "v" / "params.json").read_text())
    assert params["top"] == "mgd_trainer" and params["latency"] == 5 and params["schedule_latency"] == 6
    text = (tmp_path / "v" / "mgd_trainer.v").read_text()
    for port in ("input [16:0] cost", "output [143:0] theta", "output issue_valid", "output [8:0] signs",
                 "input ctrl__start", "output status__busy"):
        assert port in text, port
    assert "mgd:mgd:mgd_trainer_2x2x1_weight_lat5_" in (tmp_path / "v" / "mgd_trainer.core").read_text()
