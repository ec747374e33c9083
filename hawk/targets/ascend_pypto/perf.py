"""Performance-only simulation: time many kernels in sandboxed children, no calculator verification.

One child process imports pypto once and simulates kernels one after another (~1 s each for a
vector kernel, against ~6 s for a full 3-seed evaluation). A kernel that fails to compile ends
its child (pypto's state is unusable after that); the next child goes on with the kernels left.
A crash or a hang inside a kernel is that kernel's recorded failure, never the caller's.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from hawk import config
from hawk.targets.ascend_pypto import harvest
from hawk.targets.sandbox import run_child

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


def time_kernels(
    kernels: list[PerfKernel], workdir: Path, timeout_s: float, kernel_timeout_s: float = KERNEL_TIMEOUT_S
) -> dict[str, KernelTime]:
    """Simulate `kernels` in order; every kernel gets a KernelTime (failed ones say why)."""
    workdir.mkdir(parents=True, exist_ok=True)
    logs = workdir / "logs"
    logs.mkdir(exist_ok=True)
    results = {k.name: KernelTime() for k in kernels}
    todo = list(kernels)
    deadline = time.perf_counter() + timeout_s
    run = 0
    while todo and time.perf_counter() < deadline:
        run += 1
        events_path = workdir / f"events{run}.jsonl"
        request = {"results": str(events_path), "logs": str(logs), "kernel_timeout_s": kernel_timeout_s,
                   "kernels": [k.__dict__ for k in todo]}  # fmt: skip
        req_path = workdir / f"request{run}.json"
        req_path.write_text(json.dumps(request))
        plog = workdir / "ascend_log" / f"run{run}"
        env = child_env(plog)
        child = run_child(
            [sys.executable, "-m", "hawk.targets.ascend_pypto.perf_child", str(req_path)],
            cwd=workdir, env=env, timeout_s=max(30.0, deadline - time.perf_counter()),
            memory_limit_mb=CHILD_MEMORY_MB, log_path=workdir / f"child{run}.log",
        )  # fmt: skip
        events = read_events(events_path)
        finished = {ev["name"] for ev in events if ev.get("event") == "done"}
        for ev in events:
            name = ev.get("name")
            if name not in results:
                continue
            log = logs / f"{name}.log"
            text = log.read_text(errors="replace") if log.exists() else ""
            if ev.get("event") == "done":
                t_us, _ = harvest.sim_summary(text)
                res = results[name]
                res.wall_s = float(ev.get("wall_s") or 0.0)
                if ev.get("ok") and t_us:
                    res.time_us, res.error = t_us, None
                    continue
                res.error = ev.get("error") or "the simulator printed no End-to-End time"
                hw = harvest.hardware_reason(plog)
                why = hw.reason if hw is not None else failure_reason(text)
                if hw is not None:
                    res.constraint = hw.constraint
                if why:
                    res.error = f"{res.error} ({why[:200]})"
            elif ev.get("event") == "start" and name not in finished:  # died or was killed inside it
                if child.timed_out or "Timeout (" in text[:2000]:
                    how = f"ran out of time ({kernel_timeout_s:.0f} s per kernel)"
                else:
                    how = f"crashed ({child.signal_name or f'exit code {child.returncode}'})"
                results[name].error = f"the simulation {how}"
        started = {ev.get("name") for ev in events if ev.get("event") == "start"}
        if not started:  # the child could not even start: nothing more will work
            for k in todo:
                results[k.name].error = f"the simulation child failed to start (see {child.log_path})"
            break
        todo = [k for k in todo if k.name not in started]
    return results


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
    shim_dir = config.cache_dir() / "python-shim"
    shim = shim_dir / "python3"
    text = _SHIM.format(python=sys.executable)
    if not shim.exists() or shim.read_text() != text:
        shim_dir.mkdir(parents=True, exist_ok=True)
        tmp = shim_dir / f"python3.{os.getpid()}.tmp"
        tmp.write_text(text)
        tmp.chmod(0o755)
        tmp.replace(shim)
    return shim_dir
