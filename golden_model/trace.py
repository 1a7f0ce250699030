"""The per-step trace of the fixed-point MGD model: what a testbench compares against, bit for bit.

Ref: ``docs/fixed_point_spec.md`` ("One step n"). One row per step, the state *after* that step:

==============  ===================  ============================================================
field           dtype, shape         meaning
==============  ===================  ============================================================
``n``           int64 (steps,)       step index
``sample``      int64 (steps,)       training sample of the step, ``(n // tau_x) % n_train``
``baseline``    bool (steps,)        a baseline pass was taken this step (C0 refreshed)
``C0``          int64 (steps,)       baseline cost register (cost LSBs)
``C``           int64 (steps,)       perturbed cost register
``C_hat``       int64 (steps,)       ``C - C0``
``sign_bits``   uint8 (steps, lanes) sign bit of every lane used this step (1 = negative)
``lfsr``        int64 (steps, lanes) LFSR state of every lane during the step (bit 0 = sign bit)
``theta``       int64 (steps, N)     parameters after the step (after the update, if any)
``G``           int64 (steps, N)     gradient accumulators after the step (0 after an update)
``M``           int64 (steps, N)     momentum registers after the step (0 without momentum)
``updated``     bool (steps,)        θ was updated at the end of the step
``sat_events``  int64 (steps,)       narrowings that saturated or wrapped so far (per parameter: a G
                                     accumulation; an update of θ or M, one event for both)
==============  ===================  ============================================================

Files are ``.npz`` (:meth:`Trace.save` / :meth:`Trace.load`) holding those arrays plus ``config`` (the run's
TOML text), so a bench or ``mgd`` can write one and another tool compare it (:meth:`Trace.mismatches`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from golden_model.errors import MGDError
from golden_model.validate import atomic_path, reading

__all__ = ["Trace", "TraceError", "TRACE_FIELDS"]

class TraceError(MGDError):
    """A trace file that cannot be read."""


TRACE_FIELDS = ("n", "sample", "baseline", "C0", "C", "C_hat", "sign_bits", "lfsr", "theta", "G", "M",
                "updated", "sat_events")


# fields that have one more axis than the steps (lanes or parameters)
_2D_FIELDS = ("sign_bits", "lfsr", "theta", "G", "M")


def _check_fields(name: str, path: str | Path, what: str, arrays: dict[str, np.ndarray]) -> None:
    """Refuse loaded arrays that are not a trace: wrong number of axes, steps or element type."""
    steps = arrays["n"].shape[0] if arrays["n"].ndim == 1 else None
    for field_name, a in arrays.items():
        ndim = 2 if field_name in _2D_FIELDS else 1
        why = None
        if a.dtype.kind not in "biu":
            why = f"field {field_name} holds {a.dtype} values, not integers"
        elif a.ndim != ndim or steps is None or a.shape[0] != steps:
            why = (f"field {field_name} has shape {a.shape}, not ({'steps' if steps is None else steps}"
                   f"{', n' if ndim == 2 else ','})")
        if why:
            raise TraceError(f"{name} must be {what}, not {str(path)!r} ({why})")


@dataclass
class Trace:
    """Per-step state of a fixed-point MGD run (see the module docstring for the fields)."""

    n: np.ndarray
    sample: np.ndarray
    baseline: np.ndarray
    C0: np.ndarray
    C: np.ndarray
    C_hat: np.ndarray
    sign_bits: np.ndarray
    lfsr: np.ndarray
    theta: np.ndarray
    G: np.ndarray
    M: np.ndarray
    updated: np.ndarray
    sat_events: np.ndarray
    config: str = ""

    def __len__(self) -> int:
        return len(self.n)

    @classmethod
    def empty(cls, steps: int, lanes: int, n_params: int, config: str = "") -> Trace:
        z = np.zeros
        per_step, per_lane, per_param = (steps,), (steps, lanes), (steps, n_params)
        return cls(z(per_step, np.int64), z(per_step, np.int64), z(per_step, bool), z(per_step, np.int64),
                   z(per_step, np.int64), z(per_step, np.int64), z(per_lane, np.uint8), z(per_lane, np.int64),
                   z(per_param, np.int64), z(per_param, np.int64), z(per_param, np.int64), z(per_step, bool),
                   z(per_step, np.int64), config)

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in TRACE_FIELDS}

    def sign_words(self) -> list[int]:
        """Sign bits of every step packed as one integer, lane ``i`` at bit ``i`` (the RTL ``signs`` port)."""
        weights = [1 << i for i in range(self.sign_bits.shape[1])]
        return [sum(w for w, b in zip(weights, row) if b) for row in self.sign_bits.tolist()]

    @classmethod
    def concatenate(cls, parts: list[Trace]) -> Trace:
        kw = {name: np.concatenate([getattr(p, name) for p in parts]) for name in TRACE_FIELDS}
        return cls(**kw, config=parts[0].config if parts else "")

    def save(self, path: str | Path) -> None:
        """Write a compressed ``.npz`` with every field and the config TOML to exactly ``path`` (no ``.npz``
        is appended), atomically: an interrupted save leaves no partial file."""
        with atomic_path(path, name="trace") as tmp, open(tmp, "wb") as f:
            np.savez_compressed(f, **self.arrays(), config=np.array(self.config))

    @classmethod
    def load(cls, path: str | Path, name: str = "trace file") -> Trace:
        """Read a trace written by :meth:`save`. Anything else (a missing, unreadable, corrupt or truncated
        file, not an ``.npz``, one that would need pickle, fields missing or of the wrong shape or type)
        raises :class:`TraceError` naming ``name`` (the argument that gave the path), the path and why."""
        what = "a trace .npz written by `mgd trace write`"
        with reading(name, path, what, error=TraceError):
            data = np.load(path, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise TraceError(f"{name} must be {what}, not {str(path)!r} (a single .npy array, not an "
                                 ".npz archive)")
            with data:
                missing = [f for f in (*TRACE_FIELDS, "config") if f not in data.files]
                if missing:
                    raise TraceError(f"{name} must be {what}, not {str(path)!r} (it lacks the fields "
                                     f"{', '.join(missing)}; written by an older mgd? write it again)")
                kw = {f: data[f] for f in TRACE_FIELDS}
                config = data["config"]
        _check_fields(name, path, what, kw)
        if config.shape != () or config.dtype.kind != "U":
            raise TraceError(f"{name} must be {what}, not {str(path)!r} (its config is not one string)")
        return cls(**kw, config=str(config))

    def mismatches(self, other: Trace, limit: int = 10) -> list[str]:
        """Differences of ``other`` (actual) from ``self`` (expected): the first ``limit`` as text naming the
        step, the field, the lane/parameter index, expected and actual value. Empty when identical."""
        out: list[str] = []
        if len(self) != len(other):
            out.append(f"length: expected {len(self)} steps, actual {len(other)}")
        steps = min(len(self), len(other))
        firsts = []
        for name in TRACE_FIELDS:
            e, a = getattr(self, name)[:steps], getattr(other, name)[:steps]
            if e.shape[1:] != a.shape[1:]:
                out.append(f"{name}: expected shape {e.shape}, actual {a.shape}")
                continue
            bad = np.argwhere(e != a)
            if len(bad):
                firsts.append((int(bad[0][0]), name, len(bad), bad[:limit]))
        for _, name, count, where in sorted(firsts, key=lambda x: x[0]):
            out.append(f"{name}: {count} differing entries")
            for idx in where:
                idx = tuple(int(i) for i in idx)
                e, a = getattr(self, name)[idx], getattr(other, name)[idx]
                loc = f"step {int(self.n[idx[0]])}" + (f" index {idx[1]}" if len(idx) > 1 else "")
                out.append(f"  {loc}: expected {int(e)} (0x{int(e) & (2**64 - 1):x}), actual {int(a)}")
        return out[: limit + 2 * len(TRACE_FIELDS)]

    def assert_equal(self, other: Trace, context: str = "") -> None:
        """Raise ``AssertionError`` with the mismatch report unless ``other`` equals ``self`` bit for bit."""
        report = self.mismatches(other)
        if report:
            raise AssertionError(f"trace mismatch {context}:\n" + "\n".join(report))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trace):
            return NotImplemented
        return not self.mismatches(other)

