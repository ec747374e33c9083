"""Two-axis retrieval: which stored fixes fit a new failure or profile.

Syntactic axis: BM25 (SQLite FTS5) over the query's code tokens, divided by the best hit's BM25 so it
lies in [0, 1]; it finds fixes for code that looks like the query's.
Semantic axis: cosine between taxonomy-label vectors of query and item, blended with the cosine of
text embeddings of the normalised error (or profile symptom) and the item's signature + rationale;
it finds fixes for the same hardware cause in different code and ops.

Fusion is a weighted sum, fused = 0.35 * syntactic + 0.65 * semantic, not reciprocal-rank fusion:
both axes are already on [0, 1], the store is small so ranks are coarse, and RRF would give the best
BM25 hit the same pull as the best cause match even when its code similarity is weak. The semantic
axis weighs more because a hardware cause transfers across ops while code similarity often does not.
The fused score is then multiplied by the item's effect prior (see `effect_prior`), so measured
help and harm reorder items that fit a query equally well.

Before scoring, relevance gating (hawk.knowledge.gating) vetoes items whose preconditions the query
fails (a cube-tiling item for a kernel without a matmul); every hit says which preconditions held.
A query is a kernel and its verdict, or, before the first attempt, a task's facts (traced ops and
dtypes as the code query, the roofline's predicted bottleneck and UB pressure as the labels).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

import hawk.knowledge.gating as gating
from hawk.knowledge.embedding import Embedder, default_embedder
from hawk.knowledge.facts import Facts, code_facts
from hawk.knowledge.item import PROVEN_STATUSES, KnowledgeItem, normalize_error
from hawk.knowledge.store import KnowledgeStore
from hawk.knowledge.taxonomy import LABELS, labels_for
from hawk.knowledge.tokens import code_tokens

SYNTACTIC_WEIGHT = 0.35
SEMANTIC_WEIGHT = 0.65
LABEL_WEIGHT = 0.6  # within the semantic axis; the rest is text-embedding similarity
BOTTLENECK_BOOST = 2.0  # a perf query's bottleneck label counts this much more than other labels
DEMOTED_PENALTY = 0.5  # a demoted item's score is multiplied by this


def effect_prior(item: KnowledgeItem) -> float:
    """Multiplier from the item's measured effect: 1.0 without evidence, 0.5..1.5 with it.

    (passes + 1) / (injections + 2) is the Laplace-smoothed share of injections followed by a pass
    or a speed-up; items that helped rise, items that went with failures sink, and one unlucky use
    moves an item little. Demoted items get a further penalty."""
    e = item.effect
    prior = 0.5 + (e.passes_after + 1) / (e.injected + 2)
    return prior * (DEMOTED_PENALTY if item.status == "demoted" else 1.0)


@dataclass
class Hit:
    item: KnowledgeItem
    syntactic_score: float
    semantic_score: float
    label_score: float
    text_score: float
    score: float  # fused score times the effect prior
    why: str
    prior: float = 1.0
    check: gating.Check | None = None  # which of the item's preconditions the query met


def _label_vector(labels: list[str], boost: str | None = None) -> np.ndarray:
    vec = np.array([1.0 if lbl in labels else 0.0 for lbl in LABELS], dtype=np.float32)
    if boost in LABELS:
        vec[list(LABELS).index(boost)] *= BOTTLENECK_BOOST
    return vec


def _kind(item: KnowledgeItem) -> str:
    return "error" if item.trigger.signature else "perf"


def _cosines(rows: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Cosine of each row with q (0 where either is all zeros)."""
    norms = np.linalg.norm(rows, axis=1) * float(np.linalg.norm(q))
    dots = rows.astype(np.float64) @ q.astype(np.float64)
    return np.divide(dots, norms, out=np.zeros(len(rows)), where=norms > 0)


def _query_text(error_text: str | None, verdict: dict[str, Any] | None, labels: list[str]) -> str:
    err = (verdict or {}).get("error") or {}
    raw = error_text or err.get("hardware_reason") or err.get("message") or ""
    parts = [normalize_error(raw)] if raw else []
    parts += [LABELS[lbl] for lbl in labels]
    return " ".join(parts)


def _item_text(item: KnowledgeItem) -> str:
    parts = [item.trigger.signature, item.rationale] + [LABELS[lbl] for lbl in item.labels if lbl in LABELS]
    return " ".join(p for p in parts if p)


