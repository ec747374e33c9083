"""How far one task travels: follow `run_agent`'s task object through the code.

    python benchmarks/task_travel.py

Runs method hawk on the fake target with a scripted model (an overflow, its repair, a tuned kernel),
with a profiler that notes every call of a Hawk function that receives the task object itself
(as an argument or as an attribute of `self`). Prints the stops (distinct functions), the files,
how often the task goes back to a file it had left, and how often it climbs to a higher layer
(layers as tests/test_layers.py orders them). Set PYTHONPATH to the tree to measure.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

LAYERS = ["config", "fileio", "tasks", "targets", "llm", "records", "knowledge", "tune", "agent", "bench", "mcp", "cli"]


def kernel(tile: int) -> str:
    return (
        f"TILE = {tile}\n# fake-time-us: 1000 / TILE + 10\n# fake-knobs: TILE in 8, 16, 32, 64, 128, 256\n"
        "# fake-overflow: TILE > 128\n\n\ndef kernel(x, out):\n    out.move(x.exp())  # exp over TILE rows\n"
    )


def follow(task: object, hawk_root: str) -> tuple[list[tuple[str, str]], Callable[..., None]]:
    calls: list[tuple[str, str]] = []

    def profile(frame, event, arg):  # noqa: ANN001 - sys.setprofile's signature
        if event != "call" or not frame.f_code.co_filename.startswith(hawk_root):
            return
        local = frame.f_locals
        holder = local.get("self")
        if any(v is task for v in local.values()) or (holder is not None and getattr(holder, "task", None) is task):
            calls.append((frame.f_code.co_filename[len(hawk_root) + 1 :], frame.f_code.co_name))

    return calls, profile


def main() -> None:
    import hawk
    from hawk import targets
    from hawk.agent import Budget, run_agent
    from hawk.agent.demo import TASK_FILE
    from hawk.llm import ScriptedLLM
    from hawk.targets.base import EvalOptions
    from hawk.tasks.task import task_from_file

    root = str(Path(hawk.__file__).parent)
    task = task_from_file(TASK_FILE)
    fence = "```python\n{}```"
    llm = ScriptedLLM([fence.format(kernel(256)), fence.format(kernel(16)), "Smaller tiles fit the UB."] * 2)
    calls, profile = follow(task, root)
    with tempfile.TemporaryDirectory() as tmp:
        threading.setprofile(profile)
        sys.setprofile(profile)
        try:
            run_agent(task, targets.get("fake"), llm, "hawk", Path(tmp) / "run",
                      Budget(iterations=2, tune_budget=4, tune_workers=1, roofline_stop=None), EvalOptions(seeds=1),
                      log=lambda m: None, knowledge_path=Path(tmp) / "kb.db")  # fmt: skip
        finally:
            sys.setprofile(None)
            threading.setprofile(None)
    report(calls)


def report(calls: list[tuple[str, str]]) -> None:
    stops = sorted(set(calls))
    files = [f for f, _ in calls]
    path = [f for i, f in enumerate(files) if i == 0 or f != files[i - 1]]  # consecutive calls in one file: one visit
    seen: set[str] = set()
    returns = climbs = 0
    for prev, cur in zip([None, *path], path, strict=False):
        returns += cur in seen
        seen.add(cur)
        if prev is not None and LAYERS.index(layer(cur)) > LAYERS.index(layer(prev)):
            climbs += 1
    print(f"{len(stops)} stops in {len(set(files))} files; {len(path)} file visits, {returns} returns to a file "
          f"already left, {climbs} climbs to a higher layer")  # fmt: skip
    for f in sorted(set(files)):
        print(f"  {f}: {', '.join(sorted({n for g, n in stops if g == f}))}")


def layer(file: str) -> str:
    head = file.split("/")[0].removesuffix(".py")
    return head if head in LAYERS else "config"


if __name__ == "__main__":
    main()
