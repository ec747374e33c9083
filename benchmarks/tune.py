"""The tuner over a suite's expert kernels and a deliberately naive variant of each.

For each task: the expert kernel as written, and a naive variant (every tuned tile size about 8x
smaller than the expert's, cube tiles no smaller than 64, no pass options) are tuned with the same
budget. Prints per kernel: time before and after, best / roofline, points simulated, pruned and
failed, wall seconds and points per minute; then the naive-tuned / expert-tuned ratio per task and
the geometric mean of best / roofline over level-1 memory-bound tasks (no matrix product).
A benchmark, not a test: it prints figures and asserts nothing about speed.

    python benchmarks/tune.py [--tasks a,b] [--levels 1] [--tune-budget 24] [--tune-workers 2] [--out runs/tune-bench]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

from hawk import targets
from hawk.targets.base import EvalOptions
from hawk.tasks import load_suite
from hawk.tune import TUNE_BUDGET, tune, write_outputs

NAIVE_CUBE = 64
NAIVE_SHRINK = 8


def naive_point(space) -> dict:
    """Small tiles: each size knob at the smallest value of its list that is at least 1/NAIVE_SHRINK
    of the expert's (cube sizes at least 64), kept legal; no pass options. Much smaller tiles stop
    being a fair start: the simulator then needs minutes per point or prints no time at all."""
    point = dict(space.original())
    for knob in space.knobs:
        if knob.kind == "pass_option":
            point[knob.name] = None
    for knob in space.knobs:
        if not knob.size_like or not knob.original:
            continue
        floor = max(NAIVE_CUBE if knob.kind == "cube_tile" else 1, knob.original // NAIVE_SHRINK)
        for value in knob.values:
            trial = {**point, knob.name: value}
            if value >= floor and space.illegal(trial) is None:
                point = trial
                break
    return point


def geomean(xs: list[float]) -> float | None:
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", default="npu-workloads")
    ap.add_argument("--tasks", default="", help="comma-separated task ids (default: every task of --levels)")
    ap.add_argument("--levels", default="1", help="comma-separated levels (default 1)")
    ap.add_argument("--tune-budget", "--budget", dest="budget", type=int, default=TUNE_BUDGET)
    ap.add_argument("--tune-workers", "--workers", dest="workers", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path("runs/tune-bench"))
    args = ap.parse_args()
    target = targets.get("ascend-pypto")
    suite = load_suite(args.suite)
    wanted = set(filter(None, args.tasks.split(",")))
    levels = {int(x) for x in args.levels.split(",") if x}
    opts = EvalOptions(seeds=args.seeds)
    rows: list[dict] = []
    header = (f"{'task':30} {'variant':7} {'before':>8} {'after':>8} {'roofline':>8} {'after/roof':>10} "
              f"{'points':>6} {'pruned':>6} {'failed':>6} {'wall_s':>7} {'pts/min':>7} strategy")  # fmt: skip
    print(header, flush=True)
    for task in suite.tasks:
        if (
            task.expert_kernel is None
            or (wanted and task.id not in wanted)
            or (not wanted and task.level not in levels)
        ):
            continue
        expert = task.expert_kernel.read_text()
        space = target.tuning_space(expert, task)
        variants = {"expert": expert, "naive": space.render(naive_point(space))}
        first = target.evaluate(expert, task, opts)  # the roofline bound, and a check that the expert passes
        roofline = first.perf.roofline_us if first.perf else None
        for name, source in variants.items():
            t0 = time.perf_counter()
            r = tune(source, task, target, budget=args.budget, workers=args.workers, eval_options=opts,
                     roofline_us=roofline, log=lambda m: None)  # fmt: skip
            write_outputs(r, args.out / task.id / name)
            row = {"task": task.id, "level": task.level, "variant": name, "before_us": r.before_us,
                   "after_us": r.after_us, "roofline_us": r.roofline_us, "roofline_ratio": r.roofline_ratio,
                   "points": r.points_tried, "pruned": r.points_pruned, "failed": r.points_failed,
                   "wall_s": round(time.perf_counter() - t0, 1), "points_per_min": r.points_per_minute,
                   "strategy": r.strategy, "cube": "set_cube_tile_shapes" in expert}  # fmt: skip
            rows.append(row)
            print(f"{task.id:30} {name:7} {r.before_us or float('nan'):8.2f} {r.after_us or float('nan'):8.2f} "
                  f"{r.roofline_us or float('nan'):8.2f} {r.roofline_ratio or float('nan'):10.2f} {r.points_tried:6d} "
                  f"{r.points_pruned:6d} {r.points_failed:6d} {row['wall_s']:7.1f} {r.points_per_minute or 0:7.1f} "
                  f"{r.strategy}", flush=True)  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "rows.json").write_text(json.dumps(rows, indent=1))
    by = {(r["task"], r["variant"]): r for r in rows}
    print("\nnaive tuned / expert tuned (goal <= 1.2):")
    ratios = []
    for task in dict.fromkeys(r["task"] for r in rows):
        e, n = by.get((task, "expert")), by.get((task, "naive"))
        if e and n and e["after_us"] and n["after_us"]:
            ratios.append(n["after_us"] / e["after_us"])
            print(f"  {task:30} {n['after_us']:8.2f} / {e['after_us']:8.2f} = {ratios[-1]:.2f}")
    if ratios:
        print(f"  within 1.2x: {sum(x <= 1.2 for x in ratios)} of {len(ratios)}; geomean {geomean(ratios):.2f}")
    mem = [r["roofline_ratio"] for r in rows if r["variant"] == "expert" and r["level"] == 1 and not r["cube"]
           and r["roofline_ratio"]]  # fmt: skip
    if mem:
        print(f"geomean best/roofline, tuned experts, level-1 memory-bound ({len(mem)} tasks; goal <= 1.5): "
              f"{geomean(mem):.2f}")  # fmt: skip
    rates = [r["points_per_min"] for r in rows if r["points_per_min"]]
    if rates:
        print(f"points per minute while searching: median {sorted(rates)[len(rates) // 2]:.1f} "
              f"(min {min(rates):.1f}, max {max(rates):.1f}; {args.workers} workers)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
