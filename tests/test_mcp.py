"""`hawk mcp` as a coding agent uses it: the SDK's own stdio client spawns `python -m hawk.cli.main mcp`
in a temporary working directory and calls the tools; kernels run on the real simulator."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from hawk.mcp.safety import Workspace
from hawk.tasks import load_suite

from .conftest import DATA, EXP_TASK_FILE

# The real-tools tier (simulator, compilers, browser): `pytest -m 'not sim'` runs the logic tier alone.
pytestmark = pytest.mark.sim

TOOLS = {"list_targets", "list_tasks", "task_brief", "evaluate_kernel", "tune_kernel", "search_knowledge",
         "record_fix", "kb_stats"}  # fmt: skip
SECRET = "sk-hawk-test-0123456789abcdef"
UB, GOOD, ROWS8 = "kernels/exp_mul_add_ub_overflow.py", "kernels/exp_mul_add_good.py", "kernels/exp_mul_add_rows8.py"
HANG_S = 30  # a hung kernel's timeout: the UB kernel and kb_stats must be answered before it, even on a loaded machine


def _workdir(tmp_path: Path) -> Path:
    """The server's working directory: the task file and kernels an agent would have in its project."""
    root = tmp_path / "project"
    (root / "kernels").mkdir(parents=True)
    shutil.copy(EXP_TASK_FILE, root / "exp_task.py")
    shutil.copy(EXP_TASK_FILE, root / "hang_task.py")  # same shapes; its own trajectory
    for name in ("exp_mul_add_good", "exp_mul_add_ub_overflow", "endless_loop"):
        shutil.copy(DATA / "kernels" / f"{name}.py", root / "kernels" / f"{name}.py")
    good = (root / "kernels" / "exp_mul_add_good.py").read_text()
    (root / "kernels" / "exp_mul_add_rows8.py").write_text(good.replace("set_vec_tile_shapes(16, 512)",
                                                                        "set_vec_tile_shapes(8, 512)"))  # fmt: skip
    return root


def _server(root: Path) -> StdioServerParameters:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAWK_LLM_")}
    env["HAWK_LLM_API_KEY"] = SECRET  # must never come back in a result
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "hawk.cli.main", "mcp", "--kb", "kb.sqlite", "--trajectories", "trajectories", "--workers", "2"],
        cwd=root,
        env=env,
    )


async def _call(session: ClientSession, tool: str, args: dict[str, Any], **kw: Any) -> dict[str, Any]:
    result = await session.call_tool(tool, args, **kw)
    text = "".join(getattr(c, "text", "") for c in result.content)
    assert not result.is_error, f"{tool}: {text}"
    assert SECRET not in text and "/.cache/hawk" not in text  # no key, no scratch path outside the working dir
    assert result.structured_content is not None
    return result.structured_content


async def _error(session: ClientSession, tool: str, args: dict[str, Any]) -> str:
    result = await session.call_tool(tool, args)
    assert result.is_error, f"{tool} {args} should be refused, got {result.structured_content}"
    return "".join(getattr(c, "text", "") for c in result.content)


