"""Transferable items: the rule a fix stands for, not only the diff of the task it was learned on.

A rule has a trigger (the op pattern of the before-code, the preconditions' shape regime, and the
bottleneck or error signature), the rationale, and a template: the change as steps with the values
that were learned ("shrink TILE (256 -> 16)"), which the prompt shows beside the diff so a model can
carry the edit to other sizes and ops. `complete` fills in everything an item derives from its own
code (preconditions, change keys, rule, proven tasks): at synthesis, on `add`, and when an older
store is migrated.
"""

from __future__ import annotations

from typing import Any

import hawk.knowledge.gating as gating
from hawk.knowledge.attribution import change_keys, template
from hawk.knowledge.facts import calls_in, op_classes
from hawk.knowledge.item import KnowledgeItem

# Ops that say nothing about what a kernel computes (moves, views, tiling calls).
_PLUMBING_OPS = {"view", "assemble", "loop", "move", "set_vec_tile_shapes", "set_cube_tile_shapes", "kernel",
                 "range", "len", "int", "float", "jit", "function", "tensor", "program_id"}  # fmt: skip


def op_pattern(code: str) -> list[str]:
    """The compute ops (and op classes) a kernel calls, sorted: the trigger's op pattern."""
    return sorted(op for op in op_classes(calls_in(code)) if op not in _PLUMBING_OPS and "tile" not in op)


def make_rule(item: KnowledgeItem) -> dict[str, Any]:
    pre = gating.of(item)
    trigger: dict[str, Any] = {"op_pattern": op_pattern(item.before_code), "needs": pre.describe(),
                               "regime": list(pre.regimes)}  # fmt: skip
    if item.trigger.signature:
        trigger["error"] = item.trigger.signature
    else:
        trigger["bottleneck"] = item.trigger.bottleneck
    return {"trigger": trigger, "rationale": item.rationale, "template": template(item.before_code, item.after_code)}


def complete(item: KnowledgeItem, task_regimes: set[str] | None = None) -> bool:
    """Derive what is missing (preconditions, change keys, rule, proven tasks); True if anything was."""
    changed = False
    if item.preconditions is None:
        item.preconditions = gating.derive(item.trigger.code_pattern or "", item.before_code, item.labels,
                                           task_regimes, perf=not item.trigger.signature)  # fmt: skip
        changed = True
    if item.change is None:
        item.change = sorted(change_keys(item.before_code, item.after_code))
        changed = True
    if not item.rule:
        item.rule = make_rule(item)
        changed = True
    task = item.provenance.get("task")
    if not item.proven_tasks and task and item.proof_passed:
        item.proven_tasks = [task]
        changed = True
    return changed


def describe(item: KnowledgeItem) -> str:
    """The rule in one line for a prompt or `kb show`."""
    rule = item.rule or make_rule(item)
    trig = rule["trigger"]
    # What it needs by today's gating rules (a stored rule keeps the conditions of when it was made)
    when = ", ".join(gating.of(item).describe()) or "any kernel"
    pattern = "/".join(trig.get("op_pattern") or []) or "-"
    steps = "; ".join(rule.get("template") or []) or "see the diff"
    scope = f"general: passed on {len(item.proven_tasks)} tasks" if item.general else "learned on one task"
    return f"rule: needs {when} (learned on ops {pattern}); do: {steps} ({scope})"
