"""The folded core's sequencer: which parameter word, input and pass each clock, by τ_x, τ_p, τ_θ.

Ref: ``docs/fixed_point_spec.md`` ("One step n", steps 1, 2, 3, 5, 6; "Initial parameters and data": sample
order); :func:`golden_model.schedule.folded_cycles` (the cycle count this sequencer produces).

Why its own sequencer and not :class:`rtl.controller.Controller`: the controller issues one whole pass per
clock into a fixed-latency pipeline; a folded step is a sequence of *segments* of many clocks each
(every layer of the baseline pass, every layer of the perturbed pass, one correlate-and-update sweep over
the parameter memories), separated by pipeline gaps. The step counters (``n % τ`` as modulo counters, no
division) and the start/stop protocol are the controller's.
"""

from __future__ import annotations

from amaranth import Array, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import Out

from rtl._validate import rejecting
from rtl.contract import STEP_BITS, TAU_BITS, ControlSignature, index_bits
from rtl.folded.layout import FoldedLayout

__all__ = ["Sequencer", "BASE", "PERT", "CORR"]

# Segment kinds (``phase``).
BASE, PERT, CORR = 0, 1, 2
_IDLE, _ISSUE, _GAP = 0, 1, 2


def _table(values) -> Array:
    """A constant per layer, indexed by a layer signal."""
    return Array(Const(int(v), max(1, int(v).bit_length())) for v in values)


