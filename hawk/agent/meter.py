"""Every model call a run makes goes through one meter, labelled by what it was for.

The loop's token budget reads the meter, so a method that asks the model questions of its own
(rationales, labels, arbitration) is counted where the budget is decided: the stop rule names the
purposes it charges: every purpose, so a method's own questions cost it tokens as its kernels do
(comparisons at equal tokens are then fair to the methods that ask less).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from hawk.llm import LLM, Completion, Message
from hawk.llm.base import request_identity

DRAW = "draw"  # a kernel asked of the model by the loop
LEARN = "learn"  # the knowledge method's own questions (rationales, labels, arbitration)


@dataclass
class Tally:
    calls: int = 0
    tokens: int = 0


@dataclass
class TokenMeter:
    """Calls and tokens per purpose, summed over a run (replayed steps included). Thread-safe."""

    tallies: dict[str, Tally] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, purpose: str, tokens: int, calls: int = 1) -> None:
        with self._lock:
            tally = self.tallies.setdefault(purpose, Tally())
            tally.calls += calls
            tally.tokens += tokens

    def tally(self, purpose: str) -> Tally:
        with self._lock:
            t = self.tallies.get(purpose, Tally())
            return Tally(t.calls, t.tokens)

    def tokens(self, *purposes: str) -> int:
        return sum(self.tally(p).tokens for p in purposes)

    def total(self) -> int:
        """Tokens of every purpose: what the token budget charges."""
        with self._lock:
            return sum(t.tokens for t in self.tallies.values())

    def metered(self, llm: LLM, purpose: str) -> MeteredLLM:
        return MeteredLLM(llm, self, purpose)


class MeteredLLM:
    """The model, with every completion added to the meter under one purpose."""

    def __init__(self, inner: LLM, meter: TokenMeter, purpose: str) -> None:
        self.inner, self.meter, self.purpose = inner, meter, purpose
        self.name = inner.name

    def identity(self) -> dict[str, object]:
        return request_identity(self.inner)

    def complete(self, messages: list[Message], **kwargs: object) -> Completion:
        completion = self.inner.complete(messages, **kwargs)
        self.meter.add(self.purpose, int(completion.usage.total_tokens or 0))
        return completion
