"""How `hawk mcp` is served: stdio with a guard for malformed JSON-RPC, or streamable HTTP, and how it
stops on SIGINT/SIGTERM within a few seconds whatever is running.

The SDK's stdio transport drops a line it cannot parse (no reply, so the client waits forever); here
every such line gets a JSON-RPC error: not UTF-8 or not JSON (-32700), not a JSON-RPC message (-32600),
a string holding a lone surrogate such as `\\ud800` (-32602, naming where it is). The streamable HTTP
transport already answers those with HTTP 400 and a JSON-RPC error.

Stopping: the first SIGINT or SIGTERM marks the server closing, kills every evaluation child (a hung
candidate must not outlive the server), reports lessons still being proven as dropped (they are never
stored half-proven), then the process exits: at once over stdio; over HTTP after uvicorn's shutdown,
which gets `STOP_GRACE_S` before a hard exit.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import anyio
import mcp_types as types
import uvicorn
from anyio.streams.memory import MemoryObjectSendStream
from mcp.server.mcpserver import MCPServer
from mcp.shared.message import SessionMessage

log = logging.getLogger("hawk.mcp")

STOP_GRACE_S = 3.0  # from the signal to a hard exit, whatever still runs
PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS = -32700, -32600, -32602


def read_line(raw: bytes) -> SessionMessage | tuple[int, str, Any] | None:
    """The message on one line, or (JSON-RPC error code, message, request id or None) when the server
    cannot take it; None for a blank line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return PARSE_ERROR, f"Parse error: the message is not UTF-8 (byte {exc.start})", None
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return PARSE_ERROR, f"Parse error: {str(exc)[:200]}", None
    rid = data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), (str, int)) else None
    where = _lone_surrogate(data, "")
    if where is not None:
        return INVALID_PARAMS, f"Invalid params: {where or 'the message'} holds a lone surrogate (not Unicode)", rid
    try:
        return SessionMessage(types.jsonrpc_message_adapter.validate_python(data, by_name=False))
    except Exception as exc:
        fields = sorted({".".join(str(p) for p in e.get("loc", ())) for e in getattr(exc, "errors", list)()})
        return INVALID_REQUEST, f"Invalid Request: not a JSON-RPC 2.0 message ({', '.join(fields)[:200]})", rid


def _lone_surrogate(value: Any, where: str) -> str | None:
    """The dotted path of the first string (or key) holding a lone UTF-16 surrogate, else None."""
    stack = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            if any("\ud800" <= ch <= "\udfff" for ch in item):
                return at
        elif isinstance(item, dict):
            for k, v in item.items():
                stack += [(k, at), (v, f"{at}.{k}".lstrip("."))]
        elif isinstance(item, list):
            stack += [(v, f"{at}[{i}]") for i, v in enumerate(item)]
    return None


def _error_message(code: int, message: str, rid: Any) -> SessionMessage:
    error = types.JSONRPCError(jsonrpc="2.0", id=rid, error=types.ErrorData(code=code, message=message))
    return SessionMessage(error)


async def _pump_stdin(stdin: Any, to_server: MemoryObjectSendStream, to_client: MemoryObjectSendStream) -> None:
    """Lines from the client: good ones to the server, bad ones answered with an error (never dropped)."""
    async with to_server:
        async for raw in stdin:
            message = read_line(raw)
            if not isinstance(message, tuple):
                if message is not None:
                    await to_server.send(message)
                continue
            code, text, rid = message
            log.info("refused a malformed message: %s", text)
            await to_client.send(_error_message(code, text, rid))


async def _pump_stdout(stdout: Any, from_server: Any) -> None:
    async with from_server:
        async for message in from_server:
            line = message.message.model_dump_json(by_alias=True, exclude_unset=True)
            await stdout.write(line.encode("utf-8", "backslashreplace") + b"\n")
            await stdout.flush()


def _claim_stdio() -> tuple[Any, Any]:
    """Private copies of fds 0 and 1 for the protocol; the fds themselves point at /dev/null and stderr,
    so children (and stray prints) neither read the client's messages nor write into the protocol."""
    wire_in, wire_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    return anyio.wrap_file(os.fdopen(wire_in, "rb")), anyio.wrap_file(os.fdopen(wire_out, "wb"))


async def serve_stdio(server: MCPServer) -> None:
    stdin, stdout = _claim_stdio()
    to_server, from_client = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    to_client, from_server = anyio.create_memory_object_stream[SessionMessage](16)
    lowlevel = server._lowlevel_server  # the SDK's own run_stdio_async does the same
    async with anyio.create_task_group() as tg:
        tg.start_soon(_pump_stdin, stdin, to_server, to_client.clone())
        tg.start_soon(_pump_stdout, stdout, from_server)
        async with to_client:
            await lowlevel.run(from_client, to_client, lowlevel.create_initialization_options())
        tg.cancel_scope.cancel()  # the client went: stop reading


class _Uvicorn(uvicorn.Server):
    """uvicorn whose signal handling first stops Hawk's evaluations (else it waits for them)."""

    def __init__(self, config: uvicorn.Config, on_signal: Callable[[int, Any], None]) -> None:
        super().__init__(config)
        self._on_signal = on_signal

    def handle_exit(self, sig: int, frame: Any) -> None:
        self._on_signal(sig, frame)
        super().handle_exit(sig, frame)


async def serve_http(server: MCPServer, host: str, port: int, on_signal: Callable[[int, Any], None]) -> None:
    """Streamable HTTP at http://HOST:PORT/mcp; `on_signal` is `install_stop`'s handler (uvicorn replaces
    the process's own while it serves)."""
    app = server.streamable_http_app(host=host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=1)
    await _Uvicorn(config, on_signal).serve()


def exit_soon(code: int, after_s: float = STOP_GRACE_S) -> None:
    """Exit the process after `after_s` whatever is still running (threads cannot be cancelled)."""

    def hard_exit() -> None:
        sys.stderr.flush()
        os._exit(code)

    timer = threading.Timer(after_s, hard_exit)
    timer.daemon = True
    timer.start()


def install_stop(stop: Callable[[int], None], immediate: bool) -> Callable[[int, Any], None]:
    """SIGINT and SIGTERM call `stop(signum)`, then exit (at once if `immediate`, else after the grace);
    returns the handler."""

    def handler(signum: int, frame: Any) -> None:
        stop(signum)
        if immediate:
            sys.stderr.flush()
            os._exit(128 + signum)
        exit_soon(128 + signum)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return handler
