"""The controller sequence of the spec, and what it costs in clock cycles on each datapath style.

Ref: ``docs/fixed_point_spec.md`` ("One step n", items 1, 2 and 6; "Initial parameters and data": sample
order). The golden model (:class:`golden_model.fixed_mgd.FixedMGD`, reference and compiled paths) and every
core's cycle count read the sequence from here, so it is written once.

The functions take a step index ``n`` as an int or an int64 array and return the same shape.
"""

from __future__ import annotations

import numpy as np

__all__ = ["advances", "takes_baseline", "updates", "sample_index", "spatial_cycles", "fold", "folded_passes",
           "folded_cycles"]


def advances(n, tau_p: int):
    """Step ``n`` starts by advancing every sign lane one LFSR step (``n > 0`` and ``n % τ_p == 0``)."""
    return (n > 0) & (n % tau_p == 0)


def takes_baseline(n, tau_x: int, tau_theta: int):
    """Step ``n`` starts with a baseline pass: a new sample (``n % τ_x == 0``), θ just updated
    (``n % τ_θ == 0``), or the first step."""
    return (n == 0) | (n % tau_x == 0) | (n % tau_theta == 0)


def updates(n, tau_theta: int):
    """Step ``n`` ends with a θ update (``(n + 1) % τ_θ == 0``)."""
    return (n + 1) % tau_theta == 0


