"""Token and cost accounting per call, per task and per run.

The agent records every completion here with the task it was for; reports read totals from
it. Cached completions carry zero cost but keep their token counts (see cache.py), so the ledger
also counts cache hits and their tokens, and `billed()` gives what was actually spent.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from hawk.llm.base import Completion, Usage


@dataclass
class CallRecord:
    """One call as accounted: for per-call listings in reports."""

    task: str | None
    provider: str
    model: str
    usage: Usage
    cached: bool
    latency_s: float
    finish_reason: str | None


@dataclass
class _Tally:
    usage: Usage = field(default_factory=Usage)
    calls: int = 0
    cache_hits: int = 0
    cached_tokens: int = 0

    def add(self, c: Completion) -> None:
        self.usage = self.usage + c.usage
        self.calls += 1
        if c.cached:
            self.cache_hits += 1
            self.cached_tokens += c.usage.total_tokens

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.usage.to_dict(),
            "calls": self.calls,
            "cache_hits": self.cache_hits,
            "cached_tokens": self.cached_tokens,
        }


class UsageLedger:
    """Thread-safe sums of Usage over a run; `record` is cheap enough to call for every completion."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._run = _Tally()
        self._tasks: dict[str, _Tally] = {}
        self._records: list[CallRecord] = []

    def record(self, completion: Completion, task: str | None = None) -> None:
        with self._lock:
            self._run.add(completion)
            if task is not None:
                self._tasks.setdefault(task, _Tally()).add(completion)
            self._records.append(
                CallRecord(
                    task=task,
                    provider=completion.provider,
                    model=completion.model,
                    usage=completion.usage,
                    cached=completion.cached,
                    latency_s=completion.latency_s,
                    finish_reason=completion.finish_reason,
                )
            )

    def totals(self) -> Usage:
        with self._lock:
            return Usage(**vars(self._run.usage))

    def billed(self) -> Usage:
        """What this run actually spent: totals less the tokens answered from the cache."""
        with self._lock:
            return self._billed()

    def _billed(self) -> Usage:
        return sum((r.usage for r in self._records if not r.cached), Usage())

    def per_task(self) -> dict[str, Usage]:
        with self._lock:
            return {task: Usage(**vars(t.usage)) for task, t in self._tasks.items()}

    @property
    def calls(self) -> int:
        with self._lock:
            return self._run.calls

    @property
    def cache_hits(self) -> int:
        with self._lock:
            return self._run.cache_hits

    def records(self) -> list[CallRecord]:
        with self._lock:
            return list(self._records)

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "run": {**self._run.to_dict(), "billed": self._billed().to_dict()},
                "tasks": {task: t.to_dict() for task, t in sorted(self._tasks.items())},
            }
