"""The records every LLM provider speaks: messages in, a completion with its usage out.

Providers differ (HTTP endpoint, files exchanged with a person, a fixed script), but the agent
sees one small protocol, so a run can switch between them with a flag and a cache can wrap any.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable

# Rough characters per token for English prose and code; used only when an endpoint reports no usage.
CHARS_PER_TOKEN = 4


class LLMError(Exception):
    """The model could not be asked: retries exhausted, or an unrecoverable error.

    The message names the endpoint (or folder) and the cause, so the CLI can print it as one line.
    A reply without a usable kernel is *not* an LLMError: that is a failed attempt (see parse.py).
    """


class LLMConfigError(LLMError):
    """Settings are missing or malformed (no model, bad TOML, unknown provider)."""


@dataclass
class Message:
    role: str  # "system", "user" or "assistant"
    content: str

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Message:
        return cls(role=str(d["role"]), content=str(d["content"]))


@dataclass
class Usage:
    """Tokens and money of one call (or a sum of calls). `estimated`: counted from text length."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
            estimated=self.estimated or other.estimated,
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "total_tokens": self.total_tokens}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Usage:
        d = d or {}
        return cls(
            prompt_tokens=int(d.get("prompt_tokens") or 0),
            completion_tokens=int(d.get("completion_tokens") or 0),
            cost_usd=float(d.get("cost_usd") or 0.0),
            estimated=bool(d.get("estimated", False)),
        )


@dataclass
class Completion:
    text: str
    usage: Usage
    model: str
    provider: str
    cached: bool = False
    latency_s: float = 0.0
    finish_reason: str | None = None  # "stop", "length" (hit max_tokens), ... as the provider says

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "usage": self.usage.to_dict(),
            "model": self.model,
            "provider": self.provider,
            "cached": self.cached,
            "latency_s": self.latency_s,
            "finish_reason": self.finish_reason,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Completion:
        return cls(
            text=str(d["text"]),
            usage=Usage.from_dict(d.get("usage")),
            model=str(d.get("model", "")),
            provider=str(d.get("provider", "")),
            cached=bool(d.get("cached", False)),
            latency_s=float(d.get("latency_s") or 0.0),
            finish_reason=d.get("finish_reason"),
        )


@runtime_checkable
class LLM(Protocol):
    """Anything that turns a chat into one completion. Implementations must be thread-safe."""

    name: str

    def complete(self, messages: list[Message], **draw: Any) -> Completion:
        """Keyword arguments: temperature, max_tokens, seed and sample, as `Draw` names them
        (`ChatModel.complete` spells them out; providers subclass it)."""
        ...


@dataclass(frozen=True)
class Draw:
    """How one completion is drawn: sampling overrides (None: the provider's settings) and the
    draw's number (`sample`: repeated draws of one prompt; only caches and file exchanges use it)."""

    temperature: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    sample: int = 0


class ChatModel(ABC):
    """Base of the providers: `LLM.complete`'s keyword form, written once; a provider implements `draw`."""

    def complete(
        self,
        messages: list[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
        sample: int = 0,
    ) -> Completion:
        return self.draw(messages, Draw(temperature, max_tokens, seed, sample))

    @abstractmethod
    def draw(self, messages: list[Message], d: Draw) -> Completion:
        """One completion of `messages` drawn as `d` says."""


def estimate_tokens(text: str) -> int:
    """Token count guessed from length, for endpoints (and people) that report none."""
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def estimate_usage(messages: list[Message], reply: str) -> Usage:
    prompt = sum(estimate_tokens(m.content) for m in messages)
    return Usage(prompt_tokens=prompt, completion_tokens=estimate_tokens(reply), estimated=True)


def request_identity(llm: LLM) -> dict[str, Any]:
    """What determines a provider's replies besides the messages (endpoint, model, default sampling).

    Providers expose it as `identity()`; a foreign LLM without one is identified by its name only.
    """
    identity = getattr(llm, "identity", None)
    return dict(identity()) if callable(identity) else {"name": llm.name}
