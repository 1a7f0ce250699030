"""FoldedCore: the folded MGD training core, P MAC lanes and every register file in block RAM.

Ref: ``shared/design/FOLDED.md``, ``shared/design/ARCHITECTURE.md`` ("RTL", the folded style);
``docs/fixed_point_spec.md`` (the whole step, bit for bit); :mod:`rtl.contract` (the host interface);
:func:`golden_model.schedule.folded_cycles` (its exact cycle count).

Structure
---------
- :mod:`rtl.folded.layout`: the memory map (θ, G, M, the weight-mode LFSR lane states: one word of P lanes
  per address; activations and samples likewise; the sample ROMs' coding).
- :mod:`rtl.folded.sequencer`: one item per clock (a parameter address and a layer input), the step's
  segments (baseline pass, perturbed pass, correlate-and-update sweep), τ counters, host protocol; in
  front of it :class:`rtl.tau_check.TauCheck` ``registered``: the host's ``start``, ``stop`` and
  ``n_steps`` reach the sequencer a clock later, with the accepted τ's (``status.busy`` covers that clock:
  :data:`RUN_SETUP` = 2).
- :mod:`rtl.folded.mac`: P forward multipliers and exact accumulators.
- :mod:`rtl.folded.neurons`: the activation of a group; :mod:`rtl.folded.cost`: the cost over the output
  groups.
- :mod:`rtl.folded.correlate`: the P-lane read-modify-write of G, θ, M (the arithmetic of
  :mod:`rtl.mgd_arith`, shared with the spatial style).

Pipeline (stage k = k clocks after the sequencer issues an item in cycle t)
---------------------------------------------------------------------------
Every memory read is synchronous and every memory output is registered in the fabric before any logic
(block RAM clock-to-output is most of a 100 MHz cycle on ECP5); every multiplier sits between registers.

Forward passes:

- 0: θ (and the LFSR states) at the item's address, the input word (sample ROM for layer 0, activation
  memory otherwise) are read.
- 1 (:data:`RAM_REG`): the words are registered.
- 2 (:data:`SELECT`): the item's SIMD broadcast inputs ``a_i`` are selected from its word (the slice
  ``index mod PE``; ``2**A_f`` for the bias, 0 for the idle slots after it in a row's last item) and,
  in weight mode, the lane operands formed (``w' = θ + s·2**(T_f−k_p)`` exact in a perturbed pass, ``θ``
  otherwise; node mode: ``θ``), into the MAC's operand registers (they hold them at 3); 4: the operands
  in the multipliers' own registers, 5: the products in theirs (:class:`rtl.multiplier.Multiplier`:
  inside the MULT18X18D when elaborated for an ECP5).
- 5 (:data:`ACCUMULATE`): each of the PE accumulators adds its SIMD products (an adder tree, in this
  cycle); a group's first item restarts the sum at the
  node perturbation (node mode's perturbed pass; exact, the spec adds it after the exact MAC) or 0; node
  mode's perturbed first layer loads the baseline's pre-activation (``z_mem``) instead.
- 6 (:data:`NEURON`, after a group's last item): activation of the group's PE neurons, written to the
  activation memory (one slice of a P-lane word, lane-enabled) or, for the output layer, into the cost
  unit; in a node-mode baseline pass the first layer's pre-activations are written to ``z_mem``.
- 6 + :data:`rtl.folded.cost.COST_LATENCY` = 11: the pass's cost is registered as C0 (baseline) or C
  (perturbed); 12: ``Ĉ = C − C0`` registered.

So a forward layer needs :data:`LAYER_GAP` = 6 idle cycles before the next layer reads its outputs.

Correlate sweep (one parameter word per item, every layer in address order):

- 0-2: the input ``a_i`` of the parameter's row, as in a forward pass (baseline activations), then held in
  registers to stage 7; Ĉ is copied into the correlation multipliers' operand register at 6.
- 7 (:data:`CORR_MULTIPLY`): node mode: ``Ĉ·a_i`` on SIMD shared multipliers, one per input slot (the
  product is the same for every neuron; a lane's sign only picks ``round_R(±Ĉ·a_i, A_f)``), on
  :class:`rtl.multiplier.Multiplier` as the MAC lanes' (operands in its registers at 8, product at 9);
  8 (:data:`CORR_READ`): G, M and the LFSR states are read at the item's address (θ two clocks later, at
  10, when it is needed two clocks later too).
- 9: both rounded terms and the words are registered (weight mode's terms are ``±Ĉ``).
- 10 (:data:`CORR_LANES`): ``G + term`` (:class:`~rtl.folded.correlate.CorrelateLanes`); the advanced LFSR
  states are written; 11: G is written (0 on an update), ``v = round_R(G, k_η)``; 12: M; 13: θ; 14: θ/M
  are written; 15: the saturation events are counted.

The Ĉ copy of the first correlate item (stage 6 of an item issued ``LAYER_GAP + 1`` cycles after the
perturbed pass's last) is exactly the first cycle ``Ĉ`` is valid (stage 13 of that last item). The sweep
needs :data:`CORRELATE_GAP` = 15 idle cycles after its last item: its last θ write and event count land
before the next step reads θ or the host reads the status.

Why this shape: one address counter for every bank and a broadcast input keep the lanes identical and the
memories plain (one read port and one write port each, synchronous read: DP16KD/EBR friendly). The
node-mode perturbed pass reuses the baseline's first-layer pre-activations (the spec adds the node
perturbation after the exact MAC), so its first layer costs ``⌈n_1/PE⌉`` cycles instead of
``⌈n_1/PE⌉·⌈(n_0+1)/SIMD⌉``. The node-mode correlation ``s_j·Ĉ·a_i`` needs SIMD products a clock, not P.
P above the widest layer folds as PE × SIMD (:func:`golden_model.schedule.fold`; the memory map in
:mod:`rtl.folded.layout`): PE neurons at a time, SIMD inputs each, so no lane idles for want of neurons.

Memories (``amaranth.lib.memory.Memory``, synchronous read, one read and one write port each; block RAM
(``ram_style = "block"``) when deeper than :data:`BLOCK_DEPTH` words, flip-flops when at most
:data:`REGISTER_DEPTH`, else left to Yosys: LUT RAM on ECP5, block RAM or flip-flops on iCE40): θ, G (unless
``tau_theta_max = 1``, below), M (``k_m > 0``), the weight-mode LFSR lane states (one Galois LFSR state
per parameter, advanced by the correlate sweep as it passes, for the next step, when
``(n + 1) % τ_p == 0``), the hidden activations (two regions: baseline, kept for the node-mode
correlation, and perturbed), node mode's first-layer
pre-activations ``z_mem``; ROMs: the inputs (P per word, coded by :class:`~rtl.folded.layout.SampleCode`),
the targets (``min(P, n_L)`` lanes a word; both RAMs filled by the host with ``samples = "stream"``), and the
readback index map (``index_map``, a chunked row table: :class:`~rtl.folded.layout.IndexMap`, one entry per
``2**s`` parameters). Node mode's sign lanes are one per
neuron, in registers (:class:`rtl.lfsr.SignBank`). Nothing in fabric grows with the parameter count except
through these memories. :meth:`FoldedCore.resources` lists them with the multipliers.

Faults (``docs/fixed_point_spec.md``, "Faults"; generation-time, absent when off): cost noise is
:class:`rtl.faults.CostNoise` between the cost unit and the C0/C registers (one draw per pass, the passes
complete in step order: baseline, then perturbed); stuck parameters are ``stuck_rom`` (one bit per lane and
address, read at stage 7, so that :class:`~rtl.folded.correlate.CorrelateLanes` writes a stuck lane's θ
back unchanged); update noise is ``noise_mem`` (one 32-bit noise LFSR state per lane and address, reset to
:func:`golden_model.faults.update_lane_seeds`), read at stage 10, its draws added to stage 11's θ, the
states jumped ``b_U`` steps and written back at 11 on update sweeps.

No G memory when :attr:`~rtl.contract.MGDCoreBase.tau_theta_max` is 1 (the width ``W_G`` holds one step's
G and no more, e.g. the digits preset's ``grad_width = 21``): the only τ_θ such a core runs is 1 (a larger
one is refused, :mod:`rtl.tau_check`), so every correlate sweep ends an update block and computes
``G = sat_O(0 + term)``, feeds it to the M/θ update and sets G to 0 (spec steps 5-7). G is therefore 0
whenever the host can observe it (readback only while idle; the digest after each update), and nothing
reads a stored G: the sweep's G input is the constant 0, ``rd.grad`` reads 0 and the G digest stays the
digest of zeros, 0. The pipeline and the cycle count are the same; only the memory (``P·W_G`` bits a word)
and its read register go.

Multipliers: P forward lanes, ``min(PE, n_L)`` cost squares (mse), SIMD correlation products (node mode).

Readback: ``rd.index`` (canonical index ``k``) → the index map's ROM at ``k >> s`` (the chunk's entry
``a0, l0, r, b, l1`` and, with SIMD > 1, ``d0, d1``; 1 edge; ``off = k mod 2**s`` registered beside it),
registered (1 edge) → ``off < r``, ``u = off + (d0 or d1)``, ``address = (a0 or b) + (u >> log2 SIMD)``,
``lane = (l0 or l1) + (u mod SIMD)`` (:meth:`~rtl.folded.layout.IndexMap.lookup`; SIMD = 1: ``address =
(a0 or b) + off``), registered
(1 edge) → the θ/G/M memories' read ports (1 edge), registered (1 edge) → lane multiplexer, registered
(1 edge: the ports are flip-flops, so whatever reads them has a whole clock):
:attr:`FoldedCore.readback_latency` = 6, pipelined (a new index every clock). Only while not busy (the read
ports belong to the datapath while a step runs); an index ``>= n_params`` reads nothing defined.

Streamed sample store (``samples = "stream"``, ``hardware.samples``): the x and t stores (``x_store``,
``t_store``) are RAMs without initial contents that the host fills through the ``load`` ports
(:func:`rtl.contract.load_ports`; host protocol step 0 in :mod:`rtl.contract`), so that the training set
can live in the iCE40 UP5K's SPRAM (four SB_SPRAM256KA, 16 bits x 16,384 words) and one bitstream can train
on another data set of the same shape:

- beats: one stored word each, in the low bits of ``load.payload`` (``max(P·x bits, min(P, n_L)·t bits)``
  wide; a word's higher payload bits are ignored): every word of the x store, then every word of the t store,
  in address order (:meth:`FoldedCore.sample_words`), :attr:`FoldedCore.load_beats` in all. The words are
  coded by the same :class:`~rtl.folded.layout.SampleCode` as the ROM build's, fitted to the training set the
  core was generated with: loaded data must have that sample count and fit those codes.
- ``load.ready`` is high while the core is idle (``status.busy`` low) and the store is not full (a register:
  it rises one clock after ``busy`` falls); a beat is stored on a clock edge with ``valid`` and ``ready``
  high, one a clock. ``loaded`` counts the stored words
  (0 after reset and after a ``load_restart`` pulse, which makes the next beat the first word again);
  ``ctrl.start`` is ignored while ``loaded < load_beats``, so a half-loaded store never trains (busy stays
  low, ``status.step`` does not move). The contents stay over runs and over ``load_restart`` until
  overwritten. Loading costs no ``status.cycles``.
- each store is single-port: one address, the datapath's while a step is in progress, else the next word
  to store (a beat is stored only while idle), and reads off while writing (Yosys maps a single port
  ``no_change`` RAM; the address multiplexer is selected by the sequencer's state register alone, not by
  the handshake, which keeps the ``busy`` logic out of the address path); the x store is built
  in banks of :data:`STORE_BANK` words (one SPRAM deep, registered before the bank multiplexer), marked
  :data:`rtl.generate.SPRAM_ATTR`: no initial contents in the Verilog, and the iCE40 flow maps it onto
  SB_SPRAM256KA (elsewhere it is block RAM, ``ram_style = "block"``). The t store is a plain RAM (block RAM
  when deeper than :data:`BLOCK_DEPTH`). The datapath's reads and the pipeline are the ROM build's.

Verification (``verify=True``): the ``digest`` port. Each digest register starts at the digest of the reset
contents and, at every write of a lane, adds ``(2i + 1)·(new − old) mod 2**32`` (``i`` the parameter's
canonical index, values taken modulo 2**W as :func:`golden_model.digest.digest` does), so it equals the
digest of the whole register file after every write. The datapath is the same with or without it.
"""

