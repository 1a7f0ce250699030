"""Small datapath helpers shared by the blocks: delay lines and flat vectors of fixed-width elements.

A parameter vector θ, a gradient vector G or a layer's activations travel between blocks as one flat port
(element ``i`` in bits ``[i*width, (i+1)*width)``), so that ports stay plain signals in the Verilog and a
host or bench reads a whole vector in one access.
"""

from __future__ import annotations

from amaranth import Cat, Module, Signal, Value

__all__ = ["delay", "elements", "flat_width", "pack"]


def delay(m: Module, value: Value, cycles: int, name: str) -> Value:
    """``value`` delayed by ``cycles >= 0`` clock cycles through a chain of ``sync`` registers (reset 0)."""
    if cycles < 0:
        raise ValueError(f"delay cycles must be >= 0, not {cycles}")
    value = Value.cast(value)
    for k in range(cycles):
        reg = Signal(value.shape(), name=f"{name}_d{k + 1}")
        m.d.sync += reg.eq(value)
        value = reg
    return value


def elements(flat: Value, count: int, width: int, signed: bool) -> list[Value]:
    """Split a flat vector into ``count`` elements of ``width`` bits (two's complement if ``signed``)."""
    flat = Value.cast(flat)
    out = []
    for i in range(count):
        e = flat[i * width:(i + 1) * width]
        out.append(e.as_signed() if signed else e)
    return out


def flat_width(count: int, width: int) -> int:
    """Width of a flat vector, at least 1 (Amaranth ports may not be empty in every tool)."""
    return max(1, count * width)


def pack(values: list[Value]) -> Value:
    """The flat vector of ``values`` (element 0 in the low bits)."""
    return Cat(*values)
