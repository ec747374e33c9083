"""One unit of benchmark work, run inside a worker process (local pool or Ray).

A worker gets a picklable UnitSpec, builds the task, target and LLM itself (from the recorded
LLMSettings; clients are never pickled), runs the agent into the unit's directory, and writes
unit.json atomically last. A unit with a complete unit.json is done; anything less is resumed by
the next run from the agent's trajectory, so a crash loses at most the step in flight.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hawk.agent.loop import Budget
from hawk.bench.plan import WorkUnit, write_json
from hawk.llm import LLMSettings
from hawk.llm.base import Completion, Message
from hawk.targets.base import EvalOptions
from hawk.targets.common import read_json
from hawk.tasks.task import Task

UNIT_FILE = "unit.json"
# A candidate whose verdict is one of these got through the compiler (it ran, right or wrong).
COMPILED = ("pass", "wrong_result", "runtime_error")
# Sample k asks the LLM layer for draws k*STRIDE + step: caches and exchange ids then tell samples apart
# (run_agent numbers draws by step only, so without this sample 1 would be answered with sample 0's reply).
SAMPLE_STRIDE = 10_000


@dataclass
class UnitSpec:
    unit: WorkUnit
    out: Path  # the run directory
    task: Task
    target: str
    budget: Budget
    eval_options: EvalOptions
    llm_settings: LLMSettings
    kb_path: Path
    corpus: Path | None = None
    swimlane: bool = False
    ablate_knowledge: bool = False  # method hawk: withhold a random half of each step's retrieved items
    base_kb: bool = True  # method hawk: the base layer shipped with Hawk lies beneath the store
    # Only for the scripted provider (tests, the throughput benchmark): replies per task id ("*": any).
    scripted_replies: dict[str, list[str]] | None = None


@dataclass
class UnitRecord:
    """The bench's record of one finished unit: what metrics and reports are computed from."""

    method: str
    task: str
    sample: int
    level: int
    category: str
    complete: bool  # False: stopped early (model unreachable, crash): the next run retries it
    stop_reason: str
    error: str | None = None
    steps: int = 0
    statuses: list[str] = field(default_factory=list)  # per step; "no_kernel" when the reply had none
    first_compiled: bool = False  # the first candidate compiled (no kernel counts as not compiled)
    any_compiled: bool = False
    passed: bool = False
    best_step: int | None = None
    best_time_us: float | None = None
    eager_time_us: float | None = None
    speedup: float | None = None  # eager time / best time, as the target measured it
    time_estimated: bool = False  # the target's times are a model's estimate (ascend-triton), not measured
    roofline_ratio: float | None = None  # best time / the task's roofline bound
    bound_ratio: float | None = None  # best time / the task's calibrated bound (hawk/targets/bound.py)
    sim_points: int = 0  # tuner points simulated (performance only); a budget apart from tokens
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0  # every LLM call of the unit: steps plus, for method hawk, knowledge_tokens
    knowledge_tokens: int = 0  # method hawk: synthesis rationales/labels and distillation arbitration
    cost_usd: float = 0.0
    tokens_estimated: bool = False
    llm_calls: int = 0
    cache_hits: int = 0
    llm_s: float = 0.0  # summed over steps (survives resumes)
    eval_s: float = 0.0
    wall_s: float = 0.0  # llm_s + eval_s: the unit's work time, excluding process start-up
    invocation_wall_s: float = 0.0  # wall time of the invocation that finished it
    evaluations: int = 0  # candidates judged in this invocation (replayed steps are not re-judged)
    finished_at: float = 0.0
    worker_pid: int = 0
    worker_max_rss_kb: int = 0  # peak RSS of the worker process itself
    eval_max_rss_kb: int = 0  # peak RSS of the largest evaluation child it has waited for
    model: str | None = None  # as the provider reported it
    provider: str | None = None
    swimlane: str | None = None  # relative to the unit directory

    @property
    def unit(self) -> WorkUnit:
        return WorkUnit(self.method, self.task, self.sample)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> UnitRecord:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass
class ExpertSpec:
    task: Task
    out: Path
    target: str
    eval_options: EvalOptions


class SampleOffsetLLM:
    """Wraps an LLM so that draws of sample k are numbered apart from those of other samples."""

    def __init__(self, inner: Any, offset: int) -> None:
        self.inner = inner
        self.offset = offset
        self.name = inner.name

    def complete(self, messages: list[Message], *, temperature=None, max_tokens=None, seed=None, sample: int = 0):
        c: Completion = self.inner.complete(
            messages, temperature=temperature, max_tokens=max_tokens, seed=seed, sample=self.offset + sample
        )
        return c


