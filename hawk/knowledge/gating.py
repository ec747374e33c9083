"""Relevance gating: an item's preconditions, derived when it is learned and checked at retrieval.

Scores rank; preconditions veto. A performance item's trigger is only a bottleneck label, so every
memory-bound kernel would match every memory-bound item; a cube-tiling lesson ("kL1 256 -> 512")
then reaches a vector-only quantization kernel that never calls a matmul. The precondition says
what the lesson's change is *about* and the query must have:

* ops: "matmul" when the change touches the cube (cube tile shapes, L0/L1 knobs, a matmul call, or a
  cube label), "reduce" when a changed line calls a reduction; other ops are not required, because a
  UB or tiling fix transfers across elementwise ops (that is what the semantic axis is for);
* dtypes: only when the changed lines name dtypes (a cast or precision fix needs that dtype);
* reduction: the change restructures a reduction (its axis handling transfers only to reductions);
* regimes: a tiling fix learned on a task whose rows exceed the UB (it splits rows) needs such rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hawk.knowledge.facts import CUBE_WORDS, REDUCE_NAMES, Facts, calls_in, canonical_op, dtypes_in
from hawk.knowledge.item import KnowledgeItem, Preconditions

CUBE_LABELS = {"cube_tile_shape", "l1_capacity", "l0a_capacity", "l0b_capacity", "l0c_capacity", "cube_bound"}
TILING_LABELS = {"ub_capacity", "vector_tile_shape"}


def changed_lines(diff: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines of a unified diff, without the markers."""
    removed = [ln[1:] for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    added = [ln[1:] for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    return removed, added


def derive(diff: str, before_code: str, labels: list[str], task_regimes: set[str] | None = None) -> Preconditions:
    """Preconditions of a fix from its diff, its before-code and labels (and the task's shape regimes)."""
    removed, added = changed_lines(diff)
    changed = "\n".join(removed + added)
    calls = {canonical_op(c) for c in calls_in(changed)}
    before_ops = {canonical_op(c) for c in calls_in(before_code)}
    ops: list[str] = []
    cube_change = bool(CUBE_WORDS.search(changed)) or "matmul" in calls
    if cube_change or ("matmul" in before_ops and set(labels) & CUBE_LABELS):
        ops.append("matmul")
    reduce_change = bool(calls & REDUCE_NAMES)
    if reduce_change:
        ops.append("reduce")
    regimes = []
    if task_regimes and "row_exceeds_ub" in task_regimes and set(labels) & TILING_LABELS:
        regimes.append("row_exceeds_ub")
    return Preconditions(ops=ops, dtypes=sorted(dtypes_in(changed)), reduction=reduce_change, regimes=regimes)


def of(item: KnowledgeItem) -> Preconditions:
    """The item's preconditions; derived on the spot for an item that has none stored (an old export)."""
    if item.preconditions is not None:
        return item.preconditions
    return derive(item.trigger.code_pattern or "", item.before_code, item.labels)


@dataclass
class Check:
    """Which preconditions held, which failed, which the query could not tell."""

    held: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def describe(self) -> str:
        if not (self.held or self.failed or self.unknown):
            return "preconditions: none (applies to any kernel)"
        parts = [f"held {self.held}" if self.held else "", f"failed {self.failed}" if self.failed else "",
                 f"unknown {self.unknown}" if self.unknown else ""]  # fmt: skip
        return "preconditions " + "; ".join(p for p in parts if p)


def check(pre: Preconditions, facts: Facts) -> Check:
    out = Check()

    def judge(text: str, axis: str, holds: bool) -> None:
        if axis not in facts.known:
            out.unknown.append(text)
        else:
            (out.held if holds else out.failed).append(text)

    for op in pre.ops:
        judge(f"uses {op}", "ops", op in facts.ops)
    if pre.dtypes:
        judge(f"dtype in {pre.dtypes}", "dtypes", bool(set(pre.dtypes) & facts.dtypes))
    if pre.reduction and "reduce" not in pre.ops:
        judge("has a reduction", "ops", "reduce" in facts.ops)
    for regime in pre.regimes:
        judge(f"shape regime {regime}", "regimes", regime in facts.regimes)
    return out
