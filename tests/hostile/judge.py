"""Run one hostile case and say how Hawk behaved (shared by tests/test_hostile.py and benchmarks/hostile.py)."""

from __future__ import annotations

import functools
import json
import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hawk.targets.base import EvalOptions
from hawk.tasks.task import Task, task_from_file

from .cli_args import ANY_FAILURE, CliCase
from .kernels import KernelCase
from .mcp_calls import SECRET, McpCase, workspace
from .task_files import TaskCase

DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass
class Outcome:
    case: str
    kind: str  # kernel, reply, mcp, cli, task
    ok: bool  # the expected outcome
    false_pass: bool = False  # a hostile kernel judged `pass`
    crash: bool = False  # an exception out of Hawk, or a server that died
    detail: str = ""
    seconds: float = 0.0


@functools.cache
def _target(name: str):  # one instance per target and process: targets hold no per-call state
    from hawk import targets

    return targets.get(name)


@functools.cache
def exp_task() -> Task:
    from hawk.agent.demo import TASK_FILE

    return task_from_file(TASK_FILE)


def judge_kernel(case: KernelCase, timeout_s: float = 60.0) -> Outcome:
    started = time.monotonic()
    try:
        opts = EvalOptions(seeds=2, timeout_s=timeout_s, with_eager_baseline=False)
        verdict = _target(case.target).evaluate(case.source, exp_task(), opts)
    except Exception as exc:  # a hostile kernel must become a verdict, never an exception
        return Outcome(case.id, "kernel", False, crash=True, detail=f"{type(exc).__name__}: {exc}")
    status = str(verdict.status.value if hasattr(verdict.status, "value") else verdict.status)
    message = (verdict.error.message if verdict.error else "") or ""
    ok = status != "pass" if case.status == "not pass" else status == case.status
    ok = ok and case.needle in message
    return Outcome(case.id, "kernel", ok, false_pass=status == "pass", detail=f"{status}: {message[:160]}",
                   seconds=time.monotonic() - started)  # fmt: skip


async def judge_mcp(cases: list[McpCase], root: Path, secret_env: str = "HAWK_HOSTILE_TOKEN") -> list[Outcome]:
    """Every case through the SDK's in-process client; the secret is in the server's environment."""
    from mcp.client import Client

    from hawk.mcp.server import build_server
    from hawk.mcp.state import ServerConfig

    os.environ[secret_env] = SECRET
    workspace(root / "project", root / "outside")
    out: list[Outcome] = []
    for fake in (False, True):
        config = ServerConfig(root=root / "project", kb_path=root / "kb.sqlite", trajectories=root / "traj",
                              allow_fake_target=fake)  # fmt: skip
        async with Client(build_server(config)) as client:
            for case in [c for c in cases if c.fake == fake]:
                out.append(await _mcp_case(client, case))
    return out


async def _mcp_case(client, case: McpCase) -> Outcome:
    started = time.monotonic()
    try:
        result = await client.call_tool(case.tool, case.args)
    except Exception as exc:  # the call never got an answer: the server failed
        return Outcome(case.id, "mcp", False, crash=True, detail=f"{type(exc).__name__}: {exc}")
    text = "".join(getattr(c, "text", "") for c in result.content)
    status = (result.structured_content or {}).get("status") if not result.is_error else None
    if case.error:
        ok = bool(result.is_error) and case.error in text
    else:
        ok = not result.is_error and status == case.status
    hostile_pass = status == "pass" and not case.fake
    return Outcome(case.id, "mcp", ok and SECRET not in text, false_pass=hostile_pass,
                   detail=text[:200], seconds=time.monotonic() - started)  # fmt: skip


