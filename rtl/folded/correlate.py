"""P correlate-and-update lanes: the read-modify-write of one word of G, θ and M per clock, pipelined.

Ref: ``docs/fixed_point_spec.md`` ("One step n", steps 5, 6, 7); the arithmetic is :mod:`rtl.mgd_arith`'s
(:func:`~rtl.mgd_arith.accumulate` for G; the pieces of :func:`~rtl.mgd_arith.update`, one pipeline
stage each, for M and θ), the same the spatial style's :class:`rtl.spatial.correlator.Correlator` and
:class:`rtl.spatial.update.WeightUpdate` build once per parameter.
"""

from __future__ import annotations

from amaranth import Cat, Module, Mux, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_model.fixed_network import FixedSpec
from rtl._validate import rejecting
from rtl.arith import tree_sum
from rtl.mgd_arith import accumulate, momentum_decay, momentum_next, step, subtract_step
from rtl.pipeline import elements, flat_width, pack

__all__ = ["CorrelateLanes", "THETA_LATENCY", "EVENTS_LATENCY", "THETA_IN"]

#: clocks from the G word at the inputs to ``theta_next``/``momentum_next``
THETA_LATENCY = 4
#: clocks after the G word at which the θ word is presented (read it that much later: fewer registers than
#: carrying it along)
THETA_IN = 2
#: clocks from the words at the inputs to ``events``
EVENTS_LATENCY = 5


