"""Formal harness of the spatial core: the correlator gets the sign that produced its cost, and G never wraps.

Ref: ``docs/fixed_point_spec.md`` ("One step n", steps 2-6); :class:`rtl.spatial.core.MGDCore` and
:class:`rtl.spatial.trainer.MGDTrainer` (their timing docstrings); ``shared/design/MGD.md`` (the timing
hazard: a correlator that multiplies a cost by another pass's sign learns noise). Run by
:mod:`rtl.formal.proofs` (``mgd prove``); the README's "Formal proof" says what it shows.

What is built
-------------
:class:`SpatialProps` is the generated spatial core of a config (:class:`MGDCore`, from the config's spec,
θ₀ and training set as :func:`rtl.cores.build_core` builds it) with its forward datapath cut: the network is
a :class:`FreeNetwork` (the :class:`~rtl.spatial.network.Network`'s ports and latency, output unused) and the
cost unit a :class:`FreeCost` (the :class:`~rtl.cost.CostUnit`'s ports and latency) whose cost ``C`` is a
free value at every clock, any integer in ``[0, C_max]`` (``FixedSpec.widths()["C_max"]``). Everything
else is the real core: sample ROM, the core's wiring and delay lines, tau check, controller, sign bank,
baseline register, every correlator and update unit, the status counters. Every host input (``ctrl``:
``start``, ``stop``, ``n_steps``, the three τ's, 21 bits each) and the reset are free at every clock.

Why the cut is sound: property (2) must hold for any cost sequence the network can produce, which a free
``C`` in ``[0, C_max]`` covers, and property (1) is about timing, not about the cost's value. That the
real cost unit's output never exceeds ``C_max`` is proven too (:class:`CostBound`: for every output ``y``
in the activation's range and every target ``t`` in ``[0, 1]``). Left to other checks: that the network's
outputs lie in the activation's range (its activation clamp) and that it applies the signs it receives with
a pass to every layer of that pass (its docstring; ``testbench/sim/test_network.py`` and the
co-simulations).

"Produced", in the core's timing
--------------------------------
A pass enters the network in the clock its ``valid`` is high at the network's input (one clock after the
controller issues it: the sample ROM's latency); if ``perturb`` is high, the sign vector at the network's
``signs`` input in that clock is *the sign vector applied to θ* for that pass. By the network's and the
cost unit's declared latencies its cost is at the trainer's cost input ``D = latency(Network) +
latency(CostUnit)`` clocks later (3 for a 2-2-1 network): the cost *that pass produced*. A shadow FIFO of
depth ``D``, built here independently of the core's own delay lines, records ``(valid, perturb, signs)`` at
the network's input; its output ``e`` is the pass whose cost is at the trainer now.

Shadow state: ``C0*``, the cost of the last baseline pass out of the FIFO; ``τ*``, the τ_θ of the last
``start`` the core accepted (``status.refused == 0`` in the clock after it); ``upd``, true in the clock
after the ``τ*``-th perturbed pass out of the FIFO since the last update (a shadow counter); and per
parameter ``p``, ``acc_p``: the number of clocks with ``en`` at the correlator's input since the last one
with ``clear`` (the terms G holds; saturating above ``tau_theta_max``).

The properties (``p`` every parameter; weight mode: sign lane ``p``)
--------------------------------------------------------------------
``props="timing"``, bounded model check (BMC) from reset, :meth:`SpatialProps.bmc_depth` clocks:

(1) **sign/cost alignment**: correlator ``p`` accumulates (``en``) exactly in the clocks where ``e`` is a
    perturbed pass, and then its ``sign`` is the sign bit recorded for lane ``p`` when that pass entered
    the network and its ``c_hat`` is ``C − C0*``; it clears exactly in the ``upd`` clocks, and no
    perturbed pass's cost arrives in an ``upd`` clock (none is lost to the clear). Also: the baseline
    register ``status.c0 == C0*`` and ``C0* <= C_max``; ``status.updates`` counts exactly the ``upd``
    clocks; update unit ``p`` updates (``en``) exactly in the ``upd`` clocks; no pass is inside the
    network while θ changes (every layer of a pass sees one θ); a perturbed pass enters the network with no
    update since the last baseline pass's entry and with that pass's input ``x`` (Ĉ compares like with
    like).
(2a) **τ bound**: ``acc_p <= τ* <= tau_theta_max`` (the core refuses larger τ_θ's, ``status.refused``).

``props="range"``, k-induction (unbounded: every reachable state, indeed every state):

(2b) **G range**: ``|G_p| <= acc_p · G_step_bound`` (``FixedSpec.widths()["G_step_bound"]`` = ``C_max``,
    the largest ``|s·Ĉ|``); the correlator's step is exact: ``G_p' = 0`` after ``clear``,
    ``G_p + s·c_hat`` after ``en`` whenever that fits ``W_G`` bits, else ``G_p``; θ_p changes only at an
    update unit's ``en``; ``status.c0 <= C_max``.

Together, within the BMC depth: ``|G_p| <= τ* · G_step_bound <= tau_theta_max · G_step_bound <=
2**(W_G-1) - 1`` (the last step is :func:`rtl.contract.tau_theta_max`'s definition, checked when the
harness is built), i.e. G never leaves its ``W_G`` bits for any τ_θ the core accepts, and every G moves by
exactly ``s·(C − C0*)`` per perturbed pass, with the sign that produced ``C``.

Weight mode only: node mode's correlator multiplies by the baseline pass's activation, which the cut
network does not produce (:class:`SpatialProps` refuses a node-mode config).

Mutants (:data:`MUTANTS`), each of which must make its proof FAIL: ``late_sign`` applies the signs one clock
late in the network stand-in (a core whose sign delay to the network were one register longer: each cost
is correlated with the sign of the pass before; harmless only when τ_θ = 1) -- ``timing`` fails;
``tau_theta_max`` lets the tau check accept one τ_θ more than the widths are proven for -- ``timing``
fails; ``narrow_g`` builds the core with G one bit narrower than the spec's ``fixed.grad_width`` (its own
tau check still accepts the generated τ_θ) -- ``range`` fails: G saturates.
"""

