"""The cost unit (C of one pass) and the baseline register (C0, Ĉ = C − C0).

Ref: ``docs/fixed_point_spec.md`` ("Cost"; "One step n", steps 2 and 4); golden twin
:func:`golden_model.fixed_network.cost`.

The two are separate components because a chip-in-the-loop trainer receives C from outside hardware and
still needs the baseline: :class:`rtl.spatial.trainer.MGDTrainer` holds the :class:`Baseline`, while
:class:`CostUnit` belongs to the core's datapath.
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden_model.fixed_network import FixedSpec
from rtl._validate import rejecting
from rtl.arith import fit, overflows, round_shift
from rtl.pipeline import elements, flat_width

__all__ = ["CostUnit", "Baseline"]


def _as_signed(v):
    """``v`` as a signed value of the same numeric value (zero-extended first if unsigned)."""
    return v if v.shape().signed else Cat(v, Const(0, 1)).as_signed()


class CostUnit(wiring.Component):
    """Cost of one pass: ``C = sat_O(round_R(C_exact, F - C_f), fixed.cost)``, one registered stage.

    ``mse``: ``C_exact = Σ_k (y_k - t_k)**2`` (F = 2 A_f); ``l1``: ``Σ_k |y_k - t_k|`` (F = A_f).

    Parameters
    ----------
    spec : FixedSpec

    Attributes
    ----------
    valid : In(1)
        ``y`` and ``t`` hold a pass this cycle.
    y, t : In(n_out * W_a)
        Network outputs and targets, activation format, flat.
    cost_valid : Out(1)
    cost : Out(unsigned(W_C))
        The pass's cost, ``C_f`` fraction bits.
    overflow : Out(1)
        The narrowing to ``fixed.cost`` saturated (or wrapped) for this pass.

    Latency 1.
    """

    def __init__(self, *, spec: FixedSpec) -> None:
        with rejecting(self):
            if not isinstance(spec, FixedSpec):
                raise TypeError(f"CostUnit spec must be a FixedSpec, not {spec!r}")
            self._spec = spec
            n, wa = spec.layers[-1], spec.act.width
        super().__init__({"valid": In(1), "y": In(flat_width(n, wa)), "t": In(flat_width(n, wa)),
                          "cost_valid": Out(1), "cost": Out(unsigned(spec.cost_fmt.width)),
                          "overflow": Out(1)})

    @property
    def spec(self) -> FixedSpec:
        return self._spec

    @property
    def latency(self) -> int:
        return 1

    def elaborate(self, platform: object) -> Module:
        m = Module()
        s = self._spec
        n, wa = s.layers[-1], s.act.width
        ys = elements(self.y, n, wa, s.act.signed)
        ts = elements(self.t, n, wa, s.act.signed)
        terms = []
        for y, t in zip(ys, ts):
            d = _as_signed(y) - _as_signed(t)
            terms.append(d * d if s.cost_kind == "mse" else Mux(d < 0, -d, d))
        c_exact = terms[0]
        for term in terms[1:]:
            c_exact = c_exact + term
        c_round = round_shift(c_exact, s.cost_frac_exact - s.C_f, s.rounding)
        m.d.sync += [self.cost.eq(fit(c_round, s.cost_fmt.width, False, s.overflow)),
                     self.overflow.eq(overflows(c_round, s.cost_fmt.width, False) & self.valid),
                     self.cost_valid.eq(self.valid)]
        return m


class Baseline(wiring.Component):
    """The baseline register C0 and the cost change ``Ĉ = C − C0`` (exact, ``W_C + 1`` bits signed).

    Parameters
    ----------
    cost_width : int
        ``W_C``, width of the unsigned cost.

    Attributes
    ----------
    valid : In(1)
        ``cost`` holds a pass's cost this cycle.
    baseline : In(1)
        That pass is a baseline (unperturbed) pass: ``C0 ← C`` at the clock edge.
    cost : In(unsigned(W_C))
    c0 : Out(unsigned(W_C))
        The baseline register.
    c_hat : Out(signed(W_C + 1))
        ``cost - c0`` (combinational; meaningful for a perturbed pass).

    Latency: ``c_hat`` is combinational; ``c0`` updates one clock after a baseline pass.
    """

    def __init__(self, *, cost_width: int) -> None:
        with rejecting(self):
            if not isinstance(cost_width, int) or isinstance(cost_width, bool) or cost_width < 1:
                raise ValueError(f"Baseline cost_width must be a positive integer, not {cost_width!r}")
            self._cost_width = cost_width
        super().__init__({"valid": In(1), "baseline": In(1), "cost": In(unsigned(cost_width)),
                          "c0": Out(unsigned(cost_width)), "c_hat": Out(signed(cost_width + 1))})

    @property
    def cost_width(self) -> int:
        return self._cost_width

    def elaborate(self, platform: object) -> Module:
        m = Module()
        c0 = Signal(unsigned(self._cost_width))
        with m.If(self.valid & self.baseline):
            m.d.sync += c0.eq(self.cost)
        m.d.comb += [self.c0.eq(c0), self.c_hat.eq(_as_signed(self.cost) - _as_signed(c0))]
        return m
