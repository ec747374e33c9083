"""Benchmark runs at scale: every (method, task, sample) in parallel (process pool or Ray), resumable,
with the field's metrics (compile rate, pass@k, fast_p, geomean speedups) and a self-contained report.

    config = BenchConfig(suite="npu-workloads", methods=["feedback", "oneshot"], out=Path("runs/bench"))
    run_bench(config, LLMSettings.load(), workers=2)
    render(Path("runs/bench"))   # summary.json, summary.md, report.html, tasks/<task>.html
"""

from hawk.bench.plan import BenchConfig, BenchError, WorkUnit
from hawk.bench.report import render, render_compare
from hawk.bench.runner import BenchOutcome, run_bench

__all__ = ["BenchConfig", "BenchError", "BenchOutcome", "WorkUnit", "render", "render_compare", "run_bench"]