from __future__ import annotations

import dataclasses

from amaranth import Cat, Const, Elaboratable, Fragment, Module, Mux, Signal, signed, unsigned
from amaranth.asserts import AnySeq
from amaranth.hdl import Assert, Assume
from amaranth.lib import wiring

from golden_model.config import MGDConfig
from golden_model.fixed_network import FixedSpec
from rtl._validate import not_elaborated, rejecting
from rtl.contract import STEP_BITS, TAU_BITS, ControlSignature, tau_theta_max
from rtl.cores import CoreInputs, core_inputs
from rtl.cost import CostUnit
from rtl.pipeline import delay, elements
from rtl.spatial.core import MGDCore
from rtl.spatial.correlator import Correlator
from rtl.spatial.network import Network
from rtl.spatial.update import WeightUpdate
from rtl.spec import fail
from rtl.tau_check import TauCheck

__all__ = ["MUTANTS", "PROPS", "formal_inputs", "FreeNetwork", "FreeCost", "CostBound", "SpatialProps"]

#: Deliberately broken variants of the design under proof: the property set each breaks, and the property
#: that must FAIL.
MUTANTS = {"late_sign": ("timing", "sign = recorded sign"),
           "tau_theta_max": ("timing", "tau* <= tau_theta_max"),
           "narrow_g": ("range", "G + s*c_hat after en")}
#: The property sets of :class:`SpatialProps` and how each is proven.
PROPS = {"timing": "bmc", "range": "prove"}


def _as_signed(v):
    return Cat(v, Const(0, 1)).as_signed()


def formal_inputs(config: MGDConfig) -> CoreInputs:
    """The core inputs of ``config`` (:func:`rtl.cores.core_inputs`: every check the core makes), after
    what only the formal harness refuses: a style other than spatial, node perturbation."""
    if config.hardware.style != "spatial":
        fail("hardware.style", "'spatial' for the formal proof (rtl/formal/spatial_props.py)",
             config.hardware.style)
    if config.mgd.perturbation != "weight":
        fail("mgd.perturbation", "'weight' for the formal proof (node mode's correlator multiplies by "
             "an activation the cut network does not produce)", config.mgd.perturbation)
    return core_inputs(config)


