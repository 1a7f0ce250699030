"""Every bad input to ``mgd`` is answered before any work with one line ``mgd: error: ...`` that names the
option or field and the value, exit status 2, no traceback, and nothing created or changed on disk.

The table runs in-process (``scripts.cli.main``) with every function that does real work (training,
co-simulation, synthesis, the studies) replaced by one that fails the test, so a check that comes too late
shows. A few cases also run as a real subprocess. ``test_interrupted_*`` send SIGTERM/SIGINT to a ``mgd``
writing a report and check that no partial file is left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from scripts.cli import main

ROOT = Path(__file__).resolve().parents[2]

# {F}: an existing regular file; {D}: a folder holding another file; {NEW}: a path that must stay absent;
# {BAD_UTF8}, {GARBAGE}, {CUT}, {NPY}, {PICKLE}, {SHAPE}: bad input files; {GOOD}: a valid trace;
# {DATA_GOOD}: a valid data CSV for the xor network, {DATA_RANGE}, {DATA_NAMES}, {DATA_WIDE}: bad data files
CASES: list[tuple[list[str], list[str]]] = [
    # ---- output locations: an existing file, a path under a file, a folder, a device, unwritable, empty
    (["train", "--backend", "fixed", "--out", "{F}"], ["--out", "'{F}'", "an existing file, not a folder"]),
    (["train", "--out", "{F}/sub"], ["--out", "'{F}/sub'", "'{F}' is a file, not a folder"]),
    (["train", "--out", "/proc/1/mgd-out"], ["--out", "'/proc/1/mgd-out'", "is not writable"]),
    (["train", "--out", ""], ["--out", "''", "an empty path"]),
    (["trace", "write", "--out", "{D}"], ["--out", "'{D}'", "an existing folder"]),
    (["trace", "write", "--out", "{F}/t.npz"], ["--out", "'{F}/t.npz'", "is a file, not a folder"]),
    (["trace", "write", "--out", "/proc/1/t.npz"], ["--out", "'/proc/1/t.npz'", "is not writable"]),
    (["cosim", "--json", "{D}"], ["--json", "'{D}'", "an existing folder"]),
    (["cosim", "--json", "{F}/r.json"], ["--json", "'{F}/r.json'", "is a file, not a folder"]),
    (["cosim", "--json", os.devnull], ["--json", f"'{os.devnull}'", "not a regular file"]),
    (["cosim", "--vcd", "{F}/w.vcd"], ["--vcd", "'{F}/w.vcd'", "is a file, not a folder"]),
    (["cosim", "--sim", "icarus", "--fst", "{D}"], ["--fst", "'{D}'", "an existing folder"]),
    (["cosim", "--vcd", "{NEW}/w.vcd", "--json", "{NEW}/w.vcd"], ["--json", "'{NEW}/w.vcd'", "--vcd"]),
    (["bench", "--json", "{F}/b.json"], ["--json", "'{F}/b.json'", "is a file, not a folder"]),
    (["generate", "--out", "{F}", "sign-bank"], ["--out", "'{F}'", "an existing file"]),
    (["generate", "--out", "{D}", "sign-bank"], ["--out", "'{D}'", "replaces the whole folder"]),
    (["generate", "sign-bank", "--out", "{D}"], ["--out", "'{D}'", "replaces the whole folder"]),
    (["synth", "--target", "ecp5-25k", "--out", "{D}", "sign-bank"], ["--out", "'{D}'", "replaces"]),
    (["synth", "--target", "ecp5-25k", "--out", "{F}/s", "core"], ["--out", "'{F}/s'", "is a file"]),
    (["sweep", "--out", "{F}"], ["--out", "'{F}'", "an existing file"]),
    (["reproduce", "--out", "{F}/r"], ["--out", "'{F}/r'", "is a file, not a folder"]),
    (["run", "--out", "{F}"], ["--out", "'{F}'", "an existing file"]),
    (["compare", "--out", "{F}"], ["--out", "'{F}'", "an existing file"]),
    (["scaling", "--fmax", "100", "--out", "{F}"], ["--out", "'{F}'", "an existing file"]),
    # ---- input files: missing, a folder, a device, not UTF-8, not TOML, corrupt, truncated, not .npz, pickle
    (["config", "show", "--config", "{NEW}.toml"], ["--config", "'{NEW}.toml'", "no such file"]),
    (["config", "show", "--config", "{D}"], ["--config", "'{D}'", "a folder"]),
    (["config", "show", "--config", "/dev/zero"], ["--config", "'/dev/zero'", "not a regular file"]),
    (["config", "show", "--config", "{BAD_UTF8}"], ["--config", "'{BAD_UTF8}'", "not UTF-8 text"]),
    (["train", "--config", "{F}", "--out", "{NEW}"], ["--config", "'{F}'", "not valid TOML"]),
    (["trace", "compare", "{GARBAGE}", "{GOOD}"], ["EXPECTED", "'{GARBAGE}'", "never loaded"]),
    (["trace", "compare", "{GOOD}", "{CUT}"], ["ACTUAL", "'{CUT}'", "corrupt or truncated"]),
    (["trace", "compare", "{GOOD}", "{NPY}"], ["ACTUAL", "'{NPY}'", "not an .npz archive"]),
    (["trace", "compare", "{GOOD}", "{PICKLE}"], ["ACTUAL", "'{PICKLE}'", "pickle, which is never loaded"]),
    (["trace", "compare", "{GOOD}", "{SHAPE}"], ["ACTUAL", "'{SHAPE}'", "field theta has shape"]),
    (["trace", "compare", "{GOOD}", "{D}"], ["ACTUAL", "'{D}'", "a folder"]),
    (["trace", "compare", "{F}", "{GOOD}"], ["EXPECTED", "'{F}'", "never loaded"]),
    (["scaling", "--synth-report", "{BAD_UTF8}", "--out", "{NEW}"], ["--synth-report", "'{BAD_UTF8}'",
                                                                     "not UTF-8 text"]),
    # ---- data files (task.dataset = "file"): every command that takes a config reads and checks the file
    (["train", "--backend", "fixed", "--set", "task.dataset=file", "--set", "task.data_file={NEW}.npz",
      "--out", "{NEW}"], ["task.data_file", "'{NEW}.npz'", "(no such file)"]),
    (["cosim", "--set", "task.dataset=file", "--set", "task.data_file={DATA_RANGE}", "--json", "{NEW}"],
     ["task.data_file", "'{DATA_RANGE}'", "line 3, column 2 = 1.5 is outside [0, 1]"]),
    (["run", "--set", "task.dataset=file", "--set", "task.data_file={DATA_NAMES}", "--out", "{NEW}"],
     ["task.data_file", "'{DATA_NAMES}'", "it holds X, Y; it needs x and y"]),
    (["generate", "core", "--set", "task.dataset=file", "--set", "task.data_file={DATA_WIDE}",
      "--out", "{NEW}"],
     ["task.data_file", "'{DATA_WIDE}'", "array x has 3 columns, network.layers[0] = 2 inputs"]),
    (["train", "--backend", "rtl", "--set", "task.dataset=file", "--set", "task.data_file={DATA_GOOD}",
      "--set", "task.test_fraction=0", "--out", "{NEW}"], ["task.test_fraction", "'{DATA_GOOD}'", "not 0"]),
    (["config", "show", "--set", "task.dataset=file"],
     ["task.data_file", "for task.dataset = 'file', not ''"]),
    (["trace", "write", "--set", "task.data_file={DATA_GOOD}", "--out", "{NEW}"],
     ["task.data_file", "'' for task.dataset = 'xor'"]),
    # ---- config numbers: NaN, infinities, absurd sizes, wrong types, open bounds
    (["train", "--set", "mgd.eta=inf", "--out", "{NEW}"], ["mgd.eta", "not inf", "<= 1000"]),
    (["train", "--set", "mgd.eta=nan", "--out", "{NEW}"], ["mgd.eta", "not nan"]),
    (["train", "--set", "noise.cost_sigma=inf", "--out", "{NEW}"], ["noise.cost_sigma", "not inf", "<= 10"]),
    (["train", "--set", "mgd.optimizer=adam", "--set", "mgd.beta2=1.0", "--out", "{NEW}"],
     ["mgd.beta2", "not 1.0", "< 1"]),
    (["train", "--set", "mgd.beta1=1", "--out", "{NEW}"], ["mgd.beta1", "not 1", "< 1"]),
    (["train", "--set", "mgd.momentum=1.0", "--out", "{NEW}"], ["mgd.momentum", "not 1.0", "< 1"]),
    (["train", "--set", "mgd.delta=1e6", "--out", "{NEW}"], ["mgd.delta", "not 1000000.0", "<= 10"]),
    (["train", "--set", "task.steps=100000000000", "--out", "{NEW}"], ["task.steps", "not 100000000000",
                                                                        "from 1 to 1000000000"]),
    (["train", "--set", "task.steps=-5", "--out", "{NEW}"], ["task.steps", "not -5"]),
    (["train", "--set", "task.eval_every=0", "--out", "{NEW}"], ["task.eval_every", "not 0"]),
    (["train", "--set", "fixed.theta=Q0.0", "--out", "{NEW}"], ["fixed.theta", "not 'Q0.0'"]),
    (["train", "--set", "network.init_scale=1e9", "--out", "{NEW}"],
     ["network.init_scale", "not 1000000000.0"]),
    (["train", "--set", "mgd.adam_eps=0", "--out", "{NEW}"], ["mgd.adam_eps", "not 0"]),
    (["train", "--set", "mgd.tau_hp=inf", "--out", "{NEW}"], ["mgd.tau_hp", "not inf"]),
    (["train", "--set", "task.target_accuracy=2", "--out", "{NEW}"], ["task.target_accuracy", "not 2"]),
    (["train", "--set", "mgd.eta=fast", "--out", "{NEW}"], ["mgd.eta", "not 'fast'"]),
    (["train", "--set", "mgd.seed=-1", "--out", "{NEW}"], ["mgd.seed", "not -1"]),
    (["train", "--set", "network.layers=[2,2.5,1]", "--out", "{NEW}"], ["network.layers", "2.5"]),
    (["train", "--set", "network.layers=[2,100000,1]", "--out", "{NEW}"], ["network.layers", "100000"]),
    (["cosim", "--set", "mgd.eta=-inf", "--json", "{NEW}"], ["mgd.eta", "not -inf"]),
    (["trace", "write", "--set", "noise.update_sigma=nan", "--out", "{NEW}"], ["noise.update_sigma", "nan"]),
    # ---- command-line counts and numbers
    (["compare", "--backprop-repeats", "-1", "--out", "{NEW}"], ["--backprop-repeats", "'-1'", "from 0 to"]),
    (["compare", "--compiled-repeats", "5000", "--out", "{NEW}"], ["--compiled-repeats", "'5000'"]),
    (["compare", "--free-steps", "-1", "--out", "{NEW}"], ["--free-steps", "'-1'", "from 0 to 1000000000"]),
    (["run", "--backprop-repeats", "x", "--out", "{NEW}"], ["--backprop-repeats", "'x'"]),
    (["reproduce", "--workers", "0", "--out", "{NEW}"], ["--workers", "'0'", "from 1 to 64"]),
    (["sweep", "--jobs", "0", "--out", "{NEW}"], ["--jobs", "'0'", "from 1 to 64"]),
    (["sweep", "--widths", "4", "--out", "{NEW}"], ["--widths", "'4'", "fixed.theta"]),
    (["cosim", "--steps", "0", "--json", "{NEW}"], ["--steps", "'0'", "from 1 to 1000000000"]),
    (["cosim", "--steps", "1e3", "--json", "{NEW}"], ["--steps", "'1e3'"]),
    (["cosim", "--free-steps", "-1", "--json", "{NEW}"], ["--free-steps", "'-1'"]),
    (["trace", "write", "--steps", "0", "--out", "{NEW}"], ["--steps", "'0'"]),
    (["trace", "write", "--steps", "50000000", "--out", "{NEW}"], ["--steps", "'50000000'", "GiB"]),
    (["generate", "sign-bank", "--lanes", "100000000", "--out", "{NEW}"], ["--lanes", "'100000000'",
                                                                             "from 1 to 65536"]),
    (["generate", "sign-bank", "--lanes", "0", "--out", "{NEW}"], ["--lanes", "'0'"]),
    (["generate", "sign-bank", "--width", "2", "--out", "{NEW}"], ["--width", "'2'", "from 3 to 32"]),
    (["generate", "sign-bank", "--seed", "0", "--out", "{NEW}"], ["--seed", "'0'"]),
    (["synth", "--target", "ecp5-25k", "--freq", "inf", "--out", "{NEW}", "sign-bank"], ["--freq", "'inf'"]),
    (["synth", "--target", "ecp5-25k", "--freq", "-1", "--out", "{NEW}", "sign-bank"], ["--freq", "'-1'"]),
    (["synth", "--target", "ecp5-25k", "--seed", "-1", "--out", "{NEW}", "sign-bank"], ["--seed", "'-1'"]),
    (["synth", "--target", "bogus", "--out", "{NEW}", "sign-bank"], ["--target", "'bogus'"]),
    (["scaling", "--workers", "0", "--fmax", "100", "--out", "{NEW}"], ["--workers", "'0'"]),
    # ---- a Dask scheduler address: malformed, or nothing listening there (port 1 of the loopback)
    (["sweep", "--scheduler", "tcp://127.0.0.1", "--out", "{NEW}"],
     ["--scheduler", "'tcp://127.0.0.1'", "tcp://HOST:PORT", "needs a host and a port"]),
    (["reproduce", "--scheduler", "127.0.0.1:1", "--out", "{NEW}"],
     ["--scheduler", "'127.0.0.1:1'", "running Dask scheduler", "Connection refused"]),
    (["scaling", "--fmax", "100", "--scheduler", "udp://127.0.0.1:8786", "--out", "{NEW}"],
     ["--scheduler", "'udp://127.0.0.1:8786'", "scheme must be one of tcp, tls"]),
    (["scaling", "--seeds", "100000", "--fmax", "100", "--out", "{NEW}"], ["--seeds", "'100000'"]),
    (["scaling", "--fmax", "nan", "--out", "{NEW}"], ["--fmax", "'nan'"]),
    (["scaling", "--synth-report", "{D}", "--out", "{NEW}"], ["--synth-report", "'{D}'", "a folder"]),
    (["generate", "sign-bank", "--lanes", "1", "--width", "4", "--seed", "100", "--out", "{NEW}"],
     ["--seed", "'100'", "from 1 to 15"]),
    (["synth", "--target", "ecp5-25k", "--freq", "0.0001", "--out", "{NEW}", "sign-bank"],
     ["--freq", "'0.0001'", ">= 1"]),
    (["fuzz", "--out", "{F}/fuzz.json"], ["--out", "'{F}/fuzz.json'", "is a file, not a folder"]),
    (["fuzz", "--count", "0", "--out", "{NEW}"], ["--count", "0"]),
    # ---- mgd faults and the fault fields (issue 13.5)
    (["faults", "--cost-noise", "4:x", "--out", "{NEW}"], ["--cost-noise", "'4:x'", "BITS:SHIFT"]),
    (["faults", "--update-noise", "17:0", "--out", "{NEW}"], ["--update-noise", "'17:0'", "BITS 1 to 16"]),
    (["faults", "--stuck", "0", "--out", "{NEW}"], ["--stuck", "'0'", "above 0 and at most 1"]),
    (["faults", "--cost-noise", "4:17", "--out", "{NEW}"], ["fixed.cost_noise_shift", "at most 15", "17"]),
    (["faults", "--set", "mgd.seed=2", "--out", "{NEW}"], ["--set", "'mgd.seed=2'", "must not set"]),
    (["faults", "--preset", "nope", "--out", "{NEW}"], ["--preset", "'nope'"]),
    (["faults", "--out", "{F}"], ["--out", "'{F}'", "an existing file"]),
    (["train", "--set", "fixed.stuck_params=[1,1]", "--out", "{NEW}"], ["fixed.stuck_params", "distinct",
                                                                        "[1, 1]"]),
    (["train", "--set", "fixed.update_noise_shift=2", "--out", "{NEW}"],
     ["fixed.update_noise_shift", "0 when fixed.update_noise_bits is 0", "not 2"]),
]


def _write_inputs(tmp_path: Path) -> dict[str, str]:
    from golden_model.config import from_preset
    from golden_model.fixed_mgd import FixedMGD

    places = {"F": tmp_path / "a_file", "D": tmp_path / "a_folder", "NEW": tmp_path / "new",
              "BAD_UTF8": tmp_path / "bad_utf8.toml", "GARBAGE": tmp_path / "garbage.npz",
              "CUT": tmp_path / "cut.npz", "NPY": tmp_path / "array.npy", "PICKLE": tmp_path / "pickle.npz",
              "SHAPE": tmp_path / "shape.npz", "GOOD": tmp_path / "good.npz",
              "DATA_GOOD": tmp_path / "data_good.csv", "DATA_RANGE": tmp_path / "data_range.csv",
              "DATA_NAMES": tmp_path / "data_names.npz", "DATA_WIDE": tmp_path / "data_wide.npz"}
    places["F"].write_text("mgd.eta = [\n")  # a file, and not TOML
    places["D"].mkdir()
    (places["D"] / "keep.txt").write_text("not mgd's")
    places["BAD_UTF8"].write_bytes(b"[mgd]\neta = \xff\xfe\n")
    places["GARBAGE"].write_bytes(b"\x00garbage, not a zip")
    trace = FixedMGD(from_preset("xor")).run(10)
    trace.save(places["GOOD"])
    places["CUT"].write_bytes(places["GOOD"].read_bytes()[:300])
    np.save(places["NPY"], np.arange(4))
    arrays = {**trace.arrays(), "config": np.array(trace.config)}
    np.savez(places["PICKLE"], **{**arrays, "G": np.array([None] * 10, dtype=object)})
    np.savez(places["SHAPE"], **{**arrays, "theta": arrays["theta"].ravel()})
    places["DATA_GOOD"].write_text("x0,x1,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    places["DATA_RANGE"].write_text("x0,x1,label\n0,0,0\n0,1.5,1\n1,0,1\n1,1,0\n")
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    np.savez(places["DATA_NAMES"], X=corners, Y=np.array([0, 1, 1, 0]))
    np.savez(places["DATA_WIDE"], x=np.hstack([corners, corners[:, :1]]), y=np.array([0, 1, 1, 0]))
    return {k: str(v) for k, v in places.items()}


def _snapshot(root: Path) -> dict[str, tuple[int, int] | None]:
    """Every path under ``root``, with size and modification time for files."""
    return {str(p.relative_to(root)): None if p.is_dir() else (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*")}


@pytest.fixture
def no_work(monkeypatch):
    """Every function that does real work fails the test when reached."""
    import golden_model.fixed_mgd
    import golden_model.float_mgd
    import golden_model.studies.faults
    import golden_model.studies.reproduce
    import golden_model.studies.sweep
    import scripts.cmd_generate
    import scripts.cmd_synth
    import scripts.flows.bench
    import scripts.flows.run
    import scripts.flows.scaling
    import testbench.cosim

    def work(*args, **kwargs):
        raise AssertionError("the command started work before refusing its input")

    for module, name in [(golden_model.fixed_mgd, "train"), (golden_model.float_mgd, "train"),
                         (golden_model.fixed_mgd.FixedMGD, "run"), (testbench.cosim, "run_cosim"),
                         (testbench.cosim, "train"), (scripts.cmd_synth, "synthesize"),
                         (scripts.cmd_generate, "write_verilog"), (scripts.flows.run, "main_job"),
                         (scripts.flows.bench, "compare"), (golden_model.studies.reproduce, "reproduce"),
                         (golden_model.studies.sweep, "width_sweep"), (scripts.flows.scaling, "run_scaling"),
                         (golden_model.studies.faults, "run_faults")]:
        monkeypatch.setattr(module, name, work)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad_inputs")
    return root, _write_inputs(root)


@pytest.mark.parametrize(("argv", "expected"), CASES, ids=[" ".join(a)[:80] for a, _ in CASES])
def test_bad_input_is_refused_before_any_work(argv, expected, inputs, no_work, capsys, monkeypatch):
    root, places = inputs
    monkeypatch.chdir(root)  # default output folders (out/...) would land here too
    argv = [a.format(**places) for a in argv]
    before = _snapshot(root)
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.replace("mgd: note: ", "").splitlines()
    errors = [line for line in err if line.startswith("mgd: error: ")]
    assert len(errors) == 1 and "Traceback" not in captured.err, captured.err
    for text in expected:
        assert text.format(**places) in errors[0], (text, errors[0])
    assert _snapshot(root) == before, "the refused command created or changed files"


def test_the_table_is_large_enough():
    assert len(CASES) >= 40


def _mgd(*args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "scripts.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


@pytest.mark.parametrize("argv", [
    ["config", "show", "--set", "mgd.eta=inf"],
    ["trace", "compare", "{GARBAGE}", "{GOOD}"],
    ["compare", "--backprop-repeats", "-1", "--out", "{NEW}"],
    ["sweep", "--scheduler", "tcp://127.0.0.1:1", "--out", "{NEW}"],  # no Dask noise at exit either
])
def test_bad_input_in_a_real_process(argv, inputs):
    _, places = inputs
    proc = _mgd(*[a.format(**places) for a in argv])
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and err.startswith("mgd: error: ") and len(err.splitlines()) == 1, err
    assert "Traceback" not in err and not Path(places["NEW"]).exists()


# ---- interrupted runs leave no half-written report -------------------------------------------------------

def _wait_for(predicate, proc: subprocess.Popen, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        if predicate():
            return True
        time.sleep(0.002)
    return False


def _partial(folder: Path, prefix: str) -> bool:
    """A temporary file named ``prefix...`` holds some bytes already: the report is being written."""
    for p in folder.iterdir():
        try:
            if p.name.startswith(prefix) and p.stat().st_size > 0:
                return True
        except FileNotFoundError:
            pass
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_while_writing_leaves_no_partial_file(tmp_path, sig):
    """The signal arrives while the trace is being written (its temporary file exists): afterwards neither
    the target nor the temporary file is there."""
    target = tmp_path / "trace.npz"
    # A shell that starts the suite in the background (``make test &``) ignores SIGINT, the child inherits
    # that and Python then installs no KeyboardInterrupt handler: the user's Ctrl-C is what is tested here
    proc = _mgd("trace", "write", "--preset", "parity4", "--steps", "200000", "--out", str(target),
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    writing = _wait_for(lambda: _partial(tmp_path, ".trace.npz."), proc, 50)
    assert writing, f"the write was not seen in progress: {proc.communicate()}"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + sig, (proc.returncode, err)
    assert f"mgd: interrupted ({sig.name})" in err and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == [], "a partial or temporary file was left"


def test_interrupted_training_writes_no_report(tmp_path):
    """SIGTERM during a long training run: exit 143, one line, no report (and no temporary file)."""
    out = tmp_path / "train"
    proc = _mgd("train", "--backend", "fixed", "--set", "task.steps=100000000", "--set",
                "task.eval_every=1000", "--out", str(out))
    first = proc.stderr.read(1)  # the note on the optimizer or the progress bar: mgd is running
    time.sleep(0.5)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    err = first + err
    assert proc.returncode == 128 + signal.SIGTERM and "Traceback" not in err, err
    assert "mgd: interrupted (SIGTERM)" in err
    assert not out.exists() or list(out.iterdir()) == []


def test_compare_without_backprop_references_writes_its_table(tmp_path, monkeypatch, capsys):
    """``--backprop-repeats 0 --compiled-repeats 0`` skip both references (once a ZeroDivisionError after
    the whole run): the table says "not run". The main job is replaced by a tiny fixed-model run."""
    import dataclasses

    import scripts.flows.run as run
    from golden_model.fixed_mgd import train

    def tiny_main_job(config, out_dir, **kw):
        assert kw["backprop_repeats"] == 0 and kw["compiled_repeats"] == 0
        g = train(config.replace(task=dataclasses.replace(config.task, steps=200)), progress=False)
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        return run.MainJobResult(
            config=config, golden=g, rtl=g, bit_exact=True, mismatch=None, backprop={}, compiled_backprop={},
            cosim={"cycles_per_step": 7.0, "bound_cycles_per_step": 7.0, "updates_compared": 200,
                   "readbacks": 1, "checked_steps_per_s": 1000.0},
            synth={"target": "ecp5-25k",
                   "summary": {"fmax_mhz": 50.0, "lut": 1, "ff": 1, "dsp": 1, "bram": 0}})

    monkeypatch.setattr(run, "main_job", tiny_main_job)
    out = tmp_path / "c"
    assert main(["compare", "--task", "xor", "--backprop-repeats", "0", "--compiled-repeats", "0", "--quiet",
                 "--out", str(out)]) == 0
    assert "not run" in (out / "compare.md").read_text()
    assert sorted(p.name for p in out.iterdir()) == ["compare.json", "compare.md", "xor"]