def judge_cli(case: CliCase, root: Path) -> Outcome:
    """One command line through typer's runner, in `root` (which `cli_args.files` laid out)."""
    from typer.testing import CliRunner

    from hawk.cli.main import app

    started = time.monotonic()
    cwd = os.getcwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(app, case.argv)
    finally:
        os.chdir(cwd)
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    crash = result.exception is not None and not isinstance(result.exception, SystemExit)
    # A traceback Hawk printed is a crash; one under "--- Logging error ---" is a library logging into a stream
    # an earlier in-process invocation closed (an artifact of running many commands in one process).
    crash = crash or output.count("Traceback") > output.count("--- Logging error ---")
    code_ok = result.exit_code != 0 if case.code == ANY_FAILURE else result.exit_code == case.code
    flat = " ".join(output.split()).lower()  # rich wraps long lines at the terminal's width
    ok = not crash and code_ok and " ".join(case.needle.split()).lower() in flat
    detail = f"exit {result.exit_code}: {output.strip()[-200:]}" + (f" [{result.exception!r}]" if crash else "")
    return Outcome(case.id, "cli", ok, crash=crash, detail=detail, seconds=time.monotonic() - started)


class StdioServer:
    """A real `hawk mcp` process spoken to line by line (what an MCP client sends), for cases that may
    kill or hang the server: a dead one is restarted and counted as a crash."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root, self.env, self.proc = root, env, None
        self.rid = 0
        self.start()

    def start(self) -> None:
        cmd = [sys.executable, "-m", "hawk.cli.main", "mcp", "--kb", "kb.sqlite", "--trajectories", "traj"]
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)  # fmt: skip
        params = {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "hostile", "version": "1"},
        }
        self.send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params}, 60)
        self._write({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def _write(self, message: dict[str, Any]) -> None:
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def send(self, message: dict[str, Any], wait_s: float) -> dict[str, Any] | None:
        """The reply to `message`, or None (no reply in time, or the server is gone)."""
        try:
            self._write(message)
        except OSError:
            return None
        ready, _, _ = select.select([self.proc.stdout], [], [], wait_s)
        line = self.proc.stdout.readline() if ready else b""
        return json.loads(line) if line.strip() else None

    def call(self, tool: str, args: dict[str, Any], wait_s: float = 60.0) -> dict[str, Any] | None:
        self.rid += 1
        params = {"name": tool, "arguments": args}
        return self.send({"jsonrpc": "2.0", "id": self.rid, "method": "tools/call", "params": params}, wait_s)

    def alive(self) -> bool:
        reply = self.call("list_tasks", {"suite": "npu-workloads"}, 30.0)
        return reply is not None and reply.get("id") == self.rid and not reply["result"].get("isError")

    def restart(self) -> None:
        self.close()
        self.start()

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()


def task_server(root: Path) -> StdioServer:
    """A server for the task-file cases: short task limits (the sandbox's), the corpus secret in its env."""
    (root / "project").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HAWK_TASK_TIMEOUT_S": "8", "HAWK_TASK_MEMORY_MB": "2048", "HAWK_HOSTILE_TOKEN": SECRET,
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}  # fmt: skip
    return StdioServer(root / "project", env)


def judge_task(case: TaskCase, server: StdioServer) -> Outcome:
    started = time.monotonic()
    name = f"task_{case.id.replace('-', '_')}.py"
    path = server.root / name
    path.write_bytes(case.source if isinstance(case.source, bytes) else case.source.encode())
    reply = server.call("task_brief", {"task": name}, wait_s=45.0)
    text = "".join(c.get("text", "") for c in ((reply or {}).get("result") or {}).get("content", []))
    answered = reply is not None and reply.get("id") == server.rid and "result" in reply
    is_error = answered and bool(reply["result"].get("isError"))
    ok = (
        answered
        and (("argument `task`" in text) if case.error else True)
        and (is_error == case.error or not case.error)
    )
    ok = ok and SECRET not in text and _after(case.after, server)
    crash = not server.alive()
    if crash:
        server.restart()
    return Outcome(case.id, "task", ok and not crash, crash=crash, detail=text[:200] or f"no reply: {reply}",
                   seconds=time.monotonic() - started)  # fmt: skip


def _after(check: str, server: StdioServer) -> bool:
    if check == "no-marker":
        return not (server.root / "marker.txt").exists()
    if check == "masked":  # a later error that echoes the secret must still mask it
        reply = server.call("list_tasks", {"suite": SECRET}, 30.0)
        return reply is not None and SECRET not in json.dumps(reply)
    return True
