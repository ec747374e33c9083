"""Items from the tuner: a verified tuner point is a proven speed-up with a small diff.

The loop tunes every new correct kernel (hawk.tune) and keeps the tuned source only when it beat the
original and passed every seed again, so a changed tuning result already carries its proof: the
tuned verdict. Such a result becomes one performance item like any other (trigger: the untuned
kernel's bottleneck; change: the knobs that moved), with no extra evaluation and no LLM question.

Tuned values are specific to a shape, so items are kept per *knob family* (which kinds of knob moved
and which way, e.g. "grow:tile_size + set:vec_nbuffer_setting" on a vector kernel) rather than per
diff: a second task whose tuner moved the same family credits the existing item with that task (it
is then general) instead of adding a near-copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hawk.knowledge.attribution import change_keys, template
from hawk.knowledge.facts import code_facts, kernel_class
from hawk.knowledge.item import KnowledgeItem, Trigger, code_hash
from hawk.knowledge.store import KnowledgeStore
from hawk.knowledge.taxonomy import labels_for
from hawk.records.trajectory import Step

MIN_TUNER_SPEEDUP = 1.03  # below this a tuned point is noise in the search, not a lesson
_FAMILY_ROLES = ("tile_size", "cube_tile")


@dataclass
class TunerLesson:
    step: Step
    before_code: str
    after_code: str
    before: dict[str, Any]  # the untuned kernel's verdict
    after: dict[str, Any]  # the tuned kernel's verdict (every seed)


def find_tuner_lessons(steps: list[Step]) -> list[TunerLesson]:
    """Steps whose kernel the tuner made faster and verified."""
    lessons = []
    for s in steps:
        t = s.tuning
        if not (t and t.changed and t.source and s.candidate and s.verdict is not None and t.verdict is not None):
            continue
        if s.verdict.status.value != "pass" or t.verdict.status.value != "pass":
            continue
        if t.before_us and t.after_us and t.before_us / t.after_us >= MIN_TUNER_SPEEDUP:
            lessons.append(TunerLesson(s, s.candidate, t.source, s.verdict.to_dict(), t.verdict.to_dict()))
    return lessons


def knob_family(before_code: str, after_code: str) -> list[str]:
    """What kinds of knob moved, and which way: role keys for tile sizes, the option name otherwise."""
    keys = change_keys(before_code, after_code)
    roles = sorted(k for k in keys if k.split(":", 1)[1] in _FAMILY_ROLES)
    named_tiles = {k for k in keys if any(k.startswith(r.split(":")[0] + ":") for r in roles)}
    others = sorted(k for k in keys - named_tiles if "nbuffer" in k or "reuse" in k or "setting" in k)
    return roles + others or sorted(keys)


def tuner_item(lesson: TunerLesson, task_id: str, target: str, sku: str | None, run_id: str) -> KnowledgeItem:
    """The lesson as a proven performance item (its proof is the tuner's verified verdict)."""
    t0 = (lesson.before.get("perf") or {}).get("time_us")
    t1 = (lesson.after.get("perf") or {}).get("time_us")
    bottleneck = (lesson.before.get("perf") or {}).get("bottleneck")
    steps = "; ".join(template(lesson.before_code, lesson.after_code)) or "retuned sizes"
    cls = kernel_class(code_facts(lesson.before_code)) or "unknown"
    family = knob_family(lesson.before_code, lesson.after_code)
    rationale = (
        f"Hawk's tuner searched this {cls} kernel's knobs on the simulator and verified on every seed: "
        f"{steps} took it from {t0} to {t1} us ({bottleneck or 'unprofiled'}). Tile sizes that fit the "
        "on-chip buffers with room for double buffering keep the pipes busy; the best values depend on the shape."
    )
    return KnowledgeItem(
        trigger=Trigger(bottleneck=bottleneck, pipes=dict((lesson.before.get("perf") or {}).get("pipes") or {})),
        labels=labels_for(lesson.before),
        rationale=rationale,
        before_code=lesson.before_code,
        after_code=lesson.after_code,
        proof_verdict=lesson.after,
        target=target,
        sku=sku,
        provenance={
            "task": task_id,
            "source": "tuner",
            "run_id": run_id,
            "lesson": "tune",
            "steps": [lesson.step.index],
            "time_us": [t0, t1],
            "knob_family": family,
            "dedup_key": f"tune|{target}|{cls}|{bottleneck}|{','.join(family)}",
            "after_code_hash": code_hash(lesson.after_code),
            "proof_status": "pass",
        },  # fmt: skip
    )


def learn_from_tuner(
    steps: list[Step], task_id: str, target: str, sku: str | None, store: KnowledgeStore, run_id: str = ""
) -> list[KnowledgeItem]:
    """Add one item per new knob family the run's tuner proved; credit known families with this task."""
    created = []
    for lesson in find_tuner_lessons(steps):
        item = tuner_item(lesson, task_id, target, sku, run_id)
        known = store.first_with_dedup_key(item.dedup_key())
        if known is not None:
            store.credit_task(known.id, task_id)
            continue
        created.append(store.add(item))
    return created
