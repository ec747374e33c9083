"""Effect-driven distillation: keep the knowledge that helps, merge what repeats, prune what harms.

One pass (`distill`) does three things, in this order:

1. Effects. An item's applied injections are the evidence (see hawk.knowledge.inject and
   attribution: injections the step's change ignored are counted apart and decide nothing): with at least
   MIN_EVIDENCE injections and a help rate (passes or speed-ups after injection / injections)
   below WEAK_RATE, an active item is demoted (still retrieved, at a penalty). A demoted item is
   judged only on the injections since its demotion: MIN_EVIDENCE more with a rate below WEAK_RATE
   prunes it, a rate of STRONG_RATE or more makes it active again.
2. Near-duplicates. Proven items of one target are compared on both retrieval axes: semantic
   (taxonomy-label cosine blended with text-embedding cosine, as in retrieval) at least
   SEMANTIC_DUP and syntactic (Jaccard of the code tokens of the changed lines, i.e. of the fix)
   at least SYNTACTIC_DUP. Pairs above both are joined into clusters.
3. Arbitration. Each cluster goes to the LLM with the items' triggers, rationales, diffs and
   effects; it answers merge (keeping one item's executable part, with a combined rationale), keep
   (they are different lessons; remembered so the pair is not asked again) or prune (named items
   are wrong). Without an LLM, rules decide: merge into the item with the best evidence. A merged
   item is a new item whose executable part is re-run on the target first; only if it passes do
   the sources become `merged` (pointing at it). Nothing is deleted: merged and pruned items keep
   their reasons and can be restored with `hawk kb` (status changes are in their history).
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from hawk.knowledge.embedding import Embedder, default_embedder
from hawk.knowledge.item import Effect, KnowledgeItem, now
from hawk.knowledge.retrieval import LABEL_WEIGHT, _embed_cached, _item_text, _label_vector
from hawk.knowledge.store import KnowledgeStore
from hawk.knowledge.tokens import code_tokens
from hawk.llm import LLM, LLMError, Message
from hawk.targets.base import EvalOptions
from hawk.targets.verdict import Verdict
from hawk.tasks.task import Task

MIN_EVIDENCE = 3  # injections before an item's help rate is believed
WEAK_RATE = 0.25  # help rate at or below which an item is demoted (then pruned)
STRONG_RATE = 0.5  # help rate at which a demoted item is made active again
SEMANTIC_DUP = 0.85
SYNTACTIC_DUP = 0.5
MAX_CLUSTER = 6  # items shown to the arbiter at once; larger clusters are cut to the best-evidenced
_CHUNK = 1024  # rows of the similarity matrix computed at once (memory stays ~N * 4 KiB)


@dataclass(frozen=True)
class Recheck:
    """A re-run of an item's fix: the verdict, or why there could be none (its task or target is gone)."""

    verdict: Verdict | None
    reason: str = ""

    @property
    def passed(self) -> bool:
        return self.verdict is not None and self.verdict.passed

    @property
    def outcome(self) -> str:
        """The verdict's status, or `not run` (not a status: nothing was judged)."""
        return self.verdict.status.value if self.verdict is not None else "not run"

    def why(self) -> str:
        if self.verdict is None:
            return self.reason
        err = self.verdict.error
        return (err.hardware_reason or err.message) if err else ""


@dataclass
class DistillReport:
    demoted: list[str] = field(default_factory=list)
    promoted: list[str] = field(default_factory=list)
    pruned: list[dict[str, str]] = field(default_factory=list)
    merged: list[dict[str, Any]] = field(default_factory=list)  # {into, sources, arbiter, reason}
    kept: list[dict[str, Any]] = field(default_factory=list)
    failed_merges: list[dict[str, Any]] = field(default_factory=list)
    clusters: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"distill: {len(self.demoted)} demoted, {len(self.promoted)} promoted, {len(self.pruned)} pruned, "
            f"{self.clusters} duplicate cluster(s): {len(self.merged)} merged, {len(self.kept)} kept apart, "
            f"{len(self.failed_merges)} merge(s) not re-verified"
        )


