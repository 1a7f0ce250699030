"""Formal proofs of the generated cores (SymbiYosys from YoWASP, an SMT solver from PyPI)."""