from __future__ import annotations

import numpy as np
from amaranth import Array, Cat, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory

from golden_model.config import MGDConfig
from golden_model.digest import DIGEST_BITS, digest
from golden_model.faults import NOISE_LFSR_WIDTH, update_lane_seeds
from golden_model.fixed_network import FixedSpec
from golden_model.lfsr import lane_seeds, taps_mask
from golden_model.schedule import fold, folded_cycles
from rtl._validate import rejecting
from rtl.arith import round_shift, tree_sum
from rtl.contract import (
    ControlSignature,
    CoreResources,
    MemoryUse,
    MGDCoreBase,
    MultiplierUse,
    index_bits,
    tau_theta_max,
)
from rtl.cores import CoreInputs
from rtl.faults import CostNoise, noise_draw, noise_jump
from rtl.folded.correlate import EVENTS_LATENCY, THETA_IN, THETA_LATENCY, CorrelateLanes
from rtl.folded.cost import COST_LATENCY, LaneCost
from rtl.folded.layout import FoldedLayout, SampleCode
from rtl.folded.mac import MACLanes
from rtl.folded.neurons import NeuronLanes
from rtl.folded.sequencer import BASE, CORR, PERT, Sequencer
from rtl.generate import SPRAM_ATTR
from rtl.lfsr import SignBank, _galois_next
from rtl.multiplier import LATENCY as MULTIPLIER_LATENCY
from rtl.multiplier import Multiplier
from rtl.pipeline import elements, pack
from rtl.spec import fail
from rtl.tau_check import REGISTERED_LATENCY, TauCheck

__all__ = ["FoldedCore", "LAYER_GAP", "CORRELATE_GAP", "RUN_SETUP", "MAX_DEPTH", "BLOCK_DEPTH",
           "REGISTER_DEPTH", "STORE_BANK", "SAMPLE_STORES"]

# Pipeline stages: clocks after the sequencer issues an item (module docstring).
#: memory outputs registered
RAM_REG = 1
#: broadcast input and lane operands formed, into the MAC's operand registers (then the multipliers':
#: :class:`~rtl.folded.mac.MACLanes`)
SELECT = 2
#: accumulators: the products of the operands registered at SELECT, after the multipliers' latency
ACCUMULATE = SELECT + 1 + MULTIPLIER_LATENCY
#: a group's sums complete: activation, activation / z memory writes, into the cost unit
NEURON = ACCUMULATE + 1
#: correlate sweep: the shared multiplier computes Ĉ·a_i; G, θ, M, LFSR states read
CORR_MULTIPLY = 7
#: correlate sweep: CorrelateLanes' input cycle (G + term, the products rounded and registered); LFSR states
#: written back
CORR_LANES = CORR_MULTIPLY + MULTIPLIER_LATENCY + 1
#: correlate sweep: G, M, the LFSR states read (θ THETA_IN clocks later), registered at CORR_LANES
CORR_READ = CORR_LANES - 2

