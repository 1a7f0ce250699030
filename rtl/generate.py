"""Verilog generation: one Amaranth component to a folder with the Verilog, a file list and its parameters.

Output is byte-identical across runs (``emit_src=False``, sorted JSON). The folder is written through a
temporary sibling and renamed into place, so a failure leaves nothing half-written behind.

A memory with the attribute :data:`SPRAM_ATTR` (the folded core's streamed sample store) is written without
initial contents: Amaranth gives every memory an ``initial`` block (zeros when it has no ``init``), and Yosys
maps no initialised memory onto a RAM without initial contents such as the iCE40's SB_SPRAM256KA.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from amaranth.back import verilog
from amaranth.lib import wiring

__all__ = ["SPRAM_ATTR", "to_verilog", "write_verilog"]

#: Memory attribute (value 1) of a single-port store the design writes before it reads it: its Verilog has no
#: initial contents, and the iCE40 flow maps it onto SB_SPRAM256KA (:data:`rtl.synth.targets.TARGETS`)
SPRAM_ATTR = "mgd_spram"

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


def to_verilog(component: wiring.Component, name: str) -> str:
    """Verilog text of ``component`` with top module ``name`` (no source locations: reproducible); memories
    with the attribute :data:`SPRAM_ATTR` have no initial contents."""
    with _deep_recursion():
        text = verilog.convert(component, name=name, emit_src=False)
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


def write_verilog(component: wiring.Component, name: str, out_dir: str | Path,
                  params: dict[str, Any]) -> list[Path]:
    """Write ``<name>.v``, ``files.f`` (the file list) and ``params.json`` into ``out_dir``.

    Returns the paths written. An existing ``out_dir`` is replaced only after the new files are complete.
    """
    out_dir = Path(out_dir)
    text = to_verilog(component, name)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        (tmp / f"{name}.v").write_text(text)
        (tmp / "files.f").write_text(f"{name}.v\n")
        (tmp / "params.json").write_text(json.dumps({"top": name, **params}, indent=2, sort_keys=True) + "\n")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [out_dir / f"{name}.v", out_dir / "files.f", out_dir / "params.json"]