class Sequencer(wiring.Component):
    """Issues one *item* (a parameter word and SIMD inputs, for P = PE × SIMD lanes) per clock and sequences
    the steps.

    Step ``n`` (spec "One step n"): if :func:`golden_model.schedule.takes_baseline`, the baseline pass, layer
    by layer; then the perturbed pass, layer by layer (node mode: its first layer is one item per group,
    ``skip``, reusing the baseline's pre-activations); then the correlate sweep over every parameter word,
    which also updates θ when ``update``. A forward layer is ``groups · items`` items (group by group, SIMD
    inputs an item, the bias in the row's last item; :class:`~rtl.folded.layout.FoldedLayout`) followed by
    ``layer_gap`` idle cycles (the pipeline writes the layer's outputs before the next layer reads them); the
    correlate sweep is ``depth`` items followed by
    ``correlate_gap`` idle cycles (the last writes land before θ is read again). A run starts with one
    setup cycle. So the busy cycles of a run are exactly :func:`golden_model.schedule.folded_cycles` with
    ``run_setup = 1`` (the core's ``status.busy`` adds the clock of its registered τ check:
    :data:`rtl.folded.core.RUN_SETUP`).

    Parameters
    ----------
    layout : FoldedLayout
    node : bool
        Node perturbation (the perturbed pass's first layer is ``skip`` items).
    n_samples : int
        Training samples (the sample index wraps at this).
    layer_gap, correlate_gap : int
        Idle cycles after each forward layer and after the correlate sweep (>= 1).

    Attributes
    ----------
    ctrl : Out(ControlSignature)
        The host's ``start``/``stop``/``n_steps``, and the τ's, read at every clock: they must hold the
        training's τ's from the clock of a ``start`` on (the folded core's :class:`rtl.tau_check.TauCheck`,
        ``registered``, gives the accepted ones, which change only with an accepted start).
    busy : Out(1)
        Steps remain or one is in progress (``status.busy``; ``status.cycles`` counts these cycles).
    active : Out(1)
        A step is in progress (the memories' read ports belong to the datapath, not the readback).
    valid : Out(1)
        An item is issued this cycle; the fields below describe it.
    phase : Out(2)
        :data:`BASE`, :data:`PERT` or :data:`CORR`.
    layer, group, index, lane, word : Out
        Weight layer; neuron group; item ``t`` of the row (inputs ``t·SIMD ..``; ``items - 1`` holds the
        bias); the item's slice of its input word, ``t mod PE``; that word, ``t // PE``.
    addr : Out(range(depth))
        Parameter-memory address (``skip`` items: don't care).
    first, last, bias, skip : Out(1)
        First item of a group (the accumulator restarts), last item of a group, the item holding the bias
        (the row's last, with idle slots after the bias when SIMD does not divide ``n_in + 1``), a node-mode
        perturbed first-layer item (the pre-activation comes from the baseline's buffer, no MAC).
    update, advance : Out(1)
        This step ends with a θ update (``(n + 1) % τ_θ == 0``); the sign lanes advance at the end of this
        step (``(n + 1) % τ_p == 0``: spec step 1 of step ``n + 1``, done early, so that the lane states in
        memory are always the current step's).
    step_end : Out(1)
        The last cycle of a step (the step's writes have all landed by the end of it).
    sample, x_base, t_base : Out
        This step's sample ``k = (n // τ_x) % n_train`` and its first words in the input and target ROMs.
    n : Out(32)
        Steps completed.
    stepped : Out(1)
        A step has completed since reset (``n != 0``, a flip-flop: the τ check's "reset state" test).

    Latency: every output is combinational from registers.
    """

    def __init__(self, *, layout: FoldedLayout, node: bool, n_samples: int, layer_gap: int,
                 correlate_gap: int) -> None:
        with rejecting(self):
            if not isinstance(layout, FoldedLayout):
                raise TypeError(f"Sequencer layout must be a FoldedLayout, not {layout!r}")
            for name, v in (("n_samples", n_samples), ("layer_gap", layer_gap),
                            ("correlate_gap", correlate_gap)):
                if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                    raise ValueError(f"Sequencer {name} must be a positive integer, not {v!r}")
            self._layout, self._node, self._n_samples = layout, bool(node), n_samples
            self._layer_gap, self._correlate_gap = layer_gap, correlate_gap
            lo = layout
        super().__init__({
            "ctrl": Out(ControlSignature()), "busy": Out(1), "active": Out(1), "valid": Out(1),
            "phase": Out(2), "layer": Out(range(max(2, lo.n_layers))),
            "group": Out(range(max(2, max(lo.groups)))), "index": Out(range(max(lo.items) + 1)),
            "lane": Out(range(max(2, lo.pe))), "word": Out(range(max(2, max(lo.in_words) + 1))),
            "addr": Out(range(max(2, lo.depth))), "first": Out(1), "last": Out(1), "bias": Out(1),
            "skip": Out(1), "update": Out(1), "advance": Out(1), "step_end": Out(1),
            "sample": Out(index_bits(n_samples)),
            "x_base": Out(range(max(2, n_samples * lo.in_words[0]))),
            "t_base": Out(range(max(2, n_samples * lo.out_words))), "n": Out(STEP_BITS), "stepped": Out(1),
        })

    @property
    def layout(self) -> FoldedLayout:
        return self._layout

    def elaborate(self, platform: object) -> Module:
        m = Module()
        lo = self._layout
        L, PE = lo.n_layers, lo.pe
        state = Signal(range(3))
        phase, layer, group = Signal.like(self.phase), Signal.like(self.layer), Signal.like(self.group)
        index, lane, word = Signal.like(self.index), Signal.like(self.lane), Signal.like(self.word)
        addr = Signal.like(self.addr)
        gap = Signal(range(max(self._layer_gap, self._correlate_gap) + 1))
        n = Signal(STEP_BITS)
        # steps left in the run, the one in progress included: the run-on decision at a step's end reads
        # flags of it, not ``n + 1 != limit`` (an adder and a compare, once the digits core's critical path)
        left = Signal(STEP_BITS)
        # ``left != 0`` and ``left == 1`` as flip-flops, written with ``left`` from its next value: busy, the
        # idle state's start and the step end's run-on decision read one register, not a 32-bit compare (it
        # sat on the τ check's path into busy and on the digits core's critical path)
        left_next = Signal(STEP_BITS)
        more, one = Signal(), Signal()
        m.d.sync += [left.eq(left_next), more.eq(left_next != 0), one.eq(left_next == 1)]
        stepped = Signal()  # a step has completed since reset (``n != 0``), for the τ check
        # the τ's as ctrl holds them (the τ check's accepted ones: no second copy of 63 flip-flops here)
        taus = {k: getattr(self.ctrl, k) for k in ("tau_x", "tau_p", "tau_theta")}
        cnt = {k: Signal(TAU_BITS, name=f"cnt_{k}") for k in taus}
        # ``(n + 1) % τ == 0`` for the step in progress, registered (the counters' add-and-compare was the
        # core's critical path into the sample address): the counters change only at a step's end and the τ's
        # only on ``start``, and the flags are first read at the step's end or by its correlation items, many
        # clocks later; the items issued in the step's first clock carry a stale flag they never use
        wrap = {k: Signal(name=f"wrap_{k}") for k in taus}
        m.d.sync += [wrap[k].eq(cnt[k] + 1 >= taus[k]) for k in taus]
        sample = Signal.like(self.sample)
        x_base, t_base = Signal.like(self.x_base), Signal.like(self.t_base)
        need_base = Signal(init=1)

        last_item = _table([t - 1 for t in lo.items])
        last_group = _table([g - 1 for g in lo.groups])
        skip = Const(int(self._node), 1) & (phase == PERT) & (layer == 0)
        end_row = skip | (index == last_item[layer])
        last_layer = layer == L - 1
        step_end = (state == _GAP) & (gap == 0) & (phase == CORR)

        # ---- host protocol (as rtl.controller.Controller) --------------------------------------------
        # ``left`` (the step in progress included) after this clock: a start counts from the step in
        # progress, a stop ends the run after it (none in progress: now), and at a step's end one fewer, where
        # a stop ends the run and a start (or a run already at 0: a start of 0 steps mid-step) counts from
        # the next step, never below 0
        n_steps = self.ctrl.n_steps
        m.d.comb += left_next.eq(left)
        with m.If(self.ctrl.start):
            m.d.comb += left_next.eq(n_steps)
        with m.If(self.ctrl.stop):
            m.d.comb += left_next.eq(state != _IDLE)
        with m.If(step_end):
            after = Mux(self.ctrl.start, Mux(n_steps == 0, 0, n_steps - 1), Mux(more, left - 1, 0))
            m.d.comb += left_next.eq(Mux(self.ctrl.stop, 0, after))

        def begin_step(base) -> None:
            m.d.sync += [state.eq(_ISSUE), phase.eq(Mux(base, BASE, PERT)), layer.eq(0), group.eq(0),
                         index.eq(0), lane.eq(0), word.eq(0), addr.eq(0)]

        with m.Switch(state):
            with m.Case(_IDLE):
                with m.If(more & ~self.ctrl.stop):
                    begin_step(need_base)
            with m.Case(_ISSUE):
                m.d.sync += addr.eq(addr + 1)
                with m.If(end_row):
                    m.d.sync += [index.eq(0), lane.eq(0), word.eq(0)]
                    with m.If(group == last_group[layer]):
                        m.d.sync += group.eq(0)
                        with m.If((phase == CORR) & ~last_layer):
                            m.d.sync += layer.eq(layer + 1)  # the sweep runs on through every layer
                        with m.Else():
                            m.d.sync += [state.eq(_GAP),
                                         gap.eq(Mux(phase == CORR, self._correlate_gap, self._layer_gap) - 1)]
                    with m.Else():
                        m.d.sync += group.eq(group + 1)
                with m.Else():
                    m.d.sync += index.eq(index + 1)
                    if PE == 1:
                        m.d.sync += word.eq(word + 1)
                    else:
                        with m.If(lane == PE - 1):
                            m.d.sync += [lane.eq(0), word.eq(word + 1)]
                        with m.Else():
                            m.d.sync += lane.eq(lane + 1)
            with m.Case(_GAP):
                m.d.sync += gap.eq(gap - 1)
                with m.If(gap == 0):
                    with m.If(phase == CORR):
                        # end of step n: counters, sample, baseline flag; then the next step or idle (a
                        # start in this clock as the old run ends: idle for a clock, then the new run)
                        m.d.sync += [n.eq(n + 1), stepped.eq(1),
                                     need_base.eq(wrap["tau_x"] | wrap["tau_theta"]), state.eq(_IDLE)]
                        for k in taus:
                            m.d.sync += cnt[k].eq(Mux(wrap[k], 0, cnt[k] + 1))
                        with m.If(wrap["tau_x"]):
                            with m.If(sample == self._n_samples - 1):
                                m.d.sync += [sample.eq(0), x_base.eq(0), t_base.eq(0)]
                            with m.Else():
                                m.d.sync += [sample.eq(sample + 1), x_base.eq(x_base + lo.in_words[0]),
                                             t_base.eq(t_base + lo.out_words)]
                        with m.If(more & ~one & ~self.ctrl.stop):
                            begin_step(wrap["tau_x"] | wrap["tau_theta"])
                    with m.Elif(~last_layer):
                        m.d.sync += [state.eq(_ISSUE), layer.eq(layer + 1),
                                     addr.eq(_table(lo.param_base)[layer + 1])]
                    with m.Else():
                        m.d.sync += [state.eq(_ISSUE), phase.eq(phase + 1), layer.eq(0), addr.eq(0)]

        m.d.comb += [
            self.busy.eq((state != _IDLE) | more), self.active.eq(state != _IDLE), self.stepped.eq(stepped),
            self.valid.eq(state == _ISSUE), self.phase.eq(phase), self.layer.eq(layer),
            self.group.eq(group), self.index.eq(index), self.lane.eq(lane), self.word.eq(word),
            self.addr.eq(addr), self.first.eq(skip | (index == 0)), self.last.eq(end_row),
            self.bias.eq(~skip & (index == last_item[layer])), self.skip.eq(skip),
            self.update.eq(wrap["tau_theta"]), self.advance.eq(wrap["tau_p"]), self.step_end.eq(step_end),
            self.sample.eq(sample), self.x_base.eq(x_base), self.t_base.eq(t_base), self.n.eq(n),
        ]
        return m
