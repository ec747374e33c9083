"""A response cache on disk, so that rerunning an experiment is reproducible and free.

The key is the sha256 of the full request: the provider's identity (endpoint, model, default
sampling), the messages, the sampling parameters, and the caller's `sample` index, so k draws of
one prompt are k entries, not one. A hit returns the stored completion with `cached=True` and
zero cost; token counts are kept, so a rerun's report shows the same tokens per attempt (the
ledger counts cached tokens apart). Writes are atomic (temp file + rename), so several threads or
processes may share one cache folder; two that miss at once both ask, and the last write wins.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from hawk.fileio import atomic_write_text
from hawk.llm.base import LLM, ChatModel, Completion, Draw, Message, request_identity

log = logging.getLogger("hawk.llm")

CACHE_FORMAT = 1  # bump when the key or the file layout changes


class CachedLLM(ChatModel):
    """Wraps any LLM; identical requests (same `sample` index) are answered from `cache_dir`."""

    def __init__(self, inner: LLM, cache_dir: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.cache_dir = Path(cache_dir)
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()

    def request(
        self,
        messages: list[Message],
        temperature: float | None,
        max_tokens: int | None,
        seed: int | None,
        sample: int,
    ) -> dict[str, Any]:
        """Everything that can change the reply; its hash is the cache key."""
        return {
            "format": CACHE_FORMAT,
            "llm": request_identity(self.inner),
            "messages": [m.to_dict() for m in messages],
            "temperature": temperature,
            "max_tokens": max_tokens,
            "seed": seed,
            "sample": sample,
        }

    @staticmethod
    def key(request: dict[str, Any]) -> str:
        canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def path(self, key: str) -> Path:
        return self.cache_dir / key[:2] / f"{key}.json"

    def draw(self, messages: list[Message], d: Draw) -> Completion:
        temperature, max_tokens, seed, sample = d.temperature, d.max_tokens, d.seed, d.sample
        request = self.request(messages, temperature, max_tokens, seed, sample)
        key = self.key(request)
        path = self.path(key)
        hit = self._load(path)
        if hit is not None:
            with self._lock:
                self.hits += 1
            log.info("cache hit %s (%s, sample %d): %s", key[:12], self.name, sample, path)
            return replace(hit, cached=True, latency_s=0.0, usage=replace(hit.usage, cost_usd=0.0))
        with self._lock:
            self.misses += 1
        completion = self.inner.complete(
            messages, temperature=temperature, max_tokens=max_tokens, seed=seed, sample=sample
        )
        record = {"key": key, "request": request, "completion": completion.to_dict()}
        atomic_write_text(path, json.dumps(record, indent=1, ensure_ascii=False, default=str) + "\n")
        log.debug("cache store %s (%s): %s", key[:12], self.name, path)
        return completion

    def _load(self, path: Path) -> Completion | None:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            return Completion.from_dict(record["completion"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("cache entry %s unreadable (%s); asking again", path, exc)
            return None

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()
