"""Hardware targets behind one protocol, and the registry that lists them.

A target registers a factory under its name (MultiKernelBench's backend-registry habit); importing
a target's package must stay cheap, so heavy imports happen inside the factories.
"""

from __future__ import annotations

from collections.abc import Callable

from hawk.targets.base import Availability, EvalOptions, HardwareSpec, MemoryLevel, Target
from hawk.targets.verdict import Status, Verdict

_FACTORIES: dict[str, Callable[[], Target]] = {}


def register(name: str, factory: Callable[[], Target]) -> None:
    _FACTORIES[name] = factory


def names() -> list[str]:
    return sorted(_FACTORIES)


def get(name: str) -> Target:
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise KeyError(f"unknown target '{name}' (known: {', '.join(names())})") from None
    return factory()


def _ascend_pypto() -> Target:
    from hawk.targets.ascend_pypto.target import AscendPyptoTarget

    return AscendPyptoTarget()


register("ascend-pypto", _ascend_pypto)


def _ascend_triton() -> Target:
    from hawk.targets.ascend_triton.target import AscendTritonTarget

    return AscendTritonTarget()


register("ascend-triton", _ascend_triton)

__all__ = [
    "Availability",
    "EvalOptions",
    "HardwareSpec",
    "MemoryLevel",
    "Status",
    "Target",
    "Verdict",
    "get",
    "names",
    "register",
]
