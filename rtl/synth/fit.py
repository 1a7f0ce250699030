"""Does a design fit a part? The checks the synthesis flow makes before Yosys (from what a core says it
builds) and right after it (from the cells Yosys mapped), so that a design that cannot fit is refused with
one clear message instead of a long nextpnr run that fails.

Ref: :meth:`rtl.contract.MGDCoreBase.resources` (multipliers and memories of a core, from its config);
:class:`rtl.synth.targets.Target` (the part's DSP blocks, block RAM and SPRAM).

Before Yosys (:func:`check_resources`), for a block that answers ``resources()``:

* **multipliers**: each :class:`~rtl.contract.MultiplierUse` costs :meth:`Target.dsp_blocks` blocks (Yosys
  maps every multiplier onto DSP blocks, there is no fallback to LUTs when they run out);
* **block RAM**: the bits of the memories the core puts in block RAM against the part's block RAM bits
  (a necessary condition: a memory whose width does not match a block's shape wastes some of it, which
  the check after Yosys catches);
* **SPRAM** (a part that has it, the iCE40 UP5K): the memories the core asks to be in SPRAM (``spram``: the
  streamed sample store) count against its blocks instead of block RAM, in whole blocks of their one shape
  (16 bits x 16,384 words: a bank of ``W`` bits and ``D`` words takes ``⌈W/16⌉·⌈D/16384⌉``); on a part
  without SPRAM they are block RAM like the others.

A refusal names the config field to change, its value and what the part allows: ``hardware.lanes`` (with
the largest P that fits, when fewer lanes would), ``network.layers`` (when no P would), or
``task.dataset`` (when the sample ROMs alone leave no room, or the streamed sample store needs more SPRAM
than the part has even at one lane: the training set is what does not fit).

After Yosys (:func:`check_cells`): mapped multiplier, block RAM and SPRAM cells against the part's counts.
"""

from __future__ import annotations

from rtl.contract import CoreResources, MemoryUse
from rtl.synth.targets import DoesNotFitError, Target

__all__ = ["check_resources", "check_cells", "dsp_needed", "spram_needed", "largest_lanes"]


def dsp_needed(res: CoreResources, tgt: Target) -> tuple[int, list[str]]:
    """Multiplier blocks ``res`` needs on ``tgt`` and a breakdown (one phrase per kind)."""
    total, parts = 0, []
    for use in res.multipliers:
        blocks = use.count * tgt.dsp_blocks(use.a_width, use.b_width)
        total += blocks
        parts.append(f"{blocks} for {use.count} {use.what}")
    return total, parts


def _in_spram(mem: MemoryUse, tgt: Target) -> bool:
    return mem.spram and tgt.spram is not None


def _in_bram(mem: MemoryUse, tgt: Target) -> bool:
    return mem.block and not _in_spram(mem, tgt)


