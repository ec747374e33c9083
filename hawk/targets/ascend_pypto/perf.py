"""Performance-only simulation: time many kernels in sandboxed children, no calculator verification.

A child process imports pypto once and simulates kernels one after another (~1 s each for a
vector kernel, against ~6 s for a full 3-seed evaluation); `SimPool` keeps several such children
alive for a whole tuning run. A kernel that fails to compile ends its child (pypto's state is
unusable after that); a fresh child takes the next kernel. A crash or a hang inside a kernel is
that kernel's recorded failure, never the caller's.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from hawk import config
from hawk.targets.ascend_pypto import harvest
from hawk.targets.sandbox import LiveChild, start_child, stop_child

KERNEL_TIMEOUT_S = 180.0  # one kernel's compile + simulation, watched inside the child
CHILD_MEMORY_MB = 16384


@dataclass
class PerfKernel:
    """One kernel to time: `function` in the module file `module`, called on zeros of `args`."""

    name: str  # unique within one call; names the kernel's log file
    module: str
    function: str
    args: list[tuple[list[int], str]]  # (shape, torch dtype name) per argument
    pass_options: dict = field(default_factory=dict)


@dataclass
class KernelTime:
    time_us: float | None = None
    error: str | None = "not run"
    constraint: str | None = None  # ub_capacity, l0c_capacity, ... when the plog names one
    wall_s: float = 0.0


class SimPool:
    """`workers` long-lived simulation children, each fed one kernel at a time.

    A child imports pypto once and serves kernels until one fails (pypto's state is unusable
    after a failed compile), crashes or hangs; the next kernel of that slot gets a fresh child.
    Thread-safe: `run` spreads its kernels over the slots and blocks until all are timed."""

    def __init__(self, workdir: Path, workers: int = 1, kernel_timeout_s: float = KERNEL_TIMEOUT_S) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.slots = [_Slot(workdir / f"w{i}", kernel_timeout_s) for i in range(max(1, workers))]
        self._free: queue.Queue[_Slot] = queue.Queue()
        for slot in self.slots:
            self._free.put(slot)

    def __enter__(self) -> SimPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for slot in self.slots:
            slot.stop()

    def run(self, kernels: list[PerfKernel], timeout_s: float | None = None) -> dict[str, KernelTime]:
        deadline = time.perf_counter() + timeout_s if timeout_s is not None else None
        results: dict[str, KernelTime] = {}

        def one(k: PerfKernel) -> None:
            if deadline is not None and time.perf_counter() >= deadline:
                results[k.name] = KernelTime(error="not run: the time for this batch ran out")
                return
            slot = self._free.get()
            try:
                results[k.name] = slot.run_one(k, deadline)
            finally:
                self._free.put(slot)

        with ThreadPoolExecutor(max_workers=len(self.slots)) as pool:
            list(pool.map(one, kernels))
        return {k.name: results[k.name] for k in kernels}


class _Slot:
    """One child process and the files it talks through."""

    def __init__(self, workdir: Path, kernel_timeout_s: float) -> None:
        self.workdir, self.kernel_timeout_s = workdir, kernel_timeout_s
        self.child: LiveChild | None = None
        self.starts = 0
        self.events_path = self.plog = workdir

    def start(self) -> None:
        self.starts += 1
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "logs").mkdir(exist_ok=True)
        self.events_path = self.workdir / f"events{self.starts}.jsonl"
        self.plog = self.workdir / "ascend_log" / f"run{self.starts}"
        request = {"results": str(self.events_path), "logs": str(self.workdir / "logs"),
                   "kernel_timeout_s": self.kernel_timeout_s}  # fmt: skip
        req_path = self.workdir / f"request{self.starts}.json"
        req_path.write_text(json.dumps(request))
        self.child = start_child(
            [sys.executable, "-m", "hawk.targets.ascend_pypto.perf_child", str(req_path)], cwd=self.workdir,
            env=child_env(self.plog), memory_limit_mb=CHILD_MEMORY_MB, log_path=self.workdir / f"child{self.starts}.log",
        )  # fmt: skip

    def stop(self) -> None:
        if self.child is not None:
            stop_child(self.child)
            self.child = None

    def run_one(self, k: PerfKernel, deadline: float | None) -> KernelTime:
        if self.child is None or self.child.proc.poll() is not None:
            self.stop()
            self.start()
        assert self.child is not None and self.child.proc.stdin is not None
        proc = self.child.proc
        try:
            proc.stdin.write((json.dumps(k.__dict__) + "\n").encode())
            proc.stdin.flush()
        except OSError:  # the child died between kernels
            self.stop()
            return KernelTime(error="the simulation child died before this kernel")
        # The child's own watchdog (faulthandler) ends a hung kernel; this one covers a stuck child.
        limit = time.perf_counter() + self.kernel_timeout_s + 30.0
        if deadline is not None:
            limit = min(limit, deadline)
        started = False
        while True:
            events = [ev for ev in read_events(self.events_path) if ev.get("name") == k.name]
            started = started or any(ev.get("event") == "start" for ev in events)
            done = next((ev for ev in events if ev.get("event") == "done"), None)
            if done is not None:
                return self._result(k, done)
            if proc.poll() is not None:  # died inside the kernel (or before it)
                rc = proc.returncode
                text = self._log_text(k)
                how = (f"ran out of time ({self.kernel_timeout_s:.0f} s per kernel)" if "Timeout (" in text[:2000]
                       else f"crashed ({_signal_name(rc)})")  # fmt: skip
                self.stop()
                if not started:
                    return KernelTime(error=f"the simulation child failed to start ({how}; see {self.workdir})")
                return KernelTime(error=f"the simulation {how}")
            if time.perf_counter() > limit:
                self.stop()
                return KernelTime(error="the simulation ran out of time (killed)")
            time.sleep(0.05)

    def _log_text(self, k: PerfKernel) -> str:
        log = self.workdir / "logs" / f"{k.name}.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def _result(self, k: PerfKernel, done: dict) -> KernelTime:
        text = self._log_text(k)
        t_us, _ = harvest.sim_summary(text)
        res = KernelTime(wall_s=float(done.get("wall_s") or 0.0))
        if done.get("ok") and t_us:
            res.time_us, res.error = t_us, None
            return res
        res.error = done.get("error") or "the simulator printed no End-to-End time"
        if not done.get("ok") and self.child is not None:  # the child ends after a failure: wait for its plog
            try:
                self.child.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            self.stop()
        hw = harvest.hardware_reason(self.plog)
        why = hw.reason if hw is not None else failure_reason(text)
        if hw is not None:
            res.constraint = hw.constraint
        if why:
            res.error = f"{res.error} ({why[:200]})"
        return res


def _signal_name(rc: int | None) -> str:
    if rc is not None and rc < 0:
        return signal.Signals(-rc).name
    return f"exit code {rc}"


def child_env(plog: Path) -> dict[str, str]:
    """Environment of a simulation child: its own plog folder, Hawk importable, the python3 shim first."""
    env = dict(os.environ)
    env["ASCEND_PROCESS_LOG_PATH"] = str(plog)
    env["PATH"] = os.pathsep.join([str(python_shim_dir()), str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("HAWK_SWIMLANE", "0")
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[3]), env.get("PYTHONPATH", "")])
    return env


def read_events(path: Path) -> list[dict]:
    events = []
    try:
        for line in path.read_text().splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
    except OSError:
        pass
    return events


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def failure_reason(log_text: str) -> str | None:
    """The line after pypto's `Errcode: XXXX!` in a kernel's log: the compiler's own reason."""
    lines = [_ANSI.sub("", ln).strip() for ln in log_text.splitlines()[:200]]
    for i, line in enumerate(lines):
        if re.search(r"Errcode: \w+!", line):
            for nxt in lines[i + 1 : i + 4]:
                if nxt and not re.search(r"\(\+?0x[0-9a-f]+\)|\[0x[0-9a-f]+\]|^\d+ \|", nxt):
                    return re.sub(r", func \w+, file [\w.]+, line \d+$", "", nxt)
    return None


_SHIM = """#!/bin/sh
# Hawk: pypto's simulator calls `python3 .../scripts/<script>.py`. Drawing swimlane images takes most
# of a simulation's wall time, so they run only when HAWK_SWIMLANE=1; everything else passes through.
case "$1" in
  *draw_pipe_swim_lane.py|*print_swim_lane.py) [ "$HAWK_SWIMLANE" = 1 ] || exit 0 ;;
esac
exec "{python}" "$@"
"""


def python_shim_dir() -> Path:
    """A folder whose `python3` is this interpreter behind the swimlane switch (put it first on PATH)."""
    # One folder per interpreter: checkouts with their own environments share the cache, and one
    # shared shim was rewritten back and forth between them. The temporary file is unique per call:
    # two kernels judged at once in one process (--candidates, --variants) both write it the first time.
    text = _SHIM.format(python=sys.executable)
    shim_dir = config.cache_dir() / "python-shim" / hashlib.sha1(sys.executable.encode()).hexdigest()[:12]
    shim = shim_dir / "python3"
    if not shim.exists() or shim.read_text() != text:
        shim_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="python3.", suffix=".tmp", dir=shim_dir)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(name, 0o755)
        os.replace(name, shim)
    return shim_dir
