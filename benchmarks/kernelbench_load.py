"""Do a KernelBench checkout's task files load in Hawk, unchanged? Prints one line per file and the count.

"Loads" means what every evaluation needs before a kernel runs: the shape policy decides the shape
(hawk/tasks/shape_policy.py), the PyTorch reference runs at that shape for seed 0, and the kernel
contract (argument names, roles, shapes, dtypes; scalar inputs last) is derived. A file that does
not load is printed with the reason. Nothing is simulated; no file is copied.

    python benchmarks/kernelbench_load.py /path/to/KernelBench [--levels 1] [--only '*conv*']
"""

from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

from hawk.tasks.kernelbench import load_dir
from hawk.tasks.shape_policy import shape_summary
from hawk.tasks.task import Task, TaskError, signature


def check(task: Task) -> str:
    """'' when the task loads, else why not (one line)."""
    try:
        specs = signature(task)
    except TaskError as exc:
        return str(exc)
    except Exception as exc:  # the reference itself failed: report, never hide
        return f"{type(exc).__name__}: {exc}"
    if not any(s.role == "output" for s in specs):
        return "no output tensor"
    return ""


def contract_note(task: Task) -> str:
    specs = signature(task)
    dtypes = sorted({s.dtype for s in specs})
    scalars = [s.name for s in specs if s.role == "scalar"]
    return f"{len(specs)} args, dtypes {'/'.join(dtypes)}" + (f", scalar {', '.join(scalars)}" if scalars else "")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, help="a KernelBench checkout (or its KernelBench/ folder)")
    ap.add_argument("--levels", default="1", help="comma-separated levels (default 1)")
    ap.add_argument("--only", default="", help="comma-separated id patterns")
    args = ap.parse_args()
    started = time.perf_counter()
    levels = [int(x) for x in args.levels.split(",") if x]
    suite = load_dir(args.folder, levels, [p for p in args.only.split(",") if p] or None)
    reasons: dict[str, str] = {}
    for task in suite.tasks:
        why = check(task)
        policy = shape_summary(task.extra.get("shape_policy"))
        note = why or contract_note(task)
        print(f"{'FAIL' if why else 'ok  '} {task.id[:58]:58} {task.category:15} {policy[:60]:60} {note}", flush=True)
        if why:
            reasons[task.id] = why
    loaded = len(suite.tasks) - len(reasons)
    rules = collections.Counter((t.extra.get("shape_policy") or {}).get("rule", "none") for t in suite.tasks)
    print(f"\n{loaded} of {len(suite.tasks)} task files load ({time.perf_counter() - started:.0f} s); "
          f"shapes: {dict(rules)}")  # fmt: skip
    for tid, why in reasons.items():
        print(f"  {tid}: {why}")
    return 0 if not reasons else 1


if __name__ == "__main__":
    raise SystemExit(main())
