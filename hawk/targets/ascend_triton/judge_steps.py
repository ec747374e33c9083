"""ascend-triton's steps in the harness's judging sequence (hawk.targets.pipeline.judge): the
interpreter's outcomes and comparisons become the verdict's error and correctness, and the
compiled IR's summaries its performance estimate (or, in mode npu, the device time)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hawk.targets.ascend_triton import estimate
from hawk.targets.base import HardwareSpec
from hawk.targets.common import source_lines
from hawk.targets.judging import Failure, WorkerResult, dtype_bytes, roofline_us, seed_check
from hawk.targets.pipeline import Job
from hawk.targets.verdict import ErrorContext, Perf, SeedCheck, Status, Verdict


@dataclass
class TritonJudgeSteps:
    """The numerics run's judging steps: `launches` are the distinct launches the interpreter
    recorded, `summaries` their compiled IR by launch index (mode cpu)."""

    spec: HardwareSpec
    job: Job
    launches: list[dict[str, Any]]
    summaries: dict[int, estimate.IrSummary]
    process: str = "the interpreter process"
    compiles: bool = False  # the numerics child only interprets: no compile stage to blame for a crash

    def error(self, failure: Failure) -> ErrorContext:
        what = failure.message + (" (out-of-bounds stores can corrupt the heap)" if failure.kind == "crash" else "")
        return ErrorContext(kind=failure.kind, message=what, lines=source_lines(self.job.candidate, failure.lines))

    def refused(self, result: WorkerResult) -> Failure | None:
        if result.outcome == "load_error":
            return Failure(Status.COMPILE_ERROR, "import", result.message, result.lines)
        if result.outcome == "runtime_error":
            return Failure(Status.RUNTIME_ERROR, "interpreter", result.message, result.lines)
        return None

    def seed_check(self, result: WorkerResult, seed: int) -> SeedCheck:
        rows = {s["seed"]: s["checks"] for s in result.extra.get("seeds", [])}
        if seed not in rows:
            return SeedCheck(seed, False, detail="no result for this seed")
        return seed_check(seed, rows[seed], result.outputs)

    def stress_rows(self, result: WorkerResult) -> list[dict[str, Any]] | None:
        return result.stress

    def perf(self, result: WorkerResult, verdict: Verdict) -> Perf | None:
        if self.job.mode == "npu":
            t = result.extra.get("npu_time_us")
            return Perf(time_us=t, note="measured on the NPU with device events (worker_npu.py)")
        return self._estimate()

    def roofline(self, result: WorkerResult) -> float | None:
        """Lower bound: every tensor argument moved once at HBM bandwidth (the estimate's own floor);
        none for a device time (mode npu)."""
        if self.job.mode == "npu":
            return None
        moved = sum(a.get("numel", 0) * dtype_bytes(_elem(a["type"]))
                    for launch in self.launches for a in launch["args"] if a["kind"] == "ptr")  # fmt: skip
        return roofline_us(moved, 0, 0, self.spec, duplex=False)

    def add_bound(self, verdict: Verdict, result: WorkerResult) -> None:
        return None  # no calibrated bound for the estimate: the roofline only

    def no_profile(self) -> ErrorContext | None:
        return None  # no estimate (a launch did not compile to IR) leaves the verdict without perf

    def _estimate(self) -> Perf | None:
        """Sum of the per-launch estimates, each weighted by how often kernel() launched it."""
        total = 0.0
        pipes: dict[str, float] = {}
        notes, bottleneck, worst = [], None, -1.0
        for i, launch in enumerate(self.launches):
            summary = self.summaries.get(i)
            if summary is None:
                return None
            unique = sum(a.get("numel", 0) * dtype_bytes(_elem(a["type"]))
                         for a in launch["args"] if a["kind"] == "ptr")  # fmt: skip
            est = estimate.estimate_launch(summary, launch.get("counts", {}), unique)
            times = launch.get("times", 1)
            total += est.time_us * times
            for k, v in est.pipes_us.items():
                pipes[k] = pipes.get(k, 0.0) + v * times
            if est.time_us > worst:
                worst, bottleneck = est.time_us, est.bottleneck
            notes.append(f"{launch['name']}: {est.time_us} us x{times}; {est.note}")
        share = {k: round(100.0 * v / total, 1) for k, v in pipes.items()} if total else {}
        return Perf(time_us=round(total, 3), pipes=share, bottleneck=bottleneck, estimate=True, note="; ".join(notes))


def _elem(ptr_type: str) -> str:
    t = ptr_type.lstrip("*")
    return {"fp32": "f32", "fp16": "f16", "bf16": "bf16", "fp64": "f64"}.get(t, t)
