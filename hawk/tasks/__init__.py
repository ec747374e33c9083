"""Tasks: KernelBench-format task files, suites of them, and the kernel contract they imply."""

from hawk.tasks.suite import Suite, load_suite, resolve_task, suite_names
from hawk.tasks.task import ArgSpec, Task, TaskError, instantiate, signature

__all__ = [
    "ArgSpec",
    "Suite",
    "Task",
    "TaskError",
    "instantiate",
    "load_suite",
    "resolve_task",
    "signature",
    "suite_names",
]
