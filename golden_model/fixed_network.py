"""The fixed-point MLP datapath: formats and widths of one config, activation, forward pass, cost.

Ref: ``docs/fixed_point_spec.md`` ("Forward pass", "Cost"). These are the pure golden twins of the RTL's
``Network`` and ``CostUnit`` blocks: integers in, integers out, int64 NumPy, no state. The MGD step
(controller, correlator, update) is in :mod:`golden_model.fixed_mgd`.

Units: θ has ``T_f`` fraction bits, activations (inputs, neuron outputs, targets) ``A_f``, the cost ``C_f``;
the pre-activation ``z`` is exact with ``T_f + A_f`` fraction bits. :class:`FixedSpec` holds those numbers
for one :class:`~golden_model.config.MGDConfig`, checks what the hardware cannot do, and states the width
every register needs (:meth:`FixedSpec.widths`) so nothing overflows silently: the only saturations in the
datapath are the activation's clamp (part of the function), the cost register (``fixed.overflow``, and only
if ``fixed.cost`` is narrower than the worst-case cost, which :meth:`FixedSpec.widths` reports), the
gradient accumulator G (proved not to overflow within τ_θ steps, else the config is rejected), the
momentum register and θ itself (``fixed.overflow``: θ saturates at its rails on purpose).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from golden_model.config import ConfigError, MGDConfig
from golden_model.faults import amplitude, stuck_indices
from golden_model.params import ParamLayout
from golden_model.qformat import QFormat, fit, round_shift

__all__ = ["FixedSpec", "activation", "forward", "cost", "quantize_data"]

_INT64_SAFE_BITS = 62  # every intermediate must fit in 62 bits incl. sign, leaving int64 headroom


def _bits_signed(bound: int) -> int:
    """Bits of a two's complement register holding every value in ``[-bound, bound]``."""
    return bound.bit_length() + 1


