"""The generation loop, one for every method:

prompt (task, target guide and spec, contract, earlier attempts) -> LLM -> candidate ->
target.evaluate -> repair on failure (structured error with the hardware reason) -> once correct,
optimize (profile and bottleneck) -> keep the best correct kernel. Budgets: iterations, tokens,
wall time. Every finished step is in the trajectory; a rerun resumes from it.

Method `hawk` adds the knowledge modules around the same loop: the first prompt carries items
retrieved for the task itself (its traced ops and dtypes, the roofline's predicted bottleneck, UB
pressure from its sizes), each repair and optimize prompt the items retrieved for the candidate and
its verdict (2D retrieval, gated by the items' preconditions); after the step each item's effect is
recorded, credited only when the step's change applied it; the finished run is synthesized into new
proven items, and every `distill_every` finished tasks (counted in the store, across processes) the
store is distilled. With `ablate_knowledge`, a random half of each step's retrieved items is
withheld (recorded in the step), so outcomes with and without each item can be compared.
"""

from __future__ import annotations

import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hawk.agent import transplant
from hawk.agent.prompts import build_messages
from hawk.knowledge.attribution import applied
from hawk.knowledge.facts import Facts, query_text_of, task_facts
from hawk.knowledge.inject import knowledge_text, record_outcome, step_helped
from hawk.knowledge.retrieval import Hit, retrieve
from hawk.knowledge.store import KnowledgeStore
from hawk.llm import LLM, LLMError, UsageLedger, extract_kernel
from hawk.records.trajectory import Step, Trajectory
from hawk.targets.base import EvalOptions, Target
from hawk.targets.verdict import Verdict, bound_gap
from hawk.tasks.sandboxed import task_spec
from hawk.tasks.task import Task

METHODS = ("oneshot", "feedback", "transplant", "hawk")
KNOWLEDGE_K = 3  # items injected per prompt: enough for one cause and a neighbour, short enough to read
KNOWLEDGE_MIN_SCORE = 0.25  # fused score below which an item is not worth the prompt space
DISTILL_EVERY = 10  # finished `hawk` tasks between automatic distillations (0: never)


TUNE_POINTS = 24  # simulated points per correct kernel (~30 s for a vector kernel on 2 cores)
ROOFLINE_STOP = 1.2  # stop optimizing once the best kernel is within this factor of the roofline bound