#: idle cycles after each forward layer (the group outputs written at NEURON, read by the next layer)
LAYER_GAP = NEURON
#: idle cycles after the correlate sweep (θ/M written at CORR_LANES + 4, events counted at + 5)
CORRELATE_GAP = CORR_LANES + EVENTS_LATENCY
#: cycles a run spends before its first item: the τ check's register (``TauCheck(registered=True)``), then
#: the sequencer leaves idle
RUN_SETUP = REGISTERED_LATENCY + 1
#: deepest parameter memory built (words of P lanes): a 16-bit address
MAX_DEPTH = 1 << 16
#: words of one input-ROM bank: the training inputs are split into banks of at most this many words, each
#: read every clock and registered before the bank and lane multiplexer (a DP16KD is 1024 x 18: no depth
#: multiplexer inside a bank, so every block RAM output goes straight to a flip-flop beside it)
X_BANK = 1024
#: words of one bank of the streamed input store (``samples = "stream"``): an SB_SPRAM256KA's depth (16 bits x
#: 16,384 words), so that on the iCE40 UP5K a bank is whole SPRAMs side by side, registered before the bank
#: multiplexer like a ROM bank
STORE_BANK = 1 << 14
#: ``hardware.samples``: the training set in initialised ROMs, or in RAMs the host fills through ``load``
SAMPLE_STORES = ("rom", "stream")
#: memories deeper than this go to block RAM, the others are Yosys's choice (ECP5: LUT RAM, a
#: TRELLIS_DPR16X4 is 16 words deep; iCE40 has no LUT RAM: block RAM or flip-flops) ...
BLOCK_DEPTH = 16
#: ... except those of at most this many words, which are flip-flops (``ram_style = "logic"``: a one-word
#: z_mem of 32 lanes is 1,088 flip-flops, not 272 LUT RAM cells sharing one write port)
REGISTER_DEPTH = 4

# Ĉ is registered at stage NEURON + COST_LATENCY + 1 of the perturbed pass's last item and copied into the
# correlation multipliers' operand register from stage CORR_MULTIPLY - 1 of the first correlate item, issued
# LAYER_GAP + 1 cycles later.
assert LAYER_GAP + 1 + CORR_MULTIPLY - 1 >= NEURON + COST_LATENCY + 2


def _lane_mux(values: list, sel) -> object:
    """Element ``sel`` of ``values`` (a multiplexer; ``values[0]`` when there is only one)."""
    return values[0] if len(values) == 1 else Array(values)[sel]


def _store_writes(m: Module, banks: list[Memory], reads: list, write, addr, bank_words: int, data) -> None:
    """The write ports of a streamed store's banks: a bank stores ``data`` at its read port's address (one
    address for reads and writes: a single-port RAM, an SB_SPRAM256KA on iCE40) when ``write`` and ``addr``
    (the word's address in the store, a register) falls in it; reads are off while writing (the read data
    holds, as a single port's ``no_change``)."""
    for b, (mem, rd) in enumerate(zip(banks, reads)):
        wr = mem.write_port()
        here = write if len(banks) == 1 else write & ((addr >> index_bits(bank_words)) == b)
        m.d.comb += [wr.addr.eq(rd.addr), wr.data.eq(data), wr.en.eq(here), rd.en.eq(~write)]


def _signed_width(width: int, is_signed: bool) -> int:
    """Bits of a value's signed form (what a signed multiplier needs)."""
    return width if is_signed else width + 1


def _stores_grad(spec: FixedSpec) -> bool:
    """Whether a folded core of ``spec`` keeps G in a memory: only when it can run a τ_θ above 1
    (:func:`rtl.contract.tau_theta_max`; module docstring, "No G memory")."""
    return tau_theta_max(spec) > 1


