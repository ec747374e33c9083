"""ascend-triton's label rules: bishengir's overflow words, the grid, double-buffering, lowering.

A capacity overflow here means a smaller BLOCK (or less double-buffering), not PyPTO's tile-shape
calls, which do not exist in Triton."""

from hawk.targets.labels import ASCEND_BOTTLENECKS, ASCEND_PATTERNS, LabelRules, patterns

RULES = LabelRules(
    labels=(
        "ub_capacity",
        "l1_capacity",
        "l0a_capacity",
        "l0b_capacity",
        "l0c_capacity",
        "alignment",
        "dtype_support",
        "grid_core_mapping",
        "multibuffer",
        "block_size",
        "lowering_failure",
        "mte_in_bound",
        "mte_out_bound",
        "vector_bound",
        "cube_bound",
    ),  # fmt: skip
    patterns=ASCEND_PATTERNS
    + patterns(
        (r"\bcc overflow", "l0c_capacity"),
        (r"\bcbuf overflow|\bL1 overflow", "l1_capacity"),
        (r"\bgrid\b|physical (vector|cube) cores", "grid_core_mapping"),
        (r"multi-?buffer", "multibuffer"),
        (r"fail(ed)? to (legalize|lower|convert)|lowering", "lowering_failure"),
    ),
    bottlenecks={**ASCEND_BOTTLENECKS, "core_underuse": "grid_core_mapping"},
    implied={
        lbl: "block_size" for lbl in ("ub_capacity", "l1_capacity", "l0a_capacity", "l0b_capacity", "l0c_capacity")
    },
    excluded=frozenset({"vector_tile_shape", "cube_tile_shape"}),
    finding_rules=True,
    descriptions={
        "grid_core_mapping": "Triton grid not matched to the physical cores (40 vector / 20 cube): extra rounds or idle cores.",
        "multibuffer": "Compiler double-buffering halves the UB/L1 each loop iteration may use.",
        "block_size": "BLOCK_* constexpr tile sizes too large (overflow) or too small (overhead) for the buffers.",
        "lowering_failure": "triton-adapter-opt / bishengir cannot lower a construct (unsupported op or pattern).",
    },
)
