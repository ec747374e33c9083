"""The `scripted` provider: fixed replies in order, for `hawk demo` and tests.

It is not a model and never claims to be one: its name, provider and model are all "scripted",
so reports show plainly that no LLM was asked.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from hawk.llm.base import ChatModel, Completion, Draw, LLMError, Message, estimate_usage


class ScriptedLLM(ChatModel):
    """Replays `replies` one per call, in call order; LLMError once they are used up."""

    provider = "scripted"

    def __init__(self, replies: list[str], name: str = "scripted") -> None:
        self.replies = list(replies)
        self.name = name
        self.model = "scripted"
        self.calls: list[list[Message]] = []  # what was asked, for tests and demos to show
        self._lock = threading.Lock()

    def identity(self) -> dict[str, Any]:
        script = hashlib.sha256("\x00".join(self.replies).encode()).hexdigest()
        return {"provider": self.provider, "script": script}

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self.replies) - len(self.calls)

    def draw(self, messages: list[Message], d: Draw) -> Completion:
        with self._lock:
            index = len(self.calls)
            if index >= len(self.replies):
                raise LLMError(f"scripted: all {len(self.replies)} scripted replies are used up (call {index + 1})")
            self.calls.append(list(messages))
        text = self.replies[index]
        return Completion(
            text=text,
            usage=estimate_usage(messages, text),
            model=self.model,
            provider=self.provider,
            finish_reason="stop",
        )
