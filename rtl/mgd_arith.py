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

from amaranth import Cat, Const, Mux, Value

from golden_model.fixed_network import FixedSpec
from rtl.arith import fit, overflows, round_shift

__all__ = ["signed_cost", "node_term", "accumulate", "Update", "update", "step", "momentum_decay",
           "momentum_next", "subtract_step"]


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
    momentum_event: Value | None = None  # M's narrowing alone (a stuck parameter counts only this one)


def step(g: Value, spec: FixedSpec) -> Value:
    """``round_R(G, k_η)``: the step without momentum, in θ LSBs (rounding ``fixed.rounding``; no overflow:
    the result is narrower than G)."""
    return round_shift(g, spec.k_eta, spec.rounding)


def momentum_decay(m: Value, spec: FixedSpec) -> Value:
    """``d = M · 2**-k_m`` rounded away from zero, whatever ``fixed.rounding`` says (spec step 6):
    ``(M + 2**k_m − 1) >> k_m`` when M's sign bit is 0, ``M >> k_m`` when it is 1. One adder; exact
    (narrower than M). Twin: :func:`golden_model.fixed_mgd.momentum_decay`."""
    m = Value.cast(m)
    return (m + Mux(m[-1], 0, (1 << spec.k_m) - 1)) >> spec.k_m


def momentum_next(m: Value, decay: Value, g: Value, spec: FixedSpec) -> tuple[Value, Value]:
    """``M ← sat_O(M − d + G, W_M bits)`` (overflow ``fixed.overflow``) from ``d`` = :func:`momentum_decay`
    of the same M; returns ``(m_next, event)``. ``W_M`` is ``FixedSpec.momentum_width``, which proves that
    the narrowing never acts (from any M in its register and any G the config allows); it is built anyway,
    exactly as the model runs it."""
    wm = spec.momentum_width
    total = m - decay + g
    return fit(total, wm, True, spec.overflow), overflows(total, wm, True)


def subtract_step(theta: Value, u: Value, shift: int, spec: FixedSpec,
                  noise: Value | None = None) -> tuple[Value, Value]:
    """``θ ← sat_O(θ − round_R(u, shift) + ν, fixed.theta)`` (rounding ``fixed.rounding``, overflow
    ``fixed.overflow``; ν the update-noise draw of spec "Faults", omitted when ``noise`` is None);
    returns ``(theta_next, event)``.

    For ``floor`` and ``half_up`` the rounding is folded into the subtraction, one carry chain instead of
    two: with ``h = 0`` (floor) or ``2**(shift-1)`` (half up), ``θ − ⌊(u + h) / 2**s⌋ =
    ⌊(θ·2**s + (2**s − 1 − h) − u) / 2**s⌋``, and ``θ·2**s + c`` for ``0 <= c < 2**s`` is θ with the bits
    of c appended (no adder). The integers are the same (checked exhaustively in
    ``testbench/sim/test_update.py``).
    """
    wt = spec.theta.width
    theta, u = Value.cast(theta), Value.cast(u)
    if shift <= 0 or spec.rounding == "convergent":
        total = theta - round_shift(u, shift, spec.rounding)
    else:
        c = (1 << shift) - 1 - (0 if spec.rounding == "floor" else 1 << (shift - 1))
        total = (Cat(Const(c, shift), theta).as_signed() - u) >> shift
    if noise is not None:
        total = total + noise
    return fit(total, wt, True, spec.overflow), overflows(total, wt, True)


def update(theta: Value, g: Value, momentum: Value | None, spec: FixedSpec,
           noise: Value | None = None) -> Update:
    """The parameter update of spec step 6 from the accumulated ``g`` (G units), combinational.

    Without momentum ``θ ← sat_O(θ − round_R(G, k_η), fixed.theta)``. With momentum (``k_m > 0``; pass
    the M register as ``momentum``; M is in G units) ``M ← sat_O(M − d + G, W_M bits)`` with
    ``d = M · 2**-k_m`` rounded away from zero (:func:`momentum_decay`, :func:`momentum_next`), then
    ``θ ← sat_O(θ − round_R(M, k_η), fixed.theta)`` (:func:`subtract_step`). ``event`` is one bit: θ, or
    M, or both were narrowed (spec item 7 counts one event per parameter per update). ``noise``: the
    update-noise draw ν, added before θ's narrowing (spec "Faults").

    A pipelined datapath (:class:`rtl.folded.correlate.CorrelateLanes`) calls the same pieces, one stage
    each.
    """
    u = g
    m_next = None
    m_event = None
    if spec.k_m:
        if momentum is None:
            raise ValueError("update needs the momentum register when fixed.momentum_shift > 0")
        m_next, m_event = momentum_next(momentum, momentum_decay(momentum, spec), g, spec)
        u = m_next
    t_next, t_event = subtract_step(theta, u, spec.k_eta, spec, noise)
    return Update(t_next, m_next, t_event if m_event is None else t_event | m_event, m_event)
