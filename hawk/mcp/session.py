"""The server's shared evaluation pool and each client session's trajectories.

Evaluations block for seconds to minutes, so tools run them in worker threads; the pool bounds how
many run at once (each is a sandboxed child process on the target). A session's evaluations are
appended to one `Trajectory` per (task, target), the same records `hawk generate` writes, so
run-time synthesis can read lessons (failing -> passing, passing -> faster) off what the agent did.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from hawk.knowledge.item import code_hash
from hawk.knowledge.synthesis import Lesson, find_lessons
from hawk.records.trajectory import Step, Trajectory
from hawk.targets.base import EvalOptions, Target
from hawk.targets.common import slug
from hawk.targets.verdict import Verdict
from hawk.tasks.task import Task


class ServerClosing(RuntimeError):
    """The server stopped while an evaluation ran: its verdict (a killed child) must not become knowledge."""


class EvalPool:
    """At most `size` evaluation slots in use at once, across every session and tool."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("the evaluation pool needs at least one slot")
        self.size = size
        self._free = size
        self._cond = threading.Condition()
        self.closing = False

    @property
    def busy(self) -> int:
        return self.size - self._free

    @contextmanager
    def slots(self, n: int = 1) -> Iterator[int]:
        """Hold `n` slots (at most the pool's size) for the block; waits until they are free together."""
        n = max(1, min(n, self.size))
        with self._cond:
            self._cond.wait_for(lambda: self._free >= n)
            self._free -= n
        try:
            yield n
        finally:
            with self._cond:
                self._free += n
                self._cond.notify_all()


def pooled_prove(target: Target, pool: EvalPool, options: EvalOptions | None) -> Callable[[str, Task], Verdict]:
    """`target.evaluate` holding a pool slot, whose verdicts stop at shutdown.

    Knowledge synthesis proves its items through this function: it is how those runs share the
    pool, and how a proof cut short by a shutdown raises instead of storing a failed proof."""

    def prove(candidate: str, task: Task) -> Verdict:
        with pool.slots(1):
            verdict = target.evaluate(candidate, task, options)
        if pool.closing:
            raise ServerClosing("the server stopped during this evaluation")
        return verdict

    return prove


@dataclass
class TaskRun:
    """One (task, target) trajectory of a session."""

    task: Task
    target: str
    trajectory: Trajectory


@dataclass
class Session:
    """One client session: its trajectories on disk and what learning has made of them."""

    root: Path
    id: str = field(default_factory=lambda: f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}")
    learned: list[dict[str, Any]] = field(default_factory=list)  # items synthesized from this session
    pending: int = 0  # lessons being proven right now
    _runs: dict[tuple[str, str], TaskRun] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def dir(self) -> Path:
        return self.root / self.id

    def _run(self, task: Task, target: str) -> TaskRun:
        key = (str(task.path), target)
        if key not in self._runs:
            # The path hash keeps two task files with the same stem apart.
            name = f"{slug(task.id)}--{target}--{code_hash(str(task.path))[:8]}.jsonl"
            self._runs[key] = TaskRun(task, target, Trajectory(self.dir / name))
        return self._runs[key]

    def record(self, task: Task, target: str, candidate: str, verdict: Verdict, kind: str) -> tuple[Step, list[Lesson]]:
        """Append one judged kernel; return its step and the lessons it completes (it is their later step)."""
        with self._lock:
            traj = self._run(task, target).trajectory
            step = Step(
                index=len(traj.steps), kind=kind, messages=[], reply=None, candidate=candidate, parse_error=None,
                verdict=verdict, timings=dict(verdict.timings),
            )  # fmt: skip
            traj.append(step)
            lessons = [lesson for lesson in find_lessons(traj.steps) if lesson.after.index == step.index]
        return step, lessons

    def known(self, task: Task, target: str, candidate: str, seeds: int) -> Step | None:
        """The latest step that judged this very code (a pass only if it ran at least `seeds` seeds)."""
        want = code_hash(candidate)
        with self._lock:
            run = self._runs.get((str(task.path), target))
            steps = list(run.trajectory.steps) if run else []
        for step in reversed(steps):
            if step.candidate is None or step.verdict is None or code_hash(step.candidate) != want:
                continue
            correctness = step.verdict.correctness
            if step.verdict.passed and len(correctness.seeds if correctness else []) < seeds:
                continue
            return step
        return None

    def summary(self) -> dict[str, Any]:
        with self._lock:
            runs = [
                {"task": r.task.id, "target": r.target, "evaluations": len(r.trajectory.steps),
                 "passed": sum(1 for s in r.trajectory.steps if s.status == "pass")}
                for r in self._runs.values()
            ]  # fmt: skip
        return {
            "id": self.id,
            "trajectories": runs,
            "learned": list(self.learned),
            "learning_pending": max(0, self.pending),
        }


class Progress:
    """One call's progress notifications: seconds since the call began, strictly increasing.

    The heartbeat (event loop) and the tuner's log lines (its thread, through `anyio.from_thread`) both
    report through it; the value is taken under an async lock just before sending, so two reports can
    never reach the client out of order. Messages are cleaned like replies (`clean`: no secret, no
    scratch path)."""

    def __init__(self, clean: Callable[[str], str] = str) -> None:
        self.clean = clean
        self.start = time.monotonic()
        self.last = 0.0
        self._lock = anyio.Lock()

    async def send(self, ctx: Any, total: float | None, message: str) -> None:
        """A progress notification; a no-op when the client asked for none, and never an error."""
        async with self._lock:
            self.last = max(round(time.monotonic() - self.start, 1), round(self.last + 0.1, 1))
            try:
                await ctx.report_progress(self.last, total, self.clean(message))
            except Exception:
                pass


@dataclass
class DroppedLessons:
    """Lessons still being proven when the server stopped: never stored half-proven, written down
    instead (`dropped-lessons.jsonl` beside the sessions' trajectories) for the log and the next
    `kb_stats`; their steps stay in the session's trajectory files."""

    path: Path

    def add(self, session: Session, count: int, reason: str) -> dict[str, Any]:
        record = {"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "session": session.id, "lessons": count,
                  "reason": reason, "trajectories": str(session.dir)}  # fmt: skip
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as fh:
            fh.write(json.dumps(record) + "\n")
        return record

    def read(self) -> list[dict[str, Any]]:
        try:
            lines = self.path.read_text().splitlines()
        except OSError:
            return []
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:  # a line cut by a hard exit
                continue
        return out


def kill_children() -> int:
    """SIGKILL the process group of every live child of this process (evaluations run as group leaders).

    Used at shutdown: a candidate that hangs must not outlive the server that started it."""
    me, killed = os.getpid(), 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()  # after "pid (comm)": state, ppid, pgrp, ...
        if len(fields) < 3 or int(fields[1]) != me:
            continue
        pid = int(entry)
        try:
            os.killpg(pid, signal.SIGKILL) if int(fields[2]) == pid else os.kill(pid, signal.SIGKILL)
            killed += 1
        except (ProcessLookupError, PermissionError):
            continue
    return killed
