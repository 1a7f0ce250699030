"""The float ↔ fixed bridge: from the float settings (Δθ, η, momentum γ) to shifts, and back.

Ref: ``docs/fixed_point_spec.md`` ("Real-unit meaning"), ``shared/design/MGD.md`` ("Multiplexing").

The float model's code-multiplexed step perturbs each of the N perturbation parameters by ``±a`` with
``a = Δθ/√N`` (N = parameters in weight mode, neurons in node mode) and moves a weight by
``η · Ĉ · s / (a N)`` per step (``e = Ĉ θ̃ / Δθ²``, ``θ −= η G``; node mode: times the synapse input).
The fixed model perturbs by ``±2**-k_p`` and moves a weight by ``2**(C_f − T_f − k_η)`` real units per unit of
accumulated ``s · Ĉ`` (``G`` counts cost LSBs ``2**-C_f``; ``v = G >> k_η`` counts θ LSBs). Equating:

* ``k_p = round(−log2(a))``, clamped to ``[0, T_f]`` (a perturbation must be at least one θ LSB);
* ``k_η = round(log2(a_q · N / η) + C_f − T_f)`` with ``a_q = 2**-k_p`` the amplitude actually used (so the
  real step per unit gradient matches the float η as closely as a power of two can), clamped to ``>= 0``;
* momentum ``γ``: ``k_m = round(−log2(1 − γ))`` (``γ = 1 − 2**-k_m``) when ``mgd.optimizer = "momentum"``;
  the fixed model's ``M`` accumulates G itself with decay γ and θ moves by ``round(M · 2**-k_η)``, so its
  steady-state step is ``2**k_m`` times the SGD step of the same ``k_η``, as the float ``M ← γM + ηg`` is
  ``1/(1 − γ)`` times ``ηg``: ``k_η`` maps from η exactly as without momentum.

τ_x, τ_p and τ_θ carry over unchanged (they are step counts in both models). :func:`fixed_to_float` states
the float settings a given fixed section is equivalent to (reported by ``mgd train --backend fixed``).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from golden_model.config import FixedConfig, MGDConfig, parse_qformat

__all__ = ["n_perturbed", "float_to_fixed", "fixed_to_float", "float_only_notes"]


def n_perturbed(config: MGDConfig) -> int:
    """N of the method: parameters (weight mode) or neurons (node mode)."""
    net = config.network
    return net.n_weights if config.mgd.perturbation == "weight" else net.n_neurons


def float_to_fixed(config: MGDConfig, **formats: Any) -> FixedConfig:
    """The ``fixed`` section equivalent to ``config``'s float settings.

    Parameters
    ----------
    config : MGDConfig
        Source of Δθ (``mgd.delta``), η (``mgd.eta``), γ (``mgd.momentum``), N and of every ``fixed`` field
        not computed here.
    **formats
        ``fixed`` fields to set first (e.g. ``theta="Q3.8"``); the shifts are computed for them.

    Returns
    -------
    FixedConfig
        ``config.fixed`` with ``amplitude_shift``, ``eta_shift`` and ``momentum_shift`` from the mapping in
        the module docstring.
    """
    fixed = dataclasses.replace(config.fixed, **formats) if formats else config.fixed
    _, _, t_f = parse_qformat("fixed.theta", fixed.theta)
    _, _, c_f = parse_qformat("fixed.cost", fixed.cost)
    n = n_perturbed(config)
    a = config.mgd.delta / math.sqrt(n)
    k_p = min(max(round(-math.log2(a)), 0), t_f)
    k_eta = max(round(math.log2(2.0 ** -k_p * n / config.mgd.eta) + c_f - t_f), 0)
    k_m = 0
    if config.mgd.optimizer == "momentum" and config.mgd.momentum > 0:
        k_m = min(max(round(-math.log2(1.0 - config.mgd.momentum)), 1), 16) if config.mgd.momentum < 1 else 16
    return dataclasses.replace(fixed, amplitude_shift=k_p, eta_shift=k_eta, momentum_shift=k_m)


def fixed_to_float(config: MGDConfig) -> dict[str, float]:
    """The float settings ``config.fixed`` is equivalent to: ``delta``, ``eta``, ``momentum`` and the
    per-parameter amplitude ``a``, with N."""
    f = config.fixed
    _, _, t_f = parse_qformat("fixed.theta", f.theta)
    _, _, c_f = parse_qformat("fixed.cost", f.cost)
    n = n_perturbed(config)
    a = 2.0 ** -f.amplitude_shift
    return {
        "N": n,
        "a": a,
        "delta": a * math.sqrt(n),
        "eta": 2.0 ** (c_f - t_f - f.eta_shift) * a * n,
        "momentum": 1.0 - 2.0 ** -f.momentum_shift if f.momentum_shift else 0.0,
    }


def float_only_notes(config: MGDConfig) -> list[str]:
    """Notes on ``config``'s optimizer settings that the fixed-point model and the RTL do not follow.

    They update with SGD, or with shift momentum when ``fixed.momentum_shift > 0``; ``mgd.optimizer`` and
    ``mgd.momentum`` are float-model settings (:func:`float_to_fixed` maps γ to a shift). A note is given
    when the float optimizer differs from what the hardware does, so a user is not misled by a preset that
    says Adam. Empty when they agree.
    """
    m, k_m = config.mgd, config.fixed.momentum_shift
    hardware = (f"shift momentum (fixed.momentum_shift = {k_m}, gamma = {1 - 2.0 ** -k_m:g})" if k_m
                else "plain SGD (fixed.momentum_shift = 0)")
    if m.optimizer == "adam" or (m.optimizer == "momentum" and not k_m):
        shift = float_to_fixed(config).momentum_shift
        hint = (f"; mgd.momentum = {m.momentum:g} maps to --set fixed.momentum_shift={shift}"
                if m.optimizer == "momentum" and shift else "")
        return [f"mgd.optimizer = {m.optimizer!r} applies to the float model only: the fixed-point model "
                f"and the RTL update with {hardware}{hint}"]
    return []
