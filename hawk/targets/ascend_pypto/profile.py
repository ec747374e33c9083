"""The critical task chain of one simulated kernel, from the simulator's swimlane and task graph.

pypto's cost model writes, under `output/*/CostModelSimulationOutput/`, `_simulate.swim.json`
(per core: each task's id and execution start/end in cycles) and `<n>_simulate.topo.json` (each
task's predecessors). The chain that decides the kernel's time starts at the task that ends last
and walks back: each task waited either for a predecessor (a dependency) or for the previous task
on its own core (the core was busy), whichever ended later; what is left between that end and
the task's start is a scheduling gap (a bubble: nothing the kernel asked for kept it waiting).

Cycles are scaled to microseconds by the simulated end-to-end time over the span of all tasks,
so the chain's shares add up to the time the verdict reports.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

MAX_CHAIN = 24  # tasks kept in the record, the last ones (the renderer shows fewer)


@dataclass
class ChainLink:
    task: int
    core: str  # e.g. AIV24, AIC3 (HUB: the scheduler's own start and end tasks)
    start_us: float
    work_us: float
    wait_us: float  # gap before the task started, after what it waited for
    after: str  # "dependency" | "core" (the previous task on its core) | "start"


def _executed(out_dir: Path) -> dict[int, tuple[str, int, int]]:
    tasks: dict[int, tuple[str, int, int]] = {}
    for core in json.loads((out_dir / "_simulate.swim.json").read_text()):
        name = f"{core.get('coreType', '?')}{core.get('blockIdx', '')}"
        for t in core.get("tasks", []):
            tasks[int(t["taskId"])] = (name, int(t["execStart"]), int(t["execEnd"]))
    return tasks


def _predecessors(out_dir: Path) -> dict[int, list[int]]:
    preds: dict[int, list[int]] = {}
    for path in sorted(out_dir.glob("*simulate.topo.json")):
        for t in json.loads(path.read_text()):
            preds.setdefault(int(t["taskId"]), []).extend(int(p) for p in t.get("predecessors", []))
    return preds


def _previous_on_core(tasks: dict[int, tuple[str, int, int]]) -> dict[int, int]:
    by_core: dict[str, list[tuple[int, int]]] = {}
    for tid, (core, start, _) in tasks.items():
        by_core.setdefault(core, []).append((start, tid))
    prev: dict[int, int] = {}
    for runs in by_core.values():
        runs.sort()
        for (_, before), (_, tid) in zip(runs, runs[1:], strict=False):
            prev[tid] = before
    return prev


def critical_chain(out_dir: Path, time_us: float) -> dict[str, Any]:
    """The chain ending at the last task (see the module docstring), as a JSON-ready record."""
    tasks = _executed(out_dir)
    if not tasks:
        return {}
    preds, prev = _predecessors(out_dir), _previous_on_core(tasks)
    t0 = min(s for _, s, _ in tasks.values())
    span = max(e for _, _, e in tasks.values()) - t0
    scale = time_us / span if span and time_us else 0.0
    links: list[ChainLink] = []
    current: int | None = max(tasks, key=lambda t: tasks[t][2])
    while current is not None and len(links) <= len(tasks):  # each step goes to an earlier task
        core, start, end = tasks[current]
        options = [(tasks[p][2], p, "dependency") for p in preds.get(current, []) if p in tasks]
        if current in prev:
            options.append((tasks[prev[current]][2], prev[current], "core"))
        ended, before, why = max(options) if options else (t0, None, "start")
        links.append(ChainLink(current, core, round((start - t0) * scale, 3), round((end - start) * scale, 3),
                               round(max(0, start - ended) * scale, 3), why))  # fmt: skip
        current = before
    links.reverse()
    cores = {c for c, _, _ in tasks.values() if not c.startswith("HUB")}
    return {
        "tasks": sum(1 for c, _, _ in tasks.values() if not c.startswith("HUB")),
        "cores": len(cores),
        "chain_tasks": len(links),
        "work_us": round(sum(x.work_us for x in links), 3),
        "wait_us": round(sum(x.wait_us for x in links), 3),
        "queued_work_us": round(sum(x.work_us for x in links if x.after == "core"), 3),  # behind a busy core
        "chain": [asdict(x) for x in links[-MAX_CHAIN:]],
    }
