"""Studies built on the specification: reproduction of the papers, sweeps, plots, benchmarks, backprop
references. Nothing in the specification (``golden_model``'s top level) imports from here."""
