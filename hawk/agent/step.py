"""One step of the loop: prompt -> K samples from the model -> judge them -> keep the best -> tune it.

An optimize step with `Budget.variants` > 1 asks one sample for several kernels instead (the shown
kernel refined, the others structurally different); each kernel is judged as a sample would be.

The step is returned whole (a `Step` record); the loop decides when it is written and what comes next.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from hawk.agent.budget import Budget
from hawk.agent.knowledge import Advice
from hawk.agent.prompts import build_messages
from hawk.agent.strategy import Attempt
from hawk.llm import LLM, Completion, Message, UsageLedger, extract_kernel, extract_kernels
from hawk.llm.parse import ParsedReply
from hawk.records.trajectory import Sample, Step, TunedPoint, Tuning
from hawk.targets.base import EvalOptions, Target
from hawk.targets.verdict import Verdict
from hawk.tasks.task import Task


@dataclass(frozen=True)
class StepRunner:
    """What every step of one run shares."""

    task: Task
    target: Target
    llm: LLM  # metered: every draw counts toward the run's token budget
    contract: str  # the kernel contract's text (hawk.agent.prompts.task_contract), worked out once
    budget: Budget
    eval_options: EvalOptions | None
    ledger: UsageLedger
    log: Callable[[str], None]

    def run(self, attempt: Attempt, advice: Advice, history: list[str]) -> Step:
        messages = self.messages(attempt, advice, history)
        t0 = time.perf_counter()
        completions = self._draw(messages, attempt.index)
        llm_s = time.perf_counter() - t0
        drafts = self._drafts(attempt, completions)
        parsed = [p for _, p in drafts]
        t1 = time.perf_counter()
        verdicts = self._judge(parsed)
        eval_s = time.perf_counter() - t1
        pick = pick_sample(verdicts)
        chosen, verdict = parsed[pick], verdicts[pick]
        tuning, tune_s = None, 0.0
        if verdict is not None and verdict.passed and self.budget.tune_budget > 0:
            t2 = time.perf_counter()
            tuning = tune_step(chosen.code or "", verdict, self)
            tune_s = time.perf_counter() - t2
        return Step(
            index=attempt.index,
            kind=attempt.kind,
            messages=[{"role": m.role, "content": m.content} for m in messages],
            reply=drafts[pick][0].text,
            candidate=chosen.code,
            parse_error=chosen.reason if chosen.code is None else None,
            verdict=verdict,
            tokens=step_tokens(completions),
            timings={"llm_s": round(llm_s, 3), "eval_s": round(eval_s + tune_s, 3), "tune_s": round(tune_s, 3)},
            cached=all(c.cached for c in completions),
            knowledge=advice.items,
            knowledge_withheld=[h.item.id for h in advice.withheld],
            tuning=tuning,
            alternatives=_alternatives(drafts, verdicts, pick),
            parent=attempt.parent.index if attempt.parent is not None else None,
        )

    def messages(self, attempt: Attempt, advice: Advice, history: list[str]) -> list[Message]:
        tuned = attempt.parent.tuning if attempt.kind == "optimize" and attempt.parent is not None else None
        return build_messages(
            attempt.kind, self.task, self.target, self.contract, candidate=attempt.candidate, verdict=attempt.verdict,
            exemplar=advice.exemplar, note=attempt.note, history=history, knowledge=advice.text,
            tuning=tuning_note(tuned), structures=list(attempt.structures), variants=self.variants(attempt),
        )  # fmt: skip

    def variants(self, attempt: Attempt) -> int:
        """Kernels this attempt asks for in one reply (several only when optimizing)."""
        return self.budget.variants if attempt.kind == "optimize" else 1

    def _drafts(self, attempt: Attempt, completions: list[Completion]) -> list[tuple[Completion, ParsedReply]]:
        """Each kernel to judge, with the reply it came from: one per sample, or every kernel of the one
        reply when the attempt asked for several."""
        wanted = self.variants(attempt)
        if wanted > 1:
            reply = completions[0]
            return [(reply, p) for p in extract_kernels(reply.text, wanted, finish_reason=reply.finish_reason)]
        return [(c, extract_kernel(c.text, finish_reason=c.finish_reason)) for c in completions]

    def _draw(self, messages: list[Message], index: int) -> list[Completion]:
        # Samples of one step are numbered i*k .. i*k+k-1, so caches and exchange ids tell them apart
        # (with k = 1 that is the step index, as before).
        k = max(1, self.budget.candidates)
        with ThreadPoolExecutor(max_workers=k) as pool:
            completions = list(pool.map(lambda j: self.llm.complete(messages, sample=index * k + j), range(k)))
        for c in completions:
            self.ledger.record(c, task=self.task.id)
        return completions

    def _judge(self, parsed: list[ParsedReply]) -> list[Verdict | None]:
        def judge(p: ParsedReply) -> Verdict | None:
            return self.target.evaluate(p.code, self.task, self.eval_options) if p.code else None

        with ThreadPoolExecutor(max_workers=max(1, len(parsed))) as pool:
            return list(pool.map(judge, parsed))


def pick_sample(verdicts: list[Verdict | None]) -> int:
    """The sample to keep: the fastest correct one, else the first that ran, else the first with a kernel."""
    passed = [j for j, v in enumerate(verdicts) if v is not None and v.passed]
    if passed:
        return min(passed, key=lambda j: _time_of(verdicts[j]))
    ran = [j for j, v in enumerate(verdicts) if v is not None and v.status.value in ("wrong_result", "runtime_error")]
    judged = [j for j, v in enumerate(verdicts) if v is not None]
    return (ran or judged or [0])[0]


def _time_of(v: Verdict | None) -> float:
    return v.perf.time_us if v is not None and v.perf and v.perf.time_us is not None else float("inf")


def _alternatives(
    drafts: list[tuple[Completion, ParsedReply]], verdicts: list[Verdict | None], pick: int
) -> list[Sample]:
    """The kernels not kept, as the step records them (a kernel from the kept one's reply records no
    reply of its own: the step's `reply` holds it)."""
    kept_reply = drafts[pick][0]
    return [
        Sample(j, None if c is kept_reply else c.text, p.code, p.reason if p.code is None else None, verdicts[j])
        for j, (c, p) in enumerate(drafts)
        if j != pick
    ]


def step_tokens(completions: list[Completion]) -> dict[str, Any]:
    tokens: dict[str, Any] = {
        key: sum(int(getattr(c.usage, key) or 0) for c in completions)
        for key in ("prompt_tokens", "completion_tokens", "total_tokens")
    }
    costs = [c.usage.cost_usd for c in completions if c.usage.cost_usd is not None]
    tokens["cost_usd"] = round(sum(costs), 6) if costs else None
    return tokens


def tune_step(source: str, verdict: Verdict, run: StepRunner) -> Tuning:
    """Tune a new correct kernel before the next LLM call, so the model never spends a call on tile sizes."""
    from hawk.tune import tune

    task_id = run.task.id
    r = tune(source, run.task, run.target, budget=run.budget.tune_budget, workers=run.budget.tune_workers,
             eval_options=run.eval_options, roofline_us=verdict.perf.roofline_us if verdict.perf else None,
             log=lambda m: run.log(f"[{task_id}]{m}"))  # fmt: skip
    if r.changed:
        run.log(f"[{task_id}] tuned {r.before_us} -> {r.after_us} us ({r.points_tried} points, {r.wall_s} s)")
    best = sorted((p for p in r.records if p.time_us), key=lambda p: p.time_us)[:5]
    return Tuning(
        changed=r.changed, source=r.source if r.changed else None,
        verdict=r.verdict,
        before_us=r.before_us, after_us=r.after_us, roofline_us=r.roofline_us,
        points_tried=r.points_tried, points_pruned=r.points_pruned, points_failed=r.points_failed,
        strategy=r.strategy, wall_s=r.wall_s, notes=list(r.notes), knobs=[k.name for k in r.knobs],
        top=[TunedPoint(p.values, p.time_us, p.status) for p in best],
    )  # fmt: skip


def tuning_note(tuning: Tuning | None) -> str | None:
    """What the optimize prompt says of the tuner's work on the best kernel."""
    if not tuning:
        return None
    lines = [
        f"Hawk's tuner searched {tuning.points_tried} points of this kernel's tile sizes and pass options "
        f"on the simulator ({tuning.points_pruned} pruned by the hardware rules, {tuning.points_failed} "
        f"failed to compile or run): {tuning.before_us} us as you wrote it, {tuning.after_us} us now."
    ]
    if tuning.changed:
        lines[0] += " The kernel shown is the tuned one."
    for p in tuning.top:
        values = ", ".join(f"{k}={v}" for k, v in p.values.items())
        lines.append(f"  {values}: {p.time_us} us")
    lines.extend(f"  (not tuned: {n})" for n in tuning.notes[:3])
    lines.append(
        "The tuner will search the numbers of whatever you write next, so spend this step on structure: "
        "fusion, data layout and views, the algorithm, fewer passes over global memory, enough parallel tiles."
    )
    return "\n".join(lines)
