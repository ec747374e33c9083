"""Which model to ask and how: flags > HAWK_LLM_* environment > TOML config file > defaults.

One frozen record, built once per run, so every layer (provider, cache, ledger) sees the same
values and a report can say exactly what was used (with the key redacted).
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
import types
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from hawk.llm.base import LLMConfigError

ENV_PREFIX = "HAWK_LLM_"
PROVIDERS = ("openai", "exchange", "scripted")


@dataclass(frozen=True)
class LLMSettings:
    provider: str = "openai"  # "openai" (any OpenAI-compatible endpoint) | "exchange" | "scripted"
    base_url: str | None = None  # e.g. https://api.openai.com/v1, http://localhost:8000/v1 (vLLM)
    api_key: str | None = None  # sent as "Authorization: Bearer"; local servers need none
    model: str | None = None
    temperature: float | None = None  # None: the endpoint's default
    max_tokens: int | None = None  # None: the endpoint's default
    timeout_s: float = 600.0  # per HTTP request; long kernels with reasoning take minutes
    max_retries: int = 4  # retries after the first attempt, on 429/5xx/timeouts/bad bodies
    retry_backoff_s: float = 1.0  # first backoff; doubles per retry, with jitter
    retry_backoff_max_s: float = 60.0
    concurrency: int = 4  # requests in flight at once, per provider instance
    price_prompt_per_mtok: float = 0.0  # USD per million prompt tokens
    price_completion_per_mtok: float = 0.0  # USD per million completion tokens
    extra_body: dict[str, Any] = field(default_factory=dict)  # merged into each request body
    exchange_dir: Path = Path("hawk-exchange")
    exchange_timeout_s: float = 3600.0  # a person may take a while
    exchange_poll_s: float = 0.5
    cache: bool = True
    cache_dir: Path | None = None  # None: <hawk cache dir>/llm

    @classmethod
    def load(cls, config_file: Path | None = None, **overrides: Any) -> LLMSettings:
        """Merge the four sources. An override of None means "flag not given" and is ignored.

        `config_file` None: $HAWK_LLM_CONFIG, else ~/.config/hawk/llm.toml when it exists.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise LLMConfigError(f"unknown LLM setting(s): {', '.join(unknown)}")
        values: dict[str, Any] = {}
        path = config_file or _default_config_file()
        if path is not None:
            values.update(_read_config_file(Path(path), known))
        values.update(_read_env(known))
        values.update({k: v for k, v in overrides.items() if v is not None})
        hints = get_type_hints(cls)
        coerced = {k: _coerce(k, v, hints[k]) for k, v in values.items()}
        settings = cls(**coerced)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.provider not in PROVIDERS:
            raise LLMConfigError(f"unknown LLM provider {self.provider!r}; choose one of {', '.join(PROVIDERS)}")
        if self.concurrency < 1:
            raise LLMConfigError(f"concurrency must be >= 1, got {self.concurrency}")
        if self.max_retries < 0:
            raise LLMConfigError(f"max_retries must be >= 0, got {self.max_retries}")
        for name in ("timeout_s", "exchange_timeout_s", "exchange_poll_s"):
            if getattr(self, name) <= 0:
                raise LLMConfigError(f"{name} must be > 0, got {getattr(self, name)}")

    def replace(self, **changes: Any) -> LLMSettings:
        return dataclasses.replace(self, **changes)

    def resolved_cache_dir(self) -> Path:
        if self.cache_dir is not None:
            return self.cache_dir
        from hawk.config import cache_dir

        return cache_dir() / "llm"

    def redacted(self) -> dict[str, Any]:
        """The settings for logs and run reports; never the key itself."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["api_key"] = "***" if self.api_key else None
        return {k: str(v) if isinstance(v, Path) else v for k, v in d.items()}


def _default_config_file() -> Path | None:
    explicit = os.environ.get("HAWK_LLM_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    path = base / "hawk" / "llm.toml"
    return path if path.is_file() else None


def _read_config_file(path: Path, known: set[str]) -> dict[str, Any]:
    """Flat keys named like the settings fields, or the same keys under an [llm] table."""
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise LLMConfigError(f"LLM config file {path} does not exist") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LLMConfigError(f"LLM config file {path}: {exc}") from None
    if isinstance(data.get("llm"), dict):
        data = data["llm"]
    unknown = sorted(set(data) - known)
    if unknown:
        raise LLMConfigError(f"LLM config file {path}: unknown key(s) {', '.join(unknown)}")
    for key in ("exchange_dir", "cache_dir"):  # relative paths mean: next to the config file
        if key in data:
            p = Path(str(data[key])).expanduser()
            data[key] = p if p.is_absolute() else path.parent / p
    return data


def _read_env(known: set[str]) -> dict[str, str]:
    out = {}
    for name in known:
        value = os.environ.get(ENV_PREFIX + name.upper())
        if value is not None and value.strip() != "":
            out[name] = value
    return out


def _coerce(name: str, value: Any, hint: Any) -> Any:
    """Turn strings from the environment (and loose TOML values) into the field's type."""
    if get_origin(hint) in (Union, types.UnionType):
        hint = next(a for a in get_args(hint) if a is not type(None))
    target = get_origin(hint) or hint
    try:
        if target is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"not a boolean: {value!r}")
        if target is dict:
            parsed = json.loads(value) if isinstance(value, str) else value
            if not isinstance(parsed, dict):
                raise ValueError("expected a table / JSON object")
            return parsed
        if target is Path:
            return Path(str(value)).expanduser()
        if target is int and isinstance(value, float) and not value.is_integer():
            raise ValueError(f"not an integer: {value!r}")
        return target(value)
    except (TypeError, ValueError) as exc:
        raise LLMConfigError(f"LLM setting {name}: {exc}") from None