class FreeNetwork(wiring.Component):
    """Stand-in for :class:`~rtl.spatial.network.Network`: its ports and latency, outputs 0 except
    ``y_valid`` (``valid`` delayed by the latency).

    Attributes
    ----------
    applied : Signal(lanes)
        The sign vector this network applies to θ for the pass entering this clock: ``signs`` (with
        ``late_sign``, the mutant, ``signs`` of the clock before).
    """

    def __init__(self, spec: FixedSpec, *, late_sign: bool = False) -> None:
        real = Network(spec=spec)
        not_elaborated(real)
        self._latency, self._late = real.latency, bool(late_sign)
        super().__init__(real.signature)
        self.applied = Signal(spec.n_lanes, name="applied_signs")

    @property
    def latency(self) -> int:
        return self._latency

    def elaborate(self, platform: object) -> Module:
        m = Module()
        m.d.comb += self.y_valid.eq(delay(m, self.valid, self._latency, "valid"))
        if self._late:
            late = Signal.like(self.signs, name="late_signs")
            m.d.sync += late.eq(self.signs)
            m.d.comb += self.applied.eq(late)
        else:
            m.d.comb += self.applied.eq(self.signs)
        return m


class FreeCost(wiring.Component):
    """Stand-in for :class:`~rtl.cost.CostUnit`: its ports and latency; ``cost`` is a free value in
    ``[0, c_max]`` at every clock (an assumption, discharged for the real unit by :class:`CostBound`)."""

    def __init__(self, spec: FixedSpec, *, c_max: int) -> None:
        real = CostUnit(spec=spec)
        not_elaborated(real)
        self._latency, self._c_max = real.latency, c_max
        super().__init__(real.signature)

    @property
    def latency(self) -> int:
        return self._latency

    def elaborate(self, platform: object) -> Module:
        m = Module()
        free = AnySeq(len(self.cost))
        m.d.comb += [self.cost.eq(free), Assume(free <= self._c_max)]
        m.d.sync += self.cost_valid.eq(self.valid)
        return m


class CostBound(Elaboratable):
    """The real :class:`~rtl.cost.CostUnit` with free inputs: for every output ``y`` in the activation's
    range (:meth:`FixedSpec.activation_range`) and target ``t`` in ``[0, 2**A_f]`` (targets are in [0, 1],
    spec "Clarifications"), its cost register holds at most ``C_max`` (``FixedSpec.widths()["C_max"]``), with
    the config's rounding and overflow: the assumption :class:`FreeCost` makes. Proven by k-induction."""

    mode, depth = "prove", 2

    def __init__(self, spec: FixedSpec) -> None:
        self.spec = spec
        self.unit = CostUnit(spec=spec)
        #: ``"file:line"`` of the assertion -> its name
        self.properties: dict[str, str] = {}

    def elaborate(self, platform: object) -> Module:
        m = Module()
        s = self.spec
        m.submodules.cost_unit = cu = self.unit
        n, wa = s.layers[-1], s.act.width
        y, t = AnySeq(len(cu.y)), AnySeq(len(cu.t))
        lo, hi = s.activation_range()
        m.d.comb += [cu.y.eq(y), cu.t.eq(t), cu.valid.eq(AnySeq(1))]
        for v in elements(y, n, wa, s.act.signed):
            m.d.comb += Assume((v >= lo) & (v <= hi))
        for v in elements(t, n, wa, s.act.signed):
            m.d.comb += Assume((v >= 0) & (v <= (1 << s.A_f)))
        a = Assert(cu.cost <= s.widths()["C_max"], "C <= C_max")
        self.properties[f"{a.src_loc[0]}:{a.src_loc[1]}"] = "C <= C_max"
        m.d.comb += a
        return m


