"""Parameter checks for components: a component whose parameters are rejected is not "unused".

Amaranth warns (``UnusedElaboratable``) about every component that is created and never elaborated,
including one whose constructor raised. Wrap a constructor's checks in :func:`rejecting` so that a clear
:class:`golden_model.errors.MGDError` is the only thing a user sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["rejecting", "not_elaborated"]


@contextmanager
def rejecting(component: object) -> Iterator[None]:
    """Run parameter checks for ``component``; if one raises, silence the unused-component warning."""
    try:
        yield
    except Exception:
        component._MustUse__silence = True  # amaranth._unused.MustUse's own switch
        raise


def not_elaborated(component: object) -> None:
    """``component`` was built for its figures (schedule, parameters) and will not be elaborated: no
    unused-component warning for it, nor for the sub-components its constructor built."""
    from amaranth import Elaboratable

    seen: set[int] = set()
    stack = [component]
    while stack:
        c = stack.pop()
        if id(c) in seen:
            continue
        seen.add(id(c))
        c._MustUse__silence = True
        stack += [v for v in vars(c).values() if isinstance(v, Elaboratable)]