def test_agent_session_on_the_simulator(tmp_path: Path) -> None:
    root = _workdir(tmp_path)
    started = time.monotonic()

    async def scenario() -> None:
        async with stdio_client(_server(root)) as (read, write), ClientSession(read, write) as s:
            await s.initialize()
            assert {t.name for t in (await s.list_tools()).tools} == TOOLS
            uris = {str(r.uri) for r in (await s.list_resources()).resources}
            assert {"hawk://docs/kernel-contract", "hawk://guides/ascend-pypto"} <= uris
            guide = (await s.read_resource("hawk://guides/ascend-pypto")).contents[0].text
            assert "set_vec_tile_shapes" in guide
            brief = await _call(s, "task_brief", {"task": "exp_task.py"})
            assert [(a["name"], a["role"], a["shape"]) for a in brief["contract"]] == [
                ("x", "input", [256, 512]), ("y", "input", [256, 512]), ("out", "output", [256, 512])]  # fmt: skip
            assert "UB: 192 KiB" in brief["spec"] and "pypto" in brief["guide"] and "class Model" in brief["reference"]

            # A hung kernel holds one evaluation slot until its timeout; other calls are answered meanwhile
            # (the UB-overflowing kernel, the store's stats and the passing kernel, one after the other).
            done: dict[str, float] = {}
            results: dict[str, dict[str, Any]] = {}
            beats: list[float] = []

            async def on_progress(progress: float, total: float | None, message: str | None) -> None:
                beats.append(progress)

            async def run(name: str, tool: str, args: dict[str, Any], **kw: Any) -> None:
                results[name] = await _call(s, tool, args, **kw)
                done[name] = time.monotonic()

            hang = {"task": "hang_task.py", "path": "kernels/endless_loop.py", "seeds": 1, "timeout_s": HANG_S,
                    "eager": False}  # fmt: skip
            t0 = time.monotonic()
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: run("hung", "evaluate_kernel", hang, progress_callback=on_progress))
                await anyio.sleep(0.5)
                await run("ub", "evaluate_kernel", {"task": "exp_task.py", "path": UB, "seeds": 1})
                await run("stats", "kb_stats", {})
                await run("good", "evaluate_kernel", {"task": "exp_task.py", "path": GOOD, "seeds": 1})
                # An agent's own failing -> passing pair: the failing verdict is reused, the fix proven by a re-run.
                pair = {"task": "exp_task.py", "failing_path": UB, "passing_path": ROWS8, "seeds": 1}
                await run("fix", "record_fix", pair)
                await run("again", "record_fix", pair)
            hung, ub, good, fix, again = (results[k] for k in ("hung", "ub", "good", "fix", "again"))
            assert hung["status"] == "timeout" and not hung["passed"] and done["hung"] - t0 >= HANG_S
            assert done["ub"] < done["stats"] < done["hung"], "calls waited for the hung kernel"
            assert beats, "no progress notification while the hung kernel ran"
            # The verdict leads with the hardware reason: the op, the sizes, the UB limit.
            assert next(iter(ub)) == "hardware_reason"
            assert ub["status"] == "compile_error" and "MEM_UB size [196608]" in ub["hardware_reason"]
            assert ub["error"]["constraint"] == "ub_capacity" and ub["error"]["op"] == "EXP"
            assert ub["learning"] == [] and "artifacts" not in ub
            # The passing kernel completes a lesson of this session's trajectory (UB overflow -> fix).
            assert good["status"] == "pass" and good["passed"] and good["hardware_reason"] is None
            assert good["perf"]["time_us"] > 0 and good["correctness"]["seeds"] == [0]
            assert good["learning"] == ["repair"] and good["step"] == 1

            # The recorded pair became one active item, proven by its re-run; recording it again adds nothing.
            assert fix["created"] and fix["failing"]["status"] == "compile_error" and fix["passing"]["status"] == "pass"
            (item,) = fix["items"]
            assert item["status"] == "active" and item["proof_status"] == "pass"
            assert "ub_capacity" in item["labels"] and "UB overflow in EXP" in item["rationale"]
            assert "set_vec_tile_shapes(8, 512)" in item["diff"]
            assert not again["created"] and [i["id"] for i in again["items"]] == [item["id"]]  # never stored twice

            # The background lesson (ub -> good) is proven too.
            for _ in range(240):
                stats = await _call(s, "kb_stats", {})
                if stats["session"]["learning_pending"] == 0 and len(stats["session"]["learned"]) >= 2:
                    break
                await anyio.sleep(0.5)
            learned = {i["id"]: i for i in stats["session"]["learned"]}
            assert len(learned) == 2 and all(i["status"] == "active" for i in learned.values()), learned
            assert stats["by_status"] == {"active": 2} and stats["active_by_label"]["ub_capacity"] == 2
            assert stats["store"] == "kb.sqlite"

            # 2D retrieval for the failing code and its verdict finds the UB fixes.
            found = await _call(s, "search_knowledge", {"path": UB, "verdict": ub, "k": 3})
            assert found["searched"] == 2 and {h["id"] for h in found["hits"]} == set(learned)
            top = found["hits"][0]
            assert (
                "ub_capacity" in top["labels"] and top["semantic_score"] > 0.5 and "labels ['ub_capacity'" in top["why"]
            )

            # The tuner on the correct kernel (its verdict is reused from the session, not re-run).
            tuned = await _call(s, "tune_kernel",
                                {"task": "exp_task.py", "path": GOOD, "tune_budget": 3,
                                 "workers": 2, "seeds": 1})  # fmt: skip
            assert tuned["before_us"] > 0 and 1 <= tuned["points_tried"] <= 3 and tuned["knobs"]
            assert "set_vec_tile_shapes" in tuned["source"]
            if tuned["changed"]:
                assert tuned["after_us"] < tuned["before_us"] and tuned["verdict"]["status"] == "pass"

        # The session's evaluations are a trajectory on disk (hawk.records.trajectory lines).
        (session_dir,) = (root / "trajectories").iterdir()
        steps = {p.name.split("--")[0]: [json.loads(line) for line in p.read_text().splitlines()]
                 for p in session_dir.glob("*.jsonl")}  # fmt: skip
        assert [s["verdict"]["status"] for s in steps["hang_task"]] == ["timeout"]
        exp = steps["exp_task"]
        assert [s["kind"] for s in exp[:3]] == ["evaluate", "evaluate", "record_fix"]
        assert [s["verdict"]["status"] for s in exp[:3]] == ["compile_error", "pass", "pass"]

    anyio.run(scenario)
    print(f"mcp session: {time.monotonic() - started:.1f} s")