class SpatialProps(Elaboratable):
    """The spatial core of ``config`` with its datapath cut, free host inputs and one property set of this
    module's docstring as assertions.

    Parameters
    ----------
    config : MGDConfig
        A spatial-style, weight-mode config (the core is built from it as :func:`rtl.cores.build_core` does).
    props : str
        ``"timing"`` (properties (1) and (2a), for BMC) or ``"range"`` ((2b), for k-induction): :data:`PROPS`.
    mutant : str, optional
        One of :data:`MUTANTS`: build a deliberately broken variant.

    Attributes
    ----------
    core : MGDCore
    spec : FixedSpec
    tau_theta_max : int
        The largest τ_θ the core accepts (:func:`rtl.contract.tau_theta_max`).
    step_bound : int
        ``G_step_bound``, the largest ``|s·Ĉ|`` (= ``C_max`` in weight mode).
    fifo_depth : int
        ``D``: clocks from a pass entering the network to its cost at the trainer.
    depth : int
        The depth to prove ``props`` to: :meth:`bmc_depth` for ``timing``; for ``range`` (1-inductive) the
        schedule latency + 6, so that its base case from reset reaches the first two correlations.
    """

    def __init__(self, config: MGDConfig, *, props: str, mutant: str | None = None) -> None:
        with rejecting(self):
            self._build(config, props, mutant)

    def _build(self, config: MGDConfig, props: str, mutant: str | None) -> None:
        if props not in PROPS:
            raise ValueError(f"SpatialProps props must be one of {', '.join(map(repr, PROPS))}, "
                             f"not {props!r}")
        if mutant is not None and mutant not in MUTANTS:
            raise ValueError(f"SpatialProps mutant must be one of {', '.join(map(repr, MUTANTS))} or None, "
                             f"not {mutant!r}")
        inputs = formal_inputs(config)
        spec = inputs.spec
        self.spec, self.props, self.mutant = spec, props, mutant
        widths = spec.widths()
        self.c_max, self.step_bound = widths["C_max"], widths["G_step_bound"]
        if self.step_bound != self.c_max:  # weight mode: the term is ±Ĉ
            raise ValueError(f"internal: G_step_bound {self.step_bound} is not C_max {self.c_max}")
        self.tau_theta_max = tau_theta_max(spec)
        g_top = (1 << (spec.grad_width - 1)) - 1
        if self.tau_theta_max * self.step_bound > g_top:  # what tau_theta_max promises (rtl.contract)
            raise ValueError(f"internal: tau_theta_max {self.tau_theta_max} x G_step_bound {self.step_bound} "
                             f"exceeds the {spec.grad_width}-bit G")
        core_spec = spec
        if mutant == "narrow_g":
            core_spec = dataclasses.replace(spec, grad_width=spec.grad_width - 1)
        self.network = FreeNetwork(spec, late_sign=mutant == "late_sign")
        self.cost_unit = FreeCost(spec, c_max=self.c_max)
        self.core = MGDCore(spec=core_spec, theta0=inputs.theta0, x=inputs.x, t=inputs.t,
                            network=self.network, cost_unit=self.cost_unit)
        if mutant == "tau_theta_max":
            trainer = self.core._trainer
            not_elaborated(trainer._tau_check)
            trainer._tau_check = TauCheck(tau_theta_max=self.tau_theta_max + 1)
        self.fifo_depth = self.network.latency + self.cost_unit.latency
        #: ``"file:line"`` of each assertion -> its name (filled in by elaborate)
        self.properties: dict[str, str] = {}
        # range is 1-inductive; its base case runs until two costs are correlated (where a mutant fails)
        self.depth = (self.bmc_depth(self.tau_theta_max, self.core.latency) if props == "timing"
                      else self.core.latency + 6)

    @property
    def mode(self) -> str:
        """sby's mode for :attr:`props`: ``bmc`` or ``prove`` (k-induction)."""
        return PROPS[self.props]

    @staticmethod
    def bmc_depth(tau_max: int, schedule_latency: int) -> int:
        """Clock cycles from reset (cycle 0) that cover the longest τ_θ block and the first step after it.

        A ``start`` at cycle 0 issues the first pass at cycle 1; the longest block at ``τ_θ = tau_max`` has
        a baseline before every step (``τ_x = 1``), so its last perturbed pass is issued at cycle
        ``2·tau_max``; θ changes ``L = schedule_latency`` clocks later, when the controller issues the next
        block's baseline, and that block's first perturbed pass (one clock later) is correlated ``L − 1``
        clocks after its issue and checked one clock after that: cycle ``2·tau_max + 2·L + 2``.
        """
        return 2 * tau_max + 2 * schedule_latency + 3

    def elaborate(self, platform: object) -> Module:
        m = Module()
        s = self.spec
        n = s.layout.n_params
        core = self.core
        # Elaborate the core here to reach the ports of its correlators and update units.
        frag = Fragment.get(core, platform)
        m.submodules.core = frag
        trainer = frag.find_subfragment("trainer")
        corrs = [trainer.find_subfragment(f"corr{p}").origins[0] for p in range(n)]
        upds = [trainer.find_subfragment(f"upd{p}").origins[0] for p in range(n)]
        if not (all(isinstance(c, Correlator) for c in corrs)
                and all(isinstance(u, WeightUpdate) for u in upds)):
            raise TypeError("internal: the trainer's corr<p>/upd<p> are not Correlator/WeightUpdate")

        def check(name: str, cond) -> None:
            """Assert ``cond``; sby names a failed assertion by its source line, mapped to ``name``."""
            a = Assert(cond, name, src_loc_at=1)
            self.properties[f"{a.src_loc[0]}:{a.src_loc[1]}"] = name
            m.d.comb += a

        for name in ControlSignature().members:  # free host inputs
            sig = getattr(core.ctrl, name)
            m.d.comb += sig.eq(AnySeq(len(sig)))

        # acc_p: the terms G_p holds (en clocks since the last clear), saturating above tau_theta_max
        top = self.tau_theta_max + 1
        accs = []
        for p, corr in enumerate(corrs):
            acc = Signal(range(top + 1), name=f"terms_in_g{p}")
            with m.If(corr.clear):
                m.d.sync += acc.eq(0)
            with m.Elif(corr.en & (acc < top)):
                m.d.sync += acc.eq(acc + 1)
            accs.append(acc)

        if self.props == "range":
            self._range(m, check, corrs, upds, accs)
        else:
            self._timing(m, check, corrs, upds, accs)
        return m

    def _range(self, m, check, corrs, upds, accs) -> None:
        """(2b): every assertion refers to one clock and the next, so k-induction closes at any depth."""
        s = self.spec
        g_top = (1 << (s.grad_width - 1)) - 1
        check("c0 <= C_max", self.core.status.c0 <= self.c_max)
        for p, (corr, upd, acc) in enumerate(zip(corrs, upds, accs)):
            g = corr.g
            bound = Signal(range(g_top + 2), name=f"g_bound{p}")  # acc·B; above tau_theta_max: any W_G value
            value = Const(g_top + 1, len(bound))
            for j in range(self.tau_theta_max + 1):
                value = Mux(acc == j, j * self.step_bound, value)
            m.d.comb += bound.eq(value)
            check("|G| <= acc*B", (g >= -bound) & (g <= bound))
            # the correlator's step, one clock to the next
            wide = signed(max(s.grad_width, s.cost_fmt.width + 1) + 2)
            was_clear, was_en = Signal(name=f"was_clear{p}"), Signal(name=f"was_en{p}")
            sum_prev, g_prev = Signal(wide, name=f"g_plus_term{p}"), Signal.like(g, name=f"g_prev{p}")
            armed = Signal(name=f"armed{p}")
            c_hat = corr.c_hat
            m.d.sync += [was_clear.eq(corr.clear), was_en.eq(corr.en), g_prev.eq(g), armed.eq(1),
                         sum_prev.eq(g + Mux(corr.sign, -c_hat, c_hat))]
            fits = (sum_prev >= -g_top - 1) & (sum_prev <= g_top)
            check("G = 0 after clear", ~armed | ~was_clear | (g == 0))
            check("G holds without en", ~armed | was_clear | was_en | (g == g_prev))
            check("G + s*c_hat after en", ~armed | was_clear | ~was_en | ~fits | (g == sum_prev))
            theta_prev, was_upd = Signal.like(upd.theta, name=f"theta_prev{p}"), Signal(name=f"was_upd{p}")
            m.d.sync += [theta_prev.eq(upd.theta), was_upd.eq(upd.en)]
            check("theta holds without en", ~armed | was_upd | (upd.theta == theta_prev))

    def _timing(self, m, check, corrs, upds, accs) -> None:
        """(1) and (2a), for BMC from reset."""
        s = self.spec
        core, net = self.core, self.network
        ctrl, status = core.ctrl, core.status
        armed = Signal(name="armed")  # 0 in the first clock (and in the one after a reset): no past yet
        m.d.sync += armed.eq(1)

        # the shadow FIFO: (valid, perturb, applied signs) at the network's input, D deep
        slots = [Cat(net.valid, net.perturb, net.applied)]
        for k in range(1, self.fifo_depth + 1):
            reg = Signal(len(slots[0]), name=f"fifo_{k}")
            m.d.sync += reg.eq(slots[-1])
            slots.append(reg)
        out = slots[-1]
        out_valid, out_signs = out[0], out[2:]
        out_pert = Signal(name="out_perturbed")
        m.d.comb += out_pert.eq(out[0] & out[1])
        cost = self.cost_unit.cost
        c0 = Signal(unsigned(s.cost_fmt.width), name="shadow_c0")  # cost of the last baseline pass out
        with m.If(out_valid & ~out[1]):
            m.d.sync += c0.eq(cost)
        c_hat = Signal(signed(s.cost_fmt.width + 1), name="shadow_c_hat")
        m.d.comb += c_hat.eq(_as_signed(cost) - _as_signed(c0))

        # τ* (τ_θ of the last accepted start), perturbed passes out since the last update, the update clock
        start_seen = Signal(name="start_seen")
        tau_pending = Signal(TAU_BITS, name="tau_pending")
        tau_run = Signal(TAU_BITS, name="tau_run")
        m.d.sync += start_seen.eq(ctrl.start)
        with m.If(ctrl.start):
            m.d.sync += tau_pending.eq(ctrl.tau_theta)
        with m.If(start_seen & (status.refused == 0)):
            m.d.sync += tau_run.eq(tau_pending)
        in_block = Signal(TAU_BITS, name="in_block")
        ends = Signal(name="ends_block")
        upd = Signal(name="update_clock")
        m.d.comb += ends.eq(out_pert & (in_block + 1 >= tau_run))
        with m.If(out_pert):
            m.d.sync += in_block.eq(Mux(ends, 0, in_block + 1))
        m.d.sync += upd.eq(ends)

        # (1) the correlator consumes each perturbed cost once, with its pass's sign and baseline
        for p, (corr, unit, acc) in enumerate(zip(corrs, upds, accs)):
            check("en = perturbed cost", corr.en == out_pert)
            check("sign = recorded sign", ~out_pert | (corr.sign == out_signs[p]))
            check("c_hat = C - C0*", ~out_pert | (corr.c_hat == c_hat))
            check("clear = upd", corr.clear == upd)
            check("update en = upd", unit.en == upd)
            check("acc <= tau*", acc <= tau_run)  # (2a)
        check("no cost in the update clock", ~(out_pert & upd))
        check("c0 = C0*", status.c0 == c0)
        check("C0* <= C_max", c0 <= self.c_max)
        check("tau* <= tau_theta_max", tau_run <= self.tau_theta_max)  # (2a)
        upd_prev = Signal(name="update_clock_prev")
        updates_prev = Signal(STEP_BITS, name="updates_prev")
        m.d.sync += [upd_prev.eq(upd), updates_prev.eq(status.updates)]
        check("updates counts upd", ~armed | (status.updates == (updates_prev + upd_prev)[:STEP_BITS]))

        # θ changes at the edge that ends an upd clock: no pass may be inside the network then (a pass that
        # entered k clocks ago reads θ until its last layer, latency - 1 clocks after entering) ...
        in_network = Const(0, 1)
        for k in range(net.latency - 1):
            in_network = in_network | slots[k][0]
        check("no pass in the network at an update", ~(upd & in_network))
        # ... and a perturbed pass enters with the θ (no update since) and the input of the last baseline
        x_base = Signal.like(net.x, name="x_of_baseline")
        have_base = Signal(name="have_baseline")
        dirty = Signal(name="updated_since_baseline")
        entering_base = net.valid & ~net.perturb
        with m.If(entering_base):
            m.d.sync += [x_base.eq(net.x), have_base.eq(1)]
        m.d.sync += dirty.eq(upd | (dirty & ~entering_base))
        check("perturbed pass = its baseline's theta and x",
              ~(net.valid & net.perturb) | (have_base & ~dirty & (net.x == x_base)))

