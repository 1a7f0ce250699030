"""FoldedCore: the folded MGD training core, P MAC lanes and every register file in block RAM.

Ref: ``shared/design/FOLDED.md``, ``shared/design/ARCHITECTURE.md`` ("RTL", the folded style);
``docs/fixed_point_spec.md`` (the whole step, bit for bit); :mod:`rtl.contract` (the host interface);
:func:`golden_model.schedule.folded_cycles` (its exact cycle count).

Structure
---------
- :mod:`rtl.folded.layout`: the memory map (θ, G, M, the weight-mode LFSR lane states: one word of P lanes
  per address; activations and samples likewise).
- :mod:`rtl.folded.sequencer`: one item per clock (a parameter address and a layer input), the step's
  segments (baseline pass, perturbed pass, correlate-and-update sweep), τ counters, host protocol.
- :mod:`rtl.folded.mac`: P multipliers (shared by the forward passes and the node-mode correlation) and
  exact accumulators.
- :mod:`rtl.folded.neurons`: node perturbation and the activation of a group; :mod:`rtl.folded.cost`: the
  cost over the output groups.
- :mod:`rtl.folded.correlate`: the P-lane read-modify-write of G, θ, M (the arithmetic of
  :mod:`rtl.mgd_arith`, shared with the spatial style).

Pipeline (an item issued in cycle t)
------------------------------------
- t: the sequencer presents the item; forward passes read θ (and the LFSR states) and the input word
  (sample ROM for layer 0, activation memory otherwise).
- t+1 (stage 1): the broadcast input ``a_i`` is selected from the word (``2**A_f`` for the bias); lane
  operands are formed (``w' = θ + s·2**(T_f−k_p)`` exact in a weight-mode perturbed pass, ``θ`` otherwise;
  ``s_j·Ĉ`` in the node-mode correlate sweep) and multiplied, product registered. The correlate sweep reads
  G, θ, M and the LFSR states here (address of stage 1), so that they arrive with the product.
- t+2 (stage 2): forward: the accumulators add the product (restart on a group's first input; node mode's
  perturbed first layer loads the baseline's pre-activation instead). Correlate: G/θ/M/LFSR words are
  updated (:class:`~rtl.folded.correlate.CorrelateLanes`) and written back at the end of the cycle;
  saturation events and the verification digests are counted at the same edge.
- t+3 (stage 3, after a group's last input): node perturbation and activation of the group's P neurons;
  the outputs are written to the activation memory (one word) or, for the output layer, summed into the
  cost; in a node-mode baseline pass the first layer's pre-activations are kept (``zbuf``).
- t+4: the cost of a pass is registered as C0 (baseline) or C (perturbed).
So a forward layer needs :data:`LAYER_GAP` = 3 idle cycles before the next layer can read its outputs
(the next layer's first read samples the word written at the end of t+3), and the correlate sweep needs
:data:`CORRELATE_GAP` = 2 (its last write lands at the end of t+2, before θ is read again).

Why this shape: one address counter for every bank and a broadcast input keep the lanes identical and the
memories plain (one read port and one write port each, synchronous read, registered outputs: DP16KD/EBR
friendly). The node-mode perturbed pass reuses the baseline's first-layer pre-activations (the spec adds
the node perturbation after the exact MAC), so its first layer costs ``⌈n_1/P⌉`` cycles instead of
``⌈n_1/P⌉·(n_0+1)``. The node-mode correlation ``s_j·Ĉ·a_i`` is the forward MAC without accumulation, so it
runs on the same multipliers.

Memories (``amaranth.lib.memory.Memory``, synchronous read, one read and one write port each unless
noted): θ, G, M (``k_m > 0``), the weight-mode LFSR lane states (one Galois LFSR state per parameter,
advanced by the correlate sweep as it passes, for the next step, when ``(n + 1) % τ_p == 0``), the hidden
activations (two regions: baseline, kept for the node-mode correlation, and perturbed), node mode's
first-layer pre-activations ``z_mem``; ROMs: the inputs (P per word, so one input per clock is a lane of a
word: :class:`rtl.samples.SampleStore` holds one whole sample per word, which a folded datapath would
have to multiplex down), the targets, and the readback index map. Node mode's sign lanes are one per
neuron, in registers (:class:`rtl.lfsr.SignBank`). Nothing in fabric grows with the parameter count except
through these memories.

Readback: ``rd.index`` → an index ROM (canonical index → address, lane; 1 edge) → the θ/G/M memories'
read ports (1 edge) → lane multiplexer: :attr:`FoldedCore.readback_latency` = 2. Only while not busy (the
read ports belong to the datapath while a step runs).

Verification (``verify=True``): the ``digest`` port. Each digest register starts at the digest of the reset
contents and, at every write of a lane, adds ``(2i + 1)·(new − old) mod 2**32`` (``i`` the parameter's
canonical index, values taken modulo 2**W as :func:`golden_model.digest.digest` does), so it equals the
digest of the whole register file after every write. The datapath is the same with or without it.
"""

