"""Hostile MCP tool calls (the cases of issue 20 and more), with what the server must answer: a tool
error naming the argument (`error`, `needle` in its text), or a verdict with that status (`status`).
`workspace` lays out the server's working directory the calls point into."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .kernels import GOOD, _at_top, _in_body

SUITE_TASK = "l1_silu_fp32"  # resolving a suite task runs no task file
SECRET = "tok_hostile_corpus_0123456789abcdef"  # an identifier: a kernel can import it by name


@dataclass(frozen=True)
class McpCase:
    id: str
    tool: str
    args: dict[str, Any] = field(default_factory=dict)
    error: str = ""  # the tool error must contain this ("" : the call must succeed)
    status: str = ""  # or the verdict must have this status
    fake: bool = False  # on a server started with --allow-fake-target


def workspace(root: Path, outside: Path) -> None:
    """Files the hostile calls name: inside the root, and one outside it (reached by symlinks)."""
    (root / "kernels").mkdir(parents=True, exist_ok=True)
    (root / "kernels" / "good.py").write_text(GOOD)
    (root / "kernels" / "latin1.py").write_bytes(GOOD.encode() + b"# caf\xe9\n")
    (root / "kernels" / "huge.py").write_text(GOOD + "#" * (2 << 20))
    (root / "kernels" / "a_dir.py").mkdir(exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "secret.py").write_text(GOOD)
    for name, dest in (("escape.py", outside / "secret.py"), ("zero.py", Path("/dev/zero"))):
        if not (root / "kernels" / name).is_symlink():
            (root / "kernels" / name).symlink_to(dest)
    if not (root / "kernels" / "fifo.py").exists():
        os.mkfifo(root / "kernels" / "fifo.py")  # reading it would block for ever


def _ev(**args: Any) -> dict[str, Any]:
    return {"task": SUITE_TASK, "path": "kernels/good.py", **args}


def _src(source: str) -> dict[str, Any]:
    return {"task": SUITE_TASK, "source": source, "seeds": 1}


MCP_CASES = [
    # The fake target is scripted (it passes `def kernel(...): pass`): not offered without the flag.
    McpCase(
        "fake-target-refused",
        "evaluate_kernel",
        {"task": SUITE_TASK, "target": "fake", "source": "def kernel(x, out):\n    pass\n"},
        error="argument `target`: 'fake' is a scripted target",
    ),  # fmt: skip
    McpCase("fake-target-tune-refused", "tune_kernel", _ev(target="fake"), error="argument `target`"),
    McpCase(
        "fake-target-brief-refused", "task_brief", {"task": SUITE_TASK, "target": "fake"}, error="argument `target`"
    ),
    McpCase(
        "fake-target-search-refused", "search_knowledge", {"code": "x", "target": "fake"}, error="argument `target`"
    ),
    McpCase("unknown-target", "evaluate_kernel", _ev(target="tpu"), error="argument `target`: unknown target 'tpu'"),
    McpCase("unknown-tool", "rm_rf", {}, error="Unknown tool"),
    # Unknown arguments, by name.
    McpCase("unknown-arg-evaluate", "evaluate_kernel", _ev(sneaky=1), error="argument `sneaky`: unknown argument"),
    McpCase("unknown-arg-kb-stats", "kb_stats", {"all": True}, error="argument `all`: unknown argument"),
    McpCase("unknown-arg-typo", "evaluate_kernel", _ev(seed=3), error="argument `seed`: unknown argument"),
    McpCase("unknown-arg-targets", "list_targets", {"x": None}, error="argument `x`: unknown argument"),
    McpCase("unknown-arg-dunder", "list_tasks", {"__class__": "x"}, error="argument `__class__`: unknown argument"),
    # Types and ranges, one format.
    McpCase("seeds-string", "evaluate_kernel", _ev(seeds="three"), error="argument `seeds`: must be an integer"),
    McpCase("seeds-float", "evaluate_kernel", _ev(seeds=1.5), error="argument `seeds`: must be an integer"),
    McpCase("seeds-list", "evaluate_kernel", _ev(seeds=[1]), error="argument `seeds`: must be an integer"),
    McpCase("seeds-zero", "evaluate_kernel", _ev(seeds=0), error="argument `seeds`: must be a positive integer"),
    McpCase("seeds-negative", "evaluate_kernel", _ev(seeds=-4), error="argument `seeds`"),
    McpCase("seeds-huge", "evaluate_kernel", _ev(seeds=10**12), error="argument `seeds`: must be at most"),
    McpCase("timeout-zero", "evaluate_kernel", _ev(timeout_s=0), error="argument `timeout_s`"),
    McpCase("timeout-negative", "evaluate_kernel", _ev(timeout_s=-1), error="argument `timeout_s`"),
    McpCase("timeout-huge", "evaluate_kernel", _ev(timeout_s=1e12), error="argument `timeout_s`: must be at most"),
    McpCase(
        "timeout-text", "evaluate_kernel", _ev(timeout_s="forever"), error="argument `timeout_s`: must be a number"
    ),
    McpCase("eager-text", "evaluate_kernel", _ev(eager="sure thing"), error="argument `eager`"),
    McpCase("task-number", "evaluate_kernel", _ev(task=7), error="argument `task`"),
    McpCase("task-object", "evaluate_kernel", _ev(task={"id": 1}), error="argument `task`"),
    McpCase("source-number", "evaluate_kernel", {"task": SUITE_TASK, "source": 12}, error="argument `source`"),
    McpCase("budget-zero", "tune_kernel", _ev(budget=0), error="argument `budget`"),
    McpCase("budget-huge", "tune_kernel", _ev(budget=10**9), error="argument `budget`: must be at most"),
    McpCase("workers-zero", "tune_kernel", _ev(workers=0), error="argument `workers`"),
    McpCase("workers-huge", "tune_kernel", _ev(workers=10**6), error="argument `workers`: must be at most"),
    McpCase("k-zero", "search_knowledge", {"code": "x", "k": 0}, error="argument `k`"),
    McpCase("k-huge", "search_knowledge", {"code": "x", "k": 10**9}, error="argument `k`: must be at most"),
    McpCase("verdict-not-object", "search_knowledge", {"verdict": [1, 2]}, error="argument `verdict`"),
    McpCase("missing-task", "evaluate_kernel", {"path": "kernels/good.py"}, error="argument `task`: missing"),
    McpCase("empty-task", "evaluate_kernel", _ev(task=""), error="argument `task`: missing"),
    McpCase("blank-task", "task_brief", {"task": "   "}, error="argument `task`: missing"),
    McpCase("missing-source", "evaluate_kernel", {"task": SUITE_TASK}, error="argument `source`: missing"),
    McpCase(
        "blank-source", "evaluate_kernel", {"task": SUITE_TASK, "source": " \n "}, error="argument `source`: missing"
    ),
    McpCase("source-and-path", "evaluate_kernel", _ev(source=GOOD), error="not both"),
    McpCase("search-nothing", "search_knowledge", {}, error="argument `code`: missing"),
    McpCase("search-code-and-path", "search_knowledge", {"code": "x", "path": "kernels/good.py"}, error="not both"),
    McpCase(
        "record-same-kernel",
        "record_fix",
        {"task": SUITE_TASK, "failing_path": "kernels/good.py", "passing_path": "kernels/good.py"},
        error="argument `passing_path`: is the same kernel",
    ),  # fmt: skip
    McpCase("record-missing-failing", "record_fix", {"task": SUITE_TASK}, error="argument `failing_source`: missing"),
    McpCase("suite-unknown", "list_tasks", {"suite": "nope"}, error="argument `suite`: unknown suite"),
    McpCase("suite-traversal", "list_tasks", {"suite": "../../etc"}, error="argument `suite`: unknown suite"),
    # Paths: only files inside the working directory, read as UTF-8 text of a bounded size.
    McpCase("path-dotdot", "evaluate_kernel", _ev(path="../../etc/passwd"), error="argument `path`"),
    McpCase(
        "path-absolute", "evaluate_kernel", _ev(path="/etc/passwd"), error="outside the server's working directory"
    ),
    McpCase("path-home", "evaluate_kernel", _ev(path="~/.bashrc"), error="argument `path`"),
    McpCase(
        "path-proc", "evaluate_kernel", _ev(path="/proc/self/environ"), error="outside the server's working directory"
    ),
    McpCase(
        "path-symlink-out",
        "evaluate_kernel",
        _ev(path="kernels/escape.py"),
        error="outside the server's working directory",
    ),
    McpCase(
        "path-dev-zero", "evaluate_kernel", _ev(path="kernels/zero.py"), error="outside the server's working directory"
    ),
    McpCase("path-fifo", "evaluate_kernel", _ev(path="kernels/fifo.py"), error="argument `path`: file not found"),
    McpCase("path-directory", "evaluate_kernel", _ev(path="kernels/a_dir.py"), error="argument `path`: file not found"),
    McpCase("path-missing", "evaluate_kernel", _ev(path="kernels/nope.py"), error="argument `path`: file not found"),
    McpCase(
        "path-not-utf8",
        "evaluate_kernel",
        _ev(path="kernels/latin1.py"),
        error="argument `path`: 'kernels/latin1.py' is not UTF-8",
    ),
    McpCase("path-huge", "evaluate_kernel", _ev(path="kernels/huge.py"), error="argument `path`: 'kernels/huge.py' is"),
    McpCase("source-huge", "evaluate_kernel", _src(GOOD + "#" * (2 << 20)), error="argument `source`: is"),
    McpCase("task-dotdot", "task_brief", {"task": "../../etc/passwd.py"}, error="argument `task`"),
    McpCase("task-absolute", "task_brief", {"task": "/etc/hostname"}, error="argument `task`"),
    McpCase(
        "task-symlink-out", "task_brief", {"task": "kernels/escape.py"}, error="outside the server's working directory"
    ),
    McpCase("task-unknown", "task_brief", {"task": "no_such_task"}, error="argument `task`: unknown task"),
    McpCase("search-path-out", "search_knowledge", {"path": "/etc/passwd"}, error="argument `path`"),
    McpCase(
        "record-path-out",
        "record_fix",
        {"task": SUITE_TASK, "failing_path": "/etc/passwd", "passing_path": "kernels/good.py"},
        error="argument `failing_path`",
    ),  # fmt: skip
    # Hostile kernels given inline: refused before anything runs, as verdicts (not errors).
    McpCase("kernel-imports-os", "evaluate_kernel", _src(_at_top("import os")), status="invalid"),
    McpCase("kernel-imports-torch", "evaluate_kernel", _src(_at_top("import torch")), status="invalid"),
    McpCase("kernel-getattr", "evaluate_kernel", _src(_in_body("getattr(pypto, 'exp')")), status="invalid"),
    McpCase(
        "kernel-verifier",
        "evaluate_kernel",
        _src(_in_body("pypto.set_verify_golden_data(goldens=[])")),
        status="invalid",
    ),
    McpCase(
        "kernel-subclasses",
        "evaluate_kernel",
        _src(_in_body("().__class__.__bases__[0].__subclasses__()")),
        status="invalid",
    ),
    McpCase("kernel-null-bytes", "evaluate_kernel", _src(GOOD + "\x00"), status="compile_error"),
    McpCase("kernel-deep", "evaluate_kernel", _src("x = " + "-" * 100000 + "1\n" + GOOD), status="invalid"),
    McpCase("kernel-prose", "evaluate_kernel", _src("Sure! Here is your kernel."), status="compile_error"),
    McpCase("kernel-secret-echo", "evaluate_kernel", _src(f"import {SECRET}\n" + GOOD), status="invalid"),
    McpCase(
        "tune-hostile", "tune_kernel", _src(_at_top("import os")), error="argument `source`: the kernel does not pass"
    ),
    McpCase(
        "record-hostile-fix",
        "record_fix",
        {
            "task": SUITE_TASK,
            "failing_source": _at_top("import os"),
            "passing_source": _at_top("import sys"),
            "seeds": 1,
        },
        error="argument `passing_source`: the kernel does not pass",
    ),  # fmt: skip
    # With the flag, the fake target is there (for tests): and still refuses bad arguments.
    McpCase(
        "fake-allowed",
        "evaluate_kernel",
        {"task": SUITE_TASK, "target": "fake", "source": "def kernel(x, out):\n    pass\n", "seeds": 1},
        status="pass",
        fake=True,
    ),  # fmt: skip
    McpCase(
        "fake-allowed-bad-seeds",
        "evaluate_kernel",
        {"task": SUITE_TASK, "target": "fake", "source": "x", "seeds": "x"},
        error="argument `seeds`",
        fake=True,
    ),  # fmt: skip
]