class CorrelateLanes(wiring.Component):
    """For P parameters at once: ``G ← sat_O(G + term_p)``; on ``update`` also θ (and M) from that G, and
    ``G ← 0``.

    ``term_p`` is slot ``p mod slots`` of ``term_neg`` where lane ``p``'s sign bit is 1, else of
    ``term_pos``: the core passes one slot ``(Ĉ, −Ĉ)`` in weight mode (``s_p·Ĉ``, the lane's LFSR sign) and,
    in node mode, SIMD slots ``(round_R(Ĉ·a_i, A_f), round_R(−Ĉ·a_i, A_f))``, one per input of the item
    (``round_R(s_j·Ĉ·a_i, A_f)``, exactly the spec's term for either sign; ``a = 2**A_f`` for a bias makes
    it ``s_j·Ĉ``).

    Pipeline (the G and M words and the terms presented in cycle c, the θ word in c + :data:`THETA_IN` = c+2),
    one carry chain and its narrowing a stage:

    - c: ``G + term``, saturated (``fixed.overflow``), registered;
    - c+1: ``g_write`` holds what to write back to G (write it at the end of c+1): 0 on ``update``, else
      the new G; ``v = round_R(G, k_η)`` registered (``k_m > 0``: G itself, and M's decay ``d``);
    - c+2: ``M ← sat_O(M − d + G)`` registered (``k_m > 0``; else ``v`` passes);
    - c+3: ``θ ← sat_O(θ − round_R(M, k_η))`` (or ``θ − v``) registered;
    - c+4 (:data:`THETA_LATENCY`): ``theta_next``/``momentum_next`` hold them (write on ``update`` at the
      end of c+4);
    - c+5 (:data:`EVENTS_LATENCY`): ``events`` holds the item's narrowings (the sum of registered counts
      of 8 lanes' events each).

    Parameters
    ----------
    spec : FixedSpec
    lanes : int
    term_width : int
        Width of each signed ``term_pos``/``term_neg`` slot.
    slots : int
        Term slots (default 1; a divisor of ``lanes``).

    Attributes
    ----------
    g, momentum : In(P · W)
        Cycle c: the G word and the M word (``W_M`` bits when ``k_m > 0``) read.
    theta : In(P · W_θ)
        Cycle c+2: the θ word read.
    signs : In(P)
        Cycle c: the lanes' sign bits (1 = ``-``).
    term_pos, term_neg : In(slots · term_width)
        Cycle c: the G terms for a ``+`` and a ``-`` lane, flat (slot ``k`` in bits ``[k·term_width, ..)``).
    update : In(1)
        Cycle c: this sweep ends an update block (``(n + 1) % τ_θ == 0``).
    mask : In(P)
        Cycle c: lanes holding a parameter (events of idle lanes are not counted; 0 for no item).
    stuck : In(P)
        Cycle c: lanes holding a stuck parameter (spec "Faults"): ``theta_next`` is the θ read, and only
        M's narrowing is an event (constant 0 unless ``spec.stuck``).
    noise : In(P · W_ν)
        Cycle c+3: the lanes' update-noise draws ν (``spec.update_noise_bits > 0``; signed
        ``b_U + 1 + s_U`` bits each), added before θ's narrowing.
    g_write, g_old : Out(P · W_G)
        Cycle c+1: ``0`` on ``update`` else the accumulated G; the G that was read (for the digests).
    theta_next, momentum_next, theta_old, momentum_old : Out(P · W)
        Cycle c+4: the updated θ and M (write them on ``update``); the values that were read.
    events : Out(range(2P + 1))
        Cycle c+5: narrowings that acted among the masked lanes (spec item 7: one per G accumulation, one
        per update whose θ or M left its range).

    Netlist: P saturating G adders, P rounders, P M updates (``k_m > 0``), P saturating θ subtractors, the
    pipeline registers (about ``P·(3 W_G + 3 W_θ + 5 W_M)`` flip-flops) and an event counter tree.
    """

    def __init__(self, *, spec: FixedSpec, lanes: int, term_width: int, slots: int = 1) -> None:
        with rejecting(self):
            if not isinstance(spec, FixedSpec):
                raise TypeError(f"CorrelateLanes spec must be a FixedSpec, not {spec!r}")
            if not isinstance(slots, int) or isinstance(slots, bool) or slots < 1 or lanes % slots:
                raise ValueError(f"CorrelateLanes slots must be a positive divisor of lanes ({lanes}), "
                                 f"not {slots!r}")
            self._spec, self._lanes, self._term_width, self._slots = spec, lanes, term_width, slots
        wm = spec.momentum_width if spec.k_m else 1
        P = lanes
        wg, wt = flat_width(P, spec.grad_width), flat_width(P, spec.theta.width)
        super().__init__({
            "g": In(wg), "theta": In(wt), "momentum": In(flat_width(P, wm)), "signs": In(max(1, P)),
            "term_pos": In(flat_width(slots, term_width)), "term_neg": In(flat_width(slots, term_width)),
            "update": In(1), "mask": In(max(1, P)), "stuck": In(max(1, P)),
            "noise": In(flat_width(P, self.noise_width(spec))),
            "g_write": Out(wg), "g_old": Out(wg), "theta_next": Out(wt), "theta_old": Out(wt),
            "momentum_next": Out(flat_width(P, wm)), "momentum_old": Out(flat_width(P, wm)),
            "events": Out(range(2 * P + 1)),
        })

    @staticmethod
    def noise_width(spec: FixedSpec) -> int:
        """Bits of one lane's update-noise draw (1, unused, when the noise is off)."""
        return spec.update_noise_bits + 1 + spec.update_noise_shift if spec.update_noise_bits else 1

    def elaborate(self, platform: object) -> Module:  # noqa: C901 - one pipeline, stage by stage
        m = Module()
        s, P = self._spec, self._lanes
        wg, wt = s.grad_width, s.theta.width
        wm = s.momentum_width if s.k_m else 1

        def reg(value, name: str) -> Signal:
            r = Signal(Value.cast(value).shape(), name=name)
            m.d.sync += r.eq(value)
            return r

        def delayed(value, stages: int, name: str) -> list:
            """``value`` after 1 .. ``stages`` registers."""
            out = []
            for k in range(stages):
                value = reg(value, f"{name}{k + 1}")
                out.append(value)
            return out

        # carried with the item: the θ word (from c+2), the M word, update flag, lane mask
        thetas_d = [None, self.theta, *delayed(self.theta, THETA_LATENCY - THETA_IN, "theta_d")]
        moms_d = delayed(self.momentum, THETA_LATENCY, "mom_d")
        update_d = delayed(self.update, 3, "update_d")
        mask_d = delayed(self.mask, 3, "mask_d")
        stuck_d = delayed(self.stuck, 3, "stuck_d") if s.stuck else None
        noises = (elements(self.noise, P, self.noise_width(s), True) if s.update_noise_bits
                  else [None] * P)
        g_old = reg(self.g, "g_old")

        # c: G + term
        g_next, g_ev = [], []
        k = self._slots
        pos = elements(self.term_pos, k, self._term_width, True)
        neg = elements(self.term_neg, k, self._term_width, True)
        for p, g in enumerate(elements(self.g, P, wg, True)):
            total, event = accumulate(g, Mux(self.signs[p], neg[p % k], pos[p % k]), s)
            g_next.append(reg(total, f"g_next{p}"))
            g_ev.append(event)
        g_ev_d = delayed(Cat(*g_ev), 3, "g_event_d")
        m.d.comb += [self.g_write.eq(pack([Mux(update_d[0], 0, g) for g in g_next])), self.g_old.eq(g_old)]

        # c+1: v = round_R(G, k_η); with momentum G itself and M's decay
        vs = [reg(g if s.k_m else step(g, s), f"v{p}") for p, g in enumerate(g_next)]
        if s.k_m:
            ds = [reg(momentum_decay(w, s), f"d{p}") for p, w in enumerate(elements(moms_d[0], P, wm, True))]

        # c+2: M (momentum), or v passed on
        moms2 = elements(moms_d[1], P, wm, True)
        m_next, m_ev, us = [], [], []
        for p in range(P):
            if s.k_m:
                m_total, m_event = momentum_next(moms2[p], ds[p], vs[p], s)
                mn = reg(m_total, f"m_next{p}")
                m_ev.append(m_event)
                us.append(mn)
                m_next.append(mn)
            else:
                us.append(reg(vs[p], f"u{p}"))
                m_next.append(moms2[p])
        m_ev_r = reg(Cat(*m_ev), "m_event") if s.k_m else None

        # c+3: θ − round_R(M, k_η), or θ − v
        thetas3 = elements(thetas_d[2], P, wt, True)
        t_next, events = [], []
        for p in range(P):
            t_total, u_event = subtract_step(thetas3[p], us[p], s.k_eta if s.k_m else 0, s, noises[p])
            if stuck_d is not None:  # a stuck θ is not changed; only M's narrowing can count
                t_total = Mux(stuck_d[2][p], thetas3[p], t_total)
                u_event = u_event & ~stuck_d[2][p]
            t_next.append(reg(t_total, f"theta_next{p}"))
            if m_ev_r is not None:
                u_event = u_event | m_ev_r[p]
            events += [mask_d[2][p] & g_ev_d[2][p], mask_d[2][p] & update_d[2] & u_event]
        ev = reg(pack(events), "events")
        if s.k_m:
            m_out = [reg(v, f"m_out{p}") for p, v in enumerate(m_next)]
        else:
            m_out = elements(moms_d[3], P, wm, True)
        m.d.comb += [self.theta_next.eq(pack(t_next)), self.momentum_next.eq(pack(m_out)),
                     self.theta_old.eq(thetas_d[3]), self.momentum_old.eq(moms_d[3])]

        # c+4: count the events, in groups of 8 registered (one 64-input adder tree in a clock was the digits
        # core's critical path, 10.5 ns); ``events`` adds the groups' counts at c+5, off a register
        bits = list(ev)
        groups = [reg(tree_sum(bits[i:i + 8]), f"event_count{i // 8}") for i in range(0, len(bits), 8)]
        m.d.comb += self.events.eq(tree_sum(groups))
        return m
