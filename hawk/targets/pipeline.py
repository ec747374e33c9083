"""The evaluation flow, written once: every target's `evaluate` is this function over its steps.

    static check -> mode check -> scratch directory + candidate file -> target.run (sandboxed
    children, result reading, comparison, correctness, profile) -> eager baseline and speedup ->
    verdict.json -> clean-up

A target supplies the steps (`hawk.targets.base.Steps`): what its static rules reject, how its
worker runs and how its result is read. The order, the timings, the scratch directory and the
verdict file are the harness's, so every target's verdict is built the same way.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hawk import config
from hawk.targets.common import slug
from hawk.targets.judging import set_speedup
from hawk.targets.verdict import Artifacts, ErrorContext, Status, Verdict

if TYPE_CHECKING:
    from hawk.targets.base import EvalOptions, Steps
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

    def request(self, **extra: Any) -> dict[str, Any]:
        """The fields every worker request carries, plus the target's own."""
        return {
            "task_id": self.task.id,
            "task_file": str(self.task.path),
            "kernel_file": str(self.kernel_file),
            "workdir": str(self.workdir),
            "seeds": self.seeds,
            "atol": self.task.atol,
            "rtol": self.task.rtol,
            **extra,
        }


def evaluate(target: Steps, candidate: str, task: Task, options: EvalOptions | None = None) -> Verdict:
    """Judge one candidate (its source text) on `task` with `target`'s steps. Never raises for a bad
    candidate: whatever the candidate does becomes the verdict."""
    from hawk.targets.base import EvalOptions

    opts = options or EvalOptions()
    mode = opts.mode or target.default_mode()
    started = time.perf_counter()
    verdict = Verdict(status=Status.RUNTIME_ERROR, task=task.id, target=target.name, mode=mode)

    finding = target.static_check(candidate)
    if finding is not None:
        verdict.status, verdict.error = finding.status, finding.error
        verdict.timings["total_s"] = round(time.perf_counter() - started, 3)
        return verdict
    problem = mode_problem(target, mode)
    if problem:
        verdict.error = ErrorContext(kind="environment", message=problem)
        verdict.timings["total_s"] = round(time.perf_counter() - started, 3)
        return verdict

    workdir = config.new_scratch_dir(f"{target.scratch_prefix}{slug(task.id)}")
    kernel_file = (workdir / "candidate.py").resolve()
    kernel_file.write_text(candidate)
    job = Job(candidate, task, opts, mode, workdir, kernel_file, list(range(opts.seeds)))
    verdict.artifacts = Artifacts(workdir=str(workdir))
    try:
        target.run(job, verdict)
        if verdict.perf is not None and opts.with_eager_baseline:
            _add_eager(target, job, verdict)
    finally:
        verdict.timings["total_s"] = round(time.perf_counter() - started, 3)
        (workdir / "verdict.json").write_text(json.dumps(verdict.to_dict(), indent=1, default=str))
        target.cleanup(job)
    return verdict


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
