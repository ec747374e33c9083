"""Hawk's knowledge: fixes proven on hardware, stored so later runs can retrieve and inject them.

An item is executable knowledge, not prose: a trigger (what the failure or profile looks like), the
hardware semantics (taxonomy labels and a rationale) and a before/after code pair with the verdict
that proved the fix.
"""

from hawk.knowledge.item import KnowledgeItem, Trigger, normalize_error
from hawk.knowledge.retrieval import Hit, retrieve
from hawk.knowledge.store import KnowledgeStore, code_tokens
from hawk.knowledge.taxonomy import LABELS, labels_for

__all__ = [
    "LABELS",
    "Hit",
    "KnowledgeItem",
    "KnowledgeStore",
    "Trigger",
    "code_tokens",
    "labels_for",
    "normalize_error",
    "retrieve",
]
