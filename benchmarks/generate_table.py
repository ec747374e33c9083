"""A per-task table of `hawk generate` runs (one folder per unit: summary.json, trajectory.jsonl,
best_verdict.json), as the README reports real-model runs: first kernel, final status, best time,
eager time and speedup, best / calibrated bound, the shape run, tokens.

Run: python benchmarks/generate_table.py RUNS_DIR [--markdown]
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path


def unit_row(d: Path) -> dict:
    summary = json.loads((d / "summary.json").read_text())
    best = json.loads((d / "best_verdict.json").read_text()) if (d / "best_verdict.json").is_file() else {}
    perf = best.get("perf") or {}
    policy = best.get("shape_policy") or {}
    statuses = summary.get("statuses") or []
    return {
        "unit": d.name, "task": summary["task"], "method": summary["method"], "steps": len(statuses),
        "first": statuses[0] if statuses else "-", "final": "pass" if best.get("status") == "pass" else "fail",
        "first_pass_step": statuses.index("pass") if "pass" in statuses else None,
        "time_us": perf.get("time_us"), "eager_us": perf.get("eager_time_us"), "speedup": perf.get("speedup"),
        "bound_ratio": perf.get("bound_ratio"), "shape": policy.get("rule", "-"),
        "tokens": (summary.get("tokens") or {}).get("total_tokens"),
    }  # fmt: skip


def geomean(values: list[float]) -> float | None:
    values = [v for v in values if v]
    return round(math.exp(sum(math.log(v) for v in values) / len(values)), 3) if values else None


def main(root: Path, markdown: bool) -> None:
    rows = [unit_row(d) for d in sorted(root.iterdir()) if (d / "summary.json").is_file()]
    cols = ["task", "method", "first", "final", "first_pass_step", "time_us", "eager_us", "speedup", "bound_ratio",
            "shape", "tokens"]  # fmt: skip
    if markdown:
        print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
        for r in rows:
            print("| " + " | ".join("-" if r[c] is None else str(r[c]) for c in cols) + " |")
    else:
        print(json.dumps(rows, indent=1))
    passed = [r for r in rows if r["final"] == "pass"]
    print(f"\n{len(passed)}/{len(rows)} correct; first kernel passed on {sum(r['first'] == 'pass' for r in rows)}; "
          f"passed by the 2nd attempt on {sum(r['first_pass_step'] is not None and r['first_pass_step'] <= 1 for r in rows)}; "
          f"geomean speedup over eager {geomean([r['speedup'] for r in passed])}, "
          f"geomean best/bound {geomean([r['bound_ratio'] for r in passed])}")  # fmt: skip


if __name__ == "__main__":
    main(Path(sys.argv[1]), "--markdown" in sys.argv[2:])
