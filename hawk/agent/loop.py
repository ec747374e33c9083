"""The generation loop, one for every method:

prompt (task, target guide and spec, contract, earlier attempts) -> LLM -> candidate ->
target.evaluate -> repair on failure (structured error with the hardware reason) -> once correct,
tune it, then optimize (profile and bottleneck) -> keep the best correct kernel. Budgets:
iterations, tokens, wall time, the roofline. Every finished step is in the trajectory; a rerun
resumes from it.

`run_agent` keeps only the order. What differs between methods (hawk.agent.methods: the prompt's
extras, what a step and a run leave behind) is the method's; which kernel the next step rewrites
is the strategy's (hawk.agent.strategy: the chain; hawk.agent.population: population search, chosen
by `Budget.search` and recorded beside the trajectory, hawk.agent.search); one step's draw, judging and tuning is hawk.agent.step's;
every model call is counted by the run's meter (hawk.agent.meter).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hawk.agent.budget import ROOFLINE_STOP, TUNE_BUDGET, Budget
from hawk.agent.knowledge import DISTILL_EVERY
from hawk.agent.meter import DRAW, TokenMeter
from hawk.agent.methods import METHODS, Method, MethodOptions, RunParts, make_method
from hawk.agent.prompts import task_contract
from hawk.agent.search import make_strategy, recorded_search
from hawk.agent.step import StepRunner
from hawk.agent.strategy import Strategy
from hawk.llm import LLM, LLMError, UsageLedger
from hawk.records.fork import Fork, fork_run
from hawk.records.trajectory import Step, Trajectory
from hawk.targets.base import EvalOptions, Target
from hawk.targets.verdict import Verdict, bound_gap
from hawk.tasks.task import Task

__all__ = ["METHODS", "ROOFLINE_STOP", "TUNE_BUDGET", "AgentResult", "Budget", "run_agent"]


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
    tokens: dict[str, Any] = field(default_factory=dict)  # total_tokens: kernels asked; all_tokens: + method_tokens
    sim_points: int = 0  # tuner points simulated (performance only), summed over steps
    best_roofline_ratio: float | None = None
    exemplar: str | None = None
    knowledge: dict[str, Any] = field(default_factory=dict)  # method hawk: injected, synthesized, distilled
    search: str = "chain"  # which kernel each step rewrote (Budget.search)
    kept: list[dict[str, Any]] = field(default_factory=list)  # the strategy's kernels at the end (population: members)

    @property
    def passed(self) -> bool:
        return self.best_step is not None


def run_agent(
    task: Task,
    target: Target,
    llm: LLM,
    method: str,
    out_dir: Path,
    budget: Budget | None = None,
    eval_options: EvalOptions | None = None,
    corpus: Path | None = None,
    ledger: UsageLedger | None = None,
    log: Callable[[str], None] = print,
    knowledge_path: Path | None = None,
    distill_every: int = DISTILL_EVERY,
    ablate_knowledge: bool = False,
    base_kb: bool = True,
    fork: Fork | None = None,
) -> AgentResult:
    """Run one method on one task into `out_dir` (resumable). `knowledge_path` is the store method
    `hawk` reads and writes (default: the user's store, see hawk.knowledge.store.default_path).
    `ablate_knowledge`: withhold a random half of each step's retrieved items (method hawk's A/B);
    `base_kb`: the base layer of knowledge shipped with Hawk lies beneath the store; `fork`: a new run
    starts from another run's first steps (hawk.records.fork)."""
    if method not in METHODS:
        raise ValueError(f"unknown method '{method}' (known: {', '.join(METHODS)})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    traj = Trajectory(out_dir / "trajectory.jsonl")
    resumed = bool(traj.steps)
    if fork is not None and fork_run(fork, traj, task.id):
        log(f"{out_dir}: forked from {fork.source}'s first {fork.steps} step(s)")
    budget = recorded_search(out_dir, budget or Budget(), resumed, log)
    meter = TokenMeter()
    runner = StepRunner(task, target, meter.metered(llm, DRAW), task_contract(task), budget, eval_options,
                        ledger or UsageLedger(), log)  # fmt: skip
    parts = RunParts(task, target, out_dir, llm, meter, lambda code, t: target.evaluate(code, t, eval_options),
                     eval_options, log)  # fmt: skip
    chosen = make_method(method, parts, MethodOptions(corpus, knowledge_path, distill_every, ablate_knowledge, base_kb))
    try:
        return _run(traj, chosen, runner, make_strategy(budget), meter, out_dir)
    finally:
        chosen.close()


def _run(traj: Trajectory, method: Method, runner: StepRunner, strategy: Strategy, meter: TokenMeter,
         out_dir: Path) -> AgentResult:  # fmt: skip
    """The order: (stop rules -> advise -> step -> label -> write -> after_step) per step, then after_run."""
    task, budget, log = runner.task, runner.budget, runner.log
    iterations = method.iterations(budget.iterations)
    started = time.perf_counter()
    stop = "iterations"
    seen: list[Step] = []  # the steps this run went through (a trajectory may hold more)
    for i in range(iterations):
        if i < len(traj.steps):  # resume: this step finished in an earlier run
            step = traj.steps[i]
            meter.add(DRAW, int(step.tokens.get("total_tokens", 0)), calls=0)
            log(f"[{task.id}] step {i} ({step.kind}) replayed from the trajectory")
        else:
            stop = _out_of_budget(budget, meter, started)
            if stop:
                break
            try:
                step = _new_step(i, traj, method, runner, strategy)
            except LLMError as exc:
                stop = f"llm error: {exc}"
                log(f"[{task.id}] step {i}: the model could not be reached ({exc}); stopping, nothing lost")
                break
            except TargetUnavailable as exc:
                stop = f"target unavailable: {exc}"
                log(f"[{task.id}] step {i}: the target cannot judge here ({exc}); stopping, the step is not kept")
                break
        strategy.observe(step)
        seen.append(step)
        ratio = (
            bound_gap(strategy.best.verdict.perf) if strategy.best and strategy.best.verdict.perf else None
        )  # calibrated bound where the target has one
        if budget.roofline_stop and ratio is not None and ratio <= budget.roofline_stop and i + 1 < iterations:
            stop = f"near the roofline ({ratio}x the bound <= {budget.roofline_stop})"
            log(f"[{task.id}] best kernel is {ratio}x the roofline bound: stopping")
            break
        stop = "iterations"
    knowledge = method.after_run(traj.steps, task, stop)
    return _finish(traj.steps, seen, method, strategy, stop, meter, out_dir, runner, knowledge)


NOT_THE_KERNEL = ("environment", "harness", "task")  # error kinds that say nothing about the candidate


class TargetUnavailable(RuntimeError):
    """The target could not judge a kernel on this machine (its tools are missing)."""


def _out_of_budget(budget: Budget, meter: TokenMeter, started: float) -> str:
    """Why the run stops before its next step ("" while it may go on). Tokens: every model call the
    run made, the method's own questions included (hawk.agent.meter)."""
    if budget.max_tokens is not None and meter.total() >= budget.max_tokens:
        return "token budget"
    if budget.wall_s is not None and time.perf_counter() - started >= budget.wall_s:
        return "wall-time budget"
    return ""


def _new_step(i: int, traj: Trajectory, method: Method, runner: StepRunner, strategy: Strategy) -> Step:
    """Ask, judge and tune one step, then write it; the method labels it before and learns after."""
    attempt = strategy.next_attempt(i)
    if attempt.why:
        runner.log(f"[{runner.task.id}] step {i}: {attempt.why}")
    advice = method.advise(attempt)
    step = runner.run(attempt, advice, history(traj.steps))
    if step.verdict is not None and step.verdict.error is not None and step.verdict.error.kind in NOT_THE_KERNEL:
        # The target's tools are missing, the task would not load or Hawk itself failed: not the
        # kernel's fault, so neither a verdict to repair nor a lesson. The step is not written, so a
        # rerun once the machine is fixed asks again (the exchange and cache keep the reply).
        raise TargetUnavailable(step.verdict.error.message)
    best_us = strategy.best.verdict.perf.time_us if strategy.best and strategy.best.verdict.perf else None
    method.label(step, attempt, advice, best_us)
    traj.append(step)
    method.after_step(step, best_us, runner.task)
    status = step.verdict.status.value if step.verdict else f"no kernel ({step.parse_error})"
    runner.log(f"[{runner.task.id}] step {i} ({step.kind}): {status}" + (" [cache hit]" if step.cached else ""))
    return step


def _finish(steps: list[Step], seen: list[Step], method: Method, strategy: Strategy, stop: str, meter: TokenMeter,
            out_dir: Path, runner: StepRunner, knowledge: dict[str, Any]) -> AgentResult:  # fmt: skip
    """The run's summary, and its files: best_kernel.py, best_verdict.json, summary.json."""
    best = strategy.best
    perf = best.verdict.perf if best else None
    result = AgentResult(
        task=runner.task.id, method=method.name, steps=len(steps), stop_reason=stop,
        best_step=best.step.index if best else None,
        best_time_us=perf.time_us if perf else None, best_speedup=perf.speedup if perf else None,
        statuses=[s.status for s in steps],
        # The ledger counts this invocation's calls; the meter the whole run (replayed steps too),
        # so a resumed or forked run's totals are the meter's.
        tokens={**runner.ledger.to_dict().get("run", {}), "total_tokens": meter.tokens(DRAW),
                "method_tokens": meter.total() - meter.tokens(DRAW), "all_tokens": meter.total()},
        exemplar=method.exemplar_name, sim_points=sum(s.tuning.points_tried for s in seen if s.tuning),
        best_roofline_ratio=perf.roofline_ratio if perf else None, knowledge=knowledge,
        search=runner.budget.search, kept=strategy.kept(),
    )  # fmt: skip
    if best:
        (out_dir / "best_kernel.py").write_text(best.source)
        (out_dir / "best_verdict.json").write_text(json.dumps(best.verdict.to_dict(), indent=1, default=str))
    (out_dir / "summary.json").write_text(json.dumps(asdict(result), indent=1, default=str))
    return result


def history(steps: list[Step]) -> list[str]:
    """One line per earlier attempt: what was asked, what the target said (the hardware reason first)."""
    return [_history_line(s, s.verdict) for s in steps]


def _history_line(s: Step, v: Verdict | None) -> str:
    if v is None:
        return f"- attempt {s.index} ({s.kind}): no usable kernel ({s.parse_error})"
    what = v.status.value
    if v.error:
        what = _failed(v)
    elif v.perf and v.perf.time_us:
        what += f", {v.perf.time_us} us, bottleneck {v.perf.bottleneck}"
        t = s.tuning
        if t and t.changed:
            what += f"; tuned to {t.after_us} us ({t.points_tried} points)"
        elif t:
            what += f"; the tuner found nothing faster in {t.points_tried} points"
    if s.alternatives:  # several kernels judged: say which one each figure is (1-based, in reply order)
        kept = min(set(range(len(s.alternatives) + 1)) - {a.sample for a in s.alternatives})
        others = ", ".join(f"kernel {a.sample + 1} {_other_kernel(a.verdict, a.parse_error)}" for a in s.alternatives)
        what = f"kernel {kept + 1} kept: {what}; {others}"
    return f"- attempt {s.index} ({s.kind}): {what}"


def _other_kernel(v: Verdict | None, parse_error: str | None) -> str:
    if v is None:
        return f"no usable kernel ({parse_error})"
    if v.passed and v.perf and v.perf.time_us:
        return f"{v.perf.time_us} us"
    return _failed(v)  # why a different structure failed is what the next try needs (helpers asked for it)


def _failed(v: Verdict) -> str:
    """A failed kernel in one line: its status and the hardware reason (else the message), cut short."""
    return f"{v.status.value}: {v.error.hardware_reason or v.error.message}"[:200] if v.error else v.status.value
