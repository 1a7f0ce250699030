"""Verilog generation: one Amaranth component to a folder with the Verilog, a file list and its parameters.

Output is byte-identical across runs (``emit_src=False``, sorted JSON). The folder is written through a
temporary sibling and renamed into place, so a failure leaves nothing half-written behind.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from amaranth.back import verilog
from amaranth.lib import wiring

__all__ = ["to_verilog", "write_verilog"]

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
    """Verilog text of ``component`` with top module ``name`` (no source locations: reproducible)."""
    with _deep_recursion():
        return verilog.convert(component, name=name, emit_src=False)


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
