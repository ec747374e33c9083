"""Benchmark-runner throughput: evaluations per minute with 1 and 2 local workers, and peak memory.

Not a test. Runs `hawk bench`'s runner (method oneshot) on tasks of the npu-workloads suite with a
SCRIPTED model that answers each task with its expert kernel, so every unit is one real simulator
evaluation and nothing depends on an LLM. A warm-up pass first fills the eager-baseline cache, so
the timed passes measure the runner and the evaluations, as in a long run. Wall time includes the
worker processes' start-up (spawn + imports), which a real run pays once per worker too.

    python benchmarks/bench_throughput.py                   # 4 tasks x 2 samples, workers 1 and 2
    python benchmarks/bench_throughput.py --tasks 6 --samples 2 --workers 1,2,4 --seeds 3
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from hawk.agent.loop import Budget
from hawk.bench import BenchConfig, run_bench
from hawk.llm import LLMSettings
from hawk.targets.base import EvalOptions
from hawk.tasks import load_suite


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--suite", default="npu-workloads")
    ap.add_argument("--tasks", type=int, default=4, help="first N tasks that have an expert kernel")
    ap.add_argument("--samples", type=int, default=2)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()

    suite = load_suite(args.suite)
    tasks = [t for t in suite.tasks if t.expert_kernel is not None][: args.tasks]
    replies = {t.id: [f"```python\n{t.expert_kernel.read_text()}```"] for t in tasks}
    settings = LLMSettings(provider="scripted")
    opts = EvalOptions(seeds=args.seeds)
    print(f"{len(tasks)} tasks ({', '.join(t.id for t in tasks)}) x {args.samples} samples, method oneshot, "
          f"{args.seeds} seeds per evaluation, SCRIPTED replies (each task's expert kernel); {os.cpu_count()} CPUs")  # fmt: skip

    with tempfile.TemporaryDirectory(prefix="hawk-throughput-") as tmp:
        warm = BenchConfig(suite=args.suite, methods=["oneshot"], out=Path(tmp) / "warm", tasks=[t.id for t in tasks],
                           budget=Budget(iterations=1), eval_options=opts, experts=False)  # fmt: skip
        t0 = time.perf_counter()
        run_bench(warm, settings, workers=1, scripted_replies=replies, log=lambda m: None)
        print(f"warm-up (eager baselines cached): {time.perf_counter() - t0:.0f} s")
        rows = []
        for w in [int(x) for x in args.workers.split(",")]:
            config = BenchConfig(suite=args.suite, methods=["oneshot"], out=Path(tmp) / f"w{w}",
                                 tasks=[t.id for t in tasks], samples=args.samples, budget=Budget(iterations=1),
                                 eval_options=opts, experts=False)  # fmt: skip
            out = run_bench(config, settings, workers=w, scripted_replies=replies, log=lambda m: None)
            bad = [r.unit.key for r in out.ran if not r.passed]
            rate = out.evaluations / out.wall_s * 60
            worker_rss = max(r.worker_max_rss_kb for r in out.ran) / 1024
            eval_rss = max(r.eval_max_rss_kb for r in out.ran) / 1024
            mean_eval = sum(r.eval_s for r in out.ran) / len(out.ran)
            rows.append((w, out.evaluations, out.wall_s, rate, mean_eval, worker_rss, eval_rss))
            if bad:
                print(f"  note: {len(bad)} unit(s) did not pass: {', '.join(bad)}")
    print()
    print("| workers | evaluations | wall s | evaluations / min | mean s per evaluation | peak RSS worker | "
          "peak RSS evaluation child |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for w, n, wall, rate, mean_eval, wrss, erss in rows:
        print(f"| {w} | {n} | {wall:.0f} | {rate:.1f} | {mean_eval:.1f} | {wrss:.0f} MiB | {erss:.0f} MiB |")


if __name__ == "__main__":
    main()
