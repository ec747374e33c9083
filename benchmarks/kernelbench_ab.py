"""Methods side by side on a KernelBench sample: per task, per op family, and AKG's published result.

Reads `hawk generate` unit folders named PREFIX-kb<N> (e.g. fb-kb63 for method feedback on task 63,
hk-kb63 for method hawk, pop-kb23 for feedback with population search) under RUNS_DIR, and prints:
* one row per task: each arm's first kernel, the step of its first correct kernel, best time,
  speedup over the simulated eager baseline, best / calibrated bound, tokens; AKG's tick or cross;
* per op family: correct, correct on the first or second kernel, geomean speedup, per arm;
* per arm: totals, geomean best/bound, tokens.
Tokens are every call a unit made: the kernels asked for and the method's own questions (method
`hawk`'s rationales, labels and arbitration after the run), so arms compare at what they cost.
`--equal-tokens` also pairs each task's arms at the cheaper arm's tokens: each arm's best correct
kernel among the steps it had finished within that many tokens (its own questions charged first).

AKG's column is its published result (PyPTO on a real 910B3, adaptive search with 10 submissions,
mindspore-ai/akg akg_agents/docs/v2/DSLBenchmarkResults202606.md): it fails every convolution and
pooling task, 2, 6, 91 and 92 of level 1. Ours run on the simulator, at the shape the policy picks.

Run: python benchmarks/kernelbench_ab.py RUNS_DIR --arms fb,hk[,pop] [--markdown] [--equal-tokens]
"""

from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path

from hawk.records.trajectory import Trajectory
from hawk.tasks.kernelbench import category_of

AKG_FAILS = set(range(41, 47)) | set(range(54, 88)) | {2, 6, 91, 92}  # level 1, per the published table


def unit(d: Path) -> dict:
    summary = json.loads((d / "summary.json").read_text())
    best = json.loads((d / "best_verdict.json").read_text()) if (d / "best_verdict.json").is_file() else {}
    perf = best.get("perf") or {}
    statuses = summary.get("statuses") or []
    tokens = summary.get("tokens") or {}
    # Every step's tokens (a forked run's copied steps too, as its summary's all_tokens counts them)
    # plus the method's own questions (before method_tokens was recorded: the learn tally).
    steps = _step_times(d / "trajectory.jsonl")
    asked = tokens["method_tokens"] if "method_tokens" in tokens else (
        (summary.get("knowledge") or {}).get("llm_tokens") or 0)  # fmt: skip
    return {"method_tokens": asked, "steps": steps, **{"task": summary["task"], "first": statuses[0] if statuses else "-",
            "first_pass": statuses.index("pass") if "pass" in statuses else None,
            "correct": best.get("status") == "pass", "time_us": perf.get("time_us"), "speedup": perf.get("speedup"),
            "bound_ratio": perf.get("bound_ratio"), "tokens": (steps[-1][0] if steps else 0) + asked,
            "calls": tokens.get("calls"), "sim_points": summary.get("sim_points"),
            "shape": (best.get("shape_policy") or {}).get("rule", "-")}}  # fmt: skip


def _step_times(path: Path) -> list[tuple[int, float | None]]:
    """(tokens spent through this step, its kept kernel's time when correct) per step."""
    out, spent = [], 0
    for step in Trajectory(path).steps if path.is_file() else []:
        spent += int(step.tokens.get("total_tokens") or 0)
        kept = step.kept_verdict()
        out.append((spent, kept.perf.time_us if kept is not None and kept.passed and kept.perf else None))
    return out


def best_within(row: dict, tokens: int) -> float | None:
    """The unit's best correct time among the steps finished within `tokens` (its questions charged first)."""
    budget = tokens - row["method_tokens"]
    times = [t for spent, t in row["steps"] if spent <= budget and t]
    return min(times) if times else None


def geomean(values: list) -> float | None:
    values = [v for v in values if v]
    return round(math.exp(sum(math.log(v) for v in values) / len(values)), 3) if values else None


def family(task: str) -> str:
    number = int(re.match(r"kb\d+_(\d+)_", task).group(1))
    name = task.lower()
    fam = category_of(Path(f"{task.split('_', 1)[1]}.py"))
    if fam == "conv" and "3d" in name:
        return "conv 3-D"
    if fam == "conv" and "2d" in name:
        return "conv 2-D"
    if fam == "conv_transposed":
        return "conv transposed"
    if fam in ("conv_depthwise", "conv_pointwise"):
        return "conv depthwise/pointwise"
    if fam == "pooling":
        return "pooling 2-D/3-D" if ("2d" in name or "3d" in name) else "pooling 1-D"
    if number == 6:
        return "matmul large K"
    return fam


def load(root: Path, arms: list[str]) -> dict[str, dict[str, dict]]:
    """task id -> arm -> unit row."""
    out: dict[str, dict[str, dict]] = {}
    for arm in arms:
        for d in sorted(root.glob(f"{arm}-kb*")):
            if (d / "summary.json").is_file():
                row = unit(d)
                out.setdefault(row["task"], {})[arm] = row
    return out