from __future__ import annotations

import numpy as np
from amaranth import Array, Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory

from golden_model.config import MGDConfig
from golden_model.digest import DIGEST_BITS, digest
from golden_model.fixed_network import FixedSpec
from golden_model.lfsr import lane_seeds, taps_mask
from golden_model.schedule import folded_cycles
from rtl._validate import rejecting
from rtl.arith import tree_sum
from rtl.contract import MGDCoreBase, index_bits
from rtl.cores import CoreInputs
from rtl.folded.correlate import CorrelateLanes
from rtl.folded.cost import LaneCost
from rtl.folded.layout import FoldedLayout
from rtl.folded.mac import MACLanes
from rtl.folded.neurons import NeuronLanes
from rtl.folded.sequencer import BASE, CORR, PERT, Sequencer
from rtl.lfsr import SignBank, _galois_next
from rtl.pipeline import elements, pack
from rtl.spec import fail

__all__ = ["FoldedCore", "LAYER_GAP", "CORRELATE_GAP", "RUN_SETUP", "MAX_DEPTH"]

#: idle cycles after each forward layer (stage 3's write must land before the next layer reads it)
LAYER_GAP = 3
#: idle cycles after the correlate sweep (stage 2's last write lands before θ is read again)
CORRELATE_GAP = 2
#: cycles a run spends before its first item (the sequencer leaves idle)
RUN_SETUP = 1
#: deepest parameter memory built (words of P lanes): a 16-bit address
MAX_DEPTH = 1 << 16


def _lane_mux(values: list, sel) -> object:
    """Element ``sel`` of ``values`` (a multiplexer; ``values[0]`` when there is only one)."""
    return values[0] if len(values) == 1 else Array(values)[sel]


