"""``mgd fuzz`` from the command line: one line per configuration and simulator, a summary, a JSON report,
and the replay of a failure (the generator and the co-simulation: ``testbench/test_fuzz*.py``)."""

from __future__ import annotations

import json

import pytest

from golden_model.config import loads_toml, to_toml
from scripts.cli import main
from testbench import fuzz, runner


def test_mgd_fuzz_dry_run_lists_the_configs(capsys):
    assert main(["fuzz", "--dry-run", "--seed", "3", "--start", "2", "--count", "2"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[:3] for line in out] == [["fuzz", "seed=3", f"index={i}"] for i in (2, 3)]
    assert out[0].endswith(fuzz.draw(3, 2).describe())


@pytest.mark.parametrize("bad", [["--count", "0"], ["--steps", "0"], ["--seed", "-1"], ["--start", "-2"]])
def test_mgd_fuzz_refuses_bad_counts(bad, capsys):
    assert main(["fuzz", "--dry-run", *bad]) == 2
    assert f"{bad[0]} must be a" in capsys.readouterr().err


def test_a_failure_prints_what_replays_it():
    case = fuzz.draw(1, 4)
    res = fuzz.FuzzResult(1, 4, "icarus", "mismatch", case.describe(), to_toml(case.config), steps=12,
                          message="theta mismatch in 1 of 9 parameters")
    text = res.replay()
    assert "seed 1, index 4, sim icarus: theta mismatch" in text
    assert "mgd fuzz --seed 1 --start 4 --count 1 --sim icarus" in text and "--steps 12" in text
    assert loads_toml(text.split("--free-steps 0\n", 1)[1]) == case.config
    assert "MISMATCH" in res.line()


@pytest.mark.cosim
def test_mgd_fuzz_runs_and_reports(tmp_path, capsys):
    runner.require_simulator("icarus")
    out = tmp_path / "fuzz.json"
    assert main(["fuzz", "--seed", "1", "--start", "1", "--count", "1", "--sim", "icarus", "--steps", "60",
                 "--out", str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and "index=1 sim=icarus" in lines[0] and "bit-exact steps=60" in lines[0]
    assert "runs=1 passed=1 mismatches=0 errors=0" in lines[1]
    report = json.loads(out.read_text())
    assert report["counts"] == {"pass": 1} and report["results"][0]["index"] == 1
