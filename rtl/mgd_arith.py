"""The arithmetic of MGD's correlate and update steps, as Amaranth expressions every datapath style shares.

Ref: ``docs/fixed_point_spec.md`` ("One step n", steps 5, 6 and 7); golden twins
:func:`golden_model.fixed_mgd.correlate` and :func:`golden_model.fixed_mgd.update`.

The spatial style builds these once per parameter (:class:`rtl.spatial.correlator.Correlator`,
:class:`rtl.spatial.update.WeightUpdate`); the folded style builds them once per lane and streams the
parameters through them from block RAM (:class:`rtl.folded.correlate.CorrelateLanes`). Both call the
functions below, so the integers are written once. They are pure combinational expression builders (no
registers, no state): each returns the value(s) and, where a narrowing can act, the event bit of spec item 7.

Every narrowing names its rounding and overflow (the spec's names): ``round_R`` is ``fixed.rounding``,
``sat_O`` is ``fixed.overflow`` (:func:`rtl.arith.round_shift`, :func:`rtl.arith.fit`).
"""

from __future__ import annotations

from typing import NamedTuple

from amaranth import Mux, Value

from golden_model.fixed_network import FixedSpec
from rtl.arith import fit, overflows, round_shift

__all__ = ["signed_cost", "node_term", "accumulate", "Update", "update"]


def signed_cost(sign: Value, c_hat: Value) -> Value:
    """``s · Ĉ``: ``-Ĉ`` when the sign bit is 1, ``+Ĉ`` when it is 0 (exact, ``W_C + 2`` bits signed).

    This is the weight-mode correlator term, and the node-mode term of a bias (whose input is exactly
    ``2**A_f``, so ``round_R(s·Ĉ·2**A_f, A_f) = s·Ĉ``).
    """
    return Mux(sign, -c_hat, c_hat)


def node_term(product: Value, spec: FixedSpec) -> Value:
    """Node-mode term of a weight: ``round_R(s·Ĉ·a, A_f)`` from the exact product ``s·Ĉ·a``
    (G units: one cost LSB times one activation; rounding ``fixed.rounding``, no overflow: the result is
    narrower than the product)."""
    return round_shift(product, spec.A_f, spec.rounding)


def accumulate(g: Value, term: Value, spec: FixedSpec) -> tuple[Value, Value]:
    """``G ← sat_O(G + term, W_G)`` (overflow ``fixed.overflow``); returns ``(g_next, event)``.

    ``event`` is 1 when the narrowing acted (the sum left the ``W_G``-bit signed range); the caller ANDs
    it with "an accumulation happened here". :class:`~golden_model.fixed_network.FixedSpec` proves that
    in every accepted config this never acts; it is built anyway, exactly as the model runs it.
    """
    total = g + term
    return fit(total, spec.grad_width, True, spec.overflow), overflows(total, spec.grad_width, True)


class Update(NamedTuple):
    """Result of :func:`update`: the next θ, the next momentum (``None`` without momentum) and the event
    bit (θ or M left its range)."""

    theta: Value
    momentum: Value | None
    event: Value


def update(theta: Value, g: Value, momentum: Value | None, spec: FixedSpec) -> Update:
    """The parameter update of spec step 6 from the accumulated ``g`` (G units).

    ``v = round_R(G, k_η)`` (rounding ``fixed.rounding``); without momentum
    ``θ ← sat_O(θ − v, fixed.theta)``; with momentum (``k_m > 0``; pass the M register as ``momentum``)
    ``M ← sat_O(M − (M >> k_m) + v, W_θ + k_m + 1 bits)`` (floor on ``M >> k_m``, overflow
    ``fixed.overflow``), then ``θ ← sat_O(θ − M, fixed.theta)``. ``event`` is one bit: θ, or M, or both
    were narrowed (spec item 7 counts one event per parameter per update).
    """
    wt = spec.theta.width
    v = round_shift(g, spec.k_eta, spec.rounding)
    events = []
    m_next = None
    if spec.k_m:
        if momentum is None:
            raise ValueError("update needs the momentum register when fixed.momentum_shift > 0")
        wm = spec.momentum_width
        m_total = momentum - (momentum >> spec.k_m) + v
        m_next = fit(m_total, wm, True, spec.overflow)
        events.append(overflows(m_total, wm, True))
        v = m_next
    t_total = theta - v
    events.append(overflows(t_total, wt, True))
    event = events[0]
    for e in events[1:]:
        event = event | e
    return Update(fit(t_total, wt, True, spec.overflow), m_next, event)