@dataclass(frozen=True)
class FixedSpec:
    """Everything the fixed-point model and the RTL derive from one config (build with :meth:`from_config`).

    Attributes
    ----------
    layers : tuple of int
    perturbation : {"weight", "node"}
    theta, act, cost_fmt : QFormat
        Formats of θ, of activations/inputs/targets and of the cost register, each carrying
        ``fixed.rounding`` and ``fixed.overflow``.
    hw_activation, cost_kind : str
    k_p, k_eta, k_m : int
        Amplitude, update and momentum shifts (``fixed.amplitude_shift``, ``eta_shift``, ``momentum_shift``).
    grad_width, lfsr_width : int
    rounding, overflow : str
    tau_x, tau_p, tau_theta : int
    seed : int
        ``mgd.seed`` (θ₀ and the sign bank's base seed derive from it).
    """

    layers: tuple[int, ...]
    perturbation: str
    theta: QFormat
    act: QFormat
    cost_fmt: QFormat
    hw_activation: str
    cost_kind: str
    k_p: int
    k_eta: int
    k_m: int
    grad_width: int
    lfsr_width: int
    rounding: str
    overflow: str
    tau_x: int
    tau_p: int
    tau_theta: int
    seed: int
    init_scale: float
    # faults (spec "Faults", golden_model.faults): noise draws of b bits and shift s (b = 0: off), and the
    # canonical indices of the stuck parameters
    cost_noise_bits: int = 0
    cost_noise_shift: int = 0
    update_noise_bits: int = 0
    update_noise_shift: int = 0
    stuck: tuple[int, ...] = ()

    # ---- construction and checks -------------------------------------------------------------------
    @classmethod
    def from_config(cls, config: MGDConfig) -> FixedSpec:
        """Derive and check; raises :class:`ConfigError` for what the fixed model / hardware cannot do.

        Checks beyond :class:`~golden_model.config.FixedConfig`'s own (which need other sections):
        ``network.cost`` must be ``mse`` or ``l1``; ``mgd.multiplexing`` ``code`` (LFSR signs);
        ``mgd.cost_change`` ``digital``; every ``noise`` field 0 (the float model's Gaussian noise; the fixed
        model's own faults are the ``fixed`` fault fields, spec "Faults"); ``fixed.stuck_params`` below N;
        every intermediate
        within 62 bits; and G must not overflow within τ_θ steps (:meth:`widths`), whatever
        ``fixed.overflow``: wrap would corrupt the gradient and saturation would bias it, so both are
        rejected.
        """
        f, m, net = config.fixed, config.mgd, config.network
        if net.cost not in ("mse", "l1"):
            raise ConfigError(f"network.cost must be 'mse' or 'l1' for the fixed-point model "
                              f"(cross_entropy is float-only), not {net.cost!r}")
        if m.multiplexing != "code":
            raise ConfigError(f"mgd.multiplexing must be 'code' (LFSR signs) for the fixed-point model, "
                              f"not {m.multiplexing!r}")
        if m.cost_change != "digital":
            raise ConfigError(f"mgd.cost_change must be 'digital' (baseline pass) for the fixed-point model, "
                              f"not {m.cost_change!r}")
        for name, value in vars(config.noise).items():
            if value != 0:
                twin = {"cost_sigma": "; its integer twin is fixed.cost_noise_bits",
                        "update_sigma": "; its integer twin is fixed.update_noise_bits"}.get(name, "")
                raise ConfigError(f"noise.{name} must be 0 for the fixed-point model (the Gaussian noise is "
                                  f"float-only{twin}), "
                                  f"not {value!r}")
        theta = QFormat.parse(f.theta, rounding=f.rounding, overflow=f.overflow, name="fixed.theta")
        act = QFormat.parse(f.activation, rounding=f.rounding, overflow=f.overflow, name="fixed.activation")
        cost_fmt = QFormat.parse(f.cost, rounding=f.rounding, overflow=f.overflow, name="fixed.cost")
        n_params = ParamLayout(tuple(net.layers)).n_params
        bad = [i for i in f.stuck_params if i >= n_params]
        if bad:
            raise ConfigError(f"fixed.stuck_params must hold parameter indices below {n_params} (the network "
                              f"{list(net.layers)} has {n_params} parameters), not {bad[0]}")
        stuck = stuck_indices(n_params, f.stuck_fraction, f.stuck_params, m.seed, f.stuck_seed)
        spec = cls(tuple(net.layers), m.perturbation, theta, act, cost_fmt, f.hw_activation, net.cost,
                   f.amplitude_shift, f.eta_shift, f.momentum_shift, f.grad_width, f.lfsr_width,
                   f.rounding, f.overflow, m.tau_x, m.tau_p, m.tau_theta, m.seed, net.init_scale,
                   f.cost_noise_bits, f.cost_noise_shift, f.update_noise_bits, f.update_noise_shift, stuck)
        w = spec.widths()
        if max(w["z"], w["C_exact"], w["node_product"], w["M"] + 1) > _INT64_SAFE_BITS:
            raise ConfigError(f"fixed formats must keep every intermediate within {_INT64_SAFE_BITS} bits, "
                              f"not {w}")
        if w["G"] > f.grad_width:
            raise ConfigError(
                f"fixed.grad_width must be at least {w['G']} bits (G could reach ±{w['G_bound']} within "
                f"tau_theta = {m.tau_theta} steps of |C_hat| <= {w['C_max']} cost LSBs; it would "
                f"{'wrap' if f.overflow == 'wrap' else 'saturate'} and corrupt the gradient), "
                f"not {f.grad_width}")
        return spec

    @classmethod
    def min_grad_width(cls, config: MGDConfig) -> int:
        """The fewest bits of G that :meth:`from_config` accepts for ``config`` (``widths()["G"]``: G cannot
        overflow within τ_θ steps); raises what ``from_config`` raises for any other field."""
        wide = config.replace(fixed=dataclasses.replace(config.fixed, grad_width=64))
        return cls.from_config(wide).widths()["G"]

    # ---- derived numbers -----------------------------------------------------------------------------
    @property
    def T_f(self) -> int:
        return self.theta.frac_bits

    @property
    def A_f(self) -> int:
        return self.act.frac_bits

    @property
    def C_f(self) -> int:
        return self.cost_fmt.frac_bits

    @property
    def layout(self) -> ParamLayout:
        return ParamLayout(self.layers)

    @property
    def base_seed(self) -> int:
        """The sign bank's base seed, ``mgd.seed % (2**lfsr_width - 1) + 1`` (spec: "Perturbation signs")."""
        return self.seed % ((1 << self.lfsr_width) - 1) + 1

    @property
    def cost_noise_amplitude(self) -> int:
        """Largest |cost noise| of a read, cost LSBs (0: off; ``golden_model.faults.amplitude``)."""
        return amplitude(self.cost_noise_bits, self.cost_noise_shift)

    @property
    def has_faults(self) -> bool:
        """Any fault on (cost noise, update noise, stuck parameters)."""
        return bool(self.cost_noise_bits or self.update_noise_bits or self.stuck)

    @property
    def stuck_mask(self) -> np.ndarray:
        """Per parameter (canonical order), True when it is stuck at θ₀ (bool array)."""
        mask = np.zeros(self.layout.n_params, dtype=bool)
        mask[list(self.stuck)] = True
        return mask

    @property
    def n_lanes(self) -> int:
        """Sign lanes: one per parameter (weight mode) or per neuron (node mode)."""
        return self.layout.n_params if self.perturbation == "weight" else self.layout.n_neurons

    @property
    def cost_frac_exact(self) -> int:
        """Fraction bits F of the exact cost: ``2 A_f`` (mse) or ``A_f`` (l1)."""
        return 2 * self.A_f if self.cost_kind == "mse" else self.A_f

    @property
    def weight_amplitude(self) -> int:
        """Weight perturbation in θ LSBs, ``2**(T_f - k_p)``."""
        return 1 << (self.T_f - self.k_p)

    @property
    def node_amplitude(self) -> int:
        """Node perturbation in z LSBs, ``2**(T_f + A_f - k_p)``."""
        return 1 << (self.T_f + self.A_f - self.k_p)

    @property
    def momentum_width(self) -> int:
        """Bits of the momentum register M (signed): ``min(W_G, widths()["G"]) + k_m``, exactly enough.

        M is in G units (cost LSBs, times one activation in node mode) and becomes ``M − d + G`` with the
        decay ``d = M · 2**-k_m`` rounded away from zero (spec step 6). ``M − d`` is nondecreasing in M and
        ``|M − d| <= |M|``, so with ``|G| <= B`` the interval ``|M| <= 2**k_m · B`` maps into itself
        (``2**k_m·B − B + B``), and so does a ``w + k_m``-bit register for G in a ``w``-bit range (at the
        top ``d = 2**(w-1)``: M − 2**(w-1) + G <= M − 1). G is in ``W_G`` bits, and in every accepted config
        also within ``G_bound``, i.e. in ``widths()["G"]`` bits: either proves that M never overflows.
        A constant G = −B drives M to −2**k_m · B exactly: no narrower register would do. (Without momentum
        there is no M; the formula still gives a width, as with ``k_m = 0`` the rule would be M = G.)
        """
        return min(self.grad_width, self.widths()["G"]) + self.k_m

    def activation_range(self) -> tuple[int, int]:
        """``(lo, hi)`` of a neuron output, in activation LSBs."""
        one = 1 << self.A_f
        return {"hard_sigmoid": (0, one), "clipped_relu": (0, one), "relu": (0, self.act.max_int),
                "hard_tanh": (-one, one)}[self.hw_activation]

    def widths(self) -> dict[str, int]:
        """Worst-case widths (bits incl. sign where signed) of every register and intermediate.

        ``theta_perturbed`` θ ± amplitude; ``z`` the pre-activation accumulator; ``C_exact`` the exact cost;
        ``C`` the cost register (``fixed.cost``); ``C_max`` the largest cost in cost LSBs (worst case
        ``n_out · max|y - t|²``, plus the cost-noise amplitude of a noisy read, capped by the register);
        ``C_hat`` = C − C0; ``node_product`` the node-mode
        product ``s·C_hat·a``; ``G_step_bound`` the largest |term| one step adds to G;
        ``G_bound``/``G`` the largest |G| within τ_θ steps and the width it needs;
        ``M_bound``/``M`` the largest |M| (``2**k_m · G_bound``) and the momentum register's width
        (:attr:`momentum_width`, which proves it never overflows); both 0 without momentum.
        """
        one = 1 << self.A_f
        lo, hi = self.activation_range()
        a_max = max(one, hi, -lo, self.act.max_int if self.hw_activation == "relu" else 0)
        w_max = max(-self.theta.min_int, self.theta.max_int) + self.weight_amplitude
        z_bound = 0
        for n_in in self.layers[:-1]:
            z_bound = max(z_bound, n_in * w_max * a_max + w_max * one + self.node_amplitude)
        d_max = max(hi, one - lo)  # targets are in [0, 1]
        n_out = self.layers[-1]
        c_exact = n_out * (d_max * d_max if self.cost_kind == "mse" else d_max)
        shift = self.cost_frac_exact - self.C_f
        c_max = min(self.cost_fmt.max_int,  # ceil: any rounding; a noisy read adds up to the amplitude
                    (-((-c_exact) >> shift) if shift > 0 else c_exact << -shift) + self.cost_noise_amplitude)
        if self.perturbation == "weight":
            step_bound = c_max
        else:
            step_bound = -((-c_max * a_max) >> self.A_f)  # ceil(|C_hat|·a / 2^A_f)
        g_bound = self.tau_theta * step_bound
        return {
            "theta": self.theta.width,
            "theta_perturbed": self.theta.width + 1,
            "activation": self.act.width,
            "z": _bits_signed(z_bound),
            "C_exact": c_exact.bit_length(),
            "C": self.cost_fmt.width,
            "C_max": c_max,
            "C_hat": self.cost_fmt.width + 1,
            "node_product": _bits_signed(c_max * a_max),
            "G_step_bound": step_bound,
            "G_bound": g_bound,
            "G": _bits_signed(g_bound),
            "M_bound": g_bound << self.k_m if self.k_m else 0,
            "M": min(self.grad_width, _bits_signed(g_bound)) + self.k_m if self.k_m else 0,
        }

    def describe(self) -> str:
        """Human-readable summary, one line per item."""
        w = self.widths()
        return "\n".join([
            f"theta {self.theta.describe()}, activation {self.act.describe()}, "
            f"cost {self.cost_fmt.describe()}",
            f"{self.hw_activation}, {self.cost_kind}, {self.perturbation} perturbation ±2^-{self.k_p}, "
            f"eta_shift {self.k_eta}, momentum_shift {self.k_m}, tau_x/p/theta {self.tau_x}/{self.tau_p}/"
            f"{self.tau_theta}",
            "widths: " + ", ".join(f"{k}={v}" for k, v in w.items()) + f" (G register {self.grad_width})",
        ])


