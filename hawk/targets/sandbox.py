"""Run untrusted work in a child process: own session, wall-clock timeout, memory limit.

A crash, hang or heap corruption in the child must never take Hawk down; the caller gets a
plain record of how the child ended and reads the child's files to learn more. The child never
sees the values of secret-named variables (API keys, tokens: hawk.scrub): it runs untrusted code.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from hawk.scrub import is_secret_name


@dataclass
class ChildResult:
    returncode: int | None
    timed_out: bool
    signal_name: str | None
    wall_s: float
    log_path: Path


def without_secrets(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if not is_secret_name(k)}


def _limits(memory_limit_mb: int):
    def apply() -> None:
        os.setsid()  # own process group: a timeout kills the whole tree
        limit = memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def run_child(
    cmd: list[str], cwd: Path, env: dict[str, str], timeout_s: float, memory_limit_mb: int, log_path: Path
) -> ChildResult:
    start = time.perf_counter()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=without_secrets(env), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=_limits(memory_limit_mb),
        )  # fmt: skip
        timed_out = False
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        finally:
            if proc.poll() is None:  # interrupted (e.g. Ctrl-C): leave nothing running
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    rc = proc.returncode
    sig = signal.Signals(-rc).name if rc is not None and rc < 0 else None
    return ChildResult(rc, timed_out, sig, time.perf_counter() - start, log_path)


@dataclass
class LiveChild:
    """A long-lived child process and the log file it writes to (ours to close)."""

    proc: subprocess.Popen
    log: BinaryIO


def start_child(cmd: list[str], cwd: Path, env: dict[str, str], memory_limit_mb: int, log_path: Path) -> LiveChild:
    """A long-lived child with the same limits as run_child, fed through its stdin (a pipe).

    The caller owns its lifetime: `stop_child` ends it (and everything it started)."""
    log = open(log_path, "ab")  # noqa: SIM115 - the child keeps writing to it; closed in stop_child
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=without_secrets(env), stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
        preexec_fn=_limits(memory_limit_mb),
    )  # fmt: skip
    return LiveChild(proc, log)


def stop_child(child: LiveChild) -> None:
    """Kill the child's process group (no-op once it ended) and release its pipe and log."""
    proc = child.proc
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    for fh in (proc.stdin, child.log):
        try:
            if fh is not None:
                fh.close()
        except OSError:
            pass
