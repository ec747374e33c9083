"""How a target's verdicts map onto the knowledge taxonomy's labels (each target supplies one).

The taxonomy's vocabulary is knowledge's (`hawk.knowledge.taxonomy.LABELS`); which label a
profile bottleneck, an error text or a static finding evidences is the target's own knowledge, so
it lives beside the target (`<target>/labels.py`) and knowledge reads it through the registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LabelRules:
    labels: tuple[str, ...]  # the labels this target's knowledge items may carry
    patterns: tuple[tuple[re.Pattern[str], str], ...] = ()  # error text -> label
    bottlenecks: dict[str, str] = field(default_factory=dict)  # perf.bottleneck -> label
    implied: dict[str, str] = field(default_factory=dict)  # a label that brings another (overflow -> tile size)
    excluded: frozenset[str] = frozenset()  # labels that never apply to this target's kernels
    finding_rules: bool = False  # the verdict's `findings` carry rule names that are labels
    descriptions: dict[str, str] = field(default_factory=dict)  # labels this target adds to the vocabulary

    def labels_for(self, verdict: dict[str, Any], vocabulary: dict[str, str]) -> set[str]:
        found: set[str] = set()
        error = verdict.get("error") or {}
        if error.get("constraint") in vocabulary:
            found.add(error["constraint"])
        text = " ".join(str(error.get(k) or "") for k in ("hardware_reason", "message"))
        found |= {label for pattern, label in self.patterns if pattern.search(text)}
        if self.finding_rules:
            found |= {
                f["rule"]
                for f in verdict.get("findings") or []
                if f.get("severity") != "info" and f.get("rule") in vocabulary
            }
        bottleneck = (verdict.get("perf") or {}).get("bottleneck")
        if bottleneck in self.bottlenecks:
            found.add(self.bottlenecks[bottleneck])
        found |= {self.implied[lbl] for lbl in list(found) if lbl in self.implied}
        return found - self.excluded


def patterns(*pairs: tuple[str, str]) -> tuple[tuple[re.Pattern[str], str], ...]:
    """(regex, label) pairs compiled case-insensitively."""
    return tuple((re.compile(rx, re.I), label) for rx, label in pairs)


# What every Ascend target shares: the simulator's / compiler's capacity messages and the profile
# labels of hawk's bottleneck() (mte1_bound has no label of its own yet: left out, not guessed).
ASCEND_PATTERNS = patterns(
    (r"MEM_UB\b|\bUB\b.*(exceed|overflow)", "ub_capacity"),
    (r"MEM_L1\b", "l1_capacity"),
    (r"MEM_L0A\b", "l0a_capacity"),
    (r"MEM_L0B\b", "l0b_capacity"),
    (r"MEM_L0C\b", "l0c_capacity"),
    (r"cube_tile|cube tile", "cube_tile_shape"),
    (r"vec_tile|vector tile|tileshape", "vector_tile_shape"),
    (r"align", "alignment"),
    (r"dtype|data ?type|not support\w* .*(fp|bf|int)\d+", "dtype_support"),
)
ASCEND_CAPACITY = ("ub_capacity", "l1_capacity", "l0a_capacity", "l0b_capacity", "l0c_capacity")
ASCEND_PROFILE = ("mte_in_bound", "mte_out_bound", "vector_bound", "cube_bound")
ASCEND_BOTTLENECKS = {
    "mte_in_bound": "mte_in_bound",
    "mte_out_bound": "mte_out_bound",
    "vector_bound": "vector_bound",
    "cube_bound": "cube_bound",
    "core_underuse": "core_count_load_balance",
    "scheduling_bubbles": "scheduling_bubbles",
}