class FoldedCore(MGDCoreBase):
    """The folded MGD training core (``[hardware] style = "folded"``, ``lanes = P``).

    Matches :class:`golden_model.fixed_mgd.FixedMGD` bit for bit after every step; the module docstring
    gives the structure and pipeline, :meth:`cycles` the exact schedule.

    Parameters
    ----------
    spec : FixedSpec
        From :func:`rtl.spec.hardware_spec` (build through :func:`rtl.cores.build_core`).
    theta0 : array of int, shape (n_params,)
    x, t : array of int
        The training set in the activation format (sample ROM contents).
    lanes : int
        P, MAC lanes (``hardware.lanes``; :meth:`check` refuses more than the widest layer's neurons).
    verify : bool
        Add the ``digest`` port.

    Attributes
    ----------
    ctrl, status, rd, digest
        The host contract (:mod:`rtl.contract`); readback latency :attr:`readback_latency` = 2.
    layout : FoldedLayout
        The memory map.
    """

    style = "folded"

    def __init__(self, *, spec: FixedSpec, theta0: np.ndarray, x: np.ndarray, t: np.ndarray, lanes: int,
                 verify: bool = False) -> None:
        with rejecting(self):
            if not isinstance(spec, FixedSpec):
                raise TypeError(f"FoldedCore spec must be a FixedSpec, not {spec!r}")
            if not isinstance(lanes, int) or isinstance(lanes, bool) or lanes < 1:
                raise ValueError(f"FoldedCore lanes must be a positive integer, not {lanes!r}")
            x, t = np.asarray(x, dtype=np.int64), np.asarray(t, dtype=np.int64)
            n_in, n_out = spec.layers[0], spec.layers[-1]
            if x.ndim != 2 or t.ndim != 2 or len(x) != len(t) or len(x) < 1 or x.shape[1] != n_in \
                    or t.shape[1] != n_out:
                raise ValueError(f"FoldedCore x and t must be (n, {n_in}) and (n, {n_out}) with n >= 1, "
                                 f"not {x.shape} and {t.shape}")
            self._layout = FoldedLayout(tuple(spec.layers), lanes)
            self._x, self._t = x, t
            super().__init__(spec=spec, theta0=theta0, n_samples=len(x), verify=verify)

    # ---- the contract -------------------------------------------------------------------------------
    @classmethod
    def from_inputs(cls, config: MGDConfig, inputs: CoreInputs, *, verify: bool = False) -> FoldedCore:
        return cls(spec=inputs.spec, theta0=inputs.theta0, x=inputs.x, t=inputs.t,
                   lanes=config.hardware.lanes, verify=verify)

    @staticmethod
    def check(config: MGDConfig, spec: FixedSpec) -> None:
        """What only this style refuses.

        - ``hardware.lanes`` above the widest layer's neuron count: lanes compute the neurons of one layer in
          parallel, so a lane beyond the widest layer would never work (a multiplier and memory width for
          nothing);
        - a parameter memory deeper than :data:`MAX_DEPTH` words.
        The sign bank's lane spacing (weight mode: one lane per parameter) is :func:`rtl.spec.hardware_spec`'s
        check, made before this one.
        """
        lanes, layers = config.hardware.lanes, list(spec.layers)
        widest = max(layers[1:])
        if lanes > widest:
            fail("hardware.lanes", f"at most {widest} for the folded core on layers {layers} (its lanes "
                 f"compute the neurons of one layer in parallel; the widest layer has {widest})", lanes)
        depth = FoldedLayout(tuple(layers), lanes).depth
        if depth > MAX_DEPTH:
            fail("network.layers", f"a network whose parameter memory is at most {MAX_DEPTH} words deep "
                 f"at {lanes} lanes (this one needs {depth}; use more hardware.lanes)", layers)

    @property
    def layout(self) -> FoldedLayout:
        return self._layout

    @property
    def lanes(self) -> int:
        return self._layout.lanes

    @property
    def readback_latency(self) -> int:
        return 2

    def cycles(self, start: int, steps: int, tau_x: int, tau_p: int, tau_theta: int) -> int:
        return folded_cycles(start, steps, tau_x, tau_theta, layers=self._spec.layers, lanes=self.lanes,
                             perturbation=self._spec.perturbation, layer_gap=LAYER_GAP,
                             correlate_gap=CORRELATE_GAP, run_setup=RUN_SETUP)

    def describe(self) -> dict[str, object]:
        lo, s = self._layout, self._spec
        wm = s.momentum_width if s.k_m else 0
        bits = {"theta": lo.depth * lo.lanes * s.theta.width, "grad": lo.depth * lo.lanes * s.grad_width,
                "momentum": lo.depth * lo.lanes * wm,
                "lfsr": lo.depth * lo.lanes * s.lfsr_width if s.perturbation == "weight" else 0,
                "activations": 2 * lo.act_region * lo.lanes * s.act.width,
                "samples": len(self._x) * (lo.in_words[0] + lo.out_words) * lo.lanes * s.act.width}
        return {**super().describe(), "lanes": lo.lanes, "sign_lanes": s.n_lanes, "depth": lo.depth,
                "groups": list(lo.groups), "multipliers": lo.lanes, "layer_gap": LAYER_GAP,
                "correlate_gap": CORRELATE_GAP, "readback_latency": self.readback_latency,
                "cycles_per_step": self.cycles(0, 1, 1, 1, 1) - RUN_SETUP, "memory_bits": bits}

    # ---- the hardware -------------------------------------------------------------------------------
    def elaborate(self, platform: object) -> Module:  # noqa: C901 - one datapath, in pipeline order
        m = Module()
        s, lo = self._spec, self._layout
        P, L = lo.lanes, lo.n_layers
        node = s.perturbation == "node"
        wt, wg, wa, wz = s.theta.width, s.grad_width, s.act.width, s.widths()["z"]
        wm = s.momentum_width if s.k_m else 1
        wl = s.lfsr_width
        n_params = s.layout.n_params
        a_sig = s.act.signed

        m.submodules.sequencer = seq = Sequencer(layout=lo, node=node, n_samples=len(self._x),
                                                 layer_gap=LAYER_GAP, correlate_gap=CORRELATE_GAP)
        wiring.connect(m, wiring.flipped(self.ctrl), seq.ctrl)
        active = seq.active

        # ---- memories -------------------------------------------------------------------------------
        def memory(name: str, width: int, depth: int, init=()) -> Memory:
            mem = Memory(shape=unsigned(width), depth=max(1, depth), init=list(init))
            m.submodules[name] = mem
            return mem

        theta_mem = memory("theta_mem", P * wt, lo.depth, lo.param_words(self._theta0, wt))
        g_mem = memory("grad_mem", P * wg, lo.depth)
        m_mem = memory("momentum_mem", P * wm, lo.depth) if s.k_m else None
        lfsr_mem = None
        if not node:
            seeds = lane_seeds(s.n_lanes, wl, s.base_seed)
            lfsr_mem = memory("lfsr_mem", P * wl, lo.depth, lo.param_words(seeds, wl, fill=1))
        act_mem = memory("act_mem", P * wa, 2 * lo.act_region) if lo.act_region else None
        z_mem = memory("z_mem", P * wz, lo.groups[0]) if node else None
        x_rom = memory("x_rom", P * wa, len(self._x) * lo.in_words[0],
                       [w for row in self._x for w in lo.vector_words(row, wa)])
        t_rom = memory("t_rom", P * wa, len(self._t) * lo.out_words,
                       [w for row in self._t for w in lo.vector_words(row, wa)])
        ab = index_bits(lo.depth)
        index_rom = memory("index_rom", ab + index_bits(P), n_params,
                           [a | (lane << ab) for a, lane in lo.places()])

        # ---- the item through the pipeline -----------------------------------------------------------
        fields = ("valid", "phase", "layer", "group", "index", "lane", "addr", "first", "last", "bias",
                  "skip")

        def stage(src: dict, k: int) -> dict:
            out = {}
            for f in fields:
                reg = Signal.like(src[f], name=f"s{k}_{f}")
                m.d.sync += reg.eq(src[f])
                out[f] = reg
            return out

        s0 = {f: getattr(seq, f) for f in fields}
        s1 = stage(s0, 1)
        s2 = stage(s1, 2)
        corr1 = s1["valid"] & (s1["phase"] == CORR)
        corr2 = s2["valid"] & (s2["phase"] == CORR)

        # readback: canonical index -> (address, lane) -> memories
        rb = index_rom.read_port()
        rb_addr, rb_lane = rb.data[:ab], rb.data[ab:]
        rb_lane_d = Signal.like(rb_lane)
        m.d.comb += rb.addr.eq(self.rd.index)
        m.d.sync += rb_lane_d.eq(rb_lane)

        # parameter reads: forward passes at issue, the correlate sweep one cycle later, readback when idle
        param_addr = Mux(active, Mux(corr1, s1["addr"], seq.addr), rb_addr)
        corr_addr = Mux(active, s1["addr"], rb_addr)
        theta_rd = theta_mem.read_port()
        g_rd = g_mem.read_port()
        m.d.comb += [theta_rd.addr.eq(param_addr), g_rd.addr.eq(corr_addr)]
        thetas = elements(theta_rd.data, P, wt, True)
        m_rd = None
        if m_mem is not None:
            m_rd = m_mem.read_port()
            m.d.comb += m_rd.addr.eq(corr_addr)
        lfsr_states = None
        if lfsr_mem is not None:
            lfsr_rd = lfsr_mem.read_port()
            m.d.comb += lfsr_rd.addr.eq(param_addr)
            lfsr_states = elements(lfsr_rd.data, P, wl, False)

        # layer inputs: region 0 holds the baseline pass's hidden activations, region 1 the perturbed's
        x_rd = x_rom.read_port()
        m.d.comb += x_rd.addr.eq(seq.x_base + seq.word)
        inputs = [elements(x_rd.data, P, wa, a_sig)]
        act_base = Array(Const(v, index_bits(max(2, 2 * lo.act_region))) for v in lo.act_base)
        if act_mem is not None:
            act_rd = act_mem.read_port()
            m.d.comb += act_rd.addr.eq(Mux(seq.phase == PERT, lo.act_region, 0) + act_base[seq.layer]
                                       + seq.word)
            inputs.append(elements(act_rd.data, P, wa, a_sig))

        # node-mode signs of a group's neurons: the sign bank (one LFSR per neuron, registers) by group
        group_signs = None
        if node:
            m.submodules.sign_bank = bank = SignBank(lanes=s.n_lanes, width=wl, seed=s.base_seed)
            m.d.comb += bank.advance.eq(seq.step_end & seq.advance)
            words = []
            for layer, (g_count, off) in enumerate(zip(lo.groups, s.layout.neuron_offsets())):
                for g in range(g_count):
                    bits = [bank.signs[off + g * P + p] if g * P + p < lo.n_out[layer] else Const(0, 1)
                            for p in range(P)]
                    words.append(Cat(*bits))
            group_base = Array(Const(v, index_bits(max(2, lo.n_groups))) for v in lo.group_base)

            def group_signs(layer, group):
                return _lane_mux(words, group_base[layer] + group)

        # ---- stage 1: the broadcast input and the lane operands, into the multipliers ------------------
        one = 1 << s.A_f
        a_shape = signed(wa + 1) if a_sig else unsigned(wa + 1)
        a = Signal(a_shape)
        lane_in = [_lane_mux(words, s1["lane"]) for words in inputs]
        m.d.comb += a.eq(Mux(s1["bias"], one, lane_in[0] if len(lane_in) == 1
                             else Mux(s1["layer"] == 0, lane_in[0], lane_in[1])))
        c0, c_reg = Signal(unsigned(s.cost_fmt.width)), Signal(unsigned(s.cost_fmt.width))
        c_hat = Signal(signed(s.cost_fmt.width + 1))
        m.d.comb += c_hat.eq(c_reg - c0)
        op_width = wt + 1 if not node else max(wt + 1, s.cost_fmt.width + 2)
        ops = [Signal(signed(op_width), name=f"op{p}") for p in range(P)]
        if node:
            nsigns1 = group_signs(s1["layer"], s1["group"])
            for p in range(P):
                m.d.comb += ops[p].eq(Mux(corr1, Mux(nsigns1[p], -c_hat, c_hat), thetas[p]))
        else:
            amp = s.weight_amplitude
            perturb1 = s1["phase"] == PERT
            for p in range(P):  # w' = w + s·2**(T_f − k_p), exact (one bit wider than θ)
                m.d.comb += ops[p].eq(thetas[p] + Mux(perturb1, Mux(lfsr_states[p][0], -amp, amp), 0))
        m.submodules.mac = mac = MACLanes(lanes=P, op_width=op_width, a_shape=a_shape, z_width=wz)
        m.d.comb += [mac.op.eq(pack(ops)), mac.a.eq(a)]

        # ---- stage 2: accumulate (forward) or read-modify-write (correlate) -------------------------
        forward2 = s2["valid"] & (s2["phase"] != CORR)
        if z_mem is not None:
            z_rd = z_mem.read_port()
            m.d.comb += [z_rd.addr.eq(s1["group"]), mac.load_z.eq(z_rd.data)]
        m.d.comb += [mac.en.eq(forward2), mac.first.eq(s2["first"]), mac.load.eq(s2["skip"])]

        def mask_of(layer, group):
            """Lanes holding a neuron/parameter in ``group`` of ``layer``."""
            full = (1 << P) - 1
            last = Array(Const(lo.last_mask(k), P) for k in range(L))
            last_group = Array(Const(g - 1, index_bits(max(2, max(lo.groups)))) for g in lo.groups)
            return Mux(group == last_group[layer], last[layer], full)

        m.submodules.correlate = cl = CorrelateLanes(spec=s, lanes=P, prod_width=mac.prod_width)
        mask2 = mask_of(s2["layer"], s2["group"])
        m.d.comb += [cl.g.eq(g_rd.data), cl.theta.eq(theta_rd.data), cl.c_hat.eq(c_hat),
                     cl.prod.eq(mac.prod), cl.update.eq(seq.update), cl.mask.eq(mask2)]
        if m_rd is not None:
            m.d.comb += cl.momentum.eq(m_rd.data)
        if lfsr_states is not None:
            m.d.comb += cl.signs.eq(Cat(*(st[0] for st in lfsr_states)))
        write_theta = corr2 & seq.update
        g_wr = g_mem.write_port()
        theta_wr = theta_mem.write_port()
        m.d.comb += [g_wr.addr.eq(s2["addr"]), g_wr.data.eq(cl.g_write), g_wr.en.eq(corr2),
                     theta_wr.addr.eq(s2["addr"]), theta_wr.data.eq(cl.theta_next),
                     theta_wr.en.eq(write_theta)]
        if m_mem is not None:
            m_wr = m_mem.write_port()
            m.d.comb += [m_wr.addr.eq(s2["addr"]), m_wr.data.eq(cl.momentum_next), m_wr.en.eq(write_theta)]
        if lfsr_mem is not None:  # advance the lanes for the next step as their last read of this one passes
            lfsr_wr = lfsr_mem.write_port()
            mask = taps_mask(wl)
            m.d.comb += [lfsr_wr.addr.eq(s2["addr"]), lfsr_wr.en.eq(corr2 & seq.advance),
                         lfsr_wr.data.eq(Cat(*(_galois_next(st, mask) for st in lfsr_states)))]

        # ---- stage 3: a group's neurons (forward) ---------------------------------------------------
        s3_valid = Signal()
        s3_phase, s3_layer, s3_group = (Signal.like(s2[f], name=f"s3_{f}")
                                        for f in ("phase", "layer", "group"))
        m.d.sync += [s3_valid.eq(forward2 & s2["last"]), s3_phase.eq(s2["phase"]), s3_layer.eq(s2["layer"]),
                     s3_group.eq(s2["group"])]
        m.submodules.neurons = nl = NeuronLanes(spec=s, lanes=P, z_width=wz)
        m.d.comb += nl.z.eq(mac.z)
        if node:
            m.d.comb += [nl.signs.eq(group_signs(s3_layer, s3_group)), nl.perturb.eq(s3_phase == PERT)]
        if act_mem is not None:
            act_wr = act_mem.write_port()
            m.d.comb += [act_wr.addr.eq(Mux(s3_phase == PERT, lo.act_region, 0) + act_base[s3_layer + 1]
                                        + s3_group),
                         act_wr.data.eq(nl.y), act_wr.en.eq(s3_valid & (s3_layer != L - 1))]
        if z_mem is not None:
            z_wr = z_mem.write_port()
            m.d.comb += [z_wr.addr.eq(s3_group), z_wr.data.eq(mac.z),
                         z_wr.en.eq(s3_valid & (s3_phase == BASE) & (s3_layer == 0))]
        t_rd = t_rom.read_port()
        m.d.comb += t_rd.addr.eq(seq.t_base + s2["group"])
        m.submodules.cost = cu = LaneCost(spec=s, lanes=P)
        m.d.comb += [cu.valid.eq(s3_valid & (s3_layer == L - 1)), cu.first.eq(s3_group == 0),
                     cu.final.eq(s3_group == lo.groups[-1] - 1), cu.y.eq(nl.y), cu.t.eq(t_rd.data),
                     cu.mask.eq(mask_of(s3_layer, s3_group))]

        # ---- stage 4: the pass's cost ----------------------------------------------------------------
        s4_phase = Signal.like(s3_phase)
        m.d.sync += s4_phase.eq(s3_phase)
        with m.If(cu.done):
            with m.If(s4_phase == BASE):
                m.d.sync += c0.eq(cu.cost)
            with m.Else():
                m.d.sync += c_reg.eq(cu.cost)

        # ---- status ----------------------------------------------------------------------------------
        st = self.status
        updates, sat, cycles = Signal(len(st.updates)), Signal(len(st.sat_events)), Signal(len(st.cycles))
        sample = Signal(len(st.sample))
        with m.If(seq.step_end):
            m.d.sync += sample.eq(seq.sample)
            with m.If(seq.update):
                m.d.sync += updates.eq(updates + 1)
        with m.If(corr2):
            m.d.sync += sat.eq(sat + cl.events)
        with m.If(seq.busy):
            m.d.sync += cycles.eq(cycles + 1)
        m.d.comb += [st.busy.eq(seq.busy), st.step.eq(seq.n), st.updates.eq(updates), st.last_cost.eq(c_reg),
                     st.c0.eq(c0), st.sample.eq(sample), st.sat_events.eq(sat), st.cycles.eq(cycles)]

        # ---- readback ------------------------------------------------------------------------------
        m.d.comb += [self.rd.theta.eq(_lane_mux(thetas, rb_lane_d)),
                     self.rd.grad.eq(_lane_mux(elements(g_rd.data, P, wg, True), rb_lane_d))]
        if m_rd is not None:
            m.d.comb += self.rd.momentum.eq(_lane_mux(elements(m_rd.data, P, wm, True), rb_lane_d))

        if self.verify:
            self._digests(m, s2, mask2, corr2, write_theta, theta_rd, g_rd, m_rd, cl)
        return m

    def _digests(self, m: Module, s2: dict, mask, corr2, write_theta, theta_rd, g_rd, m_rd, cl) -> None:
        """Verification only: the three digest registers, kept exact at every write (module docstring)."""
        s, lo = self._spec, self._layout
        P = lo.lanes
        offsets = s.layout.param_offsets()
        offset = Array(Const(v, index_bits(max(2, s.layout.n_params + 1))) for v in offsets)
        rows = Array(Const(v, index_bits(max(2, max(lo.rows) + 1))) for v in lo.rows)
        weights = [2 * (offset[s2["layer"]] + (s2["group"] * P + p) * rows[s2["layer"]] + s2["index"]) + 1
                   for p in range(P)]
        wm = s.momentum_width if s.k_m else 1
        files = [("theta", s.theta.width, theta_rd.data, cl.theta_next, write_theta,
                  digest(np.array(self._theta0), s.theta.width)),
                 ("grad", s.grad_width, g_rd.data, cl.g_write, corr2, 0)]
        if m_rd is not None:
            files.append(("momentum", wm, m_rd.data, cl.momentum_next, write_theta, 0))
        for name, width, old, new, en, init in files:
            reg = Signal(DIGEST_BITS, init=init, name=f"digest_{name}")
            olds = elements(old, P, width, False)
            news = elements(new, P, width, False)
            terms = []
            for p in range(P):  # (2i + 1)·(new − old) mod 2**32: sign-extended to 32 bits, then truncated
                term = Signal(DIGEST_BITS, name=f"digest_{name}_term{p}")
                m.d.comb += term.eq(Mux(mask[p], weights[p] * (news[p] - olds[p]), 0))
                terms.append(term)
            with m.If(en):
                m.d.sync += reg.eq(reg + tree_sum(terms))
            m.d.comb += getattr(self.digest, name).eq(reg)
