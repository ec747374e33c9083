"""Knowledge in the loop: retrieved items as prompt text, and what happened after they were used.

`knowledge_text` writes each hit for the model the way an engineer would pass on a lesson, in at most
twelve lines: when it applies (and which of its preconditions this kernel meets), why in hardware
terms in one sentence, the rule, and the essential change as a minimal diff (comments and comment
churn dropped), with how often it helped when it was applied. `hawk kb show` has the full record.

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

import difflib
import re
from typing import Any

from hawk.knowledge.retrieval import Hit
from hawk.knowledge.rule import describe as rule_line
from hawk.knowledge.store import KnowledgeStore
from hawk.targets.verdict import Verdict

MAX_ITEM_LINES = 12  # one item in a prompt: a model takes it in at a glance; `hawk kb show` has the rest
MAX_DIFF_LINES = 6
MAX_LINE_CHARS = 160


def knowledge_text(hits: list[Hit]) -> str:
    """The hits as a prompt section, best first, each within MAX_ITEM_LINES."""
    blocks = [item_block(n, h) for n, h in enumerate(hits, 1)]
    return (
        "These fixes were proven on the target in earlier runs; apply the ones whose cause matches yours "
        "(sizes and ops will differ):\n" + "\n".join(blocks)
    )


def item_block(n: int, hit: Hit) -> str:
    """One item for a prompt: when it applies, the hardware reason in one sentence, the rule, and the
    essential change as a minimal diff (comments, blank and comment-only edits dropped)."""
    it = hit.item
    when = it.trigger.signature or f"profile bound by {it.trigger.bottleneck}"
    proof = it.proof_verdict or {}
    t = (proof.get("perf") or {}).get("time_us")
    proved = f"passed on {it.target}" + (f", {t} us" if t else "")
    e = it.effect
    record = f"helped {e.passes_after} of {e.injected} times applied" if e.injected else "not applied before"
    lines = [f"{n}. [{', '.join(it.labels) or 'unlabelled'}] when: {when}"]
    if hit.check and hit.check.held:
        lines.append(f"   fits this kernel: {', '.join(hit.check.held)}")
    lines += [f"   why: {first_sentence(it.rationale)}", f"   {rule_line(it)}", f"   change ({proved}; {record}):"]
    diff = minimal_diff(it.before_code, it.after_code, MAX_ITEM_LINES - len(lines) - 2)
    lines += ["```diff", *diff, "```"]
    return "\n".join(_cut(line) for line in lines)


def first_sentence(text: str) -> str:
    """The rationale's first sentence (a rationale is a paragraph; the prompt needs its point)."""
    flat = " ".join((text or "").split())
    head = re.split(r"(?<=[.!?])\s+(?=[A-Z(])", flat, maxsplit=1)[0]
    return head


def minimal_diff(before: str, after: str, max_lines: int = MAX_DIFF_LINES) -> list[str]:
    """The change's essential lines: changed code with comments stripped; edits that only touched
    comments or blank lines are dropped; at most `max_lines` lines (the last one says what was cut)."""
    strip = [_code_part(line) for line in before.splitlines()]
    after_strip = [_code_part(line) for line in after.splitlines()]
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=strip, b=after_strip, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        out += [f"-{line}" for line in strip[i1:i2] if line.strip()]
        out += [f"+{line}" for line in after_strip[j1:j2] if line.strip()]
    limit = max(2, min(max_lines, MAX_DIFF_LINES))
    if len(out) > limit:
        out = out[: limit - 1] + [f"# ... {len(out) - limit + 1} more changed lines (hawk kb show)"]
    return out


def _code_part(line: str) -> str:
    """A line without its comment (a '#' outside quotes), right-stripped."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            return line[:i].rstrip()
    return line.rstrip()


def _cut(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 3] + "..."


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
