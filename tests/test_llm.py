"""The LLM layer against a real HTTP server: the real httpx client, retries, limits, cache, exchange.

The server is scripted (it is not a model): each test queues the replies it should give, and
it records every request and how many were in flight at once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from hawk.llm import (
    LLM,
    CachedLLM,
    Completion,
    ExchangeLLM,
    LLMConfigError,
    LLMError,
    LLMSettings,
    Message,
    OpenAICompatible,
    ScriptedLLM,
    Usage,
    UsageLedger,
    make_llm,
)

from .scripted_endpoint import FakeEndpoint, Reply, ok_body, settings_for

PROMPT = [Message("system", "You write pypto kernels."), Message("user", "Write kernel for softmax.")]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No HAWK_LLM_* from the developer's shell and no ~/.config/hawk/llm.toml leak into a test."""
    import os

    for name in list(os.environ):
        if name.startswith("HAWK_LLM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HAWK_CACHE_DIR", str(tmp_path / "hawk-cache"))


# --- OpenAI-compatible HTTP provider -------------------------------------------------------------


def test_normal_reply_with_usage_and_cost(endpoint: FakeEndpoint) -> None:
    with OpenAICompatible(settings_for(endpoint, temperature=0.3)) as llm:
        c = llm.complete(PROMPT, max_tokens=512, seed=7)
    assert isinstance(llm, LLM)
    assert c.text.startswith("```python") and c.finish_reason == "stop" and not c.cached
    assert c.model == "test-model-served" and c.provider == "openai"
    assert (c.usage.prompt_tokens, c.usage.completion_tokens, c.usage.total_tokens) == (10, 20, 30)
    assert not c.usage.estimated
    assert c.usage.cost_usd == pytest.approx((10 * 1.0 + 20 * 2.0) / 1e6)
    (req,) = endpoint.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["model"] == "test-model" and req["temperature"] == 0.3 and req["max_tokens"] == 512 and req["seed"] == 7
    assert req["messages"] == [m.to_dict() for m in PROMPT]
    assert endpoint.headers[0]["Authorization"] == "Bearer sk-test"


def test_missing_usage_is_estimated_and_flagged(endpoint: FakeEndpoint) -> None:
    endpoint.push(Reply(body=ok_body("def kernel(): pass", usage=False)))
    with OpenAICompatible(settings_for(endpoint)) as llm:
        c = llm.complete(PROMPT)
    assert c.usage.estimated and c.usage.prompt_tokens > 0 and c.usage.completion_tokens > 0


def test_429_with_retry_after_is_retried_after_waiting(endpoint: FakeEndpoint) -> None:
    endpoint.push(Reply(429, {"error": {"message": "rate limited"}}, {"Retry-After": "1"}))
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        time.sleep(s)

    started = time.monotonic()
    with OpenAICompatible(settings_for(endpoint), sleep=sleep) as llm:
        c = llm.complete(PROMPT)
    assert c.text and len(endpoint.requests) == 2
    assert waits == [1.0] and time.monotonic() - started >= 1.0


def test_500_twice_then_success(endpoint: FakeEndpoint) -> None:
    endpoint.push(Reply(500, "internal error"), Reply(503, "overloaded"))
    with OpenAICompatible(settings_for(endpoint)) as llm:
        c = llm.complete(PROMPT)
    assert len(endpoint.requests) == 3 and c.usage.total_tokens == 30


def test_slow_reply_times_out_then_retry_succeeds(endpoint: FakeEndpoint) -> None:
    endpoint.push(Reply(delay_s=1.0))
    with OpenAICompatible(settings_for(endpoint, timeout_s=0.3)) as llm:
        c = llm.complete(PROMPT)
    assert len(endpoint.requests) == 2 and c.text


def test_malformed_json_fails_after_retries_naming_the_cause(endpoint: FakeEndpoint) -> None:
    endpoint.default = Reply(200, "{not json at all")
    with OpenAICompatible(settings_for(endpoint, max_retries=2)) as llm, pytest.raises(LLMError) as info:
        llm.complete(PROMPT)
    message = str(info.value)
    assert "malformed JSON" in message and endpoint.url in message and "3 attempts" in message
    assert len(endpoint.requests) == 3


def test_missing_choices_is_an_error_after_retries(endpoint: FakeEndpoint) -> None:
    endpoint.default = Reply(200, {"id": "x", "choices": []})
    with OpenAICompatible(settings_for(endpoint, max_retries=1)) as llm, pytest.raises(LLMError, match="no choices"):
        llm.complete(PROMPT)
    assert len(endpoint.requests) == 2


