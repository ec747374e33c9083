"""Knowledge in the loop: retrieved items as prompt text, and what happened after they were used.

`knowledge_text` writes each hit for the model the way an engineer would pass on a lesson: when it
applies, why in hardware terms, and the proven change as a diff, with how often it helped.

`record_outcome` is the evidence distillation rests on. After a step whose prompt carried items:
* repair: the new candidate passed -> `passes_after`; it still failed -> `regressions`;
* optimize: it passed and beat the best time -> `passes_after` and the speed-up; it failed or was
  slower -> `regressions` (a passing but slower kernel still records its speed-up below 1).
A reply with no kernel says nothing about the items and records nothing.
"""

from __future__ import annotations

from typing import Any

from hawk.knowledge.retrieval import Hit
from hawk.knowledge.store import KnowledgeStore

MAX_DIFF_LINES = 40


def knowledge_text(hits: list[Hit]) -> str:
    """The hits as a prompt section, best first."""
    blocks = []
    for n, h in enumerate(hits, 1):
        it = h.item
        when = it.trigger.signature or f"profile bound by {it.trigger.bottleneck}"
        proof = it.proof_verdict or {}
        t = (proof.get("perf") or {}).get("time_us")
        proved = f"passed on {it.target} {it.sku or ''}".rstrip() + (f", {t} us" if t else "")
        e = it.effect
        record = f"helped {e.passes_after} of {e.injected} times it was used" if e.injected else "not used before"
        diff = (it.trigger.code_pattern or "").splitlines()
        if len(diff) > MAX_DIFF_LINES:
            diff = diff[:MAX_DIFF_LINES] + [f"... ({len(diff) - MAX_DIFF_LINES} more lines)"]
        blocks.append(
            f"{n}. [{', '.join(it.labels) or 'unlabelled'}] when: {when}\n"
            f"   why: {it.rationale}\n"
            f"   proven change ({proved}; {record}):\n```diff\n" + "\n".join(diff) + "\n```"
        )
    return (
        "These fixes were proven on the target in earlier runs; apply the ones whose cause matches yours "
        "(sizes and ops will differ):\n" + "\n".join(blocks)
    )


def record_outcome(
    store: KnowledgeStore, item_ids: list[str], kind: str, verdict: dict[str, Any] | None, best_time_us: float | None
) -> None:
    """Add this step's result to the effect statistics of every item its prompt carried."""
    if not item_ids or verdict is None:
        return
    passed = verdict.get("status") == "pass"
    time_us = (verdict.get("perf") or {}).get("time_us")
    speedup = round(best_time_us / time_us, 4) if passed and kind == "optimize" and best_time_us and time_us else None
    helped = passed if kind != "optimize" else bool(speedup and speedup > 1.0)
    for item_id in item_ids:
        try:
            store.record_effect(item_id, injected=True, passed=helped, regressed=not helped, speedup=speedup)
        except KeyError:
            continue  # the item was removed from this store by an import/merge elsewhere: nothing to add to