def test_bad_arguments_are_tool_errors_naming_the_argument(tmp_path: Path) -> None:
    root = _workdir(tmp_path)
    outside = tmp_path / "outside.py"
    outside.write_text((root / "kernels" / "exp_mul_add_good.py").read_text())

    async def scenario() -> None:
        async with stdio_client(_server(root)) as (read, write), ClientSession(read, write) as s:
            await s.initialize()
            good = {"task": "exp_task.py", "path": "kernels/exp_mul_add_good.py"}
            assert "argument `task`: unknown task 'no_such_task'" in await _error(
                s, "evaluate_kernel", {**good, "task": "no_such_task"})  # fmt: skip
            assert "argument `target`: unknown target 'tpu'" in await _error(
                s, "evaluate_kernel", {**good, "target": "tpu"}
            )
            assert "argument `source`: missing" in await _error(s, "evaluate_kernel", {"task": "exp_task.py"})
            assert "argument `source`: give `source` or `path`, not both" in await _error(
                s, "evaluate_kernel", {**good, "source": "import pypto"})  # fmt: skip
            for where in (str(outside), "../outside.py", "/etc/hostname"):
                text = await _error(s, "evaluate_kernel", {**good, "path": where})
                assert "argument `path`" in text and "outside the server's working directory" in text
            assert "argument `task`" in await _error(s, "task_brief", {"task": str(EXP_TASK_FILE)})  # outside too
            assert "argument `path`: file not found" in await _error(s, "evaluate_kernel", {**good, "path": "nope.py"})
            assert "argument `budget`: must be a positive" in await _error(s, "tune_kernel", {**good, "budget": 0})
            assert "argument `workers`" in await _error(s, "tune_kernel", {**good, "workers": -1})
            assert "argument `seeds`" in await _error(s, "evaluate_kernel", {**good, "seeds": 0})
            assert "argument `timeout_s`" in await _error(s, "evaluate_kernel", {**good, "timeout_s": 0})
            assert "argument `k`" in await _error(s, "search_knowledge", {"code": "import pypto", "k": 0})
            assert "argument `code`: missing" in await _error(s, "search_knowledge", {})
            assert "argument `suite`: unknown suite 'nope'" in await _error(s, "list_tasks", {"suite": "nope"})
            assert "argument `failing_source`: missing" in await _error(s, "record_fix", {"task": "exp_task.py"})
            assert "argument `passing_path`: is the same kernel" in await _error(
                s, "record_fix", {"task": "exp_task.py", "failing_path": GOOD, "passing_path": GOOD})  # fmt: skip
            # The server is still serving after all of that.
            tasks = (await _call(s, "list_tasks", {"suite": "npu-workloads"}))["tasks"]
            assert len(tasks) == len(load_suite("npu-workloads").tasks)
            assert {"suite", "id", "level", "category", "description"} == set(tasks[0])
            names = [t["name"] for t in (await _call(s, "list_targets", {}))["targets"]]
            assert names == ["ascend-pypto", "ascend-triton"]  # fake (scripted) only with --allow-fake-target

    anyio.run(scenario)


def test_results_hide_secrets_and_paths_outside_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HAWK_LLM_API_KEY", SECRET)
    ws = Workspace.here(tmp_path)
    (tmp_path / "k.py").write_text("x")
    out = ws.clean({
        "message": f"File /usr/lib/python3/x.py failed; key {SECRET}; see {tmp_path}/k.py; in/output size",
        "uri": "hawk://docs/kernel-contract", "source": "p = '/keep/this/path'", "n": float("inf"),
    })  # fmt: skip
    assert out["message"] == "File <outside>/x.py failed; key ***; see k.py; in/output size"
    assert out["uri"] == "hawk://docs/kernel-contract" and out["source"] == "p = '/keep/this/path'"
    assert out["n"] == "inf"
    assert ws.resolve("path", "k.py") == (tmp_path / "k.py").resolve()


def test_streamable_http_keeps_one_session_per_client(tmp_path: Path) -> None:
    import socket
    import subprocess

    from mcp.client.streamable_http import streamable_http_client

    root = _workdir(tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = _server(root).args + ["--http", f"127.0.0.1:{port}"]
    proc = subprocess.Popen([sys.executable, *args], cwd=root, stderr=subprocess.PIPE, text=True)

    async def session_ids() -> list[str]:
        async with (
            streamable_http_client(f"http://127.0.0.1:{port}/mcp") as (read, write),
            ClientSession(read, write) as s,
        ):
            await s.initialize()
            assert {t.name for t in (await s.list_tools()).tools} == TOOLS
            return [(await _call(s, "kb_stats", {}))["session"]["id"] for _ in range(2)]

    async def scenario() -> None:
        for _ in range(100):  # the server starts in a second or two
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            await anyio.sleep(0.2)
        first, second = await session_ids(), await session_ids()
        assert first[0] == first[1] and second[0] == second[1] and first[0] != second[0]

    try:
        anyio.run(scenario)
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/mcp" in stderr and "Traceback" not in stderr