def distill(
    store: KnowledgeStore,
    llm: LLM | None = None,
    *,
    eval_options: EvalOptions | None = None,
    embedder: Embedder | None = None,
    evaluate: Callable[[KnowledgeItem], Recheck] | None = None,
    log: Callable[[str], None] = print,
) -> DistillReport:
    """One distillation pass over `store` (see the module docstring). `evaluate` re-runs an item's
    executable part; by default on the item's own target and task."""
    report = DistillReport()
    evaluate = evaluate or (lambda item: reverify(item, eval_options))
    _apply_effects(store, report)
    # The shipped base layer is read-only: only the user's own items are merged, demoted or pruned.
    mine = store.list("active", layer="user") + store.list("demoted", layer="user")
    for cluster in find_duplicates(mine, store, embedder):
        report.clusters += 1
        _arbitrate_and_apply(store, cluster, llm, evaluate, report, log)
    log(report.summary())
    return report


# --- 1. effects ----------------------------------------------------------------------------------


def _since_demotion(item: KnowledgeItem) -> tuple[int, int]:
    """(injections, passes) since the item was last demoted."""
    mark = next((h for h in reversed(item.history) if h.get("event") == "demoted"), None)
    if mark is None:
        return item.effect.injected, item.effect.passes_after
    return item.effect.injected - mark["injected"], item.effect.passes_after - mark["passes_after"]


def _apply_effects(store: KnowledgeStore, report: DistillReport) -> None:
    for item in store.list("active", layer="user"):
        e = item.effect
        if e.injected >= MIN_EVIDENCE and e.passes_after / e.injected <= WEAK_RATE:
            reason = (f"helped {e.passes_after} of {e.injected} applied injections ({e.regressions} failures or "
                      f"slowdowns; {e.not_applied} more injections not applied)")  # fmt: skip
            _mark(store, item, "demoted", reason, {"injected": e.injected, "passes_after": e.passes_after})
            report.demoted.append(item.id)
    for item in store.list("demoted", layer="user"):
        injected, passes = _since_demotion(item)
        if injected < MIN_EVIDENCE:
            continue
        rate = passes / injected
        if rate <= WEAK_RATE:
            reason = f"harmful: helped {passes} of {injected} injections since it was demoted"
            store.set_status(item.id, "pruned", reason)
            report.pruned.append({"id": item.id, "reason": reason, "by": "effects"})
        elif rate >= STRONG_RATE:
            store.set_status(item.id, "active", f"helped {passes} of {injected} injections since demotion")
            report.promoted.append(item.id)


def _mark(store: KnowledgeStore, item: KnowledgeItem, status: str, reason: str, detail: dict[str, Any]) -> None:
    """Status change plus a history entry holding the effect counts at that moment."""
    store.set_status(item.id, status, reason)
    fresh = store.get(item.id)
    fresh.history.append({"at": now(), "event": status, **detail})
    store.update(fresh)


# --- 2. near-duplicates ------------------------------------------------------------------------


