"""The hardware taxonomy: the vocabulary knowledge items are labelled with.

Labels name the hardware cause, not the op, so a fix learned on EXP's UB overflow is found again
for MUL's. `labels_for` derives labels from a verdict dict so queries and items share the vocabulary.
"""

from __future__ import annotations

from typing import Any

from hawk import targets
from hawk.targets.labels import ASCEND_BOTTLENECKS, ASCEND_PATTERNS, LabelRules

_SHARED_LABELS: dict[str, str] = {
    "ub_capacity": "Unified Buffer (vector scratch) too small for the op's in/out tiles.",
    "l1_capacity": "L1 buffer too small for the cube operands staged from global memory.",
    "l0a_capacity": "L0A (cube left operand) buffer overflow.",
    "l0b_capacity": "L0B (cube right operand) buffer overflow.",
    "l0c_capacity": "L0C (cube accumulator) buffer overflow.",
    "cube_tile_shape": "Cube tile shape (set_cube_tile_shapes) wrong or ill-sized for the buffers.",
    "vector_tile_shape": "Vector tile shape (set_vec_tile_shapes) wrong or ill-sized for the UB.",
    "alignment": "Shape or address not aligned to the 32-byte block or 16-element fractal.",
    "dtype_support": "Data type not supported by the op, pipe or conversion.",
    "core_count_load_balance": "Work not spread evenly over the AI cores; some idle.",
    "mte_in_bound": "Time dominated by MTE2 moves from global memory in.",
    "mte_out_bound": "Time dominated by MTE3 moves out to global memory.",
    "vector_bound": "Time dominated by the vector pipe.",
    "cube_bound": "Time dominated by the cube (matmul) pipe.",
    "scheduling_bubbles": "Cores wait on the scheduler or predecessors more than they work.",
}


def _vocabulary() -> dict[str, str]:
    """The shared labels, then those the targets add (e.g. ascend-triton's grid and lowering labels,
    from its LabelRules), targets by name: a fixed order, as label vectors need."""
    vocabulary = dict(_SHARED_LABELS)
    for rules in targets.all_label_rules():
        vocabulary.update({k: v for k, v in rules.descriptions.items() if k not in vocabulary})
    return vocabulary


LABELS: dict[str, str] = _vocabulary()  # built once from the registry's rules, never changed after


def labels_of(target: str) -> tuple[str, ...]:
    """The taxonomy labels `target`'s knowledge items may carry."""
    rules = targets.label_rules(target)
    return rules.labels if rules else tuple(LABELS)


# A verdict without a known target (a bare query) is read with the Ascend rules every target shares.
_DEFAULT = LabelRules(labels=tuple(LABELS), patterns=ASCEND_PATTERNS, bottlenecks=ASCEND_BOTTLENECKS)


def labels_for(verdict: dict[str, Any] | None, target: str | None = None) -> list[str]:
    """Taxonomy labels a verdict dict evidences, in taxonomy order (stable for comparison).

    The target (`target`, else the verdict's own) decides how evidence maps onto labels."""
    if not verdict:
        return []
    rules = targets.label_rules(target or verdict.get("target")) or _DEFAULT
    found = rules.labels_for(verdict, LABELS)
    return [lbl for lbl in LABELS if lbl in found]
