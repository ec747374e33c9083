"""The evaluation flow, written once: every target's `evaluate` is this function over its steps.

    static check -> mode check -> scratch directory + candidate file -> target.run (sandboxed
    children, then `judge`) -> eager baseline and speedup -> verdict.json -> clean-up

    judge: the worker's fate (hung, dead, invalid, Hawk's failure) -> the target's own failure
    outcomes (load, compile, simulate) -> correctness over the seeds -> stress cases -> performance
    -> roofline and calibrated bound -> settle (pass, or the first failing seed / stress case)

A target supplies the steps (`Steps` for the flow, `JudgeSteps` for one worker result): what its
static rules reject, how its worker runs and how its result is read. The order, the timings, the
scratch directory and the verdict file are the harness's, so every target's verdict is built the
same way.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from hawk import config
from hawk.targets.base import EvalOptions, Target
from hawk.targets.common import Finding, slug
from hawk.targets.judging import (
    Failure,
    WorkerResult,
    add_stress,
    correctness,
    set_roofline,
    set_speedup,
    settle,
    worker_failure,
)
from hawk.targets.sandbox import ChildResult
from hawk.targets.stress import stress_cases
from hawk.targets.verdict import Artifacts, ErrorContext, Perf, SeedCheck, ShapeResult, Status, Verdict
from hawk.tasks.sandboxed import task_spec
from hawk.tasks.task import TaskError

if TYPE_CHECKING:
    from hawk.tasks.task import Task


@dataclass
class Job:
    """One candidate on one task, with its scratch directory: what a target's `run` step works on."""

    candidate: str
    task: Task
    options: EvalOptions
    mode: str
    workdir: Path
    kernel_file: Path
    seeds: list[int] = field(default_factory=list)
    stress: list[dict[str, Any]] = field(default_factory=list)  # value-stress cases (hawk/targets/stress.py)
    stress_note: str = ""
    dynamic_axes: dict[str, list[int]] = field(default_factory=dict)  # argument -> axes that must be DYNAMIC

    def request(self, **extra: Any) -> dict[str, Any]:
        """The fields every worker request carries, plus the target's own."""
        return {
            "task_id": self.task.id,
            "task_file": str(self.task.path),
            "shape": self.task.shape,
            "kernel_file": str(self.kernel_file),
            "workdir": str(self.workdir),
            "seeds": self.seeds,
            "stress": self.stress,
            "dynamic_axes": self.dynamic_axes,
            "atol": self.task.atol,
            "rtol": self.task.rtol,
            **extra,
        }


class Steps(Target, Protocol):
    """What a target supplies to the evaluation flow (hawk.targets.pipeline.evaluate)."""

    scratch_prefix: str  # scratch directory names start with it (tells targets' folders apart)
    stress_inputs: bool  # whether value-stress cases mean anything here (False where nothing runs)

    def static_check(self, source: str) -> Finding | None:
        """What the target's rules reject before anything runs (syntax, contract, cheating)."""
        ...

    def run(self, job: Job, verdict: Verdict) -> None:
        """Run the candidate in sandboxed children and fill `verdict` (status, error, correctness, perf,
        findings, timings, artifacts) from what they recorded."""
        ...

    def eager_baseline(self, job: Job) -> tuple[float | None, str | None] | None:
        """(eager time in us, note) for `job.task` in `job.mode`, or None where there is no baseline."""
        ...

    def cleanup(self, job: Job) -> None:
        """Drop what need not be kept of the scratch directory, once the verdict is written."""
        ...


class JudgeSteps(Protocol):
    """One worker result's target-specific steps in the judging sequence (`judge`); a target makes
    one per run, holding what it read besides the result (logs, the hardware reason, launches)."""

    process: str  # who died, in a crash's message
    compiles: bool  # whether a death while loading or compiling is a compile error

    def error(self, failure: Failure) -> ErrorContext:
        """The verdict's error for a failure, located where the target can (lines, hardware reason)."""
        ...

    def refused(self, result: WorkerResult) -> Failure | None:
        """The target's own failure outcomes (load, compile, simulate), or None when outputs were compared."""
        ...

    def seed_check(self, result: WorkerResult, seed: int) -> SeedCheck: ...

    def stress_rows(self, result: WorkerResult) -> list[dict[str, Any]] | None:
        """The stress cases' rows for `judging.add_stress`; None where stress inputs were not judged."""
        ...

    def perf(self, result: WorkerResult, verdict: Verdict) -> Perf | None:
        """The run's performance (the target may add its profile's files to `verdict.artifacts`)."""
        ...

    def roofline(self, result: WorkerResult) -> float | None: ...

    def add_bound(self, verdict: Verdict, result: WorkerResult) -> None:
        """The calibrated bound where the target has one (`judging.set_bound`); called with a perf."""
        ...

    def no_profile(self) -> ErrorContext | None:
        """The error when a run without a profile is not accepted; None where a profile is optional."""
        ...


