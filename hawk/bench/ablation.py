"""A/B numbers for knowledge: outcome rates of steps with and without each retrieved item.

With `hawk bench --ablate-knowledge`, method hawk withholds a random half of each step's retrieved
items and records which (Step.knowledge_withheld) beside the injected ones (Step.knowledge) and the
step's outcome (Step.knowledge_helped: a pass for generate/repair, a faster kernel for optimize).
Both arms are the same runs at the same budget, so for every item the rate of helped steps when it
was injected against the rate when it was retrieved but withheld estimates what the item itself
adds; "overall" pools every (item, step) observation. Read from the unit trajectories, so a report
can be re-rendered at any time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hawk.bench.unit import UnitRecord
from hawk.records.trajectory import Trajectory


def _rate(outcomes: list[bool]) -> float | None:
    return round(sum(outcomes) / len(outcomes), 4) if outcomes else None


def _arm(outcomes: list[bool]) -> dict[str, Any]:
    return {"n": len(outcomes), "helped": sum(outcomes), "rate": _rate(outcomes)}


def ablation(out: Path, records: list[UnitRecord]) -> dict[str, Any]:
    """{"steps": ablated steps, "items": {id: {"with": arm, "with_applied": arm, "without": arm}},
    "overall": {...}}; empty when no step withheld anything (the run was not ablated)."""
    with_: dict[str, list[bool]] = {}
    applied: dict[str, list[bool]] = {}
    without: dict[str, list[bool]] = {}
    steps = 0
    for r in records:
        if r.method != "hawk":
            continue
        for s in Trajectory(r.unit.dir(out) / "trajectory.jsonl").steps:
            if s.knowledge_helped is None:
                continue
            steps += bool(s.knowledge_withheld)
            for item_id in s.knowledge:
                with_.setdefault(item_id, []).append(s.knowledge_helped)
                if item_id in s.knowledge_applied:
                    applied.setdefault(item_id, []).append(s.knowledge_helped)
            for item_id in s.knowledge_withheld:
                without.setdefault(item_id, []).append(s.knowledge_helped)
    if not without:
        return {}
    ids = sorted(set(with_) | set(without))
    items = {i: {"with": _arm(with_.get(i, [])), "with_applied": _arm(applied.get(i, [])),
                 "without": _arm(without.get(i, []))} for i in ids}  # fmt: skip
    pool = lambda table: [o for v in table.values() for o in v]  # noqa: E731
    overall = {"with": _arm(pool(with_)), "with_applied": _arm(pool(applied)), "without": _arm(pool(without))}
    return {"steps": steps, "items": items, "overall": overall}


def _pct(arm: dict[str, Any]) -> str:
    return "-" if arm["rate"] is None else f"{100 * arm['rate']:.0f}% of {arm['n']}"


def markdown(ab: dict[str, Any]) -> list[str]:
    """The report's section (no lines when the run was not ablated)."""
    if not ab:
        return []
    lines = ["", "## Knowledge A/B (--ablate-knowledge)", "",
             f"{ab['steps']} steps withheld a random half of their retrieved items; helped = pass (generate, repair) "
             "or faster than the best so far (optimize).", "",
             "| item | helped with it | with it, applied | without it (withheld) |", "|---|---|---|---|"]  # fmt: skip
    o = ab["overall"]
    lines.append(f"| overall | {_pct(o['with'])} | {_pct(o['with_applied'])} | {_pct(o['without'])} |")
    for item_id, arms in ab["items"].items():
        lines.append(f"| {item_id} | {_pct(arms['with'])} | {_pct(arms['with_applied'])} | {_pct(arms['without'])} |")
    return lines


def html(ab: dict[str, Any]) -> str:
    if not ab:
        return ""
    rows = [("overall", ab["overall"])] + list(ab["items"].items())
    body = "".join(f"<tr><td>{k}</td><td>{_pct(a['with'])}</td><td>{_pct(a['with_applied'])}</td>"
                   f"<td>{_pct(a['without'])}</td></tr>" for k, a in rows)  # fmt: skip
    return (f"<h2>Knowledge A/B (--ablate-knowledge)</h2><p>{ab['steps']} steps withheld a random half of their "
            "retrieved items.</p><table><tr><th>item</th><th>helped with it</th><th>with it, applied</th>"
            f"<th>without it (withheld)</th></tr>{body}</table>")  # fmt: skip