def sample_index(n, tau_x: int, n_train: int):
    """Training sample of step ``n``: ``(n // τ_x) % n_train`` (in order, no shuffling)."""
    return (n // tau_x) % n_train


def spatial_cycles(start: int, steps: int, tau_x: int, tau_theta: int, latency: int) -> int:
    """Busy cycles of the spatial core (:class:`rtl.spatial.core.MGDCore`) for steps ``start ..
    start + steps - 1``.

    One pass per clock (a step's perturbed pass, plus its baseline pass where :func:`takes_baseline`
    says so); every θ update, and the end of a run, waits ``latency`` cycles for the pipeline to drain.
    With τ_x = τ_θ = T a block of T steps takes ``T + 1 + latency`` cycles.
    """
    ns = np.arange(start, start + steps, dtype=np.int64)
    cycles = int(steps + np.count_nonzero(takes_baseline(ns, tau_x, tau_theta)))
    cycles += latency * int(np.count_nonzero(updates(ns, tau_theta)))
    if (start + steps) % tau_theta:
        cycles += latency
    return cycles


def fold(layers, lanes: int) -> tuple[int, int]:
    """``(PE, SIMD)`` of a folded core with ``P = lanes`` multipliers on ``layers``: ``P = PE · SIMD``, PE
    neurons of a layer at a time, each fed SIMD inputs a clock (FINN's PE × SIMD folding).

    SIMD is the smallest power of two that divides P and leaves ``PE = P / SIMD`` at most the widest layer's
    neuron count: SIMD = 1 (one input a clock, P neurons) whenever P fits the widest layer, so a core is only
    split across inputs when it has more lanes than any layer has neurons. A power of two, so that a
    parameter's input position ``i`` splits into its item ``i >> log2 SIMD`` and slot ``i mod SIMD`` by
    wiring (``rtl.folded.layout``).

    Raises ``ValueError`` (the reason, for the caller to name its field) when no such split exists (P has no
    power-of-two factor that brings it down to the widest layer) or SIMD exceeds ``2**⌈log2 (n_in + 1)⌉`` of
    the longest row (every item would carry idle inputs in every layer: multipliers for nothing).
    """
    layers = [int(v) for v in layers]
    widest, longest = max(layers[1:]), max(layers[:-1]) + 1
    if not isinstance(lanes, int) or isinstance(lanes, bool) or lanes < 1:
        raise ValueError(f"lanes must be a positive integer, not {lanes!r}")
    simd = 1
    while lanes // simd > widest or lanes % simd:
        if lanes % (2 * simd):
            raise ValueError(f"at most {widest} (the widest layer's neurons), or PE x SIMD with PE <= "
                             f"{widest} and SIMD a power of two (e.g. {widest * 2}, {widest * 4})")
        simd *= 2
    limit = 1 << (longest - 1).bit_length()
    if simd > limit:
        raise ValueError(f"PE x SIMD with PE <= {widest} and SIMD <= {limit} on layers {layers} (e.g. at "
                         f"most {widest * limit}; {lanes} needs SIMD {simd}, more inputs a clock than the "
                         f"longest row, {longest} = inputs + bias, can use)")
    return lanes // simd, simd


def folded_passes(layers, lanes: int, perturbation: str, layer_gap: int,
                  correlate_gap: int) -> dict[str, int]:
    """Cycles of each segment of a step of the folded core (:class:`rtl.folded.core.FoldedCore`).

    With ``P = lanes`` split into ``PE × SIMD`` (:func:`fold`) and, per weight layer ``l``,
    ``n_in = layers[l]``, ``n_out = layers[l + 1]``:

    - ``baseline`` = Σ_l (⌈n_out/PE⌉ · ⌈(n_in + 1)/SIMD⌉ + layer_gap): PE neurons at a time, SIMD inputs
      (then the bias, in the row's last item) per clock, and ``layer_gap`` pipeline cycles before the next
      layer reads the outputs;
    - ``perturbed`` = the same in weight mode; in node mode the first layer costs ⌈n_1/PE⌉ + layer_gap (the
      baseline's pre-activations are reused, the node perturbation is added after the exact MAC);
    - ``correlate`` = Σ_l ⌈n_out/PE⌉ · ⌈(n_in + 1)/SIMD⌉ + correlate_gap: one read-modify-write of P
      parameters (G, and θ/M on an update step) per clock, then the pipeline drains.

    ``Σ_l ⌈n_out/PE⌉ · ⌈(n_in + 1)/SIMD⌉`` is also the depth of every parameter memory (FINN's
    weight-memory depth); it equals ``⌈MACs/P⌉ + ⌈neurons/PE⌉`` when PE divides every layer and SIMD is 1.
    """
    layers = [int(v) for v in layers]
    pe, simd = fold(layers, lanes)
    work = [-(-b // pe) * -(-(a + 1) // simd) for a, b in zip(layers[:-1], layers[1:])]
    baseline = sum(work) + layer_gap * len(work)
    perturbed = baseline
    if perturbation == "node":
        perturbed += -(-layers[1] // pe) - work[0]
    return {"baseline": baseline, "perturbed": perturbed, "correlate": sum(work) + correlate_gap}


def folded_cycles(start: int, steps: int, tau_x: int, tau_theta: int, *, layers, lanes: int,
                  perturbation: str, layer_gap: int, correlate_gap: int, run_setup: int) -> int:
    """Busy cycles of the folded core (:class:`rtl.folded.core.FoldedCore`) for one run of steps
    ``start .. start + steps - 1``.

    ``run_setup + Σ_n [takes_baseline(n) · baseline + perturbed + correlate]`` with the segment lengths of
    :func:`folded_passes` (0 for a run of no steps): every step has a perturbed pass and a correlate sweep,
    a baseline pass where :func:`takes_baseline` says so, and nothing overlaps. The pipeline gaps
    (``layer_gap``, ``correlate_gap``) and the run's setup cycles are the core's (its constants
    ``rtl.folded.core.LAYER_GAP``, ``CORRELATE_GAP``, ``RUN_SETUP``).

    Example: digits 64-32-10 at P = 8, gaps 3 and 2, τ's = 1, node mode: baseline 4·65 + 2·33 + 6 = 332,
    perturbed 4 + 3 + 66 + 3 = 76, correlate 326 + 2 = 328: 736 cycles per step.
    """
    if steps <= 0:
        return 0
    seg = folded_passes(layers, lanes, perturbation, layer_gap, correlate_gap)
    ns = np.arange(start, start + steps, dtype=np.int64)
    n_base = int(np.count_nonzero(takes_baseline(ns, tau_x, tau_theta)))
    return run_setup + steps * (seg["perturbed"] + seg["correlate"]) + n_base * seg["baseline"]