def quantize_data(x: np.ndarray, spec: FixedSpec) -> np.ndarray:
    """Inputs/targets in [0, 1] to the activation format: ``sat(round_half_up(x · 2**A_f))`` (spec: data)."""
    return spec.act.with_modes("half_up", "saturate").from_real(x)


def activation(z: np.ndarray, spec: FixedSpec) -> np.ndarray:
    """``fixed.hw_activation`` of a pre-activation with ``T_f + A_f`` fraction bits, to ``A_f`` fraction bits.

    Rounding ``fixed.rounding``; the clamp is part of the function (no overflow mode involved).
    """
    one = 1 << spec.A_f
    if spec.hw_activation == "hard_sigmoid":  # clamp(z/4 + 1/2, 0, 1)
        return np.clip(round_shift(z, spec.T_f + 2, spec.rounding) + (one >> 1), 0, one)
    r = round_shift(z, spec.T_f, spec.rounding)
    lo, hi = spec.activation_range()
    return np.clip(r, lo, hi)


def forward(blocks: list[np.ndarray], a: np.ndarray, spec: FixedSpec,
            node_perturbation: list[np.ndarray] | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
    """One inference of the fixed-point MLP, batched over rows of ``a``.

    Parameters
    ----------
    blocks : list of numpy.ndarray of int64
        Per layer, ``(n_out, n_in + 1)``: weights then bias, θ LSBs (``ParamLayout.unflatten``); for weight
        perturbation pass the already perturbed θ (``θ + s·2**(T_f-k_p)``, exact, one bit wider than θ).
    a : numpy.ndarray of int64, shape (batch, n_in)
        Network input, activation LSBs.
    node_perturbation : list of numpy.ndarray of int64, optional
        Per layer, ``(n_out,)`` or ``(batch, n_out)`` added to z exactly (``s_j · 2**(T_f + A_f - k_p)``).

    Returns
    -------
    y : numpy.ndarray of int64, shape (batch, n_out)
        Output layer activations.
    inputs : list of numpy.ndarray
        Each layer's input (``inputs[0] is a``), as the node-mode correlator uses them.
    """
    inputs = []
    for layer, wb in enumerate(blocks):
        inputs.append(a)
        n_in = wb.shape[1] - 1
        z = a @ wb[:, :n_in].T + (wb[:, n_in] << spec.A_f)  # exact, T_f + A_f fraction bits
        if node_perturbation is not None:
            z = z + node_perturbation[layer]
        a = activation(z, spec)
    return a, inputs


def cost(y: np.ndarray, t: np.ndarray, spec: FixedSpec) -> np.ndarray:
    """Cost register value(s) ``C = sat_O(round_R(C_exact, F - C_f), fixed.cost)``, summed over outputs.

    ``mse``: ``C_exact = Σ (y - t)²`` (F = 2 A_f, no ½, no mean); ``l1``: ``Σ |y - t|`` (F = A_f).
    """
    d = y - t
    c_exact = (d * d).sum(axis=-1) if spec.cost_kind == "mse" else np.abs(d).sum(axis=-1)
    return fit(round_shift(c_exact, spec.cost_frac_exact - spec.C_f, spec.rounding),
               spec.cost_fmt.width, False, spec.overflow)
