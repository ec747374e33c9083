"""Run-time knowledge synthesis: turn what one agent run learned into proven knowledge items.

Two kinds of lesson are read off a trajectory:

* a repair: a candidate failed and a later candidate of the same run passed;
* a speed-up: a passing kernel was followed by a passing one at least 5% faster;
* a tuned kernel: the tuner's verified point on a step's kernel (hawk.knowledge.tuner_lessons).

Each lesson becomes one item: trigger from the earlier verdict, taxonomy labels (rules first, the
LLM only when the rules find none), a rationale, the before/after code with their unified diff, and
provenance. The after code is then run on the target again and that verdict is the item's proof, so
an item is active only when the fix reproduces (the store enforces it). Each item also gets its
preconditions (hawk.knowledge.gating, with the task's shape regimes), its change keys and the rule it
stands for (hawk.knowledge.rule: trigger, rationale, template); a lesson whose change repeats a
proven item's change on another task makes that item general. Benchmark reference
solutions are never stored: an after code equal to the task's expert kernel is refused.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hawk.knowledge.facts import Facts, task_facts
from hawk.knowledge.item import PROVEN_STATUSES, KnowledgeItem, Trigger, code_hash, normalize_error
from hawk.knowledge.rule import complete
from hawk.knowledge.store import KnowledgeStore
from hawk.knowledge.taxonomy import LABELS, labels_for
from hawk.knowledge.tuner_lessons import find_tuner_lessons, learn_from_tuner
from hawk.llm import LLM, LLMError, Message
from hawk.records.trajectory import Step
from hawk.scrub import scrub
from hawk.targets.base import EvalOptions, Target
from hawk.targets.verdict import Verdict
from hawk.tasks.suite import all_experts, expert_for
from hawk.tasks.task import Task

MIN_SPEEDUP = 0.05  # a later kernel must be at least this much faster to count as a perf lesson
MAX_RATIONALE_CHARS = 600

_CAPACITY_NAMES = {
    "ub_capacity": "UB overflow",
    "l1_capacity": "L1 overflow",
    "l0a_capacity": "L0A overflow",
    "l0b_capacity": "L0B overflow",
    "l0c_capacity": "L0C overflow",
}
_TILE_CALL = re.compile(r"set_(vec|cube)_tile_shapes\s*\(([^)]*)\)")
_CONST = re.compile(r"\b([A-Z][A-Z0-9_]*)\s*=\s*(\d+)\b")  # upper-case sizes: launch constexprs, constants


@dataclass
class Lesson:
    """One (earlier, later) pair of steps of a run that taught something."""

    kind: str  # "repair" | "perf"
    before: Step
    after: Step


def find_lessons(steps: list[Step]) -> list[Lesson]:
    """Repairs (failed -> first later pass) and speed-ups (pass -> first later pass >= 5% faster)."""
    judged = [s for s in steps if s.candidate and s.verdict]
    lessons: list[Lesson] = []
    for i, early in enumerate(judged):
        later = judged[i + 1 :]
        if not early.verdict.passed:
            fix = next((s for s in later if s.verdict.passed), None)
            if fix is not None and fix.candidate != early.candidate:
                lessons.append(Lesson("repair", early, fix))
            continue
        t0 = _time_of(early.verdict)
        if t0 is None:
            continue
        faster = next(
            (s for s in later if s.verdict.passed and (_time_of(s.verdict) or t0) <= t0 * (1 - MIN_SPEEDUP)),
            None,
        )
        if faster is not None:
            lessons.append(Lesson("perf", early, faster))
    return lessons


def synthesize_from_steps(
    steps: list[Step],
    task: Task,
    target: Target,
    store: KnowledgeStore,
    llm: LLM | None = None,
    run_id: str = "",
    eval_options: EvalOptions | None = None,
    prove: Callable[[str, Task], Verdict] | None = None,
    facts: Facts | None = None,
) -> list[KnowledgeItem]:
    """Derive, prove and store one item per lesson of the run; return the items newly added.

    `facts`: the task's, when the caller has them already. `prove` runs the after code (default: `target.evaluate` with `eval_options`); the caller decides
    where that evaluation runs (the MCP server: on its pool).

    A lesson whose item (same dedup key: signature, labels, fix) is already in the store adds
    nothing. Raises ValueError, before anything is stored, if a lesson's after code is the task's
    expert (reference) kernel.
    """
    lessons = find_lessons(steps)
    tuned = find_tuner_lessons(steps)
    expert = _expert_text(task, target.name)
    refused = {code_hash(text) for text in _all_expert_texts(task)}
    for after_code, index in [(ls.after.candidate, ls.after.index) for ls in lessons] + [
        (tl.after_code, tl.step.index) for tl in tuned
    ]:
        if code_hash(after_code or "") in refused:
            raise ValueError(
                f"step {index} of run {run_id or '?'} is the expert kernel of task {task.id}: "
                "benchmark reference solutions never become knowledge"
            )
    spec = target.spec()
    tools = target.tool_versions() if hasattr(target, "tool_versions") else {}
    created: list[KnowledgeItem] = []
    regimes = (facts or task_facts(task, spec)).regimes if lessons else set()
    for lesson in lessons:
        item = _draft(lesson, task, target.name, spec.sku, llm, run_id, expert, tools)
        complete(item, regimes)
        if _known(store, item.dedup_key()):
            continue
        proof = (prove or (lambda code, t: target.evaluate(code, t, eval_options)))(item.after_code, task).to_dict()
        item.proof_verdict = proof
        item.provenance["proof_status"] = proof["status"]
        if proof["status"] != "pass":
            item.status_reason = "re-run of the after code did not pass"
        else:
            _credit_same_change(store, item, task.id)
        created.append(store.add(item))
    if tuned:  # the tuner's verified finds: proven already, one item per knob family
        created += learn_from_tuner(steps, task.id, target.name, spec.sku, store, run_id)
    return created


def _credit_same_change(store: KnowledgeStore, item: KnowledgeItem, task_id: str) -> None:
    """A proven item of this target with the same change (keys and kind of lesson) learned on another
    task has now passed on this one too: it is general."""
    if not item.change:
        return
    for other in [it for status in PROVEN_STATUSES for it in store.list(status)]:
        if other.target != item.target or set(other.change or ()) != set(item.change) or task_id in other.proven_tasks:
            continue
        if bool(other.trigger.signature) != bool(item.trigger.signature):
            continue
        store.credit_task(other.id, task_id)


# --- drafting ----------------------------------------------------------------------------------


def _draft(
    lesson: Lesson,
    task: Task,
    target_name: str,
    sku: str,
    llm: LLM | None,
    run_id: str,
    expert: str | None,
    tools: dict[str, str],
) -> KnowledgeItem:
    before_v, after_v = _as_dict(lesson.before.verdict), _as_dict(lesson.after.verdict)
    before_code, after_code = lesson.before.candidate or "", lesson.after.candidate or ""
    diff = unified_diff(before_code, after_code)
    trigger = _trigger(lesson.kind, before_v)
    labels = labels_for(before_v)
    label_source = "rules"
    if not labels and llm is not None:
        labels, label_source = _llm_labels(llm, lesson.kind, before_v, after_v, diff), "llm"
    rationale, rationale_source = rule_rationale(lesson.kind, before_v, after_v, before_code, after_code), "rules"
    stated = kernel_rationale(after_code, before_code)
    if stated:  # the model said why when it wrote the kernel: no extra question (its tokens count)
        rationale, rationale_source = stated, "kernel"
    elif llm is not None:
        text = _llm_rationale(llm, lesson.kind, before_v, after_v, diff)
        if text:
            rationale, rationale_source = text, "llm"
    provenance: dict[str, Any] = {
        "task": task.id,
        "task_path": str(task.path),  # distillation re-runs merged fixes on this task
        "suite": task.suite,
        "target": target_name,
        "sku": sku,
        "run_id": run_id,
        "source": "run",
        "tools": tools,
        "lesson": lesson.kind,
        "steps": [lesson.before.index, lesson.after.index],
        "labels_from": label_source,
        "rationale_from": rationale_source,
        "after_code_hash": code_hash(after_code),
        "expert_kernel_hash": code_hash(expert) if expert is not None else None,
    }
    if lesson.kind == "perf":
        provenance["time_us"] = [_time_us(before_v), _time_us(after_v)]
    trigger.code_pattern = diff
    return KnowledgeItem(
        trigger=trigger,
        labels=labels,
        rationale=rationale,
        before_code=before_code,
        after_code=after_code,
        target=target_name,
        sku=sku,
        provenance=provenance,
    )


def _trigger(kind: str, verdict: dict[str, Any]) -> Trigger:
    """What retrieval matches on. Scrubbed (hawk.scrub), also for verdicts recorded before verdicts
    were: an ANSI code or a scratch folder in a trigger makes equal errors look different."""
    if kind == "repair":
        err = verdict.get("error") or {}
        reason = scrub(err.get("hardware_reason")) or None
        text = reason or scrub(err.get("message")) or verdict.get("status", "")
        return Trigger(signature=normalize_error(text), hardware_reason=reason, op=err.get("op"))
    perf = verdict.get("perf") or {}
    return Trigger(bottleneck=perf.get("bottleneck"), pipes=dict(perf.get("pipes") or {}))


def unified_diff(before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), "before.py", "after.py", n=1
        )
    )


def rule_rationale(
    kind: str, before_v: dict[str, Any], after_v: dict[str, Any], before_code: str, after_code: str
) -> str:
    """One line built only from the two verdicts and the code change, e.g.
    "UB overflow in EXP (262144 > 196608 bytes) fixed by smaller vector tiles (64, 512 -> 8, 512)"."""
    change = _change_phrase(before_code, after_code)
    if kind == "repair":
        err = before_v.get("error") or {}
        what = _CAPACITY_NAMES.get(err.get("constraint") or "", "") or f"{before_v.get('status')} ({err.get('kind')})"
        where = f" in {err['op']}" if err.get("op") else ""
        sizes = ""
        if err.get("requested_bytes") and err.get("available_bytes"):
            sizes = f" ({err['requested_bytes']} > {err['available_bytes']} bytes)"
        return f"{what}{where}{sizes} fixed by {change}"
    t0, t1 = _time_us(before_v), _time_us(after_v)
    bottleneck = (before_v.get("perf") or {}).get("bottleneck") or "unprofiled"
    pct = f", {100 * (1 - t1 / t0):.0f}% faster" if t0 and t1 else ""
    return f"{bottleneck} kernel sped up {t0} -> {t1} us{pct} by {change}"


def _change_phrase(before: str, after: str) -> str:
    old = {m.group(1): m.group(2).strip() for m in _TILE_CALL.finditer(before)}
    new = {m.group(1): m.group(2).strip() for m in _TILE_CALL.finditer(after)}
    parts = []
    for unit in ("vec", "cube"):
        if unit in old and unit in new and old[unit] != new[unit]:
            a, b = _numbers(old[unit]), _numbers(new[unit])
            size = "smaller" if _prod(b) < _prod(a) else "larger" if _prod(b) > _prod(a) else "reshaped"
            name = "vector" if unit == "vec" else "cube"
            parts.append(f"{size} {name} tiles ({old[unit]} -> {new[unit]})")
    if not parts:  # e.g. Triton's launch constants: ROWS=64 -> ROWS=8, BLOCK=65536 -> BLOCK=1024
        old_k, new_k = dict(_CONST.findall(before)), dict(_CONST.findall(after))
        for name in sorted(old_k.keys() & new_k.keys()):
            a, b = int(old_k[name]), int(new_k[name])
            if a != b:
                parts.append(f"{'smaller' if b < a else 'larger'} {name} ({a} -> {b})")
    if parts:
        return " and ".join(parts)
    changed = sum(
        1 for ln in unified_diff(before, after).splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")
    )
    return f"a {changed}-line code change"


def _numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


def _prod(nums: list[int]) -> int:
    out = 1
    for n in nums:
        out *= n
    return out


def _summary(verdict: dict[str, Any]) -> str:
    err = verdict.get("error") or {}
    perf = verdict.get("perf") or {}
    line = f"status {verdict.get('status')}"
    if err:
        line += f"; {err.get('kind')}: {err.get('hardware_reason') or err.get('message')}"
    if perf.get("time_us") is not None:
        pipes = ", ".join(f"{p} {v:.1f}%" for p, v in sorted((perf.get("pipes") or {}).items()))
        line += f"; {perf['time_us']} us, bottleneck {perf.get('bottleneck')}, pipes {pipes}"
    return line


_WHY = re.compile(r"^[ \t]*#[ \t]*why:[ \t]*(.*?)[ \t]*$", re.M | re.I)


def kernel_rationale(after_code: str, before_code: str = "") -> str | None:
    """The `# why:` line the model wrote at the top of the after kernel (the prompts ask for one,
    hawk.agent.prompts.WHY_LINE), or None: missing, empty, or copied unchanged from the before
    kernel (then it explains an earlier change, not this one)."""
    found = _WHY.search(after_code)
    if not found:
        return None
    text = " ".join(found.group(1).split())
    earlier = _WHY.search(before_code)
    if not text or (earlier and " ".join(earlier.group(1).split()) == text):
        return None
    return text[:MAX_RATIONALE_CHARS]


# --- the optional LLM ------------------------------------------------------------------------


def _ask(llm: LLM, prompt: str) -> str | None:
    try:
        return llm.complete([Message("user", prompt)], temperature=0.0).text
    except LLMError:
        return None


def _llm_rationale(llm: LLM, kind: str, before_v: dict[str, Any], after_v: dict[str, Any], diff: str) -> str | None:
    prompt = (
        f"A kernel change on an Ascend NPU {'fixed a failure' if kind == 'repair' else 'made the kernel faster'}.\n"
        f"Before: {_summary(before_v)}\nAfter: {_summary(after_v)}\nDiff:\n{diff}\n"
        "In one sentence, say why the change works in hardware terms (buffers, tiles, pipes, cores)."
    )
    text = _ask(llm, prompt)
    if not text or "```" in text:  # empty, or code instead of a sentence: the rule rationale stays
        return None
    text = " ".join(text.strip().split())
    return text[:MAX_RATIONALE_CHARS] or None


def _llm_labels(llm: LLM, kind: str, before_v: dict[str, Any], after_v: dict[str, Any], diff: str) -> list[str]:
    """Labels the LLM picks from the taxonomy. Only a `LABELS:` line is read; unknown labels are dropped."""
    vocab = "\n".join(f"- {name}: {desc}" for name, desc in LABELS.items())
    prompt = (
        f"Classify this Ascend kernel {kind} by its hardware cause.\nBefore: {_summary(before_v)}\n"
        f"After: {_summary(after_v)}\nDiff:\n{diff}\nTaxonomy:\n{vocab}\n"
        "Answer with exactly one line: LABELS: <label>, <label> (names from the taxonomy only)."
    )
    text = _ask(llm, prompt) or ""
    match = re.search(r"^\s*LABELS:\s*(.*)$", text, re.M)
    if not match:
        return []
    picked = {tok.strip().strip("`'\"").lower() for tok in match.group(1).split(",")}
    return [lbl for lbl in LABELS if lbl in picked]


# --- helpers -----------------------------------------------------------------------------------


def _known(store: KnowledgeStore, key: str) -> bool:
    return store.has_dedup_key(key)


def _time_us(verdict: dict[str, Any]) -> float | None:
    return (verdict.get("perf") or {}).get("time_us")


def _time_of(verdict: Verdict) -> float | None:
    return verdict.perf.time_us if verdict.perf else None


def _as_dict(verdict: Verdict | None) -> dict[str, Any]:
    """The verdict in the form the item keeps (its trigger and rationale are read from it)."""
    return verdict.to_dict() if verdict else {}


def _expert_text(task: Task, target: str) -> str | None:
    """The task's expert kernel for `target` (its hash goes into provenance)."""
    path = expert_for(task, target)
    try:
        return path.read_text() if path is not None else None
    except OSError:
        return None


def _all_expert_texts(task: Task) -> list[str]:
    """Every target's expert kernel of the task: none of them may become knowledge."""
    texts = []
    for path in all_experts(task):
        try:
            texts.append(path.read_text())
        except OSError:
            continue
    return texts