def _cell(r: dict | None) -> str:
    if r is None:
        return "-"
    step = "-" if r["first_pass"] is None else str(r["first_pass"] + 1)
    status = "pass" if r["correct"] else "FAIL"
    t = f"{r['time_us']:.1f} us" if r["time_us"] else "-"
    sp = f"{r['speedup']:.2f}x" if r["speedup"] else "-"
    b = f"{r['bound_ratio']:.1f}" if r["bound_ratio"] else "-"
    return f"{status} (kernel {step}) {t}, {sp} eager, {b}x bound"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--arms", default="fb,hk")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--equal-tokens", action="store_true", help="also compare each arm with the first at equal tokens")
    args = ap.parse_args()
    arms = args.arms.split(",")
    data = load(args.root, arms)
    tasks = sorted(data, key=lambda t: (family(t), int(re.match(r"kb\d+_(\d+)_", t).group(1))))
    sep = " | "
    print(sep.join(["task", "family", "AKG (910B3)", *arms, "shape run"]))  # markdown: a table to paste
    if args.markdown:
        print(sep.join(["---"] * (4 + len(arms))))
    for t in tasks:
        number = int(re.match(r"kb\d+_(\d+)_", t).group(1))
        shape = next((r["shape"] for r in data[t].values()), "-")
        name = re.sub(r"_+", " ", t.split("_", 2)[2]).strip()[:40] if args.markdown else t
        print(sep.join([f"{number} {name}" if args.markdown else t, family(t), "fail" if number in AKG_FAILS else "pass",
                        *[_cell(data[t].get(a)) for a in arms], shape]))  # fmt: skip
    print()
    families = sorted({family(t) for t in tasks})
    print(sep.join(["family", "tasks", *[f"{a}: correct / first-or-second / geomean speedup" for a in arms]]))
    for fam in families + ["all", "conv+pool"]:
        ts = [t for t in tasks if fam == "all" or family(t) == fam
              or (fam == "conv+pool" and family(t).startswith(("conv", "pool")))]  # fmt: skip
        cells = []
        for a in arms:
            rs = [data[t][a] for t in ts if a in data[t]]
            early = sum(1 for r in rs if r["first_pass"] is not None and r["first_pass"] <= 1)
            cells.append(f"{sum(r['correct'] for r in rs)}/{len(rs)} / {early}/{len(rs)} / "
                         f"{geomean([r['speedup'] for r in rs if r['correct']])}")  # fmt: skip
        print(sep.join([fam, str(len(ts)), *cells]))
    print()
    for a in arms:
        rs = [data[t][a] for t in tasks if a in data[t]]
        print(
            f"{a}: {len(rs)} units, correct {sum(r['correct'] for r in rs)}, first kernel correct "
            f"{sum(r['first'] == 'pass' for r in rs)}, geomean best/bound "
            f"{geomean([r['bound_ratio'] for r in rs if r['correct']])}, geomean speedup "
            f"{geomean([r['speedup'] for r in rs if r['correct']])}, tokens {sum(r['tokens'] or 0 for r in rs)}, "
            f"LLM calls {sum(r['calls'] or 0 for r in rs)}, simulator points {sum(r['sim_points'] or 0 for r in rs)}"
        )
    for b in arms[1:]:  # every arm against the first, over the tasks both finished
        paired_ab(data, tasks, arms[0], b, args.equal_tokens)


def paired_ab(data: dict[str, dict[str, dict]], tasks: list[str], a: str, b: str, at_equal_tokens: bool) -> None:
    paired = [t for t in tasks if a in data[t] and b in data[t]]
    if not paired:
        return
    both = [t for t in paired if data[t][a]["correct"] and data[t][b]["correct"]]
    ratio = geomean([data[t][a]["time_us"] / data[t][b]["time_us"] for t in both
                     if data[t][a]["time_us"] and data[t][b]["time_us"]])  # fmt: skip
    tok = sum(data[t][b]["tokens"] or 0 for t in paired) / max(1, sum(data[t][a]["tokens"] or 0 for t in paired))
    print(f"paired over {len(paired)} tasks ({len(both)} correct in both): {b} is {ratio}x as fast as {a} "
          f"(geomean of {a} time / {b} time), at {tok:.2f}x the tokens")  # fmt: skip
    if at_equal_tokens:
        equal_tokens(data, paired, a, b)


def equal_tokens(data: dict[str, dict[str, dict]], paired: list[str], a: str, b: str) -> None:
    """Each task's arms at the cheaper arm's tokens: correct within them, and the time ratio."""
    ratios, correct = [], {a: 0, b: 0}
    for t in paired:
        level = min(data[t][a]["tokens"], data[t][b]["tokens"])
        times = {arm: best_within(data[t][arm], level) for arm in (a, b)}
        correct = {arm: correct[arm] + (times[arm] is not None) for arm in (a, b)}
        if times[a] and times[b]:
            ratios.append(times[a] / times[b])
    print(f"at equal tokens (each task at its cheaper arm's tokens): correct {a} {correct[a]}/{len(paired)}, "
          f"{b} {correct[b]}/{len(paired)}; {b} is {geomean(ratios)}x as fast as {a} over {len(ratios)} tasks")  # fmt: skip


if __name__ == "__main__":
    main()
