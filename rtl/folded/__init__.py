"""The folded MGD training core: P MAC lanes, parameters in block RAM (``[hardware] style = "folded"``)."""
