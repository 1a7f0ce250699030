"""Boards: an MGD core behind a UART host link (:mod:`rtl.board.link`, protocol :mod:`rtl.board.protocol`),
the board tops (:mod:`rtl.board.top`), the host driver (:mod:`rtl.board.host`, no Amaranth needed)."""