def spram_needed(res: CoreResources, tgt: Target) -> tuple[int, list[str]]:
    """SPRAM blocks the ``spram`` memories of ``res`` take on ``tgt`` (0 on a part without SPRAM) and a
    breakdown (one phrase per memory)."""
    total, parts = 0, []
    for mem in res.memories:
        if _in_spram(mem, tgt):
            sp = tgt.spram
            deep = -(-mem.depth // mem.banks)  # words of a bank (the last may be shorter)
            blocks = mem.banks * -(-mem.width // sp.width) * -(-deep // sp.depth)
            total += blocks
            parts.append(f"{blocks} for {mem.name} ({mem.depth:,} words of {mem.width} bits, {mem.banks} "
                         f"bank{'s' if mem.banks > 1 else ''})")
    return total, parts


def _block_bits(res: CoreResources, tgt: Target) -> int:
    """Bits of the memories that go to ``tgt``'s block RAM (the ``spram`` ones go to its SPRAM if any)."""
    return sum(mem.bits for mem in res.memories if _in_bram(mem, tgt))


def _dsp_ok(res: CoreResources, tgt: Target) -> bool:
    return dsp_needed(res, tgt)[0] <= tgt.dsp[2]


def _bram_ok(res: CoreResources, tgt: Target) -> bool:
    return _block_bits(res, tgt) <= tgt.bram.total_bits


def _spram_ok(res: CoreResources, tgt: Target) -> bool:
    return tgt.spram is None or spram_needed(res, tgt)[0] <= tgt.spram.count


def _fits(res: CoreResources, tgt: Target) -> bool:
    return _dsp_ok(res, tgt) and _bram_ok(res, tgt) and _spram_ok(res, tgt)


def _largest_lanes(res: CoreResources, tgt: Target) -> int | None:
    """The largest P below ``res.lanes`` that the core can build (a folded core refuses a P it cannot fold
    as PE x SIMD) and at which it fits ``tgt``, or None."""
    if res.at_lanes is None or res.lanes is None:
        return None
    for p in range(res.lanes - 1, 0, -1):
        try:
            fewer = res.at_lanes(p)
        except ValueError:  # a P the core cannot fold onto these layers (golden_model.schedule.fold)
            continue
        if _fits(fewer, tgt):
            return p
    return None


def largest_lanes(res: CoreResources, tgt: Target) -> int | None:
    """The largest P up to ``res.lanes`` at which the core (as built at ``res.lanes``, resized with
    ``res.at_lanes``) fits ``tgt``: ``res.lanes`` itself when it fits, else :func:`_largest_lanes`; None for a
    core without lanes that does not fit, or when no P fits."""
    if _fits(res, tgt):
        return res.lanes
    return _largest_lanes(res, tgt)


def _where(top: str, tgt: Target) -> str:
    return f"design {top!r} does not fit {tgt.name} ({tgt.part})"


def check_resources(res: CoreResources, tgt: Target, top: str) -> None:
    """Refuse (:class:`DoesNotFitError`) a core whose multipliers, block RAM bits or SPRAM blocks exceed
    ``tgt``'s.

    The message names ``hardware.lanes`` when fewer lanes fit (the largest such P); else the resource that
    does not fit even at one lane: ``task.dataset`` when the sample ROMs are what overflows the block RAM or
    the streamed sample store the SPRAM, else ``network.layers``.
    """
    cell, bel, available = tgt.dsp
    ram = tgt.bram
    at = f"at hardware.lanes = {res.lanes} " if res.lanes is not None else ""

    def dsp_need(r: CoreResources) -> str:
        used, parts = dsp_needed(r, tgt)
        return f"{at}the core needs {used} {cell}: {', '.join(parts)}; the part has {available}"

    def bram_need(r: CoreResources) -> str:
        per = ", ".join(f"{mem.name} {mem.bits:,}" for mem in r.memories if _in_bram(mem, tgt))
        return (f"{at}the core needs {_block_bits(r, tgt):,} bits of block RAM ({per}); the part has "
                f"{ram.count} {ram.cell} of {ram.bits:,} bits")

    def spram_need(r: CoreResources) -> str:
        used, parts = spram_needed(r, tgt)
        sp = tgt.spram
        return f"{at}the core needs {used} {sp.cell}: {', '.join(parts)}; the part has {sp.count}"

    dsp_ok, bram_ok, spram_ok = _dsp_ok(res, tgt), _bram_ok(res, tgt), _spram_ok(res, tgt)
    if dsp_ok and bram_ok and spram_ok:
        return
    dsp_over = [(bel, dsp_needed(res, tgt)[0], available)]
    bram_over = [(f"{ram.bel} bits", _block_bits(res, tgt), ram.total_bits)]
    spram_over = [] if tgt.spram is None else [(tgt.spram.bel, spram_needed(res, tgt)[0], tgt.spram.count)]
    best = _largest_lanes(res, tgt)
    if best is not None:
        need = "; ".join(([] if dsp_ok else [dsp_need(res)]) + ([] if bram_ok else [bram_need(res)])
                         + ([] if spram_ok else [spram_need(res)]))
        over = (([] if dsp_ok else dsp_over) + ([] if bram_ok else bram_over)
                + ([] if spram_ok else spram_over))
        raise DoesNotFitError(f"{_where(top, tgt)}: hardware.lanes must be at most {best} on {tgt.name}, not "
                              f"{res.lanes} ({need})", over)
    lowest = res.at_lanes(1) if res.at_lanes is not None else res
    even = " even at hardware.lanes = 1" if res.lanes is not None else ""
    value = list(res.layers) if res.layers else "this network"
    # the resource to name: of those over here, the first (SPRAM, block RAM, multipliers) that is over at one
    # lane too, else the first over here
    over_here = [k for k, ok in (("spram", spram_ok), ("bram", bram_ok), ("dsp", dsp_ok)) if not ok]
    over_low = {"spram": not _spram_ok(lowest, tgt), "bram": not _bram_ok(lowest, tgt),
                "dsp": not _dsp_ok(lowest, tgt)}
    name = next((k for k in over_here if over_low[k]), over_here[0])
    if name == "spram":  # the streamed sample store is all the SPRAM holds: the training set does not fit
        sp = tgt.spram
        raise DoesNotFitError(
            f"{_where(top, tgt)}: task.dataset must be a training set whose streamed sample store fits the "
            f"{sp.count} {sp.cell} ({sp.width} bits x {sp.depth:,} words each) of {tgt.name}{even}, not "
            f"{res.training_set or 'this one'} ({spram_need(res)})", spram_over)
    if name == "bram":
        rest = sum(mem.bits for mem in lowest.memories if _in_bram(mem, tgt) and not mem.samples)
        if rest <= ram.total_bits:  # the training set is what does not fit
            samples = sum(mem.bits for mem in res.memories if _in_bram(mem, tgt) and mem.samples)
            raise DoesNotFitError(
                f"{_where(top, tgt)}: task.dataset must be a training set whose sample ROMs fit the "
                f"{ram.total_bits - rest:,} bits of block RAM the rest of the core leaves on {tgt.name}"
                f"{even}, not {res.training_set or 'this one'}, whose sample ROMs take {samples:,} bits "
                f"({bram_need(res)})", bram_over)
        raise DoesNotFitError(f"{_where(top, tgt)}: network.layers must be a network whose memories fit the "
                              f"{ram.total_bits:,} bits of block RAM of {tgt.name}{even}, not {value} "
                              f"({bram_need(res)})", bram_over)
    raise DoesNotFitError(f"{_where(top, tgt)}: network.layers must be a network whose multipliers fit the "
                          f"{available} {cell} of {tgt.name}{even}, not {value} ({dsp_need(res)})", dsp_over)


def check_cells(cells: dict[str, int], tgt: Target, top: str) -> None:
    """Refuse a netlist whose multiplier, block RAM or SPRAM cells exceed ``tgt``'s (nextpnr could only
    fail)."""
    blocks = [tgt.dsp, (tgt.bram.cell, tgt.bram.bel, tgt.bram.count)]
    if tgt.spram is not None:
        blocks.append((tgt.spram.cell, tgt.spram.bel, tgt.spram.count))
    over = [(cell, bel, cells.get(cell, 0), available) for cell, bel, available in blocks
            if cells.get(cell, 0) > available]
    if over:
        detail = "; ".join(f"{bel} used {used}, available {available} ({100.0 * used / available:.0f} %; "
                           f"Yosys mapped {used} {cell})" for cell, bel, used, available in over)
        raise DoesNotFitError(f"{_where(top, tgt)}: {detail}", [(bel, u, a) for _, bel, u, a in over])
