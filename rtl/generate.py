"""Verilog generation: one Amaranth component to a folder with the Verilog, a file list, its parameters and a
FuseSoC core description.

Output is byte-identical across runs (``emit_src=False``, sorted JSON). The folder is written through a
temporary sibling and renamed into place, so a failure leaves nothing half-written behind.

A memory with the attribute :data:`SPRAM_ATTR` (the folded core's streamed sample store) is written without
initial contents: Amaranth gives every memory an ``initial`` block (zeros when it has no ``init``), and Yosys
maps no initialised memory onto a RAM without initial contents such as the iCE40's SB_SPRAM256KA.

The FuseSoC core description (``<top>.core``, CAPI2, :func:`fusesoc_core`) lists the Verilog and the top
module, with a ``lint`` target (Verilator ``--lint-only``, through edalize) and a ``sim`` target (Icarus: the
core compiled and elaborated; it has no testbench of its own, the cocotb benches are in ``testbench/``). Its
VLNV is ``mgd:mgd:<top>_<label>_<digest>:<toolkit version>``: the label says what was built (a core's style,
layers and perturbation), the digest is the first 8 hex digits of the Verilog's SHA-256, so two different
builds never share a name in one cores root, and the same build always has the same one.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from amaranth.back import verilog
from amaranth.lib import wiring

from golden_model.validate import atomic_dir

__all__ = ["SPRAM_ATTR", "LINT_WAIVERS", "ICARUS_ARGS", "to_verilog", "fusesoc_vlnv", "fusesoc_core",
           "write_verilog"]

#: Memory attribute (value 1) of a single-port store the design writes before it reads it: its Verilog has no
#: initial contents, and the iCE40 flow maps it onto SB_SPRAM256KA (:data:`rtl.synth.targets.TARGETS`)
SPRAM_ATTR = "mgd_spram"

#: Verilator warnings that Amaranth's Verilog raises by construction, waived in the core description's lint
#: target (any other warning fails it): operands widened or truncated to the assignment's width
#: (WIDTHEXPAND/WIDTHTRUNC, as in Amaranth's own semantics), ``casez`` without a default whose output is
#: assigned before the case (CASEINCOMPLETE: the readback multiplexers, the sequencers), and the ``[-1:0]``
#: range Yosys writes for a zero-width signal (ASCRANGE: the address of a one-word memory, e.g. the folded
#: nist7x7 and digits cores' z store)
LINT_WAIVERS = ("-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC", "-Wno-CASEINCOMPLETE", "-Wno-ASCRANGE")
#: Icarus options for the generated Verilog (the benches' runner and the core description's ``sim`` target).
#: Amaranth (through Yosys's write_verilog) emits Verilog-2005 whose combinational `always @*` blocks are
#: first evaluated by an event on a register declared `reg trigger = 0;`. Under cocotb's default -g2012 Icarus
#: applies such declaration initialisers without an event (SystemVerilog semantics), so a block that reads
#: only registers that never change after reset (a per-layer constant table indexed by a layer counter that
#: stays 0) is never evaluated and its output stays X. -g2005 (the last -g wins) gives the Verilog-2005
#: semantics the code was written for.
ICARUS_ARGS = ("-g2005",)
FUSESOC_VENDOR = FUSESOC_LIBRARY = "mgd"

# Yosys's write_verilog: a memory's attribute lines, its declaration, then its initial block
_MEMORY = re.compile(r"((?:[ \t]*\(\*[^\n]*\*\)\n)*)([ \t]*reg (?:\[\d+:0\] )?(\S+) \[\d+:0\];\n)"
                     r"[ \t]*initial begin\n(?:[ \t]*\3\[\d+\] = [^\n]*;\n)*[ \t]*end\n")

# A 49-input neuron's sum is a chain of ~50 nested operators per term, and Amaranth's netlist transforms
# recurse through it: a 49-4-4 core overflows Python's default limit of 1000 frames. Pure-Python frames of
# CPython 3.11 do not use the C stack, so a higher limit while converting is safe.
_CONVERT_RECURSION_LIMIT = 50_000


@contextmanager
def _deep_recursion() -> Iterator[None]:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, _CONVERT_RECURSION_LIMIT))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def to_verilog(component: wiring.Component, name: str, platform: object = None) -> str:
    """Verilog text of ``component`` with top module ``name`` (no source locations: reproducible); memories
    with the attribute :data:`SPRAM_ATTR` have no initial contents. ``platform`` is what every
    ``elaborate`` sees (``None``: the portable design simulators run; the synthesis flow passes
    :class:`rtl.synth.targets.SynthPlatform`, so that :class:`rtl.multiplier.Multiplier` uses the part's
    registered DSP)."""
    with _deep_recursion():
        text = verilog.convert(component, name=name, emit_src=False, platform=platform)
    marked = text.count(f"(* {SPRAM_ATTR} = 32'd1 *)")
    if not marked:
        return text
    dropped = 0

    def drop_initial(mo: re.Match) -> str:
        nonlocal dropped
        if f"(* {SPRAM_ATTR} = " not in mo.group(1):
            return mo.group(0)
        dropped += 1
        return mo.group(1) + mo.group(2)

    text = _MEMORY.sub(drop_initial, text)
    if dropped != marked:  # a Verilog layout this parser does not know: fail rather than keep the contents
        raise RuntimeError(f"to_verilog found the initial contents of {dropped} of the {marked} memories "
                           f"marked {SPRAM_ATTR!r}; the Yosys write_verilog layout changed")
    return text


def _toolkit_version() -> str:
    try:
        return importlib.metadata.version("mgd-toolkit")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was not installed
        return "0"


def fusesoc_vlnv(top: str, verilog_text: str, label: str = "") -> str:
    """The VLNV of the core description of ``verilog_text`` (see the module docstring)."""
    digest = hashlib.sha256(verilog_text.encode()).hexdigest()[:8]
    name = "_".join(part for part in (top, label, digest) if part)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"a FuseSoC core name may hold only letters, digits, '_', '.' and '-', not {name!r}")
    return f"{FUSESOC_VENDOR}:{FUSESOC_LIBRARY}:{name}:{_toolkit_version()}"


def fusesoc_core(vlnv: str, top: str, files: list[str], description: str = "") -> str:
    """A FuseSoC CAPI2 core description: ``files`` (Verilog, relative to the ``.core`` file), toplevel
    ``top``, targets ``default``, ``lint`` (Verilator lint-only) and ``sim`` (Icarus)."""
    def q(text: str) -> str:  # a JSON string is a YAML double-quoted scalar
        return json.dumps(text)

    lines = ["CAPI=2:", "# Written by `mgd generate` (rtl/generate.py); regenerated, not edited.",
             f"name: {vlnv}", f"description: {q(description or top)}", "",
             "filesets:", "  rtl:", "    files:", *(f"      - {q(f)}" for f in files),
             "    file_type: verilogSource", "",
             "targets:", "  default: &default",
             f"    description: {q('the Verilog and its top module')}",
             "    filesets: [rtl]", f"    toplevel: {top}",
             "  lint:", "    <<: *default",
             f"    description: {q('Verilator --lint-only; a warning other than the waived ones fails')}",
             "    default_tool: verilator", "    tools:", "      verilator:", "        mode: lint-only",
             f"        verilator_options: [{', '.join(LINT_WAIVERS)}]",
             "  sim:", "    <<: *default",
             f"    description: {q('Icarus: compile and elaborate the core (no testbench)')}",
             "    default_tool: icarus", "    tools:", "      icarus:",
             f"        iverilog_options: [{', '.join(ICARUS_ARGS)}]", ""]
    return "\n".join(lines)


def write_verilog(component: wiring.Component, name: str, out_dir: str | Path,
                  params: dict[str, Any], *, label: str = "", description: str = "") -> list[Path]:
    """Write ``<name>.v``, ``files.f`` (the file list), ``params.json`` and ``<name>.core`` (the FuseSoC core
    description, :func:`fusesoc_core`; ``label`` and ``description`` go into its name and description)
    into ``out_dir``.

    Returns the paths written. An existing ``out_dir`` is replaced only after the new files are complete.
    """
    out_dir = Path(out_dir)
    text = to_verilog(component, name)
    core = fusesoc_core(fusesoc_vlnv(name, text, label), name, [f"{name}.v"], description)
    with atomic_dir(out_dir) as tmp:
        (tmp / f"{name}.v").write_text(text)
        (tmp / "files.f").write_text(f"{name}.v\n")
        (tmp / "params.json").write_text(json.dumps({"top": name, **params}, indent=2, sort_keys=True) + "\n")
        (tmp / f"{name}.core").write_text(core)
    return [out_dir / f"{name}.v", out_dir / "files.f", out_dir / "params.json", out_dir / f"{name}.core"]