def _plan(spec: FixedSpec, lanes: int, n_samples: int, x_code: SampleCode, t_code: SampleCode,
          training_set: str | None = None, samples: str = "rom") -> CoreResources:
    """The multipliers and memories of a folded core of ``spec`` at ``lanes``
    (:meth:`FoldedCore.resources`)."""
    s, lo = spec, FoldedLayout(tuple(spec.layers), lanes)
    P, PE, node = lo.lanes, lo.pe, spec.perturbation == "node"
    wa = s.act.width
    a_bits = _signed_width(wa + 1, s.act.signed)
    mults = [MultiplierUse("forward MAC lanes (w'·a)", P, s.theta.width + (0 if node else 1), a_bits)]
    if s.cost_kind == "mse":
        mults.append(MultiplierUse("cost squares ((y − t)²)", lo.cost_lanes, wa + 2, wa + 2))
    if node:
        mults.append(MultiplierUse("correlation product (Ĉ·a)", lo.simd, s.cost_fmt.width + 1, a_bits))

    def mem(name: str, width: int, depth: int, init: bool = False, samples: bool = False,
            banks: int = 1, spram: bool = False) -> MemoryUse:
        depth = max(1, depth)
        return MemoryUse(name, width, depth, block=depth > BLOCK_DEPTH, init=init, samples=samples,
                         banks=banks, spram=spram and depth > BLOCK_DEPTH)

    mems = [mem("theta_mem", P * s.theta.width, lo.depth, True)]
    if _stores_grad(spec):
        mems.append(mem("grad_mem", P * s.grad_width, lo.depth))
    if s.k_m:
        mems.append(mem("momentum_mem", P * s.momentum_width, lo.depth))
    if not node:
        mems.append(mem("lfsr_mem", P * s.lfsr_width, lo.depth, True))
    if s.stuck:
        mems.append(mem("stuck_rom", P, lo.depth, True))
    if s.update_noise_bits:
        mems.append(mem("noise_mem", P * NOISE_LFSR_WIDTH, lo.depth, True))
    if lo.act_region:
        mems.append(mem("act_mem", P * wa, 2 * lo.act_region))
    if node:
        mems.append(mem("z_mem", PE * s.widths()["z"], lo.groups[0]))
    x_depth, rom = n_samples * lo.in_words[0], samples == "rom"
    x_name, t_name, bank = ("x_rom", "t_rom", X_BANK) if rom else ("x_store", "t_store", STORE_BANK)
    mems += [mem(x_name, P * x_code.width, x_depth, rom, True, banks=-(-x_depth // bank), spram=not rom),
             mem(t_name, lo.cost_lanes * t_code.width, n_samples * lo.out_words, rom, True)]
    imap = lo.index_map()
    mems.append(mem("index_map", imap.width, imap.depth, True))
    return CoreResources(multipliers=tuple(mults), memories=tuple(mems), lanes=P, layers=tuple(spec.layers),
                         training_set=f"{training_set!r} ({n_samples} samples)" if training_set
                         else f"{n_samples} samples",
                         at_lanes=lambda p: _plan(spec, p, n_samples, x_code, t_code, training_set, samples))


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
        The training set in the activation format: the sample ROMs' contents, or (``samples = "stream"``)
        the generation-time training set that fixes the sample codes and count of the data loaded later.
    lanes : int
        P, MAC lanes (``hardware.lanes``): PE × SIMD (:func:`golden_model.schedule.fold`; :meth:`check`
        refuses a P it cannot split).
    verify : bool
        Add the ``digest`` port.
    training_set : str, optional
        Name of the training set (``task.dataset``), for :meth:`resources`' messages.
    samples : str
        ``hardware.samples``: ``"rom"`` (the default) or ``"stream"`` (the ``load`` ports; module docstring,
        "Streamed sample store").

    Attributes
    ----------
    ctrl, status, rd, digest
        The host contract (:mod:`rtl.contract`); ``rd.index`` in (canonical order), ``rd.theta`` (the θ
        format), ``rd.grad``, ``rd.momentum`` (``grad_width``, ``momentum_width`` bits, signed) out
        :attr:`readback_latency` = 6 clock edges later, one index a clock, while ``status.busy`` is low.
    load, load_restart, loaded
        ``samples = "stream"`` only: the sample-load ports (:func:`rtl.contract.load_ports`), beats of
        ``max(P·x bits, min(PE, n_L)·t bits)`` (one stored word each), :attr:`load_beats` of them.
    layout : FoldedLayout
        The memory map.

    Memories: θ, G (unless ``tau_theta_max = 1``: then every sweep is an update, G is 0 wherever the host
    can see it and the sweep takes its old G as 0; ``rd.grad`` reads 0), M (``k_m > 0``), the LFSR states
    (weight mode), activations, samples, the readback index map (module docstring; :meth:`resources`).
    """

    style = "folded"

    def __init__(self, *, spec: FixedSpec, theta0: np.ndarray, x: np.ndarray, t: np.ndarray, lanes: int,
                 verify: bool = False, training_set: str | None = None, samples: str = "rom") -> None:
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
            if samples not in SAMPLE_STORES:
                raise ValueError(f"FoldedCore samples must be one of {', '.join(map(repr, SAMPLE_STORES))}, "
                                 f"not {samples!r}")
            self._layout = lo = FoldedLayout(tuple(spec.layers), lanes)
            self._x, self._t = x, t
            self._x_code, self._t_code = SampleCode.fit(x), SampleCode.fit(t)
            self._training_set = training_set
            self._samples = samples
            load = None
            if samples == "stream":  # one beat per stored word: x store, then t store
                load = (max(lanes * self._x_code.width, lo.cost_lanes * self._t_code.width),
                        len(x) * (lo.in_words[0] + lo.out_words))
            super().__init__(spec=spec, theta0=theta0, n_samples=len(x), verify=verify, load=load)

    # ---- the contract -------------------------------------------------------------------------------
    @classmethod
    def from_inputs(cls, config: MGDConfig, inputs: CoreInputs, *, verify: bool = False) -> FoldedCore:
        return cls(spec=inputs.spec, theta0=inputs.theta0, x=inputs.x, t=inputs.t,
                   lanes=config.hardware.lanes, verify=verify, training_set=config.task.dataset,
                   samples=config.hardware.samples)

    @staticmethod
    def check(config: MGDConfig, spec: FixedSpec) -> None:
        """What only this style refuses.

        - a ``hardware.lanes`` P the fold cannot use (:func:`golden_model.schedule.fold`): above the widest
          layer's neuron count, P must split into PE × SIMD with PE at most that count and SIMD a power of
          two no larger than the longest row needs (a lane that would never work is a multiplier and memory
          width for nothing);
        - a parameter memory deeper than :data:`MAX_DEPTH` words.
        The sign bank's lane spacing (weight mode: one lane per parameter) is :func:`rtl.spec.hardware_spec`'s
        check, made before this one.
        """
        lanes, layers = config.hardware.lanes, list(spec.layers)
        try:
            fold(layers, lanes)
        except ValueError as e:
            fail("hardware.lanes", f"{e}, for the folded core on layers {layers} (lanes compute PE neurons "
                 f"of one layer at once, SIMD inputs each)", lanes)
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
        """Clock edges from ``rd.index`` to ``rd.theta/grad/momentum``: 6 (the index map's ROM and its
        register, the address arithmetic's register, the parameter memories and their register, the lane
        multiplexer's register; module docstring, "Readback")."""
        return 6

    @property
    def samples(self) -> str:
        """``hardware.samples``: ``"rom"`` or ``"stream"``."""
        return self._samples

    def _store_words(self, x: np.ndarray, t: np.ndarray) -> tuple[list[int], list[int]]:
        """The words of the x and t stores for the training set ``x``, ``t``, address order (coded by the
        core's sample codes: ``P`` inputs, ``min(PE, n_L)`` targets a word)."""
        lo, xc, tc = self._layout, self._x_code, self._t_code
        return ([w for row in x for w in lo.input_words(xc.encode(row), xc.width)],
                [w for row in t for w in lo.target_words(tc.encode(row), tc.width)])

    def sample_words(self, x: np.ndarray, t: np.ndarray) -> list[int]:
        """The :attr:`load_beats` words of a streamed store for the training set ``x``, ``t`` (activation
        format): the x store's words, then the t store's, in address order, exactly what the ROMs of a
        ``samples = "rom"`` core built for that set would hold.

        The set must have the shape the core was built with (sample count, inputs, outputs) and only values
        the core's sample codes hold (:meth:`SampleCode.holds`: fitted to the generation-time training
        set; e.g. a pixel resolution finer than that set's is refused): :class:`rtl.spec.RTLConfigError`
        naming ``task.dataset`` otherwise.
        """
        if self._samples != "stream":
            return super().sample_words(x, t)
        x, t = np.asarray(x, dtype=np.int64), np.asarray(t, dtype=np.int64)
        if x.shape != self._x.shape or t.shape != self._t.shape:
            fail("task.dataset", f"a training set of the shape the core was generated for ({len(self._x)} "
                 f"samples of {self._x.shape[1]} inputs and {self._t.shape[1]} targets)",
                 f"{x.shape} inputs and {t.shape} targets")
        for name, values, code in (("inputs", x, self._x_code), ("targets", t, self._t_code)):
            if not code.holds(values):
                kind = "signed" if code.signed else "unsigned"
                fail("task.dataset", f"a training set whose {name} the core's sample code holds (v >> "
                     f"{code.shift} in {code.width} {kind} bits, fitted to the training set it was generated "
                     f"for)", f"{name} from {values.min()} to {values.max()}")
        x_words, t_words = self._store_words(x, t)
        return x_words + t_words

    def cycles(self, start: int, steps: int, tau_x: int, tau_p: int, tau_theta: int) -> int:
        return folded_cycles(start, steps, tau_x, tau_theta, layers=self._spec.layers, lanes=self.lanes,
                             perturbation=self._spec.perturbation, layer_gap=LAYER_GAP,
                             correlate_gap=CORRELATE_GAP, run_setup=RUN_SETUP)

    def resources(self) -> CoreResources:
        """P forward multipliers, the cost squares and node mode's correlation product; every memory with
        its width, depth and whether it is block RAM (deeper than :data:`BLOCK_DEPTH`) and initialised;
        ``at_lanes(p)`` gives the same for another P. The synthesis flow checks these against the part
        before Yosys runs (:func:`rtl.synth.synthesize`)."""
        return _plan(self._spec, self.lanes, len(self._x), self._x_code, self._t_code, self._training_set,
                     self._samples)

    def describe(self) -> dict[str, object]:
        lo, s = self._layout, self._spec
        res = self.resources()
        bits = {mem.name: mem.bits for mem in res.memories}
        return {**super().describe(), "lanes": lo.lanes, "pe": lo.pe, "simd": lo.simd,
                "sign_lanes": s.n_lanes, "depth": lo.depth,
                "groups": list(lo.groups), "multipliers": sum(u.count for u in res.multipliers),
                "sample_code": {k: {"shift": c.shift, "width": c.width, "signed": c.signed}
                                for k, c in (("x", self._x_code), ("t", self._t_code))},
                "layer_gap": LAYER_GAP,
                "correlate_gap": CORRELATE_GAP, "readback_latency": self.readback_latency,
                "cycles_per_step": self.cycles(0, 1, 1, 1, 1) - RUN_SETUP, "memory_bits": bits,
                "samples": self._samples, "load_beats": self.load_beats}

    # ---- the hardware -------------------------------------------------------------------------------
    def elaborate(self, platform: object) -> Module:  # noqa: C901 - one datapath, in pipeline order
        m = Module()
        s, lo = self._spec, self._layout
        P, L = lo.lanes, lo.n_layers
        PE, S, kS = lo.pe, lo.simd, lo.simd_bits
        node = s.perturbation == "node"
        wt, wg, wa, wz = s.theta.width, s.grad_width, s.act.width, s.widths()["z"]
        wm = s.momentum_width if s.k_m else 1
        wl = s.lfsr_width
        a_sig = s.act.signed
        xc, tc = self._x_code, self._t_code
        nc = lo.cost_lanes

        m.submodules.sequencer = seq = Sequencer(layout=lo, node=node, n_samples=len(self._x),
                                                 layer_gap=LAYER_GAP, correlate_gap=CORRELATE_GAP)
        # unrunnable τ's are refused; the check is a register stage (the host path was the critical path)
        m.submodules.tau_check = check = TauCheck(tau_theta_max=self.tau_theta_max, registered=True)
        busy = Signal()  # status.busy: the sequencer's, or an accepted start in the τ check's register
        m.d.comb += busy.eq(seq.busy | check.pending)
        host_ctrl, load_write, loaded = self._load_control(m, busy)
        wiring.connect(m, wiring.flipped(host_ctrl), check.host)
        wiring.connect(m, check.ctrl, seq.ctrl)
        m.d.comb += [check.busy.eq(seq.busy), check.stepped.eq(seq.stepped)]
        active = seq.active

        # ---- memories -------------------------------------------------------------------------------
        def memory(name: str, width: int, depth: int, init=(), block: bool | None = None,
                   spram: bool = False) -> Memory:
            depth = max(1, depth)
            if depth > BLOCK_DEPTH if block is None else block:
                attrs = {"ram_style": "block"}
                if spram:  # single-port, no initial contents: SPRAM where the part has it
                    attrs[SPRAM_ATTR] = 1
            elif depth <= REGISTER_DEPTH:
                attrs = {"ram_style": "logic"}  # a word or a few: flip-flops
            else:
                attrs = {}  # Yosys's choice: LUT RAM on ECP5; iCE40 has none
            mem = Memory(shape=unsigned(width), depth=depth, init=list(init), attrs=attrs)
            m.submodules[name] = mem
            return mem

        theta_mem = memory("theta_mem", P * wt, lo.depth, lo.param_words(self._theta0, wt))
        g_mem = memory("grad_mem", P * wg, lo.depth) if _stores_grad(s) else None
        m_mem = memory("momentum_mem", P * wm, lo.depth) if s.k_m else None
        lfsr_mem = None
        if not node:
            seeds = lane_seeds(s.n_lanes, wl, s.base_seed)
            lfsr_mem = memory("lfsr_mem", P * wl, lo.depth, lo.param_words(seeds, wl, fill=1))
        # faults (spec "Faults"): the stuck mask (one bit per parameter) and the update-noise states
        stuck_rom = (memory("stuck_rom", P, lo.depth, lo.param_words(s.stuck_mask.astype(int), 1))
                     if s.stuck else None)
        noise_seeds = update_lane_seeds(s.layout.n_params, s.seed) if s.update_noise_bits else None
        noise_mem = (memory("noise_mem", P * NOISE_LFSR_WIDTH, lo.depth,
                            lo.param_words(noise_seeds, NOISE_LFSR_WIDTH, fill=1))
                     if s.update_noise_bits else None)
        act_mem = memory("act_mem", P * wa, 2 * lo.act_region) if lo.act_region else None
        z_mem = memory("z_mem", P * wz, lo.groups[0]) if node else None
        # the sample store: ROMs, or (streamed) RAMs of the same words without initial contents
        x_words, t_words = self._store_words(self._x, self._t)
        rom = loaded is None
        x_depth, x_bank = len(x_words), X_BANK if rom else STORE_BANK
        x_name, t_name = ("x_rom", "t_rom") if rom else ("x_store", "t_store")
        x_banks = [memory(f"{x_name}{b}" if x_depth > x_bank else x_name, P * xc.width,
                          min(x_bank, x_depth - b * x_bank),
                          x_words[b * x_bank:(b + 1) * x_bank] if rom else (), block=x_depth > BLOCK_DEPTH,
                          spram=not rom)
                   for b in range(-(-x_depth // x_bank))]
        t_rom = memory(t_name, nc * tc.width, len(t_words), t_words if rom else ())
        imap = lo.index_map()
        index_map = memory("index_map", imap.width, imap.depth, imap.words())

        # ---- the item through the pipeline: stage k's fields are s[k] ---------------------------------
        fields = ("valid", "phase", "layer", "group", "index", "lane", "addr", "first", "last", "bias",
                  "skip", "update", "advance")
        s_ = [{f: getattr(seq, f) for f in fields}]
        for k in range(1, CORR_LANES + THETA_LATENCY + 1):
            regs = {}
            for f in fields:
                reg = Signal.like(s_[0][f], name=f"s{k}_{f}")
                m.d.sync += reg.eq(s_[-1][f])
                regs[f] = reg
            s_.append(regs)

        def corr(k: int):
            return s_[k]["valid"] & (s_[k]["phase"] == CORR)

        def forward(k: int):
            return s_[k]["valid"] & (s_[k]["phase"] != CORR)

        def neuron_mask(layer, group):
            """The PE neuron lanes holding a neuron in ``group`` of ``layer``."""
            full = (1 << PE) - 1
            last = Array(Const(lo.last_mask(k), PE) for k in range(L))
            last_group = Array(Const(g - 1, index_bits(max(2, max(lo.groups)))) for g in lo.groups)
            return Mux(group == last_group[layer], last[layer], full)

        def per_lane(bits) -> Value:
            """A PE-bit neuron vector as P lane bits (each neuron's SIMD lanes)."""
            return bits if S == 1 else Cat(*(bits[q // S] for q in range(P)))

        tails = Array(Const(lo.tail_mask(k), P) for k in range(L))

        def param_mask(stage: dict):
            """The P lanes of ``stage``'s item holding a parameter: its neurons' SIMD lanes, less the idle
            slots after the bias in a row's last item (:meth:`FoldedLayout.tail_mask`)."""
            tail = Mux(stage["bias"], tails[stage["layer"]], (1 << P) - 1)
            return per_lane(neuron_mask(stage["layer"], stage["group"])) & tail

        def registered(value, name: str) -> Signal:
            reg = Signal(Value.cast(value).shape(), name=name)
            m.d.sync += reg.eq(value)
            return reg

        # ---- readback: canonical index -> chunk entry -> (address, lane) -> memories ---------------------
        rb = index_map.read_port()
        m.d.comb += rb.addr.eq(self.rd.index >> imap.shift)
        rb_row = registered(rb.data, "rb_row")  # the ROM output registered before any logic
        rb_off = registered(registered(self.rd.index[:imap.shift], "rb_off1"), "rb_off2")  # beside rb_row
        entry = {name: rb_row[lsb:lsb + w] for name, (lsb, w) in imap.fields.items()}
        rb_first = rb_off < entry["r"]  # off in the chunk's first row
        rb_u = rb_off + Mux(rb_first, entry["d0"], entry["d1"]) if kS else rb_off  # the slot carried in
        rb_addr = registered((Mux(rb_first, entry["a0"], entry["b"]) + (rb_u >> kS))[:imap.addr_bits],
                             "rb_addr")
        rb_lane = registered(Mux(rb_first, entry["l0"], entry["l1"]) + (rb_u[:kS] if kS else 0), "rb_lane")
        rb_lane_d = registered(registered(rb_lane, "rb_lane_d1"), "rb_lane_d2")

        # ---- stage 0: reads (forward: parameters and input; correlate: input now, parameters at
        # CORR_MULTIPLY; readback when idle) -----------------------------------------------------------
        corr_read = corr(CORR_READ)
        theta_stage = CORR_READ + THETA_IN  # θ reaches CorrelateLanes THETA_IN clocks after G
        # the θ word is registered at RAM_REG and again, lane by lane, in the MAC's operand registers (weight
        # mode forms w' = θ ± amplitude between the two)
        param_addr = Mux(active, Mux(corr(theta_stage), s_[theta_stage]["addr"], seq.addr), rb_addr)
        corr_addr = Mux(active, s_[CORR_READ]["addr"], rb_addr)
        theta_rd = theta_mem.read_port()
        m.d.comb += theta_rd.addr.eq(param_addr)
        g_rd = None
        if g_mem is not None:
            g_rd = g_mem.read_port()
            m.d.comb += g_rd.addr.eq(corr_addr)
        m_rd = lfsr_rd = None
        if m_mem is not None:
            m_rd = m_mem.read_port()
            m.d.comb += m_rd.addr.eq(corr_addr)
        if lfsr_mem is not None:
            lfsr_rd = lfsr_mem.read_port()
            m.d.comb += lfsr_rd.addr.eq(Mux(corr_read, s_[CORR_READ]["addr"], seq.addr))
        x_addr = Signal(range(max(2, x_depth)), name="x_addr")
        x_rds = [bank.read_port() for bank in x_banks]
        m.d.comb += [rd.addr.eq(x_addr[:index_bits(x_bank)] if len(x_rds) > 1 else x_addr) for rd in x_rds]
        if rom:
            m.d.comb += x_addr.eq(seq.x_base + seq.word)
        else:  # one address for reads and writes: the next word to store while idle (writes come only then)
            write_x = load_write & (loaded < x_depth)
            m.d.comb += x_addr.eq(Mux(active, seq.x_base + seq.word, loaded))
            _store_writes(m, x_banks, x_rds, write_x, loaded, x_bank, self.load.payload)
        act_base = Array(Const(v, index_bits(max(2, 2 * lo.act_region))) for v in lo.act_base)
        act_rd = None
        if act_mem is not None:  # region 0: the baseline pass's hidden activations, region 1: the perturbed's
            act_rd = act_mem.read_port()
            m.d.comb += act_rd.addr.eq(Mux(seq.phase == PERT, lo.act_region, 0) + act_base[seq.layer]
                                       + seq.word)

        # ---- stage RAM_REG: every memory output registered (forward items here at stage 1, correlate
        # items' parameter words at CORR_READ + 1) --------------------------------------------------------
        theta_w = registered(theta_rd.data, "theta_w")
        g_w = registered(g_rd.data, "grad_w") if g_rd is not None else Const(0, P * wg)  # G_old = 0
        m_w = registered(m_rd.data, "momentum_w") if m_rd is not None else None
        lfsr_w = registered(lfsr_rd.data, "lfsr_w") if lfsr_rd is not None else None
        x_ws = [registered(rd.data, f"x_w{b}") for b, rd in enumerate(x_rds)]  # every bank, then the bank's
        x_w = x_ws[0]  # word at SELECT
        if len(x_ws) > 1:
            x_w = _lane_mux(x_ws, registered(registered(x_addr >> index_bits(x_bank), "x_bank1"), "x_bank2"))
        act_w = registered(act_rd.data, "act_w") if act_rd is not None else None
        thetas = elements(theta_w, P, wt, True)
        lfsr_states = elements(lfsr_w, P, wl, False) if lfsr_w is not None else None

        # node-mode signs of a group's neurons: the sign bank (one LFSR per neuron, registers) by group
        group_signs = None
        if node:
            m.submodules.sign_bank = bank = SignBank(lanes=s.n_lanes, width=wl, seed=s.base_seed)
            m.d.comb += bank.advance.eq(seq.step_end & seq.advance)
            words = []
            for layer, (g_count, off) in enumerate(zip(lo.groups, s.layout.neuron_offsets())):
                for g in range(g_count):
                    bits = [bank.signs[off + g * PE + p] if g * PE + p < lo.n_out[layer] else Const(0, 1)
                            for p in range(PE)]
                    words.append(Cat(*bits))
            group_base = Array(Const(v, index_bits(max(2, lo.n_groups))) for v in lo.group_base)

            def group_signs(stage: dict):
                return _lane_mux(words, group_base[stage["layer"]] + stage["group"])

        # ---- stage SELECT: the SIMD broadcast inputs and the lane operands, into the MAC ----------------
        s2 = s_[SELECT]
        one = 1 << s.A_f
        a_shape = signed(wa + 1) if a_sig else unsigned(wa + 1)
        x_lanes = [v << xc.shift for v in elements(x_w, P, xc.width, xc.signed)]
        act_lanes = elements(act_w, P, wa, a_sig) if act_w is not None else None
        a_slots = []
        for k in range(S):  # slot k of the item: lane k of its slice of the input word; the bias, or idle
            a = Signal(a_shape, name="a" if S == 1 else f"a{k}")
            x_in = _lane_mux(x_lanes[k::S], s2["lane"])
            value = x_in if act_lanes is None else Mux(s2["layer"] == 0, x_in, _lane_mux(act_lanes[k::S],
                                                                                          s2["lane"]))
            is_bias = Array(Const(int(k == t - 1), 1) for t in lo.tail)[s2["layer"]]
            is_idle = Array(Const(int(k >= t), 1) for t in lo.tail)[s2["layer"]]
            m.d.comb += a.eq(Mux(s2["bias"] & is_bias, one, Mux(s2["bias"] & is_idle, 0, value)))
            a_slots.append(a)
        op_width = wt if node else wt + 1
        ops = [Signal(signed(op_width), name=f"op{p}") for p in range(P)]
        if node:  # θ as it is
            for p in range(P):
                m.d.comb += ops[p].eq(thetas[p])
        else:
            amp = s.weight_amplitude
            perturb2 = s2["phase"] == PERT
            for p in range(P):  # w' = w + s·2**(T_f − k_p), exact (one bit wider than θ)
                m.d.comb += ops[p].eq(thetas[p] + Mux(perturb2, Mux(lfsr_states[p][0], -amp, amp), 0))
        amp_n = s.node_amplitude if node else 0
        init_width = max(1, amp_n.bit_length() + 1)
        m.submodules.mac = mac = MACLanes(lanes=P, simd=S, op_width=op_width, a_shape=a_shape, z_width=wz,
                                          init_width=init_width)
        m.d.comb += [mac.op.eq(pack(ops)), mac.a.eq(pack(a_slots))]

        # ---- stage ACCUMULATE: sums (restarted at the node perturbation), or the shared pre-activations --
        s4 = s_[ACCUMULATE]
        z_r = None
        if z_mem is not None:  # read at stage ACCUMULATE - 2, registered: valid at ACCUMULATE
            z_rd = z_mem.read_port()
            m.d.comb += z_rd.addr.eq(s_[ACCUMULATE - 2]["group"])
            z_r = registered(z_rd.data, "z_r")
            m.d.comb += mac.load_z.eq(z_r)
        if node:  # the perturbation of stage ACCUMULATE's group, registered a stage early
            s3 = s_[ACCUMULATE - 1]
            pert_signs = registered(group_signs(s3), "pert_signs")
            pert_on = registered(s3["phase"] == PERT, "pert_on")
            m.d.comb += mac.init.eq(pack([Mux(pert_on, Mux(pert_signs[p], -amp_n, amp_n), 0)
                                          for p in range(PE)]))
        m.d.comb += [mac.en.eq(forward(ACCUMULATE)), mac.first.eq(s4["first"]), mac.load.eq(s4["skip"])]

        # ---- stage NEURON: a group's neurons -------------------------------------------------------------
        s5 = s_[NEURON]
        group_done = forward(NEURON) & s5["last"]
        m.submodules.neurons = nl = NeuronLanes(spec=s, lanes=PE, z_width=wz)
        m.d.comb += nl.z.eq(mac.z)
        if act_mem is not None:  # group g's PE outputs: slice g mod SIMD of word g // SIMD (lane-enabled)
            act_wr = act_mem.write_port(granularity=PE * wa) if S > 1 else act_mem.write_port()
            write_act = group_done & (s5["layer"] != L - 1)
            m.d.comb += [act_wr.addr.eq(Mux(s5["phase"] == PERT, lo.act_region, 0)
                                        + act_base[s5["layer"] + 1] + (s5["group"] >> kS)),
                         act_wr.data.eq(Cat(*([nl.y] * S))),
                         act_wr.en.eq(Cat(*(write_act & (s5["group"][:kS] == k) for k in range(S))) if S > 1
                                      else write_act)]
        if z_mem is not None:
            z_wr = z_mem.write_port()
            m.d.comb += [z_wr.addr.eq(s5["group"]), z_wr.data.eq(mac.z),
                         z_wr.en.eq(group_done & (s5["phase"] == BASE) & (s5["layer"] == 0))]
        t_rd = t_rom.read_port()  # addressed a stage early: the target word arrives with the outputs
        if rom:
            m.d.comb += t_rd.addr.eq(seq.t_base + s4["group"])
        else:
            write_t = load_write & (loaded >= x_depth)
            m.d.comb += t_rd.addr.eq(Mux(active, seq.t_base + s4["group"], loaded - x_depth))
            _store_writes(m, [t_rom], [t_rd], write_t, loaded, len(t_words), self.load.payload)
        t_lanes = [v << tc.shift for v in elements(t_rd.data, nc, tc.width, tc.signed)]
        t_vals = [Signal(signed(wa) if a_sig else unsigned(wa), name=f"target{p}") for p in range(nc)]
        m.d.comb += [tv.eq(v) for tv, v in zip(t_vals, t_lanes)]
        m.submodules.cost = cu = LaneCost(spec=s, lanes=nc)
        m.d.comb += [cu.valid.eq(group_done & (s5["layer"] == L - 1)), cu.first.eq(s5["group"] == 0),
                     cu.final.eq(s5["group"] == lo.groups[-1] - 1), cu.tag.eq(s5["phase"] == PERT),
                     cu.y.eq(nl.y[:nc * wa]), cu.t.eq(pack(t_vals)),
                     cu.mask.eq(neuron_mask(s5["layer"], s5["group"])[:nc])]

        # ---- the pass's cost (stage NEURON + COST_LATENCY), then Ĉ -----------------------------------------
        c0, c_reg = Signal(unsigned(s.cost_fmt.width)), Signal(unsigned(s.cost_fmt.width))
        pass_cost = cu.cost
        if s.cost_noise_bits:  # spec "Faults": every cost read, C0 and C, is noisy (reads in step order)
            m.submodules.cost_noise = cn = CostNoise(spec=s)
            m.d.comb += [cn.cost.eq(cu.cost), cn.read.eq(cu.done)]
            pass_cost = cn.noisy
        with m.If(cu.done):
            with m.If(cu.done_tag):
                m.d.sync += c_reg.eq(pass_cost)
            with m.Else():
                m.d.sync += c0.eq(pass_cost)
        c_hat = registered(c_reg - c0, "c_hat")

        # ---- correlate sweep: the terms (stage CORR_MULTIPLY, a two-clock multiplier, terms at + 3) -----
        if node:  # one product Ĉ·a_i per input slot for every lane; a lane's sign picks round_R(±Ĉ·a_i, A_f)
            pos, neg = [], []
            for j, a_c in enumerate(a_slots):
                sfx = "" if S == 1 else str(j)
                for k in range(SELECT, CORR_MULTIPLY):
                    a_c = registered(a_c, f"corr_a{k}{'_' + sfx if sfx else ''}")
                c_op = registered(c_hat, f"corr_c{sfx}")  # a copy of Ĉ per multiplier, as a_c's last register
                m.submodules[f"corr_mul{sfx}"] = mul = Multiplier(len(c_op), len(a_c) + 1)
                m.d.comb += [mul.a.eq(c_op), mul.b.eq(a_c)]
                c_prod = mul.p
                pos.append(registered(round_shift(c_prod, s.A_f, s.rounding), f"term_pos{sfx}"))
                neg.append(registered(round_shift(-c_prod, s.A_f, s.rounding), f"term_neg{sfx}"))
        else:  # s·Ĉ
            pos = [registered(registered(c_hat, "c_hat_d"), "term_pos")]
            neg = [registered(-registered(c_hat, "c_hat_dn"), "term_neg")]
        term_width = max(len(v) for v in pos + neg) + 1

        def terms(values: list) -> Value:
            """The slots, each sign-extended to ``term_width``, flat."""
            out = []
            for v in values:
                wide = Signal(signed(term_width), name=f"{v.name}_x")
                m.d.comb += wide.eq(v)
                out.append(wide)
            return pack(out)

        # ---- stage CORR_LANES: read-modify-write of G, θ, M ----------------------------------------------
        s8 = s_[CORR_LANES]
        m.submodules.correlate = cl = CorrelateLanes(spec=s, lanes=P, term_width=term_width, slots=len(pos))
        if node:
            signs8 = per_lane(registered(group_signs(s_[CORR_LANES - 1]), "corr_signs"))
        else:
            signs8 = Cat(*(st[0] for st in lfsr_states))
        m.d.comb += [cl.g.eq(g_w), cl.theta.eq(theta_w), cl.signs.eq(signs8), cl.term_pos.eq(terms(pos)),
                     cl.term_neg.eq(terms(neg)), cl.update.eq(s8["update"]),
                     cl.mask.eq(Mux(corr(CORR_LANES), param_mask(s8), 0))]
        if m_w is not None:
            m.d.comb += cl.momentum.eq(m_w)
        if s.stuck:  # the stuck mask, a ROM word per address, read a stage early
            stuck_rd = stuck_rom.read_port()
            m.d.comb += [stuck_rd.addr.eq(s_[CORR_LANES - 1]["addr"]), cl.stuck.eq(stuck_rd.data)]
        if noise_mem is not None:  # update noise: the lanes' states read at c+2, drawn at c+3, jumped back
            wn, sn = s.update_noise_bits, CORR_LANES + 3
            noise_rd, noise_wr = noise_mem.read_port(), noise_mem.write_port()
            states = elements(noise_rd.data, P, NOISE_LFSR_WIDTH, False)
            m.d.comb += [noise_rd.addr.eq(s_[sn - 1]["addr"]),
                         cl.noise.eq(pack([noise_draw(st, wn, s.update_noise_shift) for st in states])),
                         noise_wr.addr.eq(s_[sn]["addr"]), noise_wr.en.eq(corr(sn) & s_[sn]["update"]),
                         noise_wr.data.eq(Cat(*(noise_jump(st, wn) for st in states)))]
        if lfsr_mem is not None:  # advance the lanes for the next step as their last read of this one passes
            lfsr_wr = lfsr_mem.write_port()
            mask = taps_mask(wl)
            m.d.comb += [lfsr_wr.addr.eq(s8["addr"]), lfsr_wr.en.eq(corr(CORR_LANES) & s8["advance"]),
                         lfsr_wr.data.eq(Cat(*(_galois_next(st, mask) for st in lfsr_states)))]
        s_g, s_t = s_[CORR_LANES + 1], s_[CORR_LANES + THETA_LATENCY]
        write_g, write_theta = corr(CORR_LANES + 1), corr(CORR_LANES + THETA_LATENCY) & s_t["update"]
        theta_wr = theta_mem.write_port()
        m.d.comb += [theta_wr.addr.eq(s_t["addr"]), theta_wr.data.eq(cl.theta_next),
                     theta_wr.en.eq(write_theta)]
        if g_mem is not None:  # (without it every sweep is an update: g_write is 0, nothing to keep)
            g_wr = g_mem.write_port()
            m.d.comb += [g_wr.addr.eq(s_g["addr"]), g_wr.data.eq(cl.g_write), g_wr.en.eq(write_g)]
        if m_mem is not None:
            m_wr = m_mem.write_port()
            m.d.comb += [m_wr.addr.eq(s_t["addr"]), m_wr.data.eq(cl.momentum_next), m_wr.en.eq(write_theta)]

        # ---- status ----------------------------------------------------------------------------------
        st = self.status
        updates, sat, cycles = Signal(len(st.updates)), Signal(len(st.sat_events)), Signal(len(st.cycles))
        sample = Signal(len(st.sample))
        with m.If(seq.step_end):
            m.d.sync += sample.eq(seq.sample)
            with m.If(seq.update):
                m.d.sync += updates.eq(updates + 1)
        m.d.sync += sat.eq(sat + cl.events)  # 0 but in a correlate item's stage CORR_LANES + EVENTS_LATENCY
        with m.If(busy):
            m.d.sync += cycles.eq(cycles + 1)
        m.d.comb += [st.busy.eq(busy), st.step.eq(seq.n), st.updates.eq(updates), st.last_cost.eq(c_reg),
                     st.c0.eq(c0), st.sample.eq(sample), st.sat_events.eq(sat), st.cycles.eq(cycles),
                     st.refused.eq(check.refused)]

        # ---- readback (the memories' registered outputs, while idle; the lane multiplexer registered) -----
        m.d.sync += [self.rd.theta.eq(_lane_mux(thetas, rb_lane_d)),
                     self.rd.grad.eq(_lane_mux(elements(g_w, P, wg, True), rb_lane_d) if g_mem is not None
                                     else 0)]
        if m_w is not None:
            m.d.sync += self.rd.momentum.eq(_lane_mux(elements(m_w, P, wm, True), rb_lane_d))

        if self.verify:
            self._digests(m, s_g, s_t, write_g if g_mem is not None else None, write_theta, cl, param_mask)
        return m

    def _load_control(self, m: Module, busy: Signal) -> tuple:
        """The host protocol's step 0 (``samples = "stream"``; :mod:`rtl.contract`): the ``loaded`` counter
        (0 on reset and on ``load_restart``), ``load.ready`` (idle and not full), and the host's ``ctrl`` as
        the sequencer sees it, ``start`` ignored until ``loaded == load_beats``.

        ``ready`` is a register (the write enables of the stores, SPRAM on iCE40, then start at a flip-flop,
        not at the sequencer's ``busy`` logic): high in the cycle after one in which the core (``busy``,
        ``status.busy``) was idle, did
        not take a ``start`` and would not be full. An idle core becomes busy only by taking a ``start``, so
        it is never high while busy or full, and it rises one clock after ``busy`` falls.

        Returns ``(ctrl, write, loaded)``: that ``ctrl``, "a beat is stored this cycle" and the counter (the
        address of the next word in the x store, then the t store); ``(self.ctrl, None, None)`` with ROMs.
        """
        if not self.load_beats:
            return self.ctrl, None, None
        loaded = Signal.like(self.loaded, name="load_count")
        full = loaded == self.load_beats
        ready = Signal(init=1, name="load_ready")  # after reset: idle and empty
        write = Signal(name="load_write")
        m.d.comb += [self.load.ready.eq(ready), write.eq(self.load.valid & ready), self.loaded.eq(loaded)]
        with m.If(self.load_restart):
            m.d.sync += loaded.eq(0)
        with m.Elif(write):
            m.d.sync += loaded.eq(loaded + 1)
        ctrl = ControlSignature().create(path=("host_ctrl",))
        for name in ctrl.signature.members:
            m.d.comb += getattr(ctrl, name).eq(getattr(self.ctrl, name) & full if name == "start"
                                               else getattr(self.ctrl, name))
        full_next = ~self.load_restart & (full | (write & (loaded == self.load_beats - 1)))
        m.d.sync += ready.eq(~busy & ~ctrl.start & ~full_next)
        return ctrl, write, loaded

    def _digests(self, m: Module, s_g: dict, s_t: dict, write_g, write_theta, cl, param_mask) -> None:
        """Verification only: the three digest registers, kept exact at every write (module docstring).
        ``write_g`` None: no G memory, G is always 0 and so is its digest."""
        s, lo = self._spec, self._layout
        P, PE, S = lo.lanes, lo.pe, lo.simd
        offsets = s.layout.param_offsets()
        offset = Array(Const(v, index_bits(max(2, s.layout.n_params + 1))) for v in offsets)
        rows = Array(Const(v, index_bits(max(2, max(lo.rows) + 1))) for v in lo.rows)

        def weights(st: dict) -> list:  # lane q = (neuron q // SIMD, input st.index·SIMD + q mod SIMD)
            return [2 * (offset[st["layer"]] + (st["group"] * PE + q // S) * rows[st["layer"]]
                         + st["index"] * S + q % S) + 1
                    for q in range(P)]

        wm = s.momentum_width if s.k_m else 1
        files = [("theta", s.theta.width, cl.theta_old, cl.theta_next, write_theta, s_t,
                  digest(np.array(self._theta0), s.theta.width))]
        if write_g is not None:
            files.append(("grad", s.grad_width, cl.g_old, cl.g_write, write_g, s_g, 0))
        else:
            m.d.comb += self.digest.grad.eq(digest(np.zeros(s.layout.n_params, dtype=np.int64), s.grad_width))
        if s.k_m:
            files.append(("momentum", wm, cl.momentum_old, cl.momentum_next, write_theta, s_t, 0))
        for name, width, old, new, en, st, init in files:
            reg = Signal(DIGEST_BITS, init=init, name=f"digest_{name}")
            olds = elements(old, P, width, False)
            news = elements(new, P, width, False)
            mask, w = param_mask(st), weights(st)
            terms = []
            for p in range(P):  # (2i + 1)·(new − old) mod 2**32: sign-extended to 32 bits, then truncated
                term = Signal(DIGEST_BITS, name=f"digest_{name}_term{p}")
                m.d.comb += term.eq(Mux(mask[p], w[p] * (news[p] - olds[p]), 0))
                terms.append(term)
            with m.If(en):
                m.d.sync += reg.eq(reg + tree_sum(terms))
            m.d.comb += getattr(self.digest, name).eq(reg)
