"""Tasks: KernelBench-format task files, suites of them, and the kernel contract they imply.

What a task file says is asked of a sandboxed child (hawk.tasks.sandboxed): `instantiate` and
`signature` run the task's code and are for such children (and tests of trusted tasks) only."""

from hawk.tasks.resolve import resolve_task
from hawk.tasks.suite import Suite, load_suite, suite_names
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
