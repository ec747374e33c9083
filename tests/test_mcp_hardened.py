"""The MCP server against a hostile or careless client (logic tier: the scripted `fake` target, the SDK's
in-process client, and the real `hawk mcp` process for the transports and signals)."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.client import Client

import hawk
from hawk.mcp.server import build_server
from hawk.mcp.session import Session
from hawk.mcp.state import ServerConfig
from hawk.mcp.transport import INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR, read_line

TASK = "l1_silu_fp32"  # a suite task: resolving it runs no task file
PASSING = "def kernel(x, out):\n    pass\n"
SECRET = "tok-hawk-hardened-0123456789"
# A task file whose import never ends (a whole KernelBench file: a loader may check that before running it).
TASK_BODY = (
    "import torch\n\n\nclass Model(torch.nn.Module):\n    def forward(self, x):\n        return torch.exp(x)\n\n\n"
    "def get_inputs():\n    return [torch.randn(8, 8)]\n\n\ndef get_init_inputs():\n    return []\n"
)
HANG_TASK = "import time\ntime.sleep(600)\n" + TASK_BODY


def _server(root: Path, **kw: Any):
    config = ServerConfig(root=root, kb_path=root / "kb.sqlite", trajectories=root / "traj", **kw)
    return build_server(config)


async def _text(client: Client, tool: str, args: dict[str, Any]) -> tuple[bool, str, Any]:
    result = await client.call_tool(tool, args)
    return result.is_error, "".join(getattr(c, "text", "") for c in result.content), result.structured_content


def test_version_and_the_fake_target_only_when_asked(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Client(_server(tmp_path)) as c:
            assert c.server_info.version == hawk.__version__
            _, _, out = await _text(c, "list_targets", {})
            assert "fake" not in [t["name"] for t in out["targets"]]
            bad, text, _ = await _text(c, "evaluate_kernel", {"task": TASK, "target": "fake", "source": PASSING})
            assert bad and "argument `target`: 'fake' is a scripted target, not offered" in text
            uris = {str(r.uri) for r in (await c.list_resources()).resources}
            assert "hawk://guides/fake" not in uris
        async with Client(_server(tmp_path, allow_fake_target=True)) as c:
            _, _, out = await _text(c, "list_targets", {})
            assert "fake" in [t["name"] for t in out["targets"]]
            bad, _, v = await _text(c, "evaluate_kernel", {"task": TASK, "target": "fake", "source": PASSING})
            assert not bad and v["passed"]

    anyio.run(scenario)


def test_argument_errors_name_the_argument(tmp_path: Path) -> None:
    cases = [
        ("list_tasks", {"suit": "x"}, "argument `suit`: unknown argument (this tool takes: "),
        ("kb_stats", {"verbose": True}, "argument `verbose`: unknown argument (this tool takes: no arguments)"),
        ("evaluate_kernel", {"task": TASK, "seeds": "abc"}, "argument `seeds`: must be an integer, got 'abc'"),
        ("evaluate_kernel", {"task": TASK, "seeds": 2.5}, "argument `seeds`: must be an integer, got 2.5"),
        ("evaluate_kernel", {"task": TASK, "timeout_s": "soon"}, "argument `timeout_s`: must be a number"),
        ("evaluate_kernel", {"task": TASK, "timeout_s": 1e9}, "argument `timeout_s`: must be at most 3600"),
        ("evaluate_kernel", {"task": TASK, "seeds": 10**6}, "argument `seeds`: must be at most 64"),
        ("evaluate_kernel", {"task": TASK, "eager": "maybe"}, "argument `eager`: must be true or false"),
        ("evaluate_kernel", {"source": PASSING}, "argument `task`: missing (required)"),
        ("evaluate_kernel", {"task": ["a"]}, "argument `task`: must be a string"),
        ("tune_kernel", {"task": TASK, "budget": 10**9}, "argument `budget`: must be at most 1000"),
        ("search_knowledge", {"verdict": "not json"}, "argument `verdict`: must be an object"),
        ("search_knowledge", {"k": 10**4}, "argument `k`: must be at most 100"),
    ]

    async def scenario() -> None:
        async with Client(_server(tmp_path, allow_fake_target=True)) as c:
            for tool, args, want in cases:
                bad, text, _ = await _text(c, tool, args)
                assert bad and text.startswith(f"Error executing tool {tool}: "), (tool, args, text)
                assert want in text and "pydantic" not in text and "validation error" not in text, text
            # Two problems at once: both named, one format.
            _, text, _ = await _text(c, "evaluate_kernel", {"task": TASK, "seeds": "x", "eager": "perhaps"})
            assert "argument `seeds`: must be an integer" in text and "argument `eager`: must be true or false" in text

    anyio.run(scenario)


def test_errors_are_masked_like_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAWK_TEST_TOKEN", SECRET)
    # The secret is in the file itself: a sandboxed task never sees the server's secret-named variables.
    (tmp_path / "leaky_task.py").write_text(f'raise RuntimeError("token {SECRET}")\n' + TASK_BODY)

    async def scenario() -> None:
        async with Client(_server(tmp_path, allow_fake_target=True)) as c:
            bad, text, _ = await _text(c, "task_brief", {"task": "leaky_task.py"})
            assert bad and "argument `task`" in text and SECRET not in text and "***" in text
            bad, text, _ = await _text(c, "evaluate_kernel", {"task": TASK, "seeds": SECRET})
            assert bad and SECRET not in text
            bad, text, _ = await _text(c, "list_tasks", {"suite": f"x{SECRET}"})
            assert bad and SECRET not in text

    anyio.run(scenario)


def test_tune_progress_never_goes_back(tmp_path: Path) -> None:
    kernel = "TILE = 8\n# fake-knobs: TILE in 8, 16, 32, 64, 128\n# fake-time-us: 1000 / TILE + 10\n" + PASSING
    seen: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(progress)

    async def scenario() -> None:
        async with Client(_server(tmp_path, allow_fake_target=True, heartbeat_s=0.01)) as c:
            args = {"task": TASK, "target": "fake", "source": kernel, "seeds": 1, "budget": 5}
            result = await c.call_tool("tune_kernel", args, progress_callback=on_progress)
            assert not result.is_error and result.structured_content["changed"]

    anyio.run(scenario)
    assert len(seen) >= 3 and all(b > a for a, b in zip(seen, seen[1:], strict=False)), seen


def test_lessons_pending_at_a_stop_are_reported_dropped(tmp_path: Path) -> None:
    first = _server(tmp_path)
    session = Session(first.hawk.trajectories)
    first.hawk.all_sessions.append(session)
    session.pending = 2
    first.hawk.stop("signal SIGTERM")
    first.hawk.stop("signal SIGTERM")  # a second signal records nothing twice
    assert session.summary()["learning_pending"] == 0

    async def scenario() -> dict[str, Any]:
        async with Client(_server(tmp_path)) as c:  # the next server, same trajectories
            return (await c.call_tool("kb_stats", {})).structured_content

    stats = anyio.run(scenario)
    assert stats["learning_dropped"]["lessons"] == 2
    (record,) = stats["learning_dropped"]["last"]
    assert record["session"] == session.id and record["reason"] == "signal SIGTERM"
    assert stats["session"]["learning_pending"] == 0


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (b'{"jsonrpc":"2.0","id":5,', PARSE_ERROR),
        (b"\xff\xfe not utf-8", PARSE_ERROR),
        (b"[1, 2]", INVALID_REQUEST),
        (b'{"jsonrpc":"1.0","id":1,"method":"ping"}', INVALID_REQUEST),
        (b'{"id":1,"method":"tools/call","params":{"name":"list_tasks","arguments":{"suite":"\\ud800"}}}', None),
        (
            b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"s":"\\ud800"}}}',
            INVALID_PARAMS,
        ),  # fmt: skip
        (b'{"jsonrpc":"2.0","id":1,"method":"ping"}', 0),
    ],
)
def test_line_problems(line: bytes, code: int | None) -> None:
    read = read_line(line)
    problem = read if isinstance(read, tuple) else None
    if code == 0:
        assert problem is None and read is not None
    elif code is None:
        assert problem is not None  # no "jsonrpc": refused one way or another
    else:
        assert problem is not None and problem[0] == code


def _spawn(root: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(hawk.__file__).parents[1])}
    cmd = [sys.executable, "-m", "hawk.cli.main", "mcp", "--kb", "kb.sqlite", "--trajectories", "traj", *extra]
    return subprocess.Popen(cmd, cwd=root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip


def _exchange(proc: subprocess.Popen, line: bytes, wait_s: float = 30.0) -> dict[str, Any] | None:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(line + b"\n")
    proc.stdin.flush()
    ready, _, _ = select.select([proc.stdout], [], [], wait_s)
    return json.loads(proc.stdout.readline()) if ready else None


def _init_line(rid: int = 0) -> bytes:
    params = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    return json.dumps({"jsonrpc": "2.0", "id": rid, "method": "initialize", "params": params}).encode()


def _call_line(rid: int, tool: str, args: dict[str, Any]) -> bytes:
    params = {"name": tool, "arguments": args}
    return json.dumps({"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": params}).encode()


def test_stdio_answers_every_malformed_line(tmp_path: Path) -> None:
    proc = _spawn(tmp_path)
    try:
        assert _exchange(proc, _init_line())["result"]["serverInfo"]["version"] == hawk.__version__
        proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        surrogate = _call_line(1, "list_tasks", {"suite": "x"}).replace(b'"x"', b'"\\ud800"')
        for line, code, rid in [
            (surrogate, INVALID_PARAMS, 1),
            (b'{"jsonrpc":"2.0","id":2,', PARSE_ERROR, None),
            (b"\xc3\x28 binary", PARSE_ERROR, None),
            (b'"just a string"', INVALID_REQUEST, None),
            (b'{"jsonrpc":"2.0","id":3,"method":42}', INVALID_REQUEST, 3),
        ]:
            reply = _exchange(proc, line)
            assert reply is not None, f"no reply to {line!r}"
            assert reply["error"]["code"] == code and reply["id"] == rid, reply
        assert "params.arguments.suite" in _exchange(proc, surrogate)["error"]["message"]
        reply = _exchange(proc, _call_line(4, "list_tasks", {"suite": "npu-workloads"}))
        assert reply["id"] == 4 and not reply["result"].get("isError")  # still serving
    finally:
        proc.kill()
        proc.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen) -> None:
    for _ in range(200):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.1)
    raise TimeoutError("the HTTP server did not start")


def test_http_answers_malformed_bodies(tmp_path: Path) -> None:
    port = _free_port()
    proc = _spawn(tmp_path, "--http", f"127.0.0.1:{port}")
    try:
        _wait_port(port, proc)
        surrogate = _call_line(1, "list_tasks", {"suite": "x"}).replace(b'"x"', b'"\\ud800"')
        for body in (surrogate, b'{"jsonrpc":"2.0","id":2,', b"\xff\xfe", b"[]"):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/mcp", data=body, method="POST",
                headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"},
            )  # fmt: skip
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(request, timeout=30)
            assert err.value.code == 400
            assert "error" in json.loads(err.value.read()), body
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize(("transport", "signum"), [("stdio", signal.SIGTERM), ("stdio", signal.SIGINT), ("http", signal.SIGINT),
                                                    ("http", signal.SIGTERM)])  # fmt: skip
def test_a_signal_stops_the_server_while_a_call_runs(tmp_path: Path, transport: str, signum: int) -> None:
    """A task file whose import hangs keeps `task_brief` busy; SIGINT/SIGTERM still stops the server in
    seconds (over HTTP uvicorn alone would wait for the call to finish)."""
    (tmp_path / "hang_task.py").write_text(HANG_TASK)
    port = _free_port()
    proc = _spawn(tmp_path, *(["--http", f"127.0.0.1:{port}"] if transport == "http" else []))
    try:
        if transport == "stdio":
            _exchange(proc, _init_line())
            proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
            assert _exchange(proc, _call_line(1, "task_brief", {"task": "hang_task.py"}), wait_s=2) is None
        else:
            _wait_port(port, proc)
            _start_http_call(port, "task_brief", {"task": "hang_task.py"})
        time.sleep(1.0)
        assert proc.poll() is None
        sent = time.monotonic()
        proc.send_signal(signum)
        proc.wait(timeout=15)
        assert time.monotonic() - sent < 8, "the server took too long to stop"
    finally:
        proc.kill()
        proc.wait()


def _start_http_call(port: int, tool: str, args: dict[str, Any]) -> None:
    """Open a session and send one tool call without waiting for its result (a thread holds the request)."""
    import threading

    url = f"http://127.0.0.1:{port}/mcp"
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    with urllib.request.urlopen(urllib.request.Request(url, data=_init_line(), headers=headers), timeout=30) as r:
        session_id = r.headers["mcp-session-id"]
        r.read()
    headers = {**headers, "mcp-session-id": session_id, "mcp-protocol-version": "2025-06-18"}
    note = b'{"jsonrpc":"2.0","method":"notifications/initialized"}'
    urllib.request.urlopen(urllib.request.Request(url, data=note, headers=headers), timeout=30).read()
    call = urllib.request.Request(url, data=_call_line(1, tool, args), headers=headers)

    def hold() -> None:
        try:
            urllib.request.urlopen(call, timeout=60).read()
        except Exception:
            pass  # the server went away: what the test wants

    threading.Thread(target=hold, daemon=True).start()


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[-1].split()
        except (OSError, ValueError):
            continue
        if entry.isdigit() and int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry))
    return out


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.sim
def test_a_signal_kills_the_evaluation_child_too(tmp_path: Path) -> None:
    """A hung kernel's evaluation child (on the real target) dies with the server, within seconds."""
    import shutil

    from .conftest import DATA, EXP_TASK_FILE

    shutil.copy(EXP_TASK_FILE, tmp_path / "task.py")
    shutil.copy(DATA / "kernels" / "endless_loop.py", tmp_path / "hang.py")
    port = _free_port()
    proc = _spawn(tmp_path, "--http", f"127.0.0.1:{port}")
    try:
        _wait_port(port, proc)
        args = {"task": "task.py", "path": "hang.py", "seeds": 1, "timeout_s": 300, "eager": False}
        _start_http_call(port, "evaluate_kernel", args)
        end = time.monotonic() + 120
        while not (children := _children(proc.pid)):
            assert time.monotonic() < end, "no evaluation child started"
            time.sleep(0.2)
        time.sleep(2.0)  # the child is past its start-up, in the candidate's loop
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        assert time.monotonic() - sent < 8
        time.sleep(0.5)
        assert not [pid for pid in children if _running(pid)], "an evaluation child outlived the server"
    finally:
        proc.kill()
        proc.wait()