def judge(verdict: Verdict, result: WorkerResult, child: ChildResult, job: Job, steps: JudgeSteps) -> None:
    """Fill `verdict` from one worker's result, in the order every target shares (module docstring)."""
    log_text = child.log_path.read_text(errors="replace") if child.log_path.exists() else ""
    failure = worker_failure(result, child, log_text, steps.process, steps.compiles) or steps.refused(result)
    if failure is not None:
        verdict.status, verdict.error = failure.status, steps.error(failure)
        return
    checks = [steps.seed_check(result, seed) for seed in job.seeds]
    verdict.correctness = correctness(job.seeds, checks, result.outputs)
    stress = steps.stress_rows(result)
    if stress is not None:
        add_stress(verdict.correctness, stress, result.outputs, job.stress_note, job.stress)
    verdict.perf = steps.perf(result, verdict)
    if verdict.perf is not None:
        set_roofline(verdict, steps.roofline(result))
        steps.add_bound(verdict, result)
    else:
        missing = steps.no_profile()
        if missing is not None:
            verdict.status, verdict.error = Status.RUNTIME_ERROR, missing
            return
    settle(verdict)


class TargetBase:
    """Defaults for a target's steps, and `evaluate` as the harness's flow over them."""

    name = "target"
    scratch_prefix = ""
    stress_inputs = True

    def default_mode(self) -> str:
        """Real hardware (`npu`) where it is available, else the first mode the target lists."""
        modes = self.modes()  # type: ignore[attr-defined]
        npu = [m for m in modes if m.mode == "npu" and m.available]
        return npu[0].mode if npu else modes[0].mode

    def setup(self, log: Callable[[str], None] = print, force: bool = False) -> dict[str, float]:
        return {}

    def eager_baseline(self, job: Job) -> tuple[float | None, str | None] | None:
        return None

    def cleanup(self, job: Job) -> None:
        return None

    def evaluate(self, candidate: str, task: Task, options: EvalOptions | None = None) -> Verdict:
        return evaluate(self, candidate, task, options)  # type: ignore[arg-type]


def evaluate(target: Steps, candidate: str, task: Task, options: EvalOptions | None = None) -> Verdict:
    """Judge one candidate (its source text) on `task` with `target`'s steps. Never raises for a bad
    candidate: whatever the candidate does becomes the verdict."""
    opts = options or EvalOptions()
    mode = opts.mode or target.default_mode()
    started = time.perf_counter()
    verdict = Verdict(status=Status.RUNTIME_ERROR, task=task.id, target=target.name, mode=mode,
                      shape_policy=task.extra.get("shape_policy"))  # fmt: skip

    finding = target.static_check(candidate)
    if finding is not None:
        verdict.status, verdict.error = finding.status, finding.error
        return _finished(verdict, started)
    problem = mode_problem(target, mode)
    if problem:
        verdict.error = ErrorContext(kind="environment", message=problem)
        return _finished(verdict, started)

    workdir = config.new_scratch_dir(f"{target.scratch_prefix}{slug(task.id)}")
    verdict.artifacts = Artifacts(workdir=str(workdir))
    try:
        spec = task_spec(task)  # in a sandboxed child: task files are untrusted code
        shapes, dynamic = [dict(s) for s in spec.shapes], spec.dynamic_axes()
        stress, note = (
            stress_cases(task.variant(shapes[0]) if shapes else task) if _stresses(target, opts) else ([], "")
        )
    except TaskError as exc:  # the task's own declarations are broken: say so, it is not the kernel's fault
        verdict.error = ErrorContext(kind="task", message=str(exc))
        return _finished(verdict, started)
    if not shapes:
        job = Job(candidate, task, opts, mode, workdir, workdir / "candidate.py", list(range(opts.seeds)), stress, note)
        _run_job(target, job, verdict)
    else:
        per_shape = []
        for k, shape in enumerate(shapes):  # stress cases on the first shape only: they cost a compile each
            sub = Verdict(status=Status.RUNTIME_ERROR, task=task.id, target=target.name, mode=mode)
            folder = workdir / f"shape{k}"
            folder.mkdir()
            sub.artifacts = Artifacts(workdir=str(folder))
            cases = (stress, note) if k == 0 else ([], "")
            job = Job(candidate, task.variant(shape), opts, mode, folder, folder / "candidate.py",
                      list(range(opts.seeds)), *cases, dynamic_axes=dynamic)  # fmt: skip
            _run_job(target, job, sub)
            per_shape.append(sub)
        merge_shapes(verdict, per_shape, shapes)
    _finished(verdict, started)
    (workdir / "verdict.json").write_text(json.dumps(verdict.to_dict(), indent=1, default=str))
    return verdict