def test_client_error_is_not_retried(endpoint: FakeEndpoint) -> None:
    endpoint.push(Reply(401, {"error": {"message": "bad key"}}))
    with OpenAICompatible(settings_for(endpoint)) as llm, pytest.raises(LLMError, match="HTTP 401.*bad key"):
        llm.complete(PROMPT)
    assert len(endpoint.requests) == 1


def test_unreachable_endpoint_names_it() -> None:
    settings = LLMSettings(base_url="http://127.0.0.1:9/v1", model="m", max_retries=1, retry_backoff_s=0.01)
    with OpenAICompatible(settings) as llm, pytest.raises(LLMError, match=r"127\.0\.0\.1:9.*connection failed"):
        llm.complete(PROMPT)


def test_concurrency_limit_is_honored(endpoint: FakeEndpoint) -> None:
    endpoint.default = Reply(delay_s=0.15)
    with OpenAICompatible(settings_for(endpoint, concurrency=2)) as llm, ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda i: llm.complete(PROMPT, sample=i), range(6)))
    assert len(results) == 6 and len(endpoint.requests) == 6
    assert endpoint.max_in_flight == 2


# --- cache ---------------------------------------------------------------------------------------


def test_cache_second_identical_call_makes_no_request(
    endpoint: FakeEndpoint, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    llm = CachedLLM(OpenAICompatible(settings_for(endpoint)), tmp_path / "cache")
    first = llm.complete(PROMPT, temperature=0.7)
    with caplog.at_level(logging.INFO, logger="hawk.llm"):
        second = llm.complete(PROMPT, temperature=0.7)
    assert len(endpoint.requests) == 1
    assert not first.cached and first.usage.cost_usd > 0
    assert second.cached and second.text == first.text and second.usage.cost_usd == 0.0
    assert second.usage.total_tokens == first.usage.total_tokens  # a rerun reports the same tokens
    assert "cache hit" in caplog.text
    # another sample index, another temperature, another prompt: each is a new request
    llm.complete(PROMPT, temperature=0.7, sample=1)
    llm.complete(PROMPT, temperature=0.2)
    llm.complete([*PROMPT, Message("user", "again")], temperature=0.7)
    assert len(endpoint.requests) == 4
    # a rerun (new process, same folder) is answered from disk
    rerun = CachedLLM(OpenAICompatible(settings_for(endpoint)), tmp_path / "cache")
    assert rerun.complete(PROMPT, temperature=0.7, sample=1).cached
    assert len(endpoint.requests) == 4 and (rerun.hits, rerun.misses) == (1, 0)
    # a different model or endpoint is a different key
    other = CachedLLM(OpenAICompatible(settings_for(endpoint, model="other")), tmp_path / "cache")
    assert not other.complete(PROMPT, temperature=0.7).cached


def test_corrupt_cache_entry_is_a_miss(endpoint: FakeEndpoint, tmp_path: Path) -> None:
    llm = CachedLLM(OpenAICompatible(settings_for(endpoint)), tmp_path / "cache")
    llm.complete(PROMPT)
    (entry,) = (tmp_path / "cache").rglob("*.json")
    entry.write_text("{truncated")
    assert not llm.complete(PROMPT).cached and len(endpoint.requests) == 2
    assert llm.complete(PROMPT).cached  # rewritten whole


def test_make_llm_cache_on_and_off(endpoint: FakeEndpoint, tmp_path: Path) -> None:
    cached = make_llm(settings_for(endpoint, cache=True, cache_dir=tmp_path / "c"))
    assert isinstance(cached, CachedLLM)
    cached.complete(PROMPT)
    assert cached.complete(PROMPT).cached and len(endpoint.requests) == 1
    uncached = make_llm(settings_for(endpoint, cache=False, cache_dir=tmp_path / "c"))
    assert isinstance(uncached, OpenAICompatible)
    assert not uncached.complete(PROMPT).cached and not uncached.complete(PROMPT).cached
    assert len(endpoint.requests) == 3


def test_cache_dir_defaults_under_hawk_cache(endpoint: FakeEndpoint, tmp_path: Path) -> None:
    llm = make_llm(settings_for(endpoint, cache=True))
    llm.complete(PROMPT)
    assert list((tmp_path / "hawk-cache" / "llm").rglob("*.json"))


def test_make_llm_reports_missing_settings() -> None:
    with pytest.raises(LLMConfigError, match="no LLM model"):
        make_llm(LLMSettings(base_url="http://localhost:8000/v1"))
    with pytest.raises(LLMConfigError, match="no LLM base URL"):
        make_llm(LLMSettings(model="m"))
    with pytest.raises(LLMConfigError, match="needs its replies"):
        make_llm(LLMSettings(provider="scripted"))


# --- exchange provider ---------------------------------------------------------------------------


def answer_when_asked(folder: Path, make: Any, suffix: str = ".json") -> threading.Thread:
    """A stand-in responder (a person or agent in real use): waits for one request, answers it."""

    def run() -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            requests = sorted((folder / "requests").glob("*.json")) if (folder / "requests").is_dir() else []
            if requests:
                request = json.loads(requests[0].read_text())
                target = folder / "responses" / f"{request['id']}{suffix}"
                tmp = target.with_name(target.name + ".tmp")
                tmp.write_text(make(request))
                tmp.rename(target)
                return
            time.sleep(0.02)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_exchange_returns_the_response_file(tmp_path: Path) -> None:
    folder = tmp_path / "xchg"
    settings = LLMSettings(provider="exchange", exchange_dir=folder, exchange_poll_s=0.02, cache=False)
    llm = make_llm(settings)
    assert isinstance(llm, ExchangeLLM)

    def respond(request: dict[str, Any]) -> str:
        assert request["protocol"] == "hawk-exchange/1" and request["sample"] == 2
        assert request["messages"][1]["content"] == "Write kernel for softmax."
        assert request["response_path"] == f"responses/{request['id']}.json"
        usage = {"prompt_tokens": 11, "completion_tokens": 5, "cost_usd": 0.01}
        return json.dumps({"content": "def kernel(): pass\n", "usage": usage, "model": "a-person"})

    thread = answer_when_asked(folder, respond)
    c = llm.complete(PROMPT, sample=2)
    thread.join()
    assert c.text == "def kernel(): pass\n" and c.provider == "exchange" and c.model == "a-person"
    assert (c.usage.prompt_tokens, c.usage.completion_tokens, c.usage.cost_usd) == (11, 5, 0.01)
    (md,) = (folder / "requests").glob("*.md")
    text = md.read_text()
    assert "## user" in text and "Write kernel for softmax." in text
    # The request says how long it is and ends with a mark, so a reader whose view is cut knows it.
    assert f"This request is {len(text.splitlines())} lines" in text
    assert text.rstrip().endswith("<!-- end of request -->")


def test_exchange_accepts_raw_text_response(tmp_path: Path) -> None:
    folder = tmp_path / "xchg"
    llm = ExchangeLLM(LLMSettings(provider="exchange", exchange_dir=folder, exchange_poll_s=0.02))
    thread = answer_when_asked(folder, lambda request: "Here:\n```python\ndef kernel(): pass\n```\n", suffix=".md")
    c = llm.complete(PROMPT)
    thread.join()
    assert c.text.startswith("Here:") and c.usage.estimated


def test_exchange_timeout_and_declined(tmp_path: Path) -> None:
    folder = tmp_path / "xchg"
    llm = ExchangeLLM(
        LLMSettings(provider="exchange", exchange_dir=folder, exchange_timeout_s=0.2, exchange_poll_s=0.02)
    )
    with pytest.raises(LLMError, match=r"exchange .*no usable response responses/.*within 0.2s"):
        llm.complete(PROMPT)
    thread = answer_when_asked(folder / "second", lambda request: json.dumps({"error": "no idea"}))
    declined = ExchangeLLM(LLMSettings(provider="exchange", exchange_dir=folder / "second", exchange_poll_s=0.02))
    with pytest.raises(LLMError, match="declined.*no idea"):
        declined.complete(PROMPT)
    thread.join()


def test_exchange_ids_distinguish_repeats_and_are_stable(tmp_path: Path) -> None:
    llm = ExchangeLLM(LLMSettings(provider="exchange", exchange_dir=tmp_path, exchange_poll_s=0.02))
    ids = [llm._next_id({"messages": ["same"]}) for _ in range(2)]
    again = ExchangeLLM(LLMSettings(provider="exchange", exchange_dir=tmp_path))._next_id({"messages": ["same"]})
    assert ids[0] != ids[1] and ids[0].endswith("-0") and ids[1].endswith("-1") and again == ids[0]


# --- scripted provider ---------------------------------------------------------------------------


def test_scripted_replays_in_order_then_fails() -> None:
    llm = make_llm(LLMSettings(provider="scripted", cache=True), replies=["one", "two"])
    assert isinstance(llm, ScriptedLLM)  # never cached: a cache would reorder the script
    assert [llm.complete(PROMPT).text for _ in range(2)] == ["one", "two"]
    c = ScriptedLLM(["x"]).complete(PROMPT)
    assert c.provider == c.model == "scripted" and c.usage.cost_usd == 0.0
    with pytest.raises(LLMError, match="scripted.*used up"):
        llm.complete(PROMPT)


# --- settings ------------------------------------------------------------------------------------


def test_settings_precedence_flags_env_file_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "llm.toml"
    config.write_text(
        'base_url = "http://file:8000/v1"\nmodel = "file-model"\ntemperature = 0.1\nconcurrency = 3\n'
        'exchange_dir = "xchg"\n[extra_body]\ntop_p = 0.9\n'
    )
    monkeypatch.setenv("HAWK_LLM_MODEL", "env-model")
    monkeypatch.setenv("HAWK_LLM_CONCURRENCY", "5")
    monkeypatch.setenv("HAWK_LLM_CACHE", "false")
    monkeypatch.setenv("HAWK_LLM_API_KEY", "sk-env")
    s = LLMSettings.load(config, model="flag-model", temperature=None, max_tokens=4096)
    assert s.model == "flag-model"  # flag beats env and file
    assert s.concurrency == 5 and s.cache is False and s.api_key == "sk-env"  # env beats file
    assert s.base_url == "http://file:8000/v1" and s.temperature == 0.1  # file; a None flag is unset
    assert s.exchange_dir == tmp_path / "xchg" and s.extra_body == {"top_p": 0.9}  # relative to the file
    assert s.max_tokens == 4096 and s.max_retries == LLMSettings().max_retries  # flag; default
    assert s.redacted()["api_key"] == "***"


def test_settings_default_file_and_llm_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = tmp_path / "config" / "hawk" / "llm.toml"
    default.parent.mkdir(parents=True)
    default.write_text('[llm]\nmodel = "from-default-file"\nprovider = "exchange"\n')
    assert LLMSettings.load().model == "from-default-file"
    other = tmp_path / "other.toml"
    other.write_text('model = "from-env-path"\n')
    monkeypatch.setenv("HAWK_LLM_CONFIG", str(other))
    assert LLMSettings.load().model == "from-env-path"


def test_settings_errors_are_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('modle = "typo"\n')
    with pytest.raises(LLMConfigError, match="unknown key.*modle"):
        LLMSettings.load(bad)
    with pytest.raises(LLMConfigError, match="does not exist"):
        LLMSettings.load(tmp_path / "missing.toml")
    with pytest.raises(LLMConfigError, match="unknown LLM setting"):
        LLMSettings.load(modle="x")
    with pytest.raises(LLMConfigError, match="unknown LLM provider"):
        LLMSettings.load(provider="gpt")
    monkeypatch.setenv("HAWK_LLM_TEMPERATURE", "warm")
    with pytest.raises(LLMConfigError, match="temperature"):
        LLMSettings.load()


# --- ledger --------------------------------------------------------------------------------------


def completion(prompt: int, out: int, cost: float, cached: bool = False) -> Completion:
    return Completion("t", Usage(prompt, out, cost), "m", "openai", cached=cached)


def test_ledger_per_task_and_run_totals() -> None:
    ledger = UsageLedger()
    ledger.record(completion(100, 50, 0.5), task="softmax")
    ledger.record(completion(10, 5, 0.05), task="softmax")
    ledger.record(completion(7, 3, 0.0, cached=True), task="gelu")
    ledger.record(completion(1, 1, 0.01))
    totals = ledger.totals()
    assert (totals.prompt_tokens, totals.completion_tokens) == (118, 59)
    assert totals.cost_usd == pytest.approx(0.56)
    tasks = ledger.per_task()
    assert (tasks["softmax"].total_tokens, tasks["softmax"].cost_usd) == (165, pytest.approx(0.55))
    assert tasks["gelu"].total_tokens == 10 and set(tasks) == {"softmax", "gelu"}
    assert ledger.calls == 4 and ledger.cache_hits == 1 and ledger.billed().total_tokens == 167
    d = ledger.to_dict()
    assert d["run"]["calls"] == 4 and d["run"]["cached_tokens"] == 10 and d["tasks"]["gelu"]["cache_hits"] == 1
    json.dumps(d)


def test_ledger_is_thread_safe() -> None:
    ledger = UsageLedger()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: ledger.record(completion(1, 2, 0.001), task=f"t{i % 4}"), range(800)))
    assert ledger.calls == 800 and ledger.totals().total_tokens == 2400
    assert all(u.total_tokens == 600 for u in ledger.per_task().values())
