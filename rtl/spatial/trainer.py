"""MGDTrainer: sign bank + controller + baseline + correlators + update units, parameters out, cost in.

Ref: ``docs/fixed_point_spec.md`` ("One step n"); ``shared/design/ARCHITECTURE.md`` ("MGDTrainer ... on its
own it can train any hardware whose cost it can read").
"""

from __future__ import annotations

import numpy as np
from amaranth import Module, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_model.faults import update_lane_seeds
from golden_model.fixed_network import FixedSpec
from rtl._validate import rejecting
from rtl.arith import tree_sum
from rtl.contract import STEP_BITS, ControlSignature, StatusSignature, tau_theta_max
from rtl.controller import Controller
from rtl.cost import Baseline
from rtl.faults import CostNoise
from rtl.lfsr import SignBank
from rtl.pipeline import delay, elements, flat_width, pack
from rtl.spatial.correlator import Correlator
from rtl.spatial.update import WeightUpdate
from rtl.tau_check import TauCheck

__all__ = ["MGDTrainer"]


class MGDTrainer(wiring.Component):
    """The spatial MGD trainer: every parameter has its own sign lane, correlator and update unit.

    The trainer issues passes to a pipelined cost source of fixed ``latency`` (this core's network + cost
    unit, or hardware outside the FPGA) and reads the pass's cost exactly ``latency`` cycles later. The
    signs, the baseline flag and the update flag of each pass travel through a delay line of that length,
    so the correlator always sees the sign that produced the cost (``MGD.md``'s timing hazard).

    Parameters
    ----------
    spec : FixedSpec
        From :func:`rtl.spec.hardware_spec`.
    theta0 : array of int, shape (n_params,)
        Reset values of θ (θ LSBs), parameter order.
    n_samples : int
        Training samples the cost source cycles through (the issued ``sample`` index wraps at it).
    latency : int
        Cycles from ``issue_valid`` to the cycle ``cost`` (and, in node mode, ``acts``) holds that pass.

    Attributes
    ----------
    ctrl : Out(:class:`rtl.contract.ControlSignature`)
        Run ``n_steps`` more steps on ``start``; stop after the current step on ``stop``; the run-time τ
        registers are loaded on ``start``, which :class:`rtl.tau_check.TauCheck` refuses when the τ's are not
        runnable (``status.refused``).
    status : Out(:class:`rtl.contract.StatusSignature`)
        ``busy``; ``step`` (completed steps: a step completes when its perturbed cost is correlated);
        ``updates``; ``last_cost`` and ``c0`` (the last perturbed pass's cost, the baseline register);
        ``sample`` (training sample of the last completed step, 0 at reset); ``sat_events`` (narrowing
        overflow events so far: a G accumulation, a θ or M update that saturated or wrapped, one per
        parameter per event; exact at every clock edge: the events of a cycle are counted by a registered
        adder tree and added to the running total one cycle later, and the output is the total plus that
        register, so the count stays off the correlate-and-update path); ``cycles`` (clock cycles busy);
        ``refused`` (why the last ``start`` was refused, :class:`rtl.tau_check.TauCheck`).
    cost : In(unsigned(W_C))
        Cost of the pass issued ``latency`` cycles ago, cost format. With cost noise (spec "Faults") the
        trainer reads it through :class:`rtl.faults.CostNoise` (draw added, saturated to the cost range),
        one draw per pass; stuck parameters and update noise live in the update units
        (:class:`rtl.spatial.update.WeightUpdate`).
    acts : In(sum(layers[:-1]) * W_a)
        Node mode: that pass's layer inputs (kept from baseline passes); unused in weight mode.
    issue_valid, issue_baseline : Out(1)
        Evaluate a pass this cycle; unperturbed (baseline) if ``issue_baseline``.
    issue_sample : Out(index)
        On which training sample.
    signs : Out(lanes)
        The sign bits to apply to a perturbed pass (1 = ``-a``); lane per parameter or per neuron.
    theta : Out(n_params * W_θ)
        The parameters, flat, parameter order; changes only when no pass is in flight.
    grad : Out(n_params * W_G)
        The accumulators G, flat.
    momentum : Out(n_params * (W_θ + k_m + 1))
        The momentum registers M, flat (1 bit, constant 0, without momentum).

    Latency: the cost of an update's last pass is correlated into G at the edge that consumes it; θ changes
    one edge later, computed from G's register, so the correlator's and the update unit's adders sit in
    different clock cycles (the path from the cost to θ was the core's critical path). The controller
    issues the next pass on the cycle after θ changes (see :class:`rtl.controller.Controller`), so a pass
    waits :attr:`schedule_latency` ``= latency + 1`` cycles for the update of the pass before it.
    """

    def __init__(self, *, spec: FixedSpec, theta0: np.ndarray, n_samples: int, latency: int) -> None:
        with rejecting(self):
            if not isinstance(spec, FixedSpec):
                raise TypeError(f"MGDTrainer spec must be a FixedSpec, not {spec!r}")
            theta0 = np.asarray(theta0)
            n = spec.layout.n_params
            if theta0.shape != (n,):
                raise ValueError(f"MGDTrainer theta0 must have shape ({n},), not {theta0.shape}")
            self._spec, self._theta0 = spec, [int(v) for v in theta0]
            self._controller = Controller(n_samples=n_samples, latency=latency + 1)
            self._tau_check = TauCheck(tau_theta_max=tau_theta_max(spec))
            self._latency = latency
            wa = spec.act.width
            n_acts = sum(spec.layers[:-1])
        super().__init__({
            "ctrl": Out(ControlSignature()),
            "status": Out(StatusSignature(cost_width=spec.cost_fmt.width,
                                          sample_bits=self._controller.sample_bits)),
            "cost": In(unsigned(spec.cost_fmt.width)), "acts": In(flat_width(n_acts, wa)),
            "issue_valid": Out(1), "issue_baseline": Out(1),
            "issue_sample": Out(self._controller.sample_bits), "signs": Out(spec.n_lanes),
            "theta": Out(flat_width(n, spec.theta.width)), "grad": Out(flat_width(n, spec.grad_width)),
            "momentum": Out(flat_width(n if spec.k_m else 0, spec.momentum_width)),
        })

    @property
    def spec(self) -> FixedSpec:
        return self._spec

    @property
    def latency(self) -> int:
        """Cycles from issuing a pass to the edge at which its cost is consumed (as constructed)."""
        return self._latency

    @property
    def schedule_latency(self) -> int:
        """Cycles from issuing a pass to the edge at which θ changes if that pass ends an update block."""
        return self._latency + 1

    @property
    def theta0(self) -> list[int]:
        return list(self._theta0)

    def _param_map(self) -> list[tuple[int, int | None]]:
        """Per parameter: its sign lane and (node-mode weights) the index of its input in ``acts``
        (:meth:`golden_model.params.ParamLayout.synapses`)."""
        s = self._spec
        neuron, layer, inp = s.layout.synapses()
        act_base = np.cumsum([0, *s.layers[:-2]])
        out: list[tuple[int, int | None]] = []
        for p, (j, k, i) in enumerate(zip(neuron, layer, inp)):
            if s.perturbation == "weight":
                out.append((p, None))
            else:
                out.append((int(j), int(act_base[k] + i) if i < s.layers[k] else None))
        return out

    def elaborate(self, platform: object) -> Module:
        m = Module()
        s = self._spec
        L = self._latency
        m.submodules.controller = ctrl = self._controller
        m.submodules.sign_bank = bank = SignBank(lanes=s.n_lanes, width=s.lfsr_width, seed=s.base_seed)
        m.submodules.baseline = base = Baseline(cost_width=s.cost_fmt.width)
        m.submodules.tau_check = check = self._tau_check  # a start with τ's the core cannot run is refused
        wiring.connect(m, wiring.flipped(self.ctrl), check.host)
        wiring.connect(m, check.ctrl, ctrl.ctrl)
        m.d.comb += [check.busy.eq(ctrl.busy), check.stepped.eq(ctrl.step != 0)]
        m.d.comb += [bank.advance.eq(ctrl.advance),
                     self.issue_valid.eq(ctrl.issue_valid), self.issue_baseline.eq(ctrl.issue_baseline),
                     self.issue_sample.eq(ctrl.sample), self.signs.eq(bank.signs)]

        # The pass's token, delayed by exactly the pipeline latency.
        valid = delay(m, ctrl.issue_valid, L, "tok_valid")
        is_base = delay(m, ctrl.issue_baseline, L, "tok_base")
        last = delay(m, ctrl.issue_last, L, "tok_last")
        signs = delay(m, bank.signs, L, "tok_signs")
        tok_sample = delay(m, ctrl.sample, L, "tok_sample")
        perturbed = valid & ~is_base
        update = delay(m, perturbed & last, 1, "apply")  # the cycle after the last correlation
        cost = self.cost
        if s.cost_noise_bits:  # spec "Faults": every cost read, C0 and C, is noisy
            m.submodules.cost_noise = cn = CostNoise(spec=s)
            m.d.comb += [cn.cost.eq(self.cost), cn.read.eq(valid)]
            cost = cn.noisy
        m.d.comb += [base.valid.eq(valid), base.baseline.eq(is_base), base.cost.eq(cost)]

        acts = None
        if s.perturbation == "node":
            a_reg = Signal(len(self.acts), name="baseline_acts")
            with m.If(valid & is_base):
                m.d.sync += a_reg.eq(self.acts)
            acts = elements(a_reg, sum(s.layers[:-1]), s.act.width, s.act.signed)

        thetas, grads, moms, events = [], [], [], []
        stuck = set(s.stuck)
        noise_seeds = update_lane_seeds(s.layout.n_params, s.seed) if s.update_noise_bits else None
        for p, (lane, a_index) in enumerate(self._param_map()):
            corr = Correlator(spec=s, node_input=a_index is not None)
            upd = WeightUpdate(spec=s, init=self._theta0[p], stuck=p in stuck,
                               noise_seed=int(noise_seeds[p]) if s.update_noise_bits else 0)
            m.submodules[f"corr{p}"] = corr
            m.submodules[f"upd{p}"] = upd
            m.d.comb += [corr.en.eq(perturbed), corr.clear.eq(update), corr.sign.eq(signs[lane]),
                         corr.c_hat.eq(base.c_hat), upd.en.eq(update), upd.g.eq(corr.g)]
            if a_index is not None:
                m.d.comb += corr.a.eq(acts[a_index])
            thetas.append(upd.theta)
            grads.append(corr.g)
            moms.append(upd.momentum)
            events += [corr.overflow, upd.overflow]

        step = Signal(STEP_BITS)
        updates = Signal(STEP_BITS)
        last_cost = Signal(unsigned(s.cost_fmt.width))
        sample = Signal(len(self.status.sample))
        sat = Signal(STEP_BITS)
        new_events = Signal(range(len(events) + 1))
        cycles = Signal(STEP_BITS)
        with m.If(perturbed):
            m.d.sync += [step.eq(step + 1), last_cost.eq(cost), sample.eq(tok_sample)]
        with m.If(update):
            m.d.sync += updates.eq(updates + 1)
        m.d.sync += [new_events.eq(tree_sum(events)), sat.eq(sat + new_events)]
        with m.If(ctrl.busy):
            m.d.sync += cycles.eq(cycles + 1)
        if s.k_m:
            m.d.comb += self.momentum.eq(pack(moms))
        st = self.status
        m.d.comb += [self.theta.eq(pack(thetas)), self.grad.eq(pack(grads)), st.busy.eq(ctrl.busy),
                     st.step.eq(step), st.updates.eq(updates), st.last_cost.eq(last_cost),
                     st.sample.eq(sample),
                     st.c0.eq(base.c0), st.sat_events.eq(sat + new_events), st.cycles.eq(cycles),
                     st.refused.eq(check.refused)]
        return m
