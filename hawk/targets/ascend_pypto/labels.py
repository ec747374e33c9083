"""ascend-pypto's label rules: a capacity overflow is fixed by a smaller tile (set_*_tile_shapes)."""

from hawk.targets.labels import ASCEND_BOTTLENECKS, ASCEND_CAPACITY, ASCEND_PATTERNS, ASCEND_PROFILE, LabelRules

RULES = LabelRules(
    labels=ASCEND_CAPACITY
    + ("cube_tile_shape", "vector_tile_shape", "alignment", "dtype_support", "core_count_load_balance")
    + ASCEND_PROFILE
    + ("scheduling_bubbles",),
    patterns=ASCEND_PATTERNS,
    bottlenecks=ASCEND_BOTTLENECKS,
    implied={lbl: "vector_tile_shape" if lbl == "ub_capacity" else "cube_tile_shape" for lbl in ASCEND_CAPACITY},
)
