"""Wall time of `hawk eval` per task on this machine, and where it goes.

Evaluates each expert reference kernel of a suite with the given number of seeds and prints, per
task: the verdict, wall seconds, and the share spent starting the process (imports + simulator
setup), running the PyTorch reference, compiling + verifying (pypto's passes with the CPU
calculator's check, which pypto runs inside compilation), and simulating (cost model).
A benchmark, not a test: it prints figures and asserts nothing about speed.

    python benchmarks/eval_time.py --suite npu-workloads [--seeds 3] [--tasks id1,id2]
"""

from __future__ import annotations

import argparse
import statistics
import sys

from hawk import targets
from hawk.targets.base import EvalOptions
from hawk.tasks import load_suite


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", default="npu-workloads")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--tasks", default="", help="comma-separated task ids (default: all with an expert)")
    args = ap.parse_args()
    target = targets.get("ascend-pypto")
    suite = load_suite(args.suite)
    wanted = set(filter(None, args.tasks.split(",")))
    rows = []
    print(f"{'task':34} {'status':13} {'wall_s':>7} {'start%':>7} {'ref%':>6} {'compile+verify%':>16} "
          f"{'simulate%':>10} {'sim_us':>9} {'eager_us':>9} {'speedup':>8}")  # fmt: skip
    for task in suite.tasks:
        if task.expert_kernel is None or (wanted and task.id not in wanted):
            continue
        v = target.evaluate(task.expert_kernel.read_text(), task, EvalOptions(seeds=args.seeds))
        t = v.timings
        wall = t.get("total_s", 0.0)

        def share(*keys: str, t=t, wall=wall) -> str:
            return f"{100 * sum(t.get(k, 0.0) for k in keys) / wall:.0f}" if wall else "-"

        p = v.perf
        print(
            f"{task.id:34} {v.status.value:13} {wall:7.1f} {share('import_s', 'setup_s'):>7} "
            f"{share('reference_s'):>6} {share('compile_verify_s'):>16} {share('simulate_s'):>10} "
            f"{(p.time_us if p else float('nan')):9.2f} {(p.eager_time_us or float('nan')) if p else float('nan'):9.2f} "
            f"{(p.speedup or float('nan')) if p else float('nan'):8.2f}",
            flush=True,
        )
        rows.append((v, wall))
    if not rows:
        print("no tasks evaluated")
        return 1
    walls = [w for _, w in rows]
    passed = sum(v.passed for v, _ in rows)
    print(f"\n{len(rows)} evaluations, {passed} passed; wall time median {statistics.median(walls):.1f} s, "
          f"max {max(walls):.1f} s, total {sum(walls):.0f} s ({args.seeds} seeds each)")  # fmt: skip
    return 0 if passed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