def _embed_cached(store: KnowledgeStore, embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Item texts are embedded once per model and text, then read back from the store."""
    keys = [f"{embedder.name}:{hashlib.sha256(t.encode()).hexdigest()}" for t in texts]
    # Vectors never change for a key, so this process keeps the ones it has read (warm queries skip SQLite).
    memo: dict[str, np.ndarray] = store.vector_memo
    unread = [key for key in keys if key not in memo]
    if unread:
        memo.update({key: np.frombuffer(blob, dtype=np.float32) for key, blob in store.cached_vectors(unread).items()})
    vecs: list[np.ndarray | None] = [memo.get(key) for key in keys]
    missing = [i for i, v in enumerate(vecs) if v is None]
    if missing:
        fresh = embedder.embed([texts[i] for i in missing])
        for i, vec in zip(missing, fresh, strict=True):
            store.cache_vector(keys[i], vec.astype(np.float32).tobytes())
            vecs[i] = memo[keys[i]] = vec.astype(np.float32)
    return np.stack(vecs) if vecs else np.zeros((0, 1), dtype=np.float32)  # type: ignore[arg-type]


def _candidates(
    store: KnowledgeStore, statuses: tuple[str, ...], target: str | None, kind: str | None, q_facts: Facts,
    failing: bool, gate: bool,
) -> tuple[list[KnowledgeItem], dict[str, gating.Check]]:  # fmt: skip
    """The items of `statuses` on `target` of `kind`, each with its precondition check; with `gate`,
    only those whose preconditions the query meets."""
    checks: dict[str, gating.Check] = {}
    items = []
    for status in statuses:
        for it in store.list(status):
            if (target is not None and it.target != target) or (kind is not None and _kind(it) != kind):
                continue
            checks[it.id] = gating.check(gating.of(it), q_facts, repair_against_error=failing and _kind(it) == "error")
            if checks[it.id].ok or not gate:
                items.append(it)
    return items, checks


@dataclass
class _Query:
    """The semantic side of a query: its labels, the bottleneck label boosted for a speed-up query,
    and the text embedded against item texts."""

    labels: list[str]
    boost: str | None
    text: str

    @property
    def label_vector(self) -> np.ndarray:
        return _label_vector(self.labels, self.boost)

    @classmethod
    def of(cls, verdict: dict[str, Any] | None, error_text: str | None, target: str | None,
           extra_labels: list[str] | None) -> _Query:  # fmt: skip
        perf = (verdict or {}).get("perf") or {}
        q_target = target or (verdict or {}).get("target")
        bottleneck_label = labels_for({"perf": {"bottleneck": perf.get("bottleneck")}}, q_target)
        is_perf = (verdict or {}).get("status") == "pass" and bool(bottleneck_label)
        labels = labels_for(verdict, q_target)
        if error_text:
            extra = labels_for({"error": {"message": error_text}}, q_target)
            labels = sorted(set(labels) | set(extra), key=list(LABELS).index)
        if extra_labels:
            labels = sorted(set(labels) | {lbl for lbl in extra_labels if lbl in LABELS}, key=list(LABELS).index)
        boost = bottleneck_label[0] if is_perf else None
        text = _query_text(error_text, verdict, labels)
        if is_perf:
            pipes = ", ".join(f"{p} {v:.0f}%" for p, v in sorted(perf.get("pipes", {}).items()))
            text = f"{perf['bottleneck']} {LABELS[boost]} pipes {pipes}"  # type: ignore[index]
            text += "".join(f" {LABELS[lbl]}" for lbl in extra_labels or [] if lbl in LABELS and lbl != boost)
        return cls(labels, boost, text)


def _ranked(store: KnowledgeStore, embedder: Embedder, code: str, items: list[KnowledgeItem],
            checks: dict[str, gating.Check], query: _Query, k: int, one_per_error: bool) -> list[Hit]:  # fmt: skip
    """Every item scored on both axes at once (matrix-vector products); Hit records for the best k."""
    q_vec = embedder.embed([query.text])[0] if query.text else None
    i_vecs = _embed_cached(store, embedder, [_item_text(it) for it in items])
    bm25 = store.search_code(code, limit=max(50, len(items)))
    top = max(bm25.values(), default=0.0)
    syn = np.array([bm25.get(it.id, 0.0) for it in items]) / top if top > 0 else np.zeros(len(items))
    lab = _cosines(np.stack([_label_vector(it.labels, query.boost) for it in items]), query.label_vector)
    txt = np.clip(_cosines(i_vecs, q_vec), 0.0, None) if q_vec is not None else np.zeros(len(items))
    sem = LABEL_WEIGHT * lab + (1 - LABEL_WEIGHT) * txt if query.labels else txt
    prior = np.array([effect_prior(it) for it in items])
    score = (SYNTACTIC_WEIGHT * syn + SEMANTIC_WEIGHT * sem) * prior
    order = sorted(range(len(items)), key=lambda i: (-score[i], items[i].id))
    order = _one_per_error(order, items) if one_per_error else order
    return [
        Hit(
            items[i],
            float(syn[i]),
            float(sem[i]),
            float(lab[i]),
            float(txt[i]),
            float(score[i]),
            "",
            float(prior[i]),
            checks[items[i].id],
        )  # fmt: skip
        for i in order[:k]
    ]


def _one_per_error(order: list[int], items: list[KnowledgeItem]) -> list[int]:
    """`order` without the lower-ranked repairs of an error a higher one already fixes: two fixes of
    one error signature (learned on two tasks, one of them in the read-only base layer, so never
    merged) would spend two of a prompt's few item slots on one lesson."""
    seen: set[str] = set()
    kept = []
    for i in order:
        signature = items[i].trigger.signature
        if signature and signature in seen:
            continue
        seen.add(signature)
        kept.append(i)
    return kept


def _explain(hits: list[Hit], store: KnowledgeStore, embedder: Embedder, q_labels: list[str],
             q_tokens: set[str]) -> None:  # fmt: skip
    """Each hit's `why`. Only for the returned hits: reading an item's indexed tokens scans the FTS table."""
    for h in hits:
        shared_labels = [lbl for lbl in q_labels if lbl in h.item.labels]
        shared_tokens = sorted(q_tokens & set(store.indexed_tokens(h.item.id).split()))
        h.why = (
            f"labels {shared_labels or 'none shared'} (label cos {h.label_score:.2f}); text sim {h.text_score:.2f} "
            f"({embedder.name}); bm25 {h.syntactic_score:.2f} over {len(shared_tokens)} shared tokens "
            f"{shared_tokens[:8]}; effect prior {h.prior:.2f} ({h.item.effect.passes_after} passes after "
            f"{h.item.effect.injected} applied injections); {h.check.describe() if h.check else ''}"
        )


def retrieve(
    store: KnowledgeStore,
    code: str,
    error_text: str | None = None,
    verdict: dict[str, Any] | None = None,
    k: int = 5,
    *,
    statuses: tuple[str, ...] = PROVEN_STATUSES,
    embedder: Embedder | None = None,
    record: bool = True,
    target: str | None = None,
    kind: str | None = None,
    min_score: float = 0.0,
    facts: Facts | None = None,
    gate: bool = False,
    extra_labels: list[str] | None = None,
    one_per_error: bool = False,
) -> list[Hit]:
    """The k items that best fit the query, best first. Only proven (active, demoted) items by default.

    With `record`, each returned item's `retrieved` count goes up: the evidence pruning uses.
    With `one_per_error` (a prompt's few item slots), at most one item per error signature.
    With `target`, only items learned on that target are considered (a UB fix for PyPTO tiles says
    nothing to a Triton kernel). With `kind` "error" only repair items (they have an error
    signature), with "perf" only speed-up items. Hits below `min_score` are dropped.
    `facts` (e.g. the task's, hawk.knowledge.facts.task_facts) add to what the code shows; with
    `gate` (the agent loop, `hawk kb search`, MCP search), items whose preconditions the query fails
    are left out; without, they are scored and their failed preconditions reported (the plain
    ranking, and the ungated baseline of benchmarks/kb_relevance.py). `extra_labels` join the query's."""
    q_facts = code_facts(code).merge(facts) if facts is not None else code_facts(code)
    failing = bool(error_text) or (verdict is not None and verdict.get("status") not in (None, "pass"))
    items, checks = _candidates(store, statuses, target, kind, q_facts, failing, gate)
    if not items:
        return []
    embedder = embedder or default_embedder()
    if verdict is None and q_facts.bottleneck:  # before the first attempt: the predicted bottleneck
        verdict = {"status": "pass", "target": target, "perf": {"bottleneck": q_facts.bottleneck, "pipes": {}}}
    query = _Query.of(verdict, error_text, target, extra_labels)
    hits = _ranked(store, embedder, code, items, checks, query, k, one_per_error)
    hits = [h for h in hits if h.score >= min_score]
    _explain(hits, store, embedder, query.labels, set(code_tokens(code).split()))
    if record:
        for hit in hits[:k]:
            store.record_effect(hit.item.id, retrieved=True)
    return hits[:k]
