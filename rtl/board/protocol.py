"""The UART host protocol of a board bitstream (version 1): one owner of its codes and frame layouts,
shared by the link engine (:mod:`rtl.board.link`) and the host driver (:mod:`rtl.board.host`).

Ref: ``README.md`` ("Boards"); :mod:`rtl.contract` (the core's host contract, which this protocol carries).

Line: UART 8N1, least significant bit first; the host sends, the board answers. Every multi-byte field is
little-endian; θ, G and M are two's complement, sign-extended to whole bytes.

A command is one command byte and its fixed-length arguments. Every reply starts with a status byte:
:data:`OK` (0), then the command's payload; or an error code, then one detail byte, and nothing else.

====  ========  ===========================  ================================================================
byte  command   arguments                    OK payload
====  ========  ===========================  ================================================================
0x49  IDENTIFY  --                           :data:`IDENTIFY_FIELDS` (version, n_params, widths, config id)
0x53  STATUS    --                           :data:`STATUS_FIELDS` (busy, step, updates, C, C0, sample,
                                             sat_events, cycles, refused); consistent only when busy = 0
0x52  RUN       n_steps u32, τ_x u32,        nothing. The core's ``start`` with these; an error
                τ_p u32, τ_θ u32             :data:`ERR_REFUSED` with ``status.refused`` as detail if refused
0x50  STOP      --                           nothing (``ctrl.stop``: the run ends after the step in progress)
0x54  READ      first u16, count u16         for each index: θ, G, M (bytes of :func:`param_bytes`)
0x4C  LOAD      count u32                    only a core with a ``load`` port, count = load_beats: the board
                                             answers OK, then takes ``count`` words of ``load_bytes`` bytes,
                                             then answers OK again (``loaded`` = count)
====  ========  ===========================  ================================================================

Errors: :data:`ERR_UNKNOWN` (detail: the byte), :data:`ERR_BUSY` (RUN, READ, LOAD while a run is in
progress), :data:`ERR_RANGE` (READ past n_params, LOAD count other than load_beats), :data:`ERR_NO_LOAD`
(LOAD to a core whose sample store is in the bitstream), :data:`ERR_REFUSED`, :data:`ERR_NOT_LOADED` (RUN
to a core with a ``load`` port before a complete LOAD: the core would ignore the start).
"""

from __future__ import annotations

import hashlib

__all__ = ["VERSION", "IDENTIFY", "STATUS", "RUN", "STOP", "READ", "LOAD", "ARG_BYTES", "OK", "ERR_UNKNOWN",
           "ERR_BUSY", "ERR_RANGE", "ERR_NO_LOAD", "ERR_REFUSED", "ERR_NOT_LOADED", "ERRORS",
           "IDENTIFY_FIELDS", "STATUS_FIELDS", "MIN_CLOCKS_PER_BIT", "MAX_BAUD_ERROR", "nbytes", "config_id",
           "clocks_per_bit"]

VERSION = 1

IDENTIFY = 0x49
STATUS = 0x53
RUN = 0x52
STOP = 0x50
READ = 0x54
LOAD = 0x4C
#: argument bytes after each command byte
ARG_BYTES = {IDENTIFY: 0, STATUS: 0, RUN: 16, STOP: 0, READ: 4, LOAD: 4}

OK = 0
ERR_UNKNOWN = 1
ERR_BUSY = 2
ERR_RANGE = 3
ERR_NO_LOAD = 4
ERR_REFUSED = 5
ERR_NOT_LOADED = 6
ERRORS = {ERR_NOT_LOADED: "the sample store is not loaded yet (LOAD first)",
          ERR_UNKNOWN: "unknown command", ERR_BUSY: "the core is busy (a run is in progress)",
          ERR_RANGE: "index or count out of range", ERR_NO_LOAD: "this bitstream has no sample-load port",
          ERR_REFUSED: "the core refused the start (status.refused bits)"}

#: (name, bytes) of the IDENTIFY payload, in order
IDENTIFY_FIELDS = (("version", 1), ("n_params", 2), ("theta_width", 1), ("grad_width", 1),
                   ("momentum_width", 1), ("cost_width", 1), ("lanes", 2), ("tau_theta_max", 4),
                   ("load_beats", 4), ("load_width", 1), ("config_id", 4))
#: (name, bytes) of the STATUS payload, in order (the members of rtl.contract.StatusSignature)
STATUS_FIELDS = (("busy", 1), ("step", 4), ("updates", 4), ("last_cost", 4), ("c0", 4), ("sample", 4),
                 ("sat_events", 4), ("cycles", 4), ("refused", 1))

MIN_CLOCKS_PER_BIT = 4  # the receiver samples mid-bit after a 2-FF synchronizer: needs >= 4 clocks a bit
MAX_BAUD_ERROR = 0.02  # |actual - asked| / asked: 8N1 tolerates about +-4 % between both ends together


def nbytes(width: int) -> int:
    """Bytes a ``width``-bit register takes on the line (0 for a 0-bit one)."""
    return (width + 7) // 8


def config_id(config_toml: str) -> int:
    """The 32-bit id of a configuration (first four bytes of the SHA-256 of its TOML, little-endian) that
    a bitstream reports in IDENTIFY, so a host can refuse a bitstream built from another configuration."""
    return int.from_bytes(hashlib.sha256(config_toml.encode()).digest()[:4], "little")


def clocks_per_bit(clock_hz: float, baud: int) -> int:
    """Clock cycles per UART bit for ``baud`` at ``clock_hz`` (rounded to nearest).

    Raises ValueError naming the baud rate when it needs fewer than :data:`MIN_CLOCKS_PER_BIT` clocks a bit
    or the rounding makes the rate more than :data:`MAX_BAUD_ERROR` off."""
    if not isinstance(baud, int) or isinstance(baud, bool) or baud <= 0:
        raise ValueError(f"baud must be a positive integer, not {baud!r}")
    cpb = round(clock_hz / baud)
    top = int(clock_hz // MIN_CLOCKS_PER_BIT)
    if cpb < MIN_CLOCKS_PER_BIT:
        raise ValueError(f"baud {baud} is too fast for a {clock_hz / 1e6:g} MHz clock: at most {top} "
                         f"({MIN_CLOCKS_PER_BIT} clocks a bit)")
    error = abs(clock_hz / cpb - baud) / baud
    if error > MAX_BAUD_ERROR:
        raise ValueError(f"baud {baud} is {100 * error:.1f} % off at a {clock_hz / 1e6:g} MHz clock "
                         f"({cpb} clocks a bit); allowed: within {100 * MAX_BAUD_ERROR:g} %")
    return cpb