@dataclass(frozen=True)
class Budget:
    """What one run may spend. LLM tokens and simulator points are counted separately."""

    iterations: int = 5
    max_tokens: int | None = None
    wall_s: float | None = None
    tune_points: int = TUNE_POINTS  # tuner points per new correct kernel (0: no tuning)
    tune_workers: int = 2  # points simulated in parallel by the tuner
    candidates: int = 1  # samples asked per step and judged in parallel; the best is kept
    roofline_stop: float | None = ROOFLINE_STOP  # None: spend every iteration


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
    sim_points: int = 0  # tuner points simulated (performance only), summed over steps
    best_roofline_ratio: float | None = None
    exemplar: str | None = None
    knowledge: dict[str, Any] = field(default_factory=dict)  # method hawk: injected, synthesized, distilled

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
    knowledge_path: Path | None = None,
    distill_every: int = DISTILL_EVERY,
    ablate_knowledge: bool = False,
) -> AgentResult:
    """Run one method on one task into `out_dir` (resumable). `knowledge_path` is the store method
    `hawk` reads and writes (default: the user's store, see hawk.knowledge.store.default_path).
    `ablate_knowledge`: withhold a random half of each step's retrieved items (method hawk's A/B)."""
    if method not in METHODS:
        raise ValueError(f"unknown method '{method}' (known: {', '.join(METHODS)})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    traj = Trajectory(out_dir / "trajectory.jsonl")
    ledger = ledger or UsageLedger()
    specs = list(task_spec(task).args)
    exemplar_text, exemplar_name = None, None
    if method == "transplant":
        if corpus is None:
            raise ValueError("method 'transplant' needs a corpus of kernels (--corpus DIR)")
        hit = transplant.retrieve(corpus, task.source, exclude=task.id)
        if hit is not None:
            exemplar_text, exemplar_name = hit[0].read_text(), f"{hit[0].name} (similarity {hit[1]:.2f})"
    store = KnowledgeStore(knowledge_path) if method == "hawk" else None
    facts = task_facts(task, target.spec()) if store is not None else None
    ablation = random.Random(f"{out_dir}") if ablate_knowledge and store is not None else None
    iterations = 1 if method == "oneshot" else budget.iterations
    started = time.perf_counter()
    tokens_used = 0
    sim_points = 0
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
                    i, task, target, llm, specs, last, best, exemplar_text, eval_options, ledger, _history(traj.steps),
                    store, budget, _tuning_note(traj.steps[best[0]].tuning if best else None), log, facts, ablation,
                )  # fmt: skip
            except LLMError as exc:
                stop = f"llm error: {exc}"
                log(f"[{task.id}] step {i}: the model could not be reached ({exc}); stopping, nothing lost")
                break
            best_t = best[2].perf.time_us if best and best[2].perf else None
            tuned = step.tuning.get("verdict") if step.tuning and step.tuning.get("changed") else None
            kept = tuned or step.verdict  # the kernel as kept
            if store is not None and kept is not None and (step.knowledge or step.knowledge_withheld):
                step.knowledge_helped = step_helped(step.kind, kept, best_t)[0]
            traj.append(step)
            if store is not None:  # after the append: a crash here loses one effect record, never a step
                record_outcome(store, step.knowledge, step.kind, kept, best_t, applied=step.knowledge_applied,
                               withheld=step.knowledge_withheld, task=task.id)  # fmt: skip
            status = step.verdict["status"] if step.verdict else f"no kernel ({step.parse_error})"
            log(f"[{task.id}] step {i} ({step.kind}): {status}" + (" [cache hit]" if step.cached else ""))
        tokens_used += int(step.tokens.get("total_tokens", 0))
        sim_points += int((step.tuning or {}).get("points_tried", 0))
        cand, v = step.best_kernel()
        if v is not None and cand and _better(v, best[2] if best else None):
            best = (i, cand, v)
        last = step
        ratio = bound_gap(best[2].perf) if best else None  # calibrated bound where the target has one
        if budget.roofline_stop and ratio is not None and ratio <= budget.roofline_stop and i + 1 < iterations:
            stop = f"near the roofline ({ratio}x the bound <= {budget.roofline_stop})"
            log(f"[{task.id}] best kernel is {ratio}x the roofline bound: stopping")
            break

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
        sim_points=sim_points,
        best_roofline_ratio=best[2].perf.roofline_ratio if best and best[2].perf else None,
    )
    if store is not None:
        if not stop.startswith("llm error"):  # an interrupted run learns once it is resumed and finished
            result.knowledge = _learn(traj.steps, task, target, store, llm, out_dir, eval_options, distill_every, log)
        store.close()
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
            t = s.tuning or {}
            if t.get("changed"):
                what += f"; tuned to {t['after_us']} us ({t['points_tried']} points)"
            elif t:
                what += f"; the tuner found nothing faster in {t.get('points_tried', 0)} points"
        lines.append(f"- attempt {s.index} ({s.kind}): {what}")
    return lines


def _learn(steps, task, target, store, llm, out_dir, eval_options, distill_every, log) -> dict[str, Any]:
    """After a `hawk` run: synthesize its lessons into proven items, then distill when due.

    Done once per run directory (a marker file), so resuming a finished run neither re-proves its
    lessons nor counts the task twice toward the next distillation."""
    from hawk.knowledge.distill import distill
    from hawk.knowledge.synthesis import synthesize_from_steps

    marker = out_dir / "knowledge.json"
    if marker.exists():
        return json.loads(marker.read_text())
    info: dict[str, Any] = {"injected": sorted({i for s in steps for i in s.knowledge}), "store": str(store.path),
                            "applied": sorted({i for s in steps for i in s.knowledge_applied}),
                            "withheld": sorted({i for s in steps for i in s.knowledge_withheld})}  # fmt: skip
    llm = _CountingLLM(llm)  # rationales, labels and arbitration are part of what the method costs
    try:
        created = synthesize_from_steps(steps, task, target, store, llm, run_id=str(out_dir), eval_options=eval_options)
        info["synthesized"] = [{"id": it.id, "status": it.status, "labels": it.labels} for it in created]
        log(
            f"[{task.id}] knowledge: {len(created)} new item(s) "
            + ", ".join(f"{it.id} ({it.status})" for it in created)
        )
    except ValueError as exc:  # the run reproduced the expert kernel: nothing from it is stored
        info["synthesized"], info["refused"] = [], str(exc)
        log(f"[{task.id}] knowledge: {exc}")
    if store.count_and_check("tasks_since_distill", distill_every):
        report = distill(store, llm, eval_options=eval_options, log=log)
        info["distilled"] = report.to_dict()
    info["llm_calls"], info["llm_tokens"] = llm.calls, llm.tokens
    marker.write_text(json.dumps(info, indent=1))
    return info