def is_done(unit_dir: Path) -> bool:
    record = load_record(unit_dir)
    return record is not None and record.complete


def load_record(unit_dir: Path) -> UnitRecord | None:
    try:
        return UnitRecord.from_dict(json.loads((Path(unit_dir) / UNIT_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _max_rss_kb(children: bool = False) -> int:
    """Peak resident memory in KiB (Linux units) of this process, or of its largest finished child."""
    import resource

    return int(resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF).ru_maxrss)


class _Log:
    """Log lines to the unit's log.txt and to DIR/logs/<task>.log (O_APPEND: one write per line)."""

    def __init__(self, unit_dir: Path, task_log: Path, prefix: str) -> None:
        task_log.parent.mkdir(parents=True, exist_ok=True)
        self.paths = [unit_dir / "log.txt", task_log]
        self.prefix = prefix

    def __call__(self, message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {self.prefix} {message}\n".encode()
        for p in self.paths:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)


def make_unit_llm(spec: UnitSpec) -> Any:
    from hawk.llm import make_llm

    replies = None
    if spec.llm_settings.provider == "scripted":
        table = spec.scripted_replies or {}
        replies = table.get(spec.task.id, table.get("*"))
    return SampleOffsetLLM(make_llm(spec.llm_settings, replies=replies), spec.unit.sample * SAMPLE_STRIDE)


def run_unit(spec: UnitSpec) -> UnitRecord:
    """Run (or resume) one unit; never raises: a failure is a record with `complete=False` and the error."""
    from hawk import targets
    from hawk.agent.loop import run_agent
    from hawk.records.trajectory import Trajectory

    u = spec.unit
    d = u.dir(spec.out)
    d.mkdir(parents=True, exist_ok=True)
    log = _Log(d, Path(spec.out) / "logs" / f"{u.task}.log", f"[{u.method} s{u.sample}]")
    started = time.perf_counter()
    steps_before = len(Trajectory(d / "trajectory.jsonl").steps)
    log(f"unit {u.key} starts" + (f" (resuming after {steps_before} finished steps)" if steps_before else ""))
    error, stop = None, "not started"
    try:
        target = targets.get(spec.target)
        llm = make_unit_llm(spec)
        result = run_agent(spec.task, target, llm, u.method, d, spec.budget, spec.eval_options,
                           corpus=spec.corpus, log=log, knowledge_path=spec.kb_path,
                           ablate_knowledge=spec.ablate_knowledge, base_kb=spec.base_kb)  # fmt: skip
        stop = result.stop_reason
    except Exception as exc:  # a unit's failure must not take the run down; it is recorded and retried
        error = f"{type(exc).__name__}: {exc}"
        stop = "error"
        log(f"unit {u.key} failed: {error}\n{traceback.format_exc()}")
    record = _record(spec, d, stop, error, steps_before, time.perf_counter() - started)
    if spec.swimlane and record.passed and record.complete:
        record.swimlane = _draw_swimlane(spec, d, log)
    write_json(d / UNIT_FILE, asdict(record))
    log(f"unit {u.key} {'done' if record.complete else 'incomplete'}: {stop}; statuses {record.statuses}")
    return record


def _record(spec: UnitSpec, d: Path, stop: str, error: str | None, steps_before: int, wall: float) -> UnitRecord:
    from hawk.records.trajectory import Trajectory

    u = spec.unit
    steps = Trajectory(d / "trajectory.jsonl").steps
    statuses = [s.status for s in steps]
    knowledge_tokens = int(read_json(d / "knowledge.json").get("llm_tokens") or 0)
    best = None
    if (d / "best_verdict.json").is_file() and (d / "summary.json").is_file():
        best = json.loads((d / "best_verdict.json").read_text())
        summary = json.loads((d / "summary.json").read_text())
    perf = (best or {}).get("perf") or {}
    complete = error is None and not stop.startswith("llm error")
    return UnitRecord(
        method=u.method, task=u.task, sample=u.sample, level=spec.task.level, category=spec.task.category,
        complete=complete, stop_reason=stop, error=error, steps=len(steps), statuses=statuses,
        first_compiled=bool(statuses) and statuses[0] in COMPILED,
        any_compiled=any(s in COMPILED for s in statuses),
        passed=best is not None and best.get("status") == "pass",
        best_step=summary.get("best_step") if best else None,
        best_time_us=perf.get("time_us"), eager_time_us=perf.get("eager_time_us"), speedup=perf.get("speedup"),
        time_estimated=bool(perf.get("estimate")), roofline_ratio=perf.get("roofline_ratio"),
        bound_ratio=perf.get("bound_ratio"),
        sim_points=sum(s.tuning.points_tried for s in steps if s.tuning),
        prompt_tokens=sum(int(s.tokens.get("prompt_tokens") or 0) for s in steps),
        completion_tokens=sum(int(s.tokens.get("completion_tokens") or 0) for s in steps),
        total_tokens=sum(int(s.tokens.get("total_tokens") or 0) for s in steps) + knowledge_tokens,
        knowledge_tokens=knowledge_tokens,
        cost_usd=round(sum(float(s.tokens.get("cost_usd") or 0.0) for s in steps), 6),
        llm_calls=len(steps), cache_hits=sum(1 for s in steps if s.cached),
        llm_s=round(sum(s.timings.get("llm_s", 0.0) for s in steps), 3),
        eval_s=round(sum(s.timings.get("eval_s", 0.0) for s in steps), 3),  # the tuner's time included
        wall_s=round(sum(s.timings.get("llm_s", 0.0) + s.timings.get("eval_s", 0.0) for s in steps), 3),
        invocation_wall_s=round(wall, 3),
        evaluations=sum(1 for s in steps[steps_before:] if s.verdict is not None),
        finished_at=time.time(), worker_pid=os.getpid(), worker_max_rss_kb=_max_rss_kb(),
        eval_max_rss_kb=_max_rss_kb(children=True), model=_reply_model(spec), provider=spec.llm_settings.provider,
    )  # fmt: skip


def _reply_model(spec: UnitSpec) -> str | None:
    return "scripted" if spec.llm_settings.provider == "scripted" else spec.llm_settings.model


def _draw_swimlane(spec: UnitSpec, d: Path, log: Any) -> str | None:
    """Re-run the best kernel once with swimlane drawing on and keep the image beside the unit."""
    import dataclasses

    from hawk import targets

    source = (d / "best_kernel.py").read_text()
    options = dataclasses.replace(spec.eval_options, swimlane=True, with_eager_baseline=False)
    v = targets.get(spec.target).evaluate(source, spec.task, options)
    image = v.artifacts.swimlane
    if not image or not Path(image).is_file():
        log(f"swimlane: none drawn ({v.status.value})")
        return None
    dest = d / ("swimlane" + Path(image).suffix)
    shutil.copyfile(image, dest)
    return dest.name


def run_expert(spec: ExpertSpec) -> dict[str, Any]:
    """Judge the task's expert kernel (for the run's target) once per run; cached in DIR/experts/<task>.json."""
    from hawk import targets
    from hawk.tasks.suite import expert_for

    path = Path(spec.out) / "experts" / f"{spec.task.id}.json"
    started = time.perf_counter()
    try:
        expert = expert_for(spec.task, spec.target)
        if expert is None:
            raise ValueError(f"task {spec.task.id} has no expert kernel for target {spec.target}")
        v = targets.get(spec.target).evaluate(expert.read_text(), spec.task, spec.eval_options)
        perf = v.perf
        data = {
            "task": spec.task.id, "status": v.status.value,
            "time_us": perf.time_us if perf else None, "eager_time_us": perf.eager_time_us if perf else None,
            "speedup": perf.speedup if perf else None, "time_estimated": bool(perf and perf.estimate),
            "error": (v.error.hardware_reason or v.error.message) if v.error else None,
        }  # fmt: skip
    except Exception as exc:
        data = {"task": spec.task.id, "status": "error", "time_us": None, "error": f"{type(exc).__name__}: {exc}"}
    data.update(wall_s=round(time.perf_counter() - started, 3), worker_pid=os.getpid(),
                worker_max_rss_kb=_max_rss_kb(), eval_max_rss_kb=_max_rss_kb(children=True))  # fmt: skip
    write_json(path, data)
    return data


def execute(spec: UnitSpec | ExpertSpec) -> UnitRecord | dict[str, Any]:
    """The one function workers run (picklable by name for both the process pool and Ray)."""
    return run_expert(spec) if isinstance(spec, ExpertSpec) else run_unit(spec)
