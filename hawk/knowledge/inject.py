"""Knowledge in the loop: retrieved items as prompt text, and what happened after they were used.

`knowledge_text` writes each hit for the model the way an engineer would pass on a lesson: when it
applies (and which of its preconditions this kernel meets), why in hardware terms, the rule, and
the proven change as a diff, with how often it helped when it was applied.

`record_outcome` is the evidence distillation rests on. After a step whose prompt carried items,
the step's outcome is judged once (`step_helped`):
* generate or repair: the new candidate passed -> help; it failed -> a regression;
* optimize: it passed and beat the best time -> help (with the speed-up); it failed or was slower
  -> a regression (a passing but slower kernel still records its speed-up below 1).
Only items the step *applied* (hawk.knowledge.attribution) are credited with that outcome; items it
ignored are counted apart, and items the A/B ablation withheld record the outcome without them.
A reply with no kernel says nothing about the items and records nothing.
"""

from __future__ import annotations

from typing import Any

from hawk.knowledge.retrieval import Hit
from hawk.knowledge.rule import describe as rule_line
from hawk.knowledge.store import KnowledgeStore
from hawk.targets.verdict import Verdict

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
        record = f"helped {e.passes_after} of {e.injected} times it was applied" if e.injected else "not applied before"
        diff = (it.trigger.code_pattern or "").splitlines()
        if len(diff) > MAX_DIFF_LINES:
            diff = diff[:MAX_DIFF_LINES] + [f"... ({len(diff) - MAX_DIFF_LINES} more lines)"]
        held = f"   fits this kernel: {', '.join(h.check.held)}\n" if h.check and h.check.held else ""
        blocks.append(
            f"{n}. [{', '.join(it.labels) or 'unlabelled'}] when: {when}\n{held}"
            f"   why: {it.rationale}\n   {rule_line(it)}\n"
            f"   proven change ({proved}; {record}):\n```diff\n" + "\n".join(diff) + "\n```"
        )
    return (
        "These fixes were proven on the target in earlier runs; apply the ones whose cause matches yours "
        "(sizes and ops will differ):\n" + "\n".join(blocks)
    )


def step_helped(kind: str, verdict: Verdict, best_time_us: float | None) -> tuple[bool, float | None]:
    """(did the step help, its speed-up over the best so far for an optimize step)."""
    passed = verdict.passed
    time_us = verdict.perf.time_us if verdict.perf else None
    speedup = round(best_time_us / time_us, 4) if passed and kind == "optimize" and best_time_us and time_us else None
    return (passed if kind != "optimize" else bool(speedup and speedup > 1.0)), speedup


def record_outcome(
    store: KnowledgeStore,
    item_ids: list[str],
    kind: str,
    verdict: Verdict | None,
    best_time_us: float | None,
    applied: list[str] | None = None,
    withheld: list[str] | None = None,
    task: str | None = None,
) -> bool | None:
    """Add this step's result to the effect statistics of every item its prompt carried (or withheld);
    return whether the step helped (None: nothing to judge). `applied` None: every item counts as
    applied (callers that do not attribute)."""
    if (not item_ids and not withheld) or verdict is None:
        return None
    helped, speedup = step_helped(kind, verdict, best_time_us)
    for item_id in item_ids:
        used = applied is None or item_id in applied
        _record(store, item_id, injected=True, applied=used, passed=helped, regressed=not helped,
                speedup=speedup, task=task)  # fmt: skip
    for item_id in withheld or []:
        _record(store, item_id, withheld=True, passed=helped)
    return helped


def _record(store: KnowledgeStore, item_id: str, **kwargs: Any) -> None:
    try:
        store.record_effect(item_id, **kwargs)
    except KeyError:
        pass  # the item was removed from this store by an import/merge elsewhere: nothing to add to
