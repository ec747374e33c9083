"""Run one hostile case and say how Hawk behaved (shared by tests/test_hostile.py and benchmarks/hostile.py)."""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from pathlib import Path

from hawk.targets.base import EvalOptions
from hawk.tasks.task import Task, task_from_file

from .cli_args import CliCase
from .kernels import KernelCase
from .mcp_calls import SECRET, McpCase, workspace

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
    ok = not crash and result.exit_code == case.code and case.needle.lower() in output.lower()
    detail = f"exit {result.exit_code}: {output.strip()[-200:]}" + (f" [{result.exception!r}]" if crash else "")
    return Outcome(case.id, "cli", ok, crash=crash, detail=detail, seconds=time.monotonic() - started)
