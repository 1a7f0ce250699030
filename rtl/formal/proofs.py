"""The formal proofs of a config's spatial core, and the mutants that show each proof can fail.

Ref: :mod:`rtl.formal.spatial_props` (the harness and the properties, exactly); :mod:`rtl.formal.sby` (one
run). What ``mgd prove`` and ``testbench/test_formal.py`` run:

========  =====================================================================  ==========================
proof     what                                                                   how
========  =====================================================================  ==========================
cost      the real cost unit's C <= C_max for every y, t in range                k-induction, depth 2
timing    (1) sign/cost alignment and (2a) acc <= τ* <= tau_theta_max            BMC from reset,
                                                                                 ``2·τmax + 2·L + 3`` clocks
range     (2b) |G| <= acc·G_step_bound, the correlator's exact step              k-induction, depth L + 6
========  =====================================================================  ==========================

and, with ``mutants``, one run per :data:`rtl.formal.spatial_props.MUTANTS` entry that must end in FAIL with
the named property among the failed ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from amaranth import Elaboratable

from golden_model.config import MGDConfig
from rtl.contract import tau_theta_max
from rtl.formal.sby import ProofResult, prove
from rtl.formal.spatial_props import MUTANTS, CostBound, SpatialProps, formal_inputs

__all__ = ["Job", "Outcome", "jobs", "build", "run"]

_WHAT = {
    "cost": "cost unit: C <= C_max for every output in the activation range and target in [0, 1]",
    "timing": "sign/cost alignment, baseline, update timing; accepted tau_theta <= tau_theta_max",
    "range": "|G| <= (terms in G) x G_step_bound; the correlator's step is exact",
}


@dataclass(frozen=True)
class Job:
    """One proof to run: ``props`` (``cost``, ``timing`` or ``range``), an optional ``mutant``, and what sby
    must answer (``PASS``; a mutant: ``FAIL`` with the property ``must_fail`` among the failed)."""

    props: str
    mutant: str | None = None

    @property
    def name(self) -> str:
        return self.props if self.mutant is None else f"{self.props}-mutant-{self.mutant}"

    @property
    def expect(self) -> str:
        return "PASS" if self.mutant is None else "FAIL"

    @property
    def must_fail(self) -> str | None:
        return None if self.mutant is None else MUTANTS[self.mutant][1]

    @property
    def what(self) -> str:
        if self.mutant is None:
            return _WHAT[self.props]
        return f"mutant {self.mutant}: must break {self.must_fail!r}"


@dataclass(frozen=True)
class Outcome:
    """A :class:`Job`'s result: sby's answer and the names of the properties it found broken."""

    job: Job
    result: ProofResult
    failed: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """The answer expected: PASS for a proof, FAIL breaking ``must_fail`` for a mutant."""
        if self.result.status != self.job.expect:
            return False
        return self.job.must_fail is None or self.job.must_fail in self.failed

    def line(self) -> str:
        r = self.result
        broke = f" failed={', '.join(self.failed)}" if self.failed else ""
        return (f"{self.job.name:<28} {r.status:<7} {'ok' if self.ok else 'UNEXPECTED':<10} {r.mode} "
                f"depth={r.depth} {r.seconds:.1f}s{broke}")

    def to_dict(self) -> dict[str, object]:
        r = self.result
        return {"proof": self.job.name, "what": self.job.what, "status": r.status,
                "expected": self.job.expect, "ok": self.ok, "mode": r.mode, "depth": r.depth,
                "seconds": round(r.seconds, 2), "cpu_seconds": round(r.cpu_seconds, 2),
                "failed": list(self.failed), "log": str(r.log) if r.log else None}


def jobs(*, mutants: bool = True, tau_theta_max: int = 2) -> tuple[list[Job], list[str]]:
    """The proofs, then (``mutants``) one job per mutant; and why a mutant was left out.

    ``late_sign`` needs a core that accepts ``τ_θ >= 2`` (``tau_theta_max``): with ``τ_θ = 1`` every step
    takes a baseline pass in the clock before its perturbed pass and the signs only change after it, so a
    sign one clock late is the same sign and the mutant is not a bug there.
    """
    out = [Job("cost"), Job("timing"), Job("range")]
    notes = []
    if mutants:
        for name, (props, _) in MUTANTS.items():
            if name == "late_sign" and tau_theta_max < 2:
                notes.append(f"mutant {name} left out: the core accepts only tau_theta = 1, where a "
                             "perturbed pass always follows its baseline pass and a sign one clock late is "
                             "the same sign")
                continue
            out.append(Job(props, name))
    return out, notes


def build(config: MGDConfig, job: Job) -> tuple[Elaboratable, str, int]:
    """The design of ``job`` with its sby mode and depth."""
    if job.props == "cost":
        bound = CostBound(formal_inputs(config).spec)
        return bound, bound.mode, bound.depth
    design = SpatialProps(config, props=job.props, mutant=job.mutant)
    return design, design.mode, design.depth


def run(config: MGDConfig, out: str | Path, *, mutants: bool = True, timeout: float | None = None,
        report: Callable[[Outcome], None] | None = None,
        note: Callable[[str], None] | None = None) -> list[Outcome]:
    """Run :func:`jobs` for ``config`` in ``out`` (one folder per proof), calling ``report`` after each and
    ``note`` for each mutant left out."""
    todo, notes = jobs(mutants=mutants, tau_theta_max=tau_theta_max(formal_inputs(config).spec))
    for text in notes:
        if note is not None:
            note(text)
    outcomes = []
    for job in todo:
        design, mode, depth = build(config, job)
        result = prove(design, job.name.replace("-", "_"), out, mode=mode, depth=depth, timeout=timeout)
        names = getattr(design, "properties", {})
        failed = tuple(dict.fromkeys(names.get(loc, loc) for loc in result.failed))
        outcome = Outcome(job, result, failed)
        outcomes.append(outcome)
        if report is not None:
            report(outcome)
    return outcomes
