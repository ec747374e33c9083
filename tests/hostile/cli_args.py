"""Hostile or careless command lines, with what `hawk` must do: exit with `code` (2: a usage error,
1: a refused input or a failing verdict) and say `needle`, never a traceback. `files` lays out what the
arguments name (run in a temporary directory)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .kernels import GOOD, _at_top

TASK = "l1_silu_fp32"
ANY_FAILURE = -1  # any non-zero exit: a refusal (2) or a failing verdict (1) are both right


@dataclass(frozen=True)
class CliCase:
    id: str
    argv: list[str]
    code: int  # the exit code, or ANY_FAILURE
    needle: str = ""


def files(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "good.py").write_text(GOOD)
    (root / "hostile.py").write_text(_at_top("import os"))
    (root / "latin1.py").write_bytes(b"# caf\xe9\n" + GOOD.encode())
    (root / "empty.py").write_text("")
    (root / "a_dir").mkdir(exist_ok=True)
    (root / "not_a_task.py").write_text("x = 1\n")


CLI_CASES = [
    CliCase("no-command", [], 2),
    CliCase("unknown-command", ["explode"], 2, "No such command"),
    CliCase("eval-no-args", ["eval"], 2, "Missing"),
    CliCase("eval-no-task", ["eval", "good.py"], 2, "--task"),
    CliCase("eval-missing-kernel", ["eval", "nope.py", "--task", TASK], 2, "not found"),
    CliCase("eval-directory-kernel", ["eval", "a_dir", "--task", TASK], 2, "not found"),
    CliCase("eval-unknown-task", ["eval", "good.py", "--task", "no_such_task"], 2, "no_such_task"),
    CliCase("eval-unknown-target", ["eval", "good.py", "--task", TASK, "--target", "tpu"], 2, "unknown target"),
    CliCase("eval-seeds-zero", ["eval", "good.py", "--task", TASK, "--seeds", "0"], 2, "seeds"),
    CliCase("eval-seeds-negative", ["eval", "good.py", "--task", TASK, "--seeds", "-3"], 2, "seeds"),
    CliCase("eval-seeds-text", ["eval", "good.py", "--task", TASK, "--seeds", "many"], 2, "seeds"),
    CliCase("eval-timeout-text", ["eval", "good.py", "--task", TASK, "--timeout", "soon"], 2, "timeout"),
    CliCase("eval-unknown-option", ["eval", "good.py", "--task", TASK, "--sneaky"], 2, "No such option"),
    CliCase("eval-hostile-kernel", ["eval", "hostile.py", "--task", TASK, "--seeds", "1"], 1, "imports 'os'"),
    CliCase("eval-empty-kernel", ["eval", "empty.py", "--task", TASK, "--seeds", "1"], 1, "empty"),
    CliCase("eval-latin1-kernel", ["eval", "latin1.py", "--task", TASK, "--seeds", "1"], ANY_FAILURE, "utf-8"),
    CliCase("eval-task-is-dir", ["eval", "good.py", "--task", "a_dir"], 2, "a_dir"),
    CliCase(
        "eval-kernel-as-task",
        ["eval", "good.py", "--task", "good.py", "--seeds", "1"],
        ANY_FAILURE,
        "not a KernelBench task",
    ),
    CliCase("eval-task-passwd", ["eval", "good.py", "--task", "/etc/passwd"], ANY_FAILURE, "passwd"),
    CliCase("eval-task-traversal", ["eval", "good.py", "--task", "../../../../../../../../no/such.py"], 2, "not found"),
    CliCase("eval-task-dev-null", ["eval", "good.py", "--task", "/dev/null"], 2, ""),
    CliCase("tune-budget-zero", ["tune", "good.py", "--task", TASK, "--budget", "0"], 2, "budget"),
    CliCase("tune-missing-kernel", ["tune", "nope.py", "--task", TASK], 2, "not found"),
    CliCase("generate-no-task", ["generate"], 2, "task"),
    CliCase("generate-iterations-zero", ["generate", "--task", TASK, "--iterations", "0"], 2, "iterations"),
    CliCase(
        "generate-unknown-method",
        ["generate", "--task", TASK, "--method", "magic", "--provider", "exchange", "--exchange-dir", "ex"],
        2,
        "magic",
    ),
    CliCase("bench-no-args", ["bench"], 2, "Missing"),
    CliCase(
        "bench-unknown-suite",
        [
            "bench",
            "--suite",
            "nope",
            "--out",
            "run",
            "--method",
            "oneshot",
            "--provider",
            "exchange",
            "--exchange-dir",
            "ex",
        ],
        2,
        "nope",
    ),
    CliCase(
        "bench-samples-zero",
        ["bench", "--suite", "npu-workloads", "--out", "run", "--method", "oneshot", "--samples", "0"],
        2,
        "samples",
    ),  # fmt: skip
    CliCase("report-missing-dir", ["report", "no_such_run"], 2, "no_such_run"),
    CliCase("mcp-bad-http", ["mcp", "--http", "localhost"], 2, "HOST:PORT"),
    CliCase("mcp-bad-port", ["mcp", "--http", "127.0.0.1:99999"], 2, "HOST:PORT"),
    CliCase("mcp-root-missing", ["mcp", "--root", "no_such_dir"], 2, "not a directory"),
    CliCase("mcp-workers-zero", ["mcp", "--workers", "0"], 2, "workers"),
    CliCase("kb-unknown-sub", ["kb", "explode"], 2, "No such command"),
    CliCase("tasks-unknown-suite", ["tasks", "--suite", "nope"], 2, "nope"),
]
