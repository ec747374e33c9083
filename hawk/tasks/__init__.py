"""Tasks: KernelBench-format task files, suites of them, and the kernel contract they imply.

What a task file says is asked of a sandboxed child (hawk.tasks.sandboxed): the functions of
hawk.tasks.task that import one are for such children only."""

from hawk.tasks.suite import Suite, load_suite, resolve_task, suite_names
from hawk.tasks.task import ArgSpec, Task, TaskError

__all__ = [
    "ArgSpec",
    "Suite",
    "Task",
    "TaskError",
    "load_suite",
    "resolve_task",
    "suite_names",
]
