"""The fake target's label rules: Ascend's words (its scripted errors quote the simulator's), and a
UB overflow fixed by a smaller tile, as on ascend-pypto."""

from hawk.targets.labels import ASCEND_BOTTLENECKS, ASCEND_PATTERNS, ASCEND_PROFILE, LabelRules

_OWN = (
    "ub_capacity",
    "vector_tile_shape",
    "alignment",
    "dtype_support",
    "core_count_load_balance",
    "scheduling_bubbles",
)
RULES = LabelRules(_OWN + ASCEND_PROFILE, ASCEND_PATTERNS, ASCEND_BOTTLENECKS, {"ub_capacity": "vector_tile_shape"})
