"""Chain vs population search: one row per generate run, and the geomean of best/bound per search.

Reads finished `hawk generate` directories (e.g. `benchmarks/ab_tasks/unit.sh NAME TASK
--search population --token-budget N`, which writes runs/ab/out/NAME): each run's summary.json
(search, tokens, LLM calls' steps, simulator points, the kept kernels) and best_verdict.json
(bound_ratio, the calibrated bound; roofline_ratio where there is none). Compare runs made at the
same token budget. A benchmark: it prints figures and asserts nothing.

    python benchmarks/search_ab.py runs/ab/out/*
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path


def row(run: Path) -> dict | None:
    summary_path = run / "summary.json"
    if not summary_path.is_file():
        return None
    s = json.loads(summary_path.read_text())
    verdict = json.loads((run / "best_verdict.json").read_text()) if (run / "best_verdict.json").is_file() else {}
    perf = verdict.get("perf") or {}
    gap = perf.get("bound_ratio") or perf.get("roofline_ratio")
    return {"run": run.name, "task": s["task"], "search": s.get("search", "chain"), "steps": s["steps"],
            "best_us": s.get("best_time_us"), "gap": gap, "tokens": s["tokens"].get("total_tokens", 0),
            "sim_points": s.get("sim_points", 0), "structures": len(s.get("kept", [])),
            "stop": s["stop_reason"]}  # fmt: skip


def geomean(values: list[float]) -> float | None:
    values = [v for v in values if v and v > 0]
    return round(math.exp(sum(math.log(v) for v in values) / len(values)), 3) if values else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path, help="hawk generate output directories")
    rows = [r for r in (row(p) for p in ap.parse_args().runs) if r]
    if not rows:
        print("no finished runs (summary.json) among the directories given", file=sys.stderr)
        return 1
    print("| run | task | search | steps | best us | best/bound | tokens | sim points | structures kept | stop |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: (r["task"], r["search"])):
        print(f"| {r['run']} | {r['task']} | {r['search']} | {r['steps']} | {r['best_us']} | {r['gap']} | "
              f"{r['tokens']:,} | {r['sim_points']} | {r['structures']} | {r['stop']} |")  # fmt: skip
    for search in sorted({r["search"] for r in rows}):
        mine = [r for r in rows if r["search"] == search]
        print(
            f"{search}: {len(mine)} runs, geomean best/bound {geomean([r['gap'] for r in mine])}, "
            f"tokens {sum(r['tokens'] for r in mine):,}, sim points {sum(r['sim_points'] for r in mine)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