def fix_tokens(item: KnowledgeItem) -> set[str]:
    """Code tokens of the changed lines of the item's diff: what the fix does, not the whole kernel."""
    diff = item.trigger.code_pattern or ""
    changed = [ln[1:] for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    return set(code_tokens("\n".join(changed) if changed else item.after_code).split())


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def find_duplicates(
    items: list[KnowledgeItem], store: KnowledgeStore, embedder: Embedder | None = None
) -> list[list[KnowledgeItem]]:
    """Clusters (2+ items, same target) that are near-duplicates on both axes and not already
    judged distinct by an earlier arbitration."""
    by_target: dict[str, list[KnowledgeItem]] = {}
    for it in items:
        by_target.setdefault(it.target, []).append(it)
    clusters: list[list[KnowledgeItem]] = []
    for group in by_target.values():
        if len(group) > 1:
            embedder = embedder or default_embedder()
            clusters += _cluster(group, store, embedder)
    return clusters


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _cluster(group: list[KnowledgeItem], store: KnowledgeStore, embedder: Embedder) -> list[list[KnowledgeItem]]:
    text = _embed_cached(store, embedder, [_item_text(it) for it in group]).astype(np.float32)
    text /= np.maximum(np.linalg.norm(text, axis=1, keepdims=True), 1e-12)
    labels = np.stack([_label_vector(it.labels) for it in group])
    labels /= np.maximum(np.linalg.norm(labels, axis=1, keepdims=True), 1e-12)
    tokens = [fix_tokens(it) for it in group]
    parent = list(range(len(group)))  # union-find over pairs that are duplicates on both axes
    for start in range(0, len(group), _CHUNK):
        rows = slice(start, start + _CHUNK)
        sem = LABEL_WEIGHT * (labels[rows] @ labels.T) + (1 - LABEL_WEIGHT) * np.clip(text[rows] @ text.T, 0, None)
        for a, b in zip(*np.nonzero(sem >= SEMANTIC_DUP), strict=True):
            i, j = start + int(a), int(b)
            if j <= i or _jaccard(tokens[i], tokens[j]) < SYNTACTIC_DUP or _judged_distinct(group[i], group[j]):
                continue
            parent[_root(parent, i)] = _root(parent, j)
    members: dict[int, list[KnowledgeItem]] = {}
    for i, it in enumerate(group):
        members.setdefault(_root(parent, i), []).append(it)
    return [sorted(c, key=_evidence, reverse=True)[:MAX_CLUSTER] for c in members.values() if len(c) > 1]


def _judged_distinct(a: KnowledgeItem, b: KnowledgeItem) -> bool:
    return any(h.get("event") == "kept_distinct" and b.id in h.get("with", []) for h in a.history)


def _evidence(item: KnowledgeItem) -> tuple[float, int, float]:
    """Best first: help rate (Laplace), then uses, then the faster proof."""
    e = item.effect
    t = ((item.proof_verdict or {}).get("perf") or {}).get("time_us") or float("inf")
    return ((e.passes_after + 1) / (e.injected + 2), e.injected, -t)


# --- 3. arbitration ----------------------------------------------------------------------------


@dataclass
class Decision:
    action: str  # merge | keep | prune
    base: str | None = None
    rationale: str | None = None
    prune: list[str] = field(default_factory=list)
    reason: str = ""
    arbiter: str = "rules"


def _describe(item: KnowledgeItem) -> str:
    e = item.effect
    t = ((item.proof_verdict or {}).get("perf") or {}).get("time_us")
    diff = "\n".join((item.trigger.code_pattern or "").splitlines()[:30])
    return (
        f"## item {item.id} (task {item.provenance.get('task')}, labels {', '.join(item.labels)})\n"
        f"when: {item.trigger.signature or 'profile bound by ' + str(item.trigger.bottleneck)}\n"
        f"why: {item.rationale}\nproof: passed{f', {t} us' if t else ''}; effect: injected {e.injected}, "
        f"passes after {e.passes_after}, failures or slowdowns {e.regressions}\n```diff\n{diff}\n```"
    )


def arbitration_prompt(cluster: list[KnowledgeItem]) -> str:
    ids = ", ".join(it.id for it in cluster)
    return (
        "You curate a knowledge base of hardware-proven fixes for Ascend NPU kernels. These items look alike "
        "on both code and hardware cause. Decide:\n"
        "- merge: they teach one lesson; keep the executable part of the item named in `base` and write one "
        "rationale that covers all of them;\n- keep: they teach different lessons;\n"
        "- prune: some are wrong or misleading; list them in `prune`.\n\n"
        + "\n\n".join(_describe(it) for it in cluster)
        + f"\n\nItem ids: {ids}.\nAnswer with one JSON object only, e.g. "
        '{"decision": "merge", "base": "<id>", "rationale": "<one or two sentences>", "prune": [], '
        '"reason": "<why>"}'
    )


def parse_decision(text: str, cluster: list[KnowledgeItem]) -> Decision:
    """The arbiter's JSON, checked against the cluster. Raises ValueError naming what is wrong."""
    match = re.search(r"\{.*\}", text or "", re.S)
    if not match:
        raise ValueError("no JSON object in the reply")
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError as exc:
        raise ValueError(f"reply JSON does not parse ({exc.msg})") from None
    ids = {it.id for it in cluster}
    action = str(data.get("decision", "")).lower()
    if action not in ("merge", "keep", "prune"):
        raise ValueError(f"decision {data.get('decision')!r} is not merge, keep or prune")
    prune = [str(i) for i in data.get("prune") or []]
    if set(prune) - ids:
        raise ValueError(f"prune names unknown items {sorted(set(prune) - ids)}")
    base = data.get("base")
    if action == "merge" and base not in ids:
        raise ValueError(f"merge base {base!r} is not one of the items")
    if action == "prune" and not prune:
        raise ValueError("decision prune names no items")
    rationale = " ".join(str(data.get("rationale") or "").split())[:600] or None
    return Decision(action, base, rationale, prune, str(data.get("reason") or "")[:300], "llm")


def _decide(cluster: list[KnowledgeItem], llm: LLM | None, log: Callable[[str], None]) -> Decision:
    best = cluster[0]  # clusters are sorted best evidence first
    fallback = Decision("merge", best.id, None, [], "rules: same cause and fix; kept the best-evidenced item")
    if llm is None:
        return fallback
    try:
        reply = llm.complete([Message("user", arbitration_prompt(cluster))], temperature=0.0).text
        return parse_decision(reply, cluster)
    except (LLMError, ValueError) as exc:
        # An unusable arbiter must not merge or prune anything on its own say-so.
        log(f"distill: arbiter reply unusable for {[it.id for it in cluster]} ({exc}); keeping the items as they are")
        return Decision("keep", reason=f"arbiter reply unusable: {exc}", arbiter="none")


def _arbitrate_and_apply(store, cluster, llm, evaluate, report: DistillReport, log) -> None:
    decision = _decide(cluster, llm, log)
    ids = [it.id for it in cluster]
    for item_id in decision.prune:
        reason = f"distill ({decision.arbiter}): {decision.reason or 'judged wrong or misleading'}"
        store.set_status(item_id, "pruned", reason)
        report.pruned.append({"id": item_id, "reason": reason, "by": decision.arbiter})
    survivors = [it for it in cluster if it.id not in decision.prune]
    if decision.action == "keep":
        if decision.arbiter != "none":  # remember a real judgement so the pair is not asked again
            for it in survivors:
                fresh = store.get(it.id)
                fresh.history.append({"at": now(), "event": "kept_distinct", "with": [o.id for o in survivors
                                      if o.id != it.id], "reason": decision.reason})  # fmt: skip
                store.update(fresh)
        report.kept.append({"items": ids, "arbiter": decision.arbiter, "reason": decision.reason})
        return
    if decision.action != "merge" or len(survivors) < 2:
        return
    base = next((it for it in survivors if it.id == decision.base), survivors[0])
    merged = merge_items(base, survivors, decision)
    recheck = evaluate(merged)
    merged.proof_verdict = recheck.verdict.to_dict() if recheck.verdict else None
    merged.provenance["proof_status"] = recheck.outcome
    if not recheck.passed:
        reason = f"re-verification of the merged fix gave {recheck.outcome}" + (
            f" ({recheck.reason})" if recheck.reason else ""
        )
        report.failed_merges.append({"sources": [it.id for it in survivors], "reason": reason})
        log(f"distill: merge of {[it.id for it in survivors]} not applied: {reason}")
        return
    store.add(merged)
    for it in survivors:
        store.set_status(it.id, "merged", f"distill ({decision.arbiter}): {decision.reason}", merged_into=merged.id)
    report.merged.append({"into": merged.id, "sources": [it.id for it in survivors], "arbiter": decision.arbiter,
                          "reason": decision.reason})  # fmt: skip


def merge_items(base: KnowledgeItem, items: list[KnowledgeItem], decision: Decision) -> KnowledgeItem:
    """A new item: the base's trigger and executable part, all labels, summed effects, the
    arbiter's rationale, and provenance naming every source. Not yet proven (no proof verdict)."""
    merged = copy.deepcopy(base)
    merged.id = uuid.uuid4().hex[:12]
    merged.created = merged.updated = now()
    merged.labels = sorted({lbl for it in items for lbl in it.labels}, key=lambda x: (x not in base.labels, x))
    merged.rationale = decision.rationale or base.rationale
    merged.effect = Effect(
        retrieved=sum(it.effect.retrieved for it in items),
        injected=sum(it.effect.injected for it in items),
        passes_after=sum(it.effect.passes_after for it in items),
        regressions=sum(it.effect.regressions for it in items),
        speedups=[s for it in items for s in it.effect.speedups],
        not_applied=sum(it.effect.not_applied for it in items),
        not_applied_passes=sum(it.effect.not_applied_passes for it in items),
        withheld=sum(it.effect.withheld for it in items),
        withheld_passes=sum(it.effect.withheld_passes for it in items),
    )
    merged.proven_tasks = sorted({t for it in items for t in it.proven_tasks})
    merged.general = len(merged.proven_tasks) >= 2
    merged.status, merged.status_reason, merged.merged_into, merged.proof_verdict = "candidate", "", None, None
    merged.history = [{"at": now(), "event": "merged_from", "sources": [it.id for it in items],
                       "arbiter": decision.arbiter, "reason": decision.reason}]  # fmt: skip
    merged.provenance = {
        **base.provenance,
        "source": "merge",
        "merged_from": [it.id for it in items],
        "tasks": sorted({str(it.provenance.get("task")) for it in items}),
        "arbiter": decision.arbiter,
        "rationale_from": "llm" if decision.rationale else base.provenance.get("rationale_from"),
    }
    return merged


def reverify(
    item: KnowledgeItem, eval_options: EvalOptions | None = None, prove: Callable[[str, Task], Verdict] | None = None
) -> Recheck:
    """Run the item's executable part on its task now: through `prove` when given (the caller's target),
    else on the item's own target from the registry (`hawk kb distill --reverify`).

    A task or target that cannot be found any more gives a Recheck without a verdict, so a merge
    that cannot be checked is simply not applied."""
    from hawk.tasks import TaskError, resolve_task

    if prove is None:
        from hawk import targets

        try:
            target = targets.get(item.target)
        except KeyError as exc:
            return Recheck(None, f"cannot re-verify: {exc}")
        prove = lambda code, task: target.evaluate(code, task, eval_options)  # noqa: E731
    prov = item.provenance
    # A registered suite's task by id (its manifest carries tolerances), else the task file itself.
    refs = [(prov["task"], prov["suite"])] if prov.get("suite") and prov.get("task") else []
    refs += [(prov["task_path"], None)] if prov.get("task_path") else [(prov["task"], None)] if prov.get("task") else []
    for ref, suite in refs:
        try:
            task = resolve_task(str(ref), suite)
        except TaskError:
            continue
        return Recheck(prove(item.after_code, task))
    return Recheck(None, f"cannot re-verify: task {prov.get('task')} not found")


def reverify_items(
    store: KnowledgeStore,
    eval_options: EvalOptions | None = None,
    *,
    item_ids: list[str] | None = None,
    evaluate: Callable[[KnowledgeItem], Recheck] | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, str]:
    """Re-run the executable part of proven items (all, or `item_ids`) on the target as it is now,
    e.g. after a compiler or simulator upgrade. A pass refreshes the proof; anything else makes the
    item a candidate again (never injected) with the verdict as the reason. Returns id -> status."""
    evaluate = evaluate or (lambda item: reverify(item, eval_options))
    items = [store.get(i) for i in item_ids] if item_ids else store.list("active") + store.list("demoted")
    outcome: dict[str, str] = {}
    for item in items:
        recheck = evaluate(item)
        fresh = store.get(item.id)
        fresh.history.append({"at": now(), "event": "reverified", "status": recheck.outcome})
        if recheck.passed and recheck.verdict is not None:
            fresh.proof_verdict = recheck.verdict.to_dict()
        else:
            fresh.status, fresh.status_reason = "candidate", f"re-verification gave {recheck.outcome}: {recheck.why()}"
        store.update(fresh)
        outcome[item.id] = recheck.outcome
        log(f"reverify {item.id}: {outcome[item.id]}")
    return outcome
