"""The synthesis flow: targets (:mod:`.targets`), tool runs (:mod:`.tools`), the report (:mod:`.report`),
the I/O harness that wraps a block (:mod:`.harness`) and the flow that chains them (:mod:`.flow`)."""

from rtl.synth.flow import synthesize
from rtl.synth.report import REPORT_JSON, REPORT_MD, SynthReport
from rtl.synth.targets import TARGETS, DoesNotFitError, SynthesisError, Target, TargetError, get_target

__all__ = ["TARGETS", "Target", "SynthReport", "SynthesisError", "DoesNotFitError", "TargetError",
           "synthesize", "get_target", "REPORT_JSON", "REPORT_MD"]
