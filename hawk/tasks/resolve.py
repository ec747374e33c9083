"""What a task reference names: a suite task id, or a task file (in a KernelBench checkout or loose)."""

from __future__ import annotations

from pathlib import Path

from hawk.tasks.kernelbench import load_file
from hawk.tasks.shape_policy import ShapePolicy
from hawk.tasks.suite import load_suite, suite_names
from hawk.tasks.task import Task, TaskError, task_from_file


def resolve_task(ref: str, suite: str | None = None) -> Task:
    """`ref` is a suite task id (searched in `suite`, or in every suite) or a path to a task file."""
    path = Path(ref)
    if ref.endswith(".py") or path.is_file():
        # A file in a KernelBench checkout is that checkout's task (its id, its shape overrides);
        # any other loose file gets the shape policy's budget rule and no overrides.
        return load_file(path) or ShapePolicy().apply(task_from_file(path))
    for name in [suite] if suite else suite_names():
        s = load_suite(name)
        for t in s.tasks:
            if t.id == ref:
                return t
    raise TaskError(f"unknown task '{ref}': not a suite task id, nor a task file")
