"""Hardware targets behind one protocol, and the registry that lists them.

A target registers a factory under its name (MultiKernelBench's backend-registry habit); importing
a target's package must stay cheap, so heavy imports happen inside the factories.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from hawk.targets.base import Availability, EvalOptions, HardwareSpec, MemoryLevel, Target
from hawk.targets.labels import LabelRules
from hawk.targets.verdict import Status, Verdict

_FACTORIES: dict[str, Callable[[], Target]] = {}
_LABELS: dict[str, str] = {}  # target -> module holding its LabelRules as RULES (cheap to import)


def register(name: str, factory: Callable[[], Target], labels: str | None = None) -> None:
    _FACTORIES[name] = factory
    if labels:
        _LABELS[name] = labels


def label_rules(name: str | None) -> LabelRules | None:
    """The label rules of target `name` (None for an unknown target or one without rules)."""
    module = _LABELS.get(name or "")
    return importlib.import_module(module).RULES if module else None


def all_label_rules() -> list[LabelRules]:
    return [rules for name in sorted(_LABELS) if (rules := label_rules(name)) is not None]


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


register("ascend-pypto", _ascend_pypto, labels="hawk.targets.ascend_pypto.labels")


def _ascend_triton() -> Target:
    from hawk.targets.ascend_triton.target import AscendTritonTarget

    return AscendTritonTarget()


register("ascend-triton", _ascend_triton, labels="hawk.targets.ascend_triton.labels")


def _fake() -> Target:
    from hawk.targets.fake.target import FakeTarget

    return FakeTarget()


# Scripted verdicts, shipped like httpx's MockTransport: fast tests of the layers above, and demos.
register("fake", _fake, labels="hawk.targets.fake.labels")

__all__ = [
    "Availability",
    "EvalOptions",
    "HardwareSpec",
    "LabelRules",
    "MemoryLevel",
    "Status",
    "Target",
    "Verdict",
    "all_label_rules",
    "get",
    "label_rules",
    "names",
    "register",
]