class _CountingLLM:
    """Passes requests through and counts them and their tokens (the knowledge modules' LLM cost)."""

    def __init__(self, inner: LLM) -> None:
        self.inner, self.calls, self.tokens = inner, 0, 0

    def complete(self, messages, **kwargs):
        completion = self.inner.complete(messages, **kwargs)
        self.calls += 1
        self.tokens += int(completion.usage.total_tokens or 0)
        return completion


def _retrieve_for_step(
    store: KnowledgeStore, kind: str, cand: str | None, verdict: Verdict | None, target: Target, facts: Facts | None
) -> list[Hit]:
    """Gated 2D retrieval for one step. A failure wants fixes of failures; an optimization may use
    either kind (a UB fix tells how far tiles can grow); a first attempt is queried by the task
    itself. Weak matches are left out rather than padding the prompt."""
    if cand is not None and verdict is not None:
        return retrieve(store, cand, verdict=verdict.to_dict(), k=KNOWLEDGE_K, target=target.name,
                        kind="error" if kind == "repair" else None, min_score=KNOWLEDGE_MIN_SCORE, facts=facts,
                        gate=True)  # fmt: skip
    if kind != "generate" or facts is None or not facts.known:
        return []
    # Up-front: traced ops and dtypes are the code query, the predicted bottleneck the profile, and
    # data larger than the UB (it must be tiled) the UB labels; a matmul brings the cube-tile label.
    pressure = ["ub_capacity", "vector_tile_shape"] if facts.regimes & {"tensor_exceeds_ub", "row_exceeds_ub"} else []
    if "matmul" in facts.ops:
        pressure.append("cube_tile_shape")
    return retrieve(store, query_text_of(facts), verdict=None, k=KNOWLEDGE_K, target=target.name,
                    min_score=KNOWLEDGE_MIN_SCORE, facts=facts, gate=True, extra_labels=pressure)  # fmt: skip


def _withhold(hits: list[Hit], rng: random.Random | None) -> tuple[list[Hit], list[Hit]]:
    """(kept, withheld): a random half withheld under ablation (an odd count rounds either way)."""
    if rng is None or not hits:
        return hits, []
    n = len(hits) // 2 + (1 if len(hits) % 2 and rng.random() < 0.5 else 0)
    out = set(rng.sample(range(len(hits)), n))
    return [h for j, h in enumerate(hits) if j not in out], [h for j, h in enumerate(hits) if j in out]


def _one_step(
    i, task, target, llm, specs, last, best, exemplar, eval_options, ledger, history, store, budget, tuning_note, log,
    facts=None, ablation=None,
) -> Step:  # fmt: skip
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
    knowledge, item_ids, hits, withheld = None, [], [], []
    if store is not None:
        hits, withheld = _withhold(_retrieve_for_step(store, kind, cand, verdict, target, facts), ablation)
        if hits:
            knowledge, item_ids = knowledge_text(hits), [h.item.id for h in hits]
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
        knowledge=knowledge,
        tuning=tuning_note if kind == "optimize" else None,
    )
    k = max(1, budget.candidates)
    t0 = time.perf_counter()
    # Samples of one step are numbered i*k .. i*k+k-1, so caches and exchange ids tell them apart
    # (with k = 1 that is the step index, as before).
    with ThreadPoolExecutor(max_workers=k) as pool:
        completions = list(pool.map(lambda j: llm.complete(messages, sample=i * k + j), range(k)))
    llm_s = time.perf_counter() - t0
    for c in completions:
        ledger.record(c, task=task.id)
    parsed = [extract_kernel(c.text, finish_reason=c.finish_reason) for c in completions]
    t1 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=k) as pool:
        verdicts = list(pool.map(lambda p: target.evaluate(p.code, task, eval_options) if p.code else None, parsed))
    eval_s = time.perf_counter() - t1
    pick = _pick(verdicts)
    chosen, completion, verdict_obj = parsed[pick], completions[pick], verdicts[pick]
    alternatives = [
        {"sample": j, "reply": completions[j].text, "candidate": parsed[j].code,
         "parse_error": parsed[j].reason if parsed[j].code is None else None,
         "verdict": verdicts[j].to_dict() if verdicts[j] else None}
        for j in range(k) if j != pick
    ]  # fmt: skip
    tuning, tune_s = None, 0.0
    if verdict_obj is not None and verdict_obj.passed and budget.tune_points > 0:
        t2 = time.perf_counter()
        tuning = _tune_step(chosen.code, verdict_obj, task, target, budget, eval_options, log)
        tune_s = time.perf_counter() - t2
    tokens = {key: sum(int(getattr(c.usage, key) or 0) for c in completions)
              for key in ("prompt_tokens", "completion_tokens", "total_tokens")}  # fmt: skip
    costs = [c.usage.cost_usd for c in completions if c.usage.cost_usd is not None]
    tokens["cost_usd"] = round(sum(costs), 6) if costs else None
    return Step(
        index=i,
        kind=kind,
        messages=[{"role": m.role, "content": m.content} for m in messages],
        reply=completion.text,
        candidate=chosen.code,
        parse_error=chosen.reason if chosen.code is None else None,
        verdict=verdict_obj.to_dict() if verdict_obj else None,
        tokens=tokens,
        timings={"llm_s": round(llm_s, 3), "eval_s": round(eval_s + tune_s, 3), "tune_s": round(tune_s, 3)},
        cached=all(c.cached for c in completions),
        knowledge=item_ids,
        knowledge_applied=[h.item.id for h in hits if applied(h.item, cand, chosen.code)],
        knowledge_withheld=[h.item.id for h in withheld],
        tuning=tuning,
        alternatives=alternatives,
    )