def _finished(verdict: Verdict, started: float) -> Verdict:
    """The verdict as it leaves the harness: total time, and messages without ANSI codes, scratch
    paths or secrets (hawk.scrub; tool output carries all three, and prompts and triggers read them)."""
    from hawk.scrub import Scrubber

    verdict.timings["total_s"] = round(time.perf_counter() - started, 3)
    verdict.scrub_messages(Scrubber.here().text)
    return verdict


def _stresses(target: Steps, opts: EvalOptions) -> bool:
    return opts.stress and target.stress_inputs


def _run_job(target: Steps, job: Job, verdict: Verdict) -> None:
    """One run of the target's steps on one shape: candidate file, run, eager baseline, clean-up."""
    started = time.perf_counter()
    job.kernel_file = job.kernel_file.resolve()
    job.kernel_file.write_text(job.candidate)
    try:
        target.run(job, verdict)
        if verdict.perf is not None and job.options.with_eager_baseline:
            _add_eager(target, job, verdict)
    finally:
        verdict.timings["total_s"] = round(time.perf_counter() - started, 3)
        (job.workdir / "verdict.json").write_text(json.dumps(verdict.to_dict(), indent=1, default=str))
        target.cleanup(job)


def merge_shapes(verdict: Verdict, per_shape: list[Verdict], shapes: list[dict[str, int]]) -> None:
    """One verdict for a shape set: correct only if correct on every shape (the first failing shape
    names the error), times and speedups as geometric means over the shapes, each shape listed."""
    for sub, shape in zip(per_shape, shapes, strict=True):
        perf = sub.perf
        verdict.shapes.append(ShapeResult(
            shape=dict(shape), status=sub.status, time_us=perf.time_us if perf else None,
            eager_time_us=perf.eager_time_us if perf else None, speedup=perf.speedup if perf else None,
            roofline_ratio=perf.roofline_ratio if perf else None, bound_ratio=perf.bound_ratio if perf else None,
            detail=sub.error.message if sub.error else "",
        ))  # fmt: skip
    for k, v in enumerate(per_shape):
        for name, seconds in v.timings.items():
            verdict.timings[f"shape{k}_{name}"] = seconds
    bad = next((v for v in per_shape if v.status != Status.PASS), None)
    base = bad or per_shape[-1]  # the largest shape's profile (sets list small to large)
    label = ", ".join(f"{k}={v}" for k, v in verdict.shapes[per_shape.index(base)].shape.items())
    verdict.status, verdict.error, verdict.findings = base.status, base.error, base.findings
    verdict.correctness = per_shape[0].correctness if bad is None else base.correctness
    verdict.artifacts.log = base.artifacts.log
    if bad is not None:
        if verdict.error is not None:
            verdict.error.message = f"shape {label}: {verdict.error.message}"
        return
    verdict.perf = dataclasses.replace(base.perf) if base.perf else None
    if verdict.perf is not None:
        for key in ("time_us", "eager_time_us", "speedup", "roofline_ratio", "roofline_us", "bound_us", "bound_ratio"):
            values = [getattr(v.perf, key) for v in per_shape if v.perf is not None]
            setattr(verdict.perf, key, _geomean(values))
        verdict.perf.note = "; ".join(filter(None, [verdict.perf.note, f"geometric mean over {len(per_shape)} shapes"]))


def _geomean(values: list[float | None]) -> float | None:
    if not values or any(v is None or v <= 0 for v in values):
        return None
    return round(math.exp(sum(math.log(v) for v in values) / len(values)), 4)


def mode_problem(target: Steps, mode: str) -> str | None:
    """Why `mode` cannot run here (unknown, or its tools are missing), or None."""
    modes = {m.mode: m for m in target.modes()}
    if mode not in modes:
        return f"unknown mode '{mode}' for {target.name} ({', '.join(modes)})"
    if not modes[mode].available:
        return f"mode {mode} requested but it is not available here: {modes[mode].reason}"
    return None


def _add_eager(target: Steps, job: Job, verdict: Verdict) -> None:
    """Speedup against the target's eager baseline; a missing baseline is noted, never fatal."""
    t = time.perf_counter()
    try:
        eager = target.eager_baseline(job)
    except Exception as exc:  # the baseline is context, not the verdict: record why it is missing
        assert verdict.perf is not None
        verdict.perf.eager_note = f"eager baseline unavailable: {type(exc).__name__}: {exc}"[:300]
        return
    finally:
        verdict.timings["eager_s"] = round(time.perf_counter() - t, 3)
    if eager is None:
        return
    eager_us, note = eager
    set_speedup(verdict, eager_us)
    if note and verdict.perf is not None:
        verdict.perf.eager_note = note