def test_lessons_still_unproven_when_the_client_goes_are_dropped_after_the_drain(tmp_path: Path) -> None:
    """With no time to drain (drain_s=0), a lesson the session just completed is dropped, not stored half-proven."""
    ub = (
        '# fake-verdict: {"status": "compile_error", "error": {"kind": "ub_capacity", "constraint": "ub_capacity",\n'
        '#   "message": "UB overflow", "hardware_reason": "OP EXP in/output total size [262144] exceeds MEM_UB size [196608]!"}}\n'
        "TILE = 64\n"
    )
    server = _server(tmp_path, allow_fake_target=True, drain_s=0.0)

    async def scenario() -> list[str]:
        async with Client(server, mode="legacy") as c:  # one connection: both calls in one Hawk session
            args = {"task": TASK, "target": "fake", "seeds": 1}
            await c.call_tool("evaluate_kernel", {**args, "source": ub + PASSING})
            result = await c.call_tool("evaluate_kernel", {**args, "source": "TILE = 16\n" + PASSING})
            return result.structured_content["learning"]

    assert anyio.run(scenario) == ["repair"]
    sessions = server.hawk.all_sessions
    assert len(sessions) == 1 and sessions[0].summary()["learning_pending"] == 0
    dropped, learned = server.hawk.dropped.read(), sessions[0].learned
    # Either the lesson was proven before the client went (it is stored), or it was dropped and written down.
    assert (len(learned) == 1 and not dropped) or (dropped[0]["lessons"] == 1 and not learned), (dropped, learned)
