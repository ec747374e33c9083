"""Relevance gating: an item's preconditions, derived when it is learned and checked at retrieval.

Scores rank; preconditions veto. A performance item's trigger is only a bottleneck label, so every
memory-bound kernel would match every memory-bound item; a cube-tiling lesson ("kL1 256 -> 512")
then reaches a vector-only quantization kernel that never calls a matmul. The precondition says
what the lesson's change is *about* and the query must have:

* ops: "matmul" when the change touches the cube (cube tile shapes, L0/L1 knobs, a matmul call, or a
  cube label), "reduce" when a changed line calls a reduction; other ops are not required, because a
  UB or tiling fix transfers across elementwise ops (that is what the semantic axis is for);
* dtypes: only when the change converts a dtype (a cast); a dtype the changed lines merely name is
  the task's, not the fix's;
* an op the change introduces is no condition: only ops the before code already calls are (a vector
  pool rewritten as a matmul against a 0/1 window matrix applies to vector pools);
* reduction: the change restructures a reduction (its axis handling transfers only to reductions);
* ops "gather" / "cast": the change touches an index gather/scatter or a dtype conversion;
* regimes: a tiling fix learned on a task whose rows exceed the UB (it splits rows) needs such rows;
  a change to the loops over a DYNAMIC axis needs a dynamic-shape kernel;
* kernel class (performance items): a speed-up learned on a vector-only kernel needs a vector-only
  kernel, one learned beside a matmul needs a matmul (a "grow the vector tile" lesson from a norm
  is noise in an FFN's prompt).

A dtype alone is no precondition: nearly every task is fp16 or fp32, so an item whose only condition
is a dtype fails the check. A repair item with no structural condition is admitted only against a
failing kernel: its error signature is then the trigger, which retrieval scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

from hawk.knowledge.facts import (
    CAST_NAMES,
    CUBE_WORDS,
    GATHER_NAMES,
    REDUCE_NAMES,
    Facts,
    calls_in,
    canonical_op,
    code_facts,
    dtypes_in,
    kernel_class,
)
from hawk.knowledge.item import KnowledgeItem, Preconditions

CUBE_LABELS = {"cube_tile_shape", "l1_capacity", "l0a_capacity", "l0b_capacity", "l0c_capacity", "cube_bound"}
TILING_LABELS = {"ub_capacity", "vector_tile_shape"}
# A repair of an on-chip capacity overflow is about a kernel that has to tile its tensors at all.
CAPACITY_LABELS = TILING_LABELS | CUBE_LABELS - {"cube_bound"}


def changed_lines(diff: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines of a unified diff, without the markers."""
    removed = [ln[1:] for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    added = [ln[1:] for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    return removed, added


_DYNAMIC_WORDS = ("DYNAMIC", "loop_unroll", "valid_shape")


def derive(
    diff: str, before_code: str, labels: list[str], task_regimes: set[str] | None = None, perf: bool = False
) -> Preconditions:
    """Preconditions of a fix from its diff, its before-code and labels (and the task's shape regimes);
    `perf`: a speed-up item, which also needs the kind of kernel it was learned on."""
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
    ops += [name for name, names in (("gather", GATHER_NAMES), ("cast", CAST_NAMES)) if calls & names]
    regimes = []
    if task_regimes and "row_exceeds_ub" in task_regimes and set(labels) & TILING_LABELS:
        regimes.append("row_exceeds_ub")
    if "DYNAMIC" in before_code and any(w in changed for w in _DYNAMIC_WORDS):
        regimes.append("dynamic")
    cls = kernel_class(code_facts(before_code)) if perf else None
    if cls == "cube" and "matmul" in ops:
        cls = None  # "uses matmul" says it already
    pre = Preconditions(ops=ops, dtypes=sorted(dtypes_in(changed)), reduction=reduce_change, regimes=regimes,
                        kernel_class=cls)  # fmt: skip
    return _capacity_regime(_sharpened(pre, before_code), labels)


def _sharpened(pre: Preconditions, before_code: str) -> Preconditions:
    """Two rules that keep a precondition about what the fix needs, not about where it was learned:
    an op the change introduces is not a condition (a pool rewritten as a 0/1-matrix matmul applies
    to a vector pool that has no matmul yet; required, it could never be retrieved), and a dtype
    counts only for a change that converts one."""
    return _ops_the_before_code_has(_dtype_when_converted(pre), before_code)  # a cast it adds keeps its dtype


def _ops_the_before_code_has(pre: Preconditions, before_code: str) -> Preconditions:
    if not before_code.strip():
        return pre
    have = _ops_of(before_code)
    return replace(pre, ops=[op for op in pre.ops if op in have])


@lru_cache(maxsize=4096)
def _ops_of(code: str) -> frozenset[str]:
    """The op classes `code` calls, parsed once per text: every retrieval checks every candidate item
    (parsing each item's before-code each time cost ~1 ms an item)."""
    return frozenset(code_facts(code).ops)


def _dtype_when_converted(pre: Preconditions) -> Preconditions:
    """A dtype is a precondition only of a change that converts one (a cast): a dtype the changed lines
    merely name (an fp16 matmul output, a tensor annotation) is the task the item was learned on, not
    what the fix needs; kept, it hid every fp16-learned convolution item from fp32 tasks."""
    return pre if "cast" in pre.ops else replace(pre, dtypes=[])


def _capacity_regime(pre: Preconditions, labels: list[str]) -> Preconditions:
    """A capacity repair with nothing else structural needs a task whose tensors exceed the UB: where
    every tensor fits on chip, the kernel need not tile and such an overflow is not the risk."""
    if pre.structural or not set(labels) & CAPACITY_LABELS:
        return pre
    return replace(pre, regimes=["tensor_exceeds_ub"])


def of(item: KnowledgeItem) -> Preconditions:
    """The item's preconditions; derived on the spot for an item that has none stored (an old export),
    and a performance item stored before kernel classes existed gets its class here."""
    perf = not item.trigger.signature
    pre = _sharpened(
        item.preconditions or derive(item.trigger.code_pattern or "", item.before_code, item.labels, perf=perf),
        item.before_code,
    )  # an item stored before these rules keeps its old conditions in the file, not in the check
    if perf and pre.kernel_class is None and "matmul" not in pre.ops and item.before_code.strip():
        pre = replace(pre, kernel_class=kernel_class(code_facts(item.before_code)))
    return pre if perf else _capacity_regime(pre, item.labels)


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


NO_STRUCTURE = "a structural precondition (a dtype alone says nothing about whether a fix applies)"


def check(pre: Preconditions, facts: Facts, *, repair_against_error: bool = False) -> Check:
    """Which of `pre` the query's facts meet. `repair_against_error`: the item is a repair and the query
    a failing kernel, so an item without structural conditions may still fit (its error signature is
    the trigger, and retrieval scores that)."""
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
    if pre.kernel_class:
        judge(f"a {pre.kernel_class} kernel", "ops", kernel_class(facts) == pre.kernel_class)
    if not pre.structural and not repair_against_error:
        out.failed.append(NO_STRUCTURE)
    return out
