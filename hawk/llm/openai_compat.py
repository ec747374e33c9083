"""Any OpenAI-compatible chat endpoint: hosted APIs, vLLM, SGLang, Ollama, llama.cpp server.

Only `POST {base_url}/chat/completions` is used, the one route all of them implement alike.
Transient trouble (429, 5xx, timeouts, dropped connections, a garbled body from a proxy) is
retried with exponential backoff and jitter, honoring Retry-After; a client error (400, 401,
404...) is not, since asking again cannot fix it. A semaphore caps requests in flight so a run
with many tasks does not trip the endpoint's rate limit by itself.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from hawk.llm.base import ChatModel, Completion, Draw, LLMConfigError, LLMError, Message, Usage, estimate_usage
from hawk.llm.settings import LLMSettings

log = logging.getLogger("hawk.llm")

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504}) | frozenset(range(520, 530))
MAX_RETRY_AFTER_S = 300.0  # a server asking for more than this is treated as asking for this


class _Retryable(Exception):
    """One failed attempt that another attempt might fix; `wait_s` is the server's Retry-After."""

    def __init__(self, cause: str, wait_s: float | None = None) -> None:
        super().__init__(cause)
        self.wait_s = wait_s


class OpenAICompatible(ChatModel):
    """Chat completions over HTTP with retries, a concurrency limit and per-call usage and cost."""

    provider = "openai"

    def __init__(
        self,
        settings: LLMSettings,
        *,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not settings.base_url:
            raise LLMConfigError(
                "no LLM base URL: pass --base-url, set HAWK_LLM_BASE_URL, or put base_url in the config file"
            )
        if not settings.model:
            raise LLMConfigError("no LLM model: pass --model, set HAWK_LLM_MODEL, or put model in the config file")
        self.settings = settings
        self.model: str = settings.model
        self.url = settings.base_url.rstrip("/") + "/chat/completions"
        self.name = f"openai:{self.model}"
        self._sleep = sleep
        self._slots = threading.BoundedSemaphore(settings.concurrency)
        headers = {"Content-Type": "application/json"}
        if settings.api_key:
            headers["Authorization"] = f"Bearer {settings.api_key}"
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(settings.timeout_s),
            headers=headers,
            limits=httpx.Limits(max_connections=max(settings.concurrency, 1) + 2),
        )
        self._owns_client = client is None

    def identity(self) -> dict[str, Any]:
        s = self.settings
        return {
            "provider": self.provider,
            "base_url": s.base_url,
            "model": self.model,
            "temperature": s.temperature,
            "max_tokens": s.max_tokens,
            "extra_body": s.extra_body,
        }

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> OpenAICompatible:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def draw(self, messages: list[Message], d: Draw) -> Completion:
        temperature, max_tokens, seed = d.temperature, d.max_tokens, d.seed
        body = self._body(messages, temperature, max_tokens, seed)
        attempts = self.settings.max_retries + 1
        started = time.monotonic()
        for attempt in range(1, attempts + 1):
            try:
                with self._slots:
                    data = self._post(body)
                return self._completion(data, messages, time.monotonic() - started)
            except _Retryable as exc:
                if attempt == attempts:
                    raise LLMError(f"{self.url}: {exc} (gave up after {attempts} attempts)") from None
                wait = self._backoff(attempt, exc.wait_s)
                log.warning("%s: %s; retry %d/%d in %.2fs", self.url, exc, attempt, attempts - 1, wait)
                self._sleep(wait)
        raise AssertionError("unreachable")

    def _body(
        self, messages: list[Message], temperature: float | None, max_tokens: int | None, seed: int | None
    ) -> dict[str, Any]:
        s = self.settings
        body: dict[str, Any] = {"model": self.model, "messages": [m.to_dict() for m in messages]}
        temperature = s.temperature if temperature is None else temperature
        max_tokens = s.max_tokens if max_tokens is None else max_tokens
        if temperature is not None:
            body["temperature"] = temperature
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        if seed is not None:
            body["seed"] = seed
        body.update(s.extra_body)
        return body

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        """One attempt. Raises _Retryable for transient trouble, LLMError for the rest."""
        try:
            response = self._client.post(self.url, json=body)
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out ({type(exc).__name__}, timeout {self.settings.timeout_s}s)") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"connection failed ({type(exc).__name__}: {exc})") from None
        if response.status_code in RETRY_STATUS:
            raise _Retryable(f"HTTP {response.status_code}: {_excerpt(response.text)}", _retry_after(response.headers))
        if response.status_code >= 400:
            raise LLMError(f"{self.url}: HTTP {response.status_code}: {_excerpt(response.text)}")
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _Retryable(f"malformed JSON in response body: {_excerpt(response.text)}") from None
        if not isinstance(data, dict):
            raise _Retryable(f"response body is not a JSON object: {_excerpt(response.text)}")
        if "error" in data and not data.get("choices"):
            raise _Retryable(f"endpoint returned an error: {_excerpt(json.dumps(data['error']))}")
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise _Retryable(f"response has no choices: {_excerpt(response.text)}")
        return data

    def _completion(self, data: dict[str, Any], messages: list[Message], latency_s: float) -> Completion:
        choice = data["choices"][0]
        text = _content_text((choice.get("message") or {}).get("content"))
        usage = self._usage(data.get("usage"), messages, text)
        completion = Completion(
            text=text,
            usage=usage,
            model=str(data.get("model") or self.model),
            provider=self.provider,
            latency_s=latency_s,
            finish_reason=choice.get("finish_reason"),
        )
        log.info(
            "%s: %d+%d tokens%s, $%.4f, %.1fs, finish=%s",
            self.name,
            usage.prompt_tokens,
            usage.completion_tokens,
            " (estimated)" if usage.estimated else "",
            usage.cost_usd,
            latency_s,
            completion.finish_reason,
        )
        return completion

    def _usage(self, raw: Any, messages: list[Message], text: str) -> Usage:
        """The endpoint's own counts; an estimate from text length, flagged, when it gives none."""
        s = self.settings
        if isinstance(raw, dict) and isinstance(raw.get("prompt_tokens"), int):
            usage = Usage(prompt_tokens=raw["prompt_tokens"], completion_tokens=int(raw.get("completion_tokens") or 0))
        else:
            usage = estimate_usage(messages, text)
        reported_cost = raw.get("cost") if isinstance(raw, dict) else None  # OpenRouter and others bill here
        if isinstance(reported_cost, int | float) and not isinstance(reported_cost, bool):
            usage.cost_usd = float(reported_cost)
        else:
            usage.cost_usd = (
                usage.prompt_tokens * s.price_prompt_per_mtok + usage.completion_tokens * s.price_completion_per_mtok
            ) / 1e6
        return usage

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), MAX_RETRY_AFTER_S)
        base = self.settings.retry_backoff_s * 2 ** (attempt - 1)
        return min(base, self.settings.retry_backoff_max_s) * random.uniform(0.5, 1.0)


def _content_text(content: Any) -> str:
    """Message content is a string, None (nothing said), or a list of typed parts on some servers."""
    if content is None:
        return ""
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _excerpt(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."
