"""The base layer: proven, general knowledge shipped with Hawk, beneath each user's own store.

A fresh install would otherwise know nothing: its store is empty until its own runs teach it. The
base layer is a JSONL export (package data, `hawk/knowledge/base/base.jsonl`) of items that were
proven on the target and transfer (`for_base`): they helped on two tasks, or they fire on a
structural trigger (a hardware error signature, a knob family the tuner verified). docs/knowledge.md
says what it holds and how it was learned (`hawk kb learn` over real-model runs, then
`hawk kb export --layer base`).

It is read-only: when a store is opened with the base layer on, the shipped items are synced into it
(once per version of the file) marked `provenance.layer = "base"`. Retrieval ranks them with the
user's items; their effect counts grow with the user's evidence; but nothing may edit, merge, prune
or demote them (distillation works on the user layer only), and a store opened without the base
layer (`--no-base-kb`) does not see them. `hawk kb export --layer base` writes a new base file.
"""

from __future__ import annotations

import hashlib
import json
from importlib.resources import files
from pathlib import Path

from hawk.knowledge.item import KnowledgeItem, now

BASE = "base"
USER = "user"
LAYERS = (BASE, USER)


def base_file() -> Path:
    return Path(str(files("hawk.knowledge") / "base" / "base.jsonl"))


def layer_of(item: KnowledgeItem) -> str:
    return BASE if item.provenance.get("layer") == BASE else USER


def base_items(path: Path | None = None) -> list[KnowledgeItem]:
    """The shipped items (none when the file is missing or empty)."""
    path = path or base_file()
    if not path.is_file():
        return []
    items = [KnowledgeItem.from_dict(json.loads(line)) for line in path.read_text().splitlines() if line.strip()]
    for item in items:
        item.provenance["layer"] = BASE
    return items


def version(path: Path | None = None) -> int:
    """A 48-bit number of the file's content (the store's meta table holds integers)."""
    path = path or base_file()
    data = path.read_bytes() if path.is_file() else b""
    return int(hashlib.sha256(data).hexdigest()[:12], 16)


MIN_BASE_SPEEDUP = 1.2  # a change that made its own kernel a fifth faster is structure, not noise


def for_base(item: KnowledgeItem) -> bool:
    """Does a user item qualify for the base layer? Proven on the target, and either general (it helped
    on two tasks), or a rule that fires on a structural trigger: a repair keyed on a hardware error
    signature (the error is the trigger, wherever it recurs), a tuner find (verified on every seed),
    or a speed-up with structural preconditions that helped once applied or made its own kernel at
    least MIN_BASE_SPEEDUP faster (a learning run's big structural finds, which no later task of the
    run was there to apply)."""
    import hawk.knowledge.gating as gating

    if item.status != "active" or not item.proof_passed:
        return False
    if item.general or item.provenance.get("source") == "tuner":
        return True
    if item.trigger.signature:
        return True
    return (item.effect.passes_after >= 1 or own_speedup(item) >= MIN_BASE_SPEEDUP) and gating.of(item).structural


def own_speedup(item: KnowledgeItem) -> float:
    """before/after time of a speed-up item on the task it was learned on (0 when not recorded)."""
    times = item.provenance.get("time_us") or []
    if len(times) != 2 or not all(isinstance(t, (int, float)) and t > 0 for t in times):
        return 0.0
    return times[0] / times[1]


def as_base(item: KnowledgeItem) -> KnowledgeItem:
    """A copy of `item` for the base file: its id prefixed, marked as base, its history summarised."""
    data = item.to_dict()
    data["id"] = item.id if item.id.startswith("b-") else f"b-{item.id}"
    data["provenance"] = {**item.provenance, "layer": BASE, "exported": now()}
    data["history"] = [{"at": now(), "event": "exported_to_base", "from_id": item.id}]
    return KnowledgeItem.from_dict(data)
