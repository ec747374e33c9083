"""The generation loop, one for every method:

prompt (task, target guide and spec, contract, earlier attempts) -> LLM -> candidate ->
target.evaluate -> repair on failure (structured error with the hardware reason) -> once correct,
optimize (profile and bottleneck) -> keep the best correct kernel. Budgets: iterations, tokens,
wall time. Every finished step is in the trajectory; a rerun resumes from it.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hawk.agent import transplant
from hawk.agent.prompts import build_messages
from hawk.agent.trajectory import Step, Trajectory
from hawk.llm import LLM, LLMError, UsageLedger, extract_kernel
from hawk.targets.base import EvalOptions, Target
from hawk.targets.verdict import Verdict
from hawk.tasks.task import Task, signature

METHODS = ("oneshot", "feedback", "transplant")


@dataclass(frozen=True)
class Budget:
    iterations: int = 5
    max_tokens: int | None = None
    wall_s: float | None = None


@dataclass
class AgentResult:
    task: str
    method: str
    steps: int
    stop_reason: str
    best_step: int | None
    best_time_us: float | None
    best_speedup: float | None
    statuses: list[str] = field(default_factory=list)
    tokens: dict[str, Any] = field(default_factory=dict)
    exemplar: str | None = None

    @property
    def passed(self) -> bool:
        return self.best_step is not None


def _better(v: Verdict, best: Verdict | None) -> bool:
    if not v.passed:
        return False
    if best is None:
        return True
    return (v.perf.time_us if v.perf else float("inf")) < (best.perf.time_us if best.perf else float("inf"))


def run_agent(
    task: Task,
    target: Target,
    llm: LLM,
    method: str,
    out_dir: Path,
    budget: Budget = Budget(),
    eval_options: EvalOptions | None = None,
    corpus: Path | None = None,
    ledger: UsageLedger | None = None,
    log=print,
) -> AgentResult:
    if method not in METHODS:
        raise ValueError(f"unknown method '{method}' (known: {', '.join(METHODS)})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    traj = Trajectory(out_dir / "trajectory.jsonl")
    ledger = ledger or UsageLedger()
    specs = signature(task)
    exemplar_text, exemplar_name = None, None
    if method == "transplant":
        if corpus is None:
            raise ValueError("method 'transplant' needs a corpus of kernels (--corpus DIR)")
        hit = transplant.retrieve(corpus, task.source, exclude=task.id)
        if hit is not None:
            exemplar_text, exemplar_name = hit[0].read_text(), f"{hit[0].name} (similarity {hit[1]:.2f})"
    iterations = 1 if method == "oneshot" else budget.iterations
    started = time.perf_counter()
    tokens_used = 0
    best: tuple[int, str, Verdict] | None = None
    last: Step | None = None
    stop = "iterations"

    for i in range(iterations):
        if i < len(traj.steps):  # resume: this step finished in an earlier run
            step = traj.steps[i]
            log(f"[{task.id}] step {i} ({step.kind}) replayed from the trajectory")
        else:
            if budget.max_tokens is not None and tokens_used >= budget.max_tokens:
                stop = "token budget"
                break
            if budget.wall_s is not None and time.perf_counter() - started >= budget.wall_s:
                stop = "wall-time budget"
                break
            try:
                step = _one_step(
                    i, task, target, llm, specs, last, best, exemplar_text, eval_options, ledger, _history(traj.steps)
                )
            except LLMError as exc:
                stop = f"llm error: {exc}"
                log(f"[{task.id}] step {i}: the model could not be reached ({exc}); stopping, nothing lost")
                break
            traj.append(step)
            status = step.verdict["status"] if step.verdict else f"no kernel ({step.parse_error})"
            log(f"[{task.id}] step {i} ({step.kind}): {status}" + (" [cache hit]" if step.cached else ""))
        tokens_used += int(step.tokens.get("total_tokens", 0))
        v = step.verdict_obj()
        if v is not None and step.candidate and _better(v, best[2] if best else None):
            best = (i, step.candidate, v)
        last = step

    steps = traj.steps[: max(len(traj.steps), 0)]
    result = AgentResult(
        task=task.id,
        method=method,
        steps=len(steps),
        stop_reason=stop,
        best_step=best[0] if best else None,
        best_time_us=best[2].perf.time_us if best and best[2].perf else None,
        best_speedup=best[2].perf.speedup if best and best[2].perf else None,
        statuses=[(s.verdict or {}).get("status", "no_kernel") for s in steps],
        tokens={"total_tokens": tokens_used, **ledger.to_dict().get("run", {})},
        exemplar=exemplar_name,
    )
    if best:
        (out_dir / "best_kernel.py").write_text(best[1])
        (out_dir / "best_verdict.json").write_text(json.dumps(best[2].to_dict(), indent=1, default=str))
    (out_dir / "summary.json").write_text(json.dumps(asdict(result), indent=1, default=str))
    return result


def _history(steps: list[Step]) -> list[str]:
    """One line per earlier attempt: what was asked, what the target said (the hardware reason first)."""
    lines = []
    for s in steps:
        v = s.verdict_obj()
        if v is None:
            lines.append(f"- attempt {s.index} ({s.kind}): no usable kernel ({s.parse_error})")
            continue
        what = v.status.value
        if v.error:
            what += f": {v.error.hardware_reason or v.error.message}"[:200]
        elif v.perf and v.perf.time_us:
            what += f", {v.perf.time_us} us, bottleneck {v.perf.bottleneck}"
        lines.append(f"- attempt {s.index} ({s.kind}): {what}")
    return lines


def _one_step(i, task, target, llm, specs, last, best, exemplar, eval_options, ledger, history) -> Step:
    last_v = last.verdict_obj() if last else None
    if last is None or (last.candidate is None and best is None):
        kind, cand, verdict = "generate", None, None
    elif last_v is not None and not last_v.passed:
        kind, cand, verdict = "repair", last.candidate, last_v
    elif best is not None:
        kind, cand, verdict = "optimize", best[1], best[2]
    else:
        kind, cand, verdict = "generate", None, None
    note = last.parse_error if last is not None and last.candidate is None else None
    messages = build_messages(
        kind,
        task,
        target,
        specs,
        candidate=cand,
        verdict=verdict,
        exemplar=exemplar if i == 0 else None,
        note=note,
        history=history,
    )
    t0 = time.perf_counter()
    completion = llm.complete(messages, sample=i)
    ledger.record(completion, task=task.id)
    llm_s = time.perf_counter() - t0
    parsed = extract_kernel(completion.text, finish_reason=completion.finish_reason)
    verdict_dict, eval_s = None, 0.0
    if parsed.code is not None:
        t1 = time.perf_counter()
        verdict_dict = target.evaluate(parsed.code, task, eval_options).to_dict()
        eval_s = time.perf_counter() - t1
    u = completion.usage
    return Step(
        index=i,
        kind=kind,
        messages=[{"role": m.role, "content": m.content} for m in messages],
        reply=completion.text,
        candidate=parsed.code,
        parse_error=parsed.reason if parsed.code is None else None,
        verdict=verdict_dict,
        tokens={
            "prompt_tokens": u.prompt_tokens,
            "completion_tokens": u.completion_tokens,
            "total_tokens": u.total_tokens,
            "cost_usd": u.cost_usd,
        },  # fmt: skip
        timings={"llm_s": round(llm_s, 3), "eval_s": round(eval_s, 3)},
        cached=completion.cached,
    )
