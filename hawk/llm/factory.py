"""Build the configured provider, wrapped in the response cache when caching is on."""

from __future__ import annotations

from hawk.llm.base import LLM, LLMConfigError
from hawk.llm.cache import CachedLLM
from hawk.llm.exchange import ExchangeLLM
from hawk.llm.openai_compat import OpenAICompatible
from hawk.llm.scripted import ScriptedLLM
from hawk.llm.settings import LLMSettings


def make_llm(settings: LLMSettings, replies: list[str] | None = None) -> LLM:
    """The LLM a run asks. `replies` feeds the scripted provider (demo, tests) and is required by it.

    The scripted provider is never cached: it is already free and deterministic, and a cache would
    answer a repeated prompt with an old reply instead of the script's next one.
    """
    llm: LLM
    if settings.provider == "openai":
        llm = OpenAICompatible(settings)
    elif settings.provider == "exchange":
        llm = ExchangeLLM(settings)
    elif settings.provider == "scripted":
        if replies is None:
            raise LLMConfigError("the scripted provider needs its replies (only `hawk demo` and tests use it)")
        return ScriptedLLM(replies)
    else:
        raise LLMConfigError(f"unknown LLM provider {settings.provider!r}")
    if settings.cache:
        return CachedLLM(llm, settings.resolved_cache_dir())
    return llm
