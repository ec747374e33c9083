"""The `exchange` provider: a person, or any external coding agent, acts as the model via files.

Hawk needs no API for this. It writes each request into a folder and waits for the matching
response file, so anything that can read and write files (a human with an editor, Claude Code,
Codex, a shell script) can answer.

File protocol (version "hawk-exchange/1"), all paths relative to the exchange folder:

``requests/<id>.json``
    Written by Hawk, atomically (temp file + rename), one per call::

        {"protocol": "hawk-exchange/1", "id": "<id>", "created": "2025-01-01T12:00:00+00:00",
         "model": "<settings.model or 'exchange'>",
         "messages": [{"role": "system", "content": "..."}, {"role": "user", "content": "..."}],
         "temperature": null, "max_tokens": null, "seed": null, "sample": 0,
         "response_path": "responses/<id>.json"}

``requests/<id>.md``
    The same messages as readable Markdown, for a person.

``responses/<id>.json``
    Written by the responder; the reply is the assistant message's text::

        {"content": "...reply text, e.g. prose and a ```python block...",
         "usage": {"prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0},   (optional)
         "model": "claude-code",                                                (optional)
         "finish_reason": "stop"}                                              (optional)

    or ``{"error": "why no reply"}`` to make the call fail with that message.

``responses/<id>.md`` or ``responses/<id>.txt``
    Alternative for people: the raw reply text, no JSON escaping needed.

`<id>` is ``<first 16 hex digits of sha256 of the request>-<n>``, where n counts identical
requests within one Hawk process (0, 1, ...). It is deterministic, so a rerun asks with the same
ids, and a response file left from an earlier run answers at once (delete ``responses/`` to be
asked afresh). Write response files atomically (write ``<id>.json.tmp``, then rename); Hawk also
ignores a JSON file that does not parse yet, and a text file that is empty or whose contents
still change between two polls. Hawk polls every `exchange_poll_s` seconds and fails the call with LLMError after
`exchange_timeout_s`. Files are never deleted by Hawk: the folder is a record of the session.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hawk.fileio import atomic_write_text
from hawk.llm.base import ChatModel, Completion, Draw, LLMError, Message, Usage, estimate_usage
from hawk.llm.settings import LLMSettings

log = logging.getLogger("hawk.llm")

PROTOCOL = "hawk-exchange/1"
TEXT_SUFFIXES = (".md", ".txt")
END_MARK = "<!-- end of request -->"


class ExchangeLLM(ChatModel):
    """Asks by writing requests/<id>.json and answers with whatever appears in responses/<id>.*."""

    provider = "exchange"

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        self.folder = Path(settings.exchange_dir).expanduser().resolve()
        self.model = settings.model or "exchange"
        self.name = f"exchange:{self.folder}"
        self._lock = threading.Lock()
        self._seen: Counter[str] = Counter()

    def identity(self) -> dict[str, Any]:
        return {"provider": self.provider, "folder": str(self.folder), "model": self.model}

    def draw(self, messages: list[Message], d: Draw) -> Completion:
        temperature, max_tokens, seed, sample = d.temperature, d.max_tokens, d.seed, d.sample
        request: dict[str, Any] = {
            "protocol": PROTOCOL,
            "model": self.model,
            "messages": [m.to_dict() for m in messages],
            "temperature": self.settings.temperature if temperature is None else temperature,
            "max_tokens": self.settings.max_tokens if max_tokens is None else max_tokens,
            "seed": seed,
            "sample": sample,
        }
        request_id = self._next_id(request)
        request = {
            "protocol": PROTOCOL,
            "id": request_id,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            **{k: v for k, v in request.items() if k != "protocol"},
            "response_path": f"responses/{request_id}.json",
        }
        (self.folder / "responses").mkdir(parents=True, exist_ok=True)
        requests = self.folder / "requests"
        atomic_write_text(requests / f"{request_id}.json", json.dumps(request, indent=2) + "\n")
        atomic_write_text(requests / f"{request_id}.md", _as_markdown(request_id, messages))
        log.info("exchange: waiting for %s", self.folder / "responses" / f"{request_id}.json")
        started = time.monotonic()
        reply = self._wait(request_id)
        return self._completion(reply, messages, time.monotonic() - started)

    def _next_id(self, request: dict[str, Any]) -> str:
        digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:16]
        with self._lock:
            n = self._seen[digest]
            self._seen[digest] += 1
        return f"{digest}-{n}"

    def _wait(self, request_id: str) -> dict[str, Any]:
        responses = self.folder / "responses"
        json_path = responses / f"{request_id}.json"
        text_paths = [responses / f"{request_id}{suffix}" for suffix in TEXT_SUFFIXES]
        deadline = time.monotonic() + self.settings.exchange_timeout_s
        last_problem = "no response file"
        previous_text: dict[Path, str] = {}
        while True:
            if json_path.is_file():
                try:
                    data = json.loads(json_path.read_text())
                except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                    last_problem = f"{json_path.name} does not parse yet ({exc})"
                else:
                    return self._checked(data, json_path)
            for path in text_paths:
                try:
                    text = path.read_text()
                except (FileNotFoundError, UnicodeDecodeError):
                    continue
                if text.strip() and previous_text.get(path) == text:  # unchanged for one poll: writer is done
                    return {"content": text}
                previous_text[path] = text
                last_problem = f"{path.name} still changing"
            if time.monotonic() >= deadline:
                raise LLMError(
                    f"exchange {self.folder}: no usable response {json_path.relative_to(self.folder)} "
                    f"within {self.settings.exchange_timeout_s:g}s ({last_problem})"
                )
            time.sleep(self.settings.exchange_poll_s)

    def _checked(self, data: Any, path: Path) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise LLMError(f"exchange {self.folder}: {path.name} is not a JSON object")
        if data.get("error"):
            raise LLMError(f"exchange {self.folder}: responder declined {path.name}: {data['error']}")
        if not isinstance(data.get("content"), str):
            raise LLMError(f"exchange {self.folder}: {path.name} has no string field 'content'")
        return data

    def _completion(self, data: dict[str, Any], messages: list[Message], waited_s: float) -> Completion:
        text = data["content"]
        raw = data.get("usage")
        try:
            if isinstance(raw, dict) and "prompt_tokens" in raw:
                usage = Usage.from_dict({**raw, "estimated": False})
            else:
                usage = estimate_usage(messages, text)
                if isinstance(raw, dict):
                    usage.cost_usd = float(raw.get("cost_usd") or 0.0)
        except (TypeError, ValueError) as exc:  # a responder's typo in usage must not lose the reply
            log.warning("exchange %s: ignoring malformed usage %r (%s)", self.folder, raw, exc)
            usage = estimate_usage(messages, text)
        return Completion(
            text=text,
            usage=usage,
            model=str(data.get("model") or self.model),
            provider=self.provider,
            latency_s=waited_s,
            finish_reason=data.get("finish_reason", "stop"),
        )


def _as_markdown(request_id: str, messages: list[Message]) -> str:
    body = "\n".join(f"## {m.role}\n\n{m.content}\n" for m in messages)
    parts = [
        f"# Hawk request {request_id}\n",
        f"Answer in `responses/{request_id}.md` (raw text) or `responses/{request_id}.json` "
        '(`{"content": "..."}`).\n',
        # A model answering through a tool may see long output cut in the middle (one did, on
        # requests over ~30,000 characters): say how long the request is, so it reads all of it.
        f"This request is LINES lines, {len(body):,} characters; it ends with the line `{END_MARK}`. "
        "If your view of it is cut, read it in parts until you have read it whole.\n",
        body,
        END_MARK,
    ]
    text = "\n".join(parts)
    return text.replace("LINES lines", f"{text.count(chr(10)) + 1} lines", 1)
