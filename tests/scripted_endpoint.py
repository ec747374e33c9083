"""A scripted OpenAI-compatible endpoint on 127.0.0.1 (not a model): tests queue the replies it
gives and read every request it got. The `endpoint` fixture (conftest.py) serves one per test."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from hawk.llm import LLMSettings


@dataclass
class Reply:
    status: int = 200
    body: dict[str, Any] | str | None = None  # None: a normal completion with usage
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def ok_body(text: str = "```python\ndef kernel(x, out):\n    pass\n```", usage: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "test-model-served",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
    }
    if usage:
        body["usage"] = {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30}
    return body


class FakeEndpoint:
    """An OpenAI-compatible /chat/completions that plays queued Replies, then `default`."""

    def __init__(self) -> None:
        self.script: deque[Reply] = deque()
        self.default = Reply()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self.url = ""

    def push(self, *replies: Reply) -> None:
        self.script.extend(replies)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        with self.lock:
            self.requests.append({"path": handler.path, **json.loads(raw)})
            self.headers.append(dict(handler.headers))
            reply = self.script.popleft() if self.script else self.default
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(reply.delay_s)
            body = ok_body() if reply.body is None else reply.body
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            handler.send_response(reply.status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for k, v in reply.headers.items():
                handler.send_header(k, v)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and left; that is the point of some tests
        finally:
            with self.lock:
                self.in_flight -= 1


@contextmanager
def running_endpoint() -> Iterator[FakeEndpoint]:
    """A FakeEndpoint served on 127.0.0.1 (an ephemeral port) for the duration of the block."""
    fake = FakeEndpoint()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            fake.handle(self)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def settings_for(endpoint: FakeEndpoint, **changes: Any) -> LLMSettings:
    base = LLMSettings(
        base_url=endpoint.url,
        api_key="sk-test",
        model="test-model",
        timeout_s=2.0,
        max_retries=3,
        retry_backoff_s=0.01,
        retry_backoff_max_s=0.05,
        concurrency=4,
        price_prompt_per_mtok=1.0,
        price_completion_per_mtok=2.0,
        cache=False,
    )
    return base.replace(**changes)
