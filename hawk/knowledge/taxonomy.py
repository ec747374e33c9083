"""The hardware taxonomy (ascend-pypto and ascend-triton): the vocabulary knowledge items are labelled with.

Labels name the hardware cause, not the op, so a fix learned on EXP's UB overflow is found again
for MUL's. `labels_for` derives labels from a verdict dict so queries and items share the vocabulary.
"""

from __future__ import annotations

import re
from typing import Any

LABELS: dict[str, str] = {
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
    # ascend-triton (shared names above keep their meaning across targets)
    "grid_core_mapping": "Triton grid not matched to the physical cores (40 vector / 20 cube): extra rounds or idle cores.",
    "multibuffer": "Compiler double-buffering halves the UB/L1 each loop iteration may use.",
    "block_size": "BLOCK_* constexpr tile sizes too large (overflow) or too small (overhead) for the buffers.",
    "lowering_failure": "triton-adapter-opt / bishengir cannot lower a construct (unsupported op or pattern).",
}

# Which labels each target's knowledge uses (LABELS is the union, so retrieval vectors cover both).
TARGET_LABELS: dict[str, tuple[str, ...]] = {
    "ascend-pypto": (
        "ub_capacity", "l1_capacity", "l0a_capacity", "l0b_capacity", "l0c_capacity", "cube_tile_shape",
        "vector_tile_shape", "alignment", "dtype_support", "core_count_load_balance", "mte_in_bound",
        "mte_out_bound", "vector_bound", "cube_bound", "scheduling_bubbles",
    ),
    "ascend-triton": (
        "ub_capacity", "l1_capacity", "l0a_capacity", "l0b_capacity", "l0c_capacity", "alignment", "dtype_support",
        "grid_core_mapping", "multibuffer", "block_size", "lowering_failure", "mte_in_bound", "mte_out_bound",
        "vector_bound", "cube_bound",
    ),
}  # fmt: skip


def labels_of(target: str) -> tuple[str, ...]:
    """The taxonomy labels `target`'s knowledge items may carry."""
    return TARGET_LABELS.get(target, tuple(LABELS))


# target.bottleneck() labels -> taxonomy labels. mte1_bound has no label of its own yet: it is left
# out rather than guessed.
_BOTTLENECK = {
    "mte_in_bound": "mte_in_bound",
    "mte_out_bound": "mte_out_bound",
    "vector_bound": "vector_bound",
    "cube_bound": "cube_bound",
    "core_underuse": "core_count_load_balance",
    "scheduling_bubbles": "scheduling_bubbles",
}

# ascend-triton: its profile labels, and what a capacity overflow implies there (a smaller BLOCK, or
# less double-buffering), instead of PyPTO's tile-shape calls.
_TRITON_BOTTLENECK = {**_BOTTLENECK, "core_underuse": "grid_core_mapping"}
_TRITON_IMPLIED = {
    "ub_capacity": "block_size",
    "l1_capacity": "block_size",
    "l0a_capacity": "block_size",
    "l0b_capacity": "block_size",
    "l0c_capacity": "block_size",
}
_TRITON_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bcc overflow", re.I), "l0c_capacity"),
    (re.compile(r"\bcbuf overflow|\bL1 overflow", re.I), "l1_capacity"),
    (re.compile(r"\bgrid\b|physical (vector|cube) cores", re.I), "grid_core_mapping"),
    (re.compile(r"multi-?buffer", re.I), "multibuffer"),
    (re.compile(r"fail(ed)? to (legalize|lower|convert)|lowering", re.I), "lowering_failure"),
]

# A capacity overflow is fixed by a smaller tile, so the tile-shape label comes with it.
_IMPLIED = {
    "ub_capacity": "vector_tile_shape",
    "l1_capacity": "cube_tile_shape",
    "l0a_capacity": "cube_tile_shape",
    "l0b_capacity": "cube_tile_shape",
    "l0c_capacity": "cube_tile_shape",
}

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"MEM_UB\b|\bUB\b.*(exceed|overflow)", re.I), "ub_capacity"),
    (re.compile(r"MEM_L1\b", re.I), "l1_capacity"),
    (re.compile(r"MEM_L0A\b", re.I), "l0a_capacity"),
    (re.compile(r"MEM_L0B\b", re.I), "l0b_capacity"),
    (re.compile(r"MEM_L0C\b", re.I), "l0c_capacity"),
    (re.compile(r"cube_tile|cube tile", re.I), "cube_tile_shape"),
    (re.compile(r"vec_tile|vector tile|tileshape", re.I), "vector_tile_shape"),
    (re.compile(r"align", re.I), "alignment"),
    (re.compile(r"dtype|data ?type|not support\w* .*(fp|bf|int)\d+", re.I), "dtype_support"),
]


def labels_for(verdict: dict[str, Any] | None) -> list[str]:
    """Taxonomy labels a verdict dict evidences, in taxonomy order (stable for comparison)."""
    if not verdict:
        return []
    found: set[str] = set()
    error = verdict.get("error") or {}
    if error.get("constraint") in LABELS:
        found.add(error["constraint"])
    text = " ".join(str(error.get(k) or "") for k in ("hardware_reason", "message"))
    for pattern, label in _PATTERNS:
        if pattern.search(text):
            found.add(label)
    perf = verdict.get("perf") or {}
    if verdict.get("target") == "ascend-triton":
        for pattern, label in _TRITON_PATTERNS:
            if pattern.search(text):
                found.add(label)
        found |= {
            f["rule"] for f in verdict.get("findings") or [] if f.get("severity") != "info" and f.get("rule") in LABELS
        }
        if perf.get("bottleneck") in _TRITON_BOTTLENECK:
            found.add(_TRITON_BOTTLENECK[perf["bottleneck"]])
        found |= {_TRITON_IMPLIED[lbl] for lbl in list(found) if lbl in _TRITON_IMPLIED}
        found -= {"vector_tile_shape", "cube_tile_shape"}  # PyPTO tiling calls: no such thing in Triton
        return [lbl for lbl in LABELS if lbl in found]
    if perf.get("bottleneck") in _BOTTLENECK:
        found.add(_BOTTLENECK[perf["bottleneck"]])
    found |= {_IMPLIED[lbl] for lbl in list(found) if lbl in _IMPLIED}
    return [lbl for lbl in LABELS if lbl in found]