def _pick(verdicts: list[Verdict | None]) -> int:
    """The sample to keep: the fastest correct one, else the first that ran, else the first with a kernel."""
    passed = [j for j, v in enumerate(verdicts) if v is not None and v.passed]
    if passed:
        return min(passed, key=lambda j: verdicts[j].perf.time_us if verdicts[j].perf else float("inf"))
    ran = [j for j, v in enumerate(verdicts) if v is not None and v.status.value in ("wrong_result", "runtime_error")]
    judged = [j for j, v in enumerate(verdicts) if v is not None]
    return (ran or judged or [0])[0]


def _tune_step(source, verdict, task, target, budget, eval_options, log) -> dict[str, Any]:
    """Tune a new correct kernel before the next LLM call, so the model never spends a call on tile sizes."""
    from hawk.tune import tune

    r = tune(source, task, target, budget=budget.tune_points, workers=budget.tune_workers, eval_options=eval_options,
             roofline_us=verdict.perf.roofline_us if verdict.perf else None,
             log=lambda m: log(f"[{task.id}]{m}"))  # fmt: skip
    if r.changed:
        log(f"[{task.id}] tuned {r.before_us} -> {r.after_us} us ({r.points_tried} points, {r.wall_s} s)")
    best = sorted((p for p in r.records if p.time_us), key=lambda p: p.time_us)[:5]
    return {
        "changed": r.changed, "source": r.source if r.changed else None, "verdict": r.verdict,
        "before_us": r.before_us, "after_us": r.after_us, "roofline_us": r.roofline_us,
        "points_tried": r.points_tried, "points_pruned": r.points_pruned, "points_failed": r.points_failed,
        "strategy": r.strategy, "wall_s": r.wall_s, "notes": r.notes,
        "knobs": [k.name for k in r.knobs],
        "top": [{"values": p.values, "time_us": p.time_us, "status": p.status} for p in best],
    }  # fmt: skip


def _tuning_note(tuning: dict[str, Any] | None) -> str | None:
    """What the optimize prompt says of the tuner's work on the best kernel."""
    if not tuning:
        return None
    lines = [
        f"Hawk's tuner searched {tuning['points_tried']} points of this kernel's tile sizes and pass options "
        f"on the simulator ({tuning['points_pruned']} pruned by the hardware rules, {tuning['points_failed']} "
        f"failed to compile or run): {tuning['before_us']} us as you wrote it, {tuning['after_us']} us now."
    ]
    if tuning.get("changed"):
        lines[0] += " The kernel shown is the tuned one."
    for p in tuning.get("top", []):
        values = ", ".join(f"{k}={v}" for k, v in p["values"].items())
        lines.append(f"  {values}: {p['time_us']} us")
    lines.extend(f"  (not tuned: {n})" for n in tuning.get("notes", [])[:3])
    lines.append(
        "The tuner will search the numbers of whatever you write next, so spend this step on structure: "
        "fusion, data layout and views, the algorithm, fewer passes over global memory, enough parallel tiles."
    )
    return "\n".join(lines)
