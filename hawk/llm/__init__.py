"""The LLM layer: OpenAI-compatible endpoints, a file exchange, a script; cache, accounting, parsing.

Typical use::

    settings = LLMSettings.load(model="qwen", base_url="http://localhost:8000/v1")  # flags override
    llm = make_llm(settings)
    completion = llm.complete([Message("user", prompt)], sample=0)
    ledger.record(completion, task="l1_softmax_fp32")
    parsed = extract_kernel(completion.text, finish_reason=completion.finish_reason)
"""

from hawk.llm.base import LLM, Completion, LLMConfigError, LLMError, Message, Usage
from hawk.llm.cache import CachedLLM
from hawk.llm.exchange import ExchangeLLM
from hawk.llm.factory import make_llm
from hawk.llm.ledger import CallRecord, UsageLedger
from hawk.llm.openai_compat import OpenAICompatible
from hawk.llm.parse import ParsedReply, extract_kernel, extract_kernels
from hawk.llm.scripted import ScriptedLLM
from hawk.llm.settings import LLMSettings

__all__ = [
    "LLM",
    "CallRecord",
    "CachedLLM",
    "Completion",
    "ExchangeLLM",
    "LLMConfigError",
    "LLMError",
    "LLMSettings",
    "Message",
    "OpenAICompatible",
    "ParsedReply",
    "ScriptedLLM",
    "Usage",
    "UsageLedger",
    "extract_kernel",
    "extract_kernels",
    "make_llm",
]
