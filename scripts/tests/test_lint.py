"""The code passes the pinned ruff with the rules of pyproject.toml (``make lint``), so CI keeps it so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ruff_finds_nothing():
    ruff = Path(sys.executable).parent / "ruff"
    proc = subprocess.run([str(ruff), "check", "--no-cache", str(ROOT)], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, f"ruff check found problems (fix them, or run `make lint`):\n{proc.stdout}"
