"""One scrubber for text that leaves Hawk's tools: verdict messages, knowledge triggers, MCP replies.

Tool output (pypto's logs, a compiler's diagnostics, a child's traceback) carries terminal colour
codes, the scratch directory of the evaluation it came from, and now and then an environment value
that is a secret. None of that helps a reader, a model or retrieval (an ANSI code or a random
directory name inside a trigger makes two equal errors look different), and a secret must never
leave the machine. `scrub` removes the three; it never rewrites anything else, so kernel lines
and hardware reasons keep their meaning.

Below every layer (like `hawk.config`): targets, knowledge and the MCP server all use it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from hawk import config

# CSI sequences (colours, cursor moves: ESC [ ... final byte), OSC sequences (titles, links:
# ESC ] ... BEL or ESC \), the two-byte escapes (ESC 7, ESC c, ...); a lone ESC or stray BEL/backspace too.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[0-~]?|[\x07\x08]")
# Any Hawk scratch directory, whatever the user's home: `<...>/.cache/hawk/scratch/<one evaluation>`.
_ANY_SCRATCH = re.compile(r"(?:~|(?<![\w.~-])/[^\s'\"`:,;()<>]*?)/\.cache/hawk/scratch/[^\s/'\"`:,;()<>]+")
# API keys by their look (OpenAI, Anthropic, GitHub, Hugging Face), wherever they come from.
_KEY_LIKE = re.compile(r"\b(?:sk|pk|rk|ghp|gho|hf)[-_][A-Za-z0-9_-]{16,}\b")
# Environment variables whose values are secrets.
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL", re.I)
_MIN_SECRET_LEN = 8  # shorter values ("1", "true") would mask ordinary words
MASK = "***"
SCRATCH = "<scratch>"


def is_secret_name(name: str) -> bool:
    """Whether an environment variable's value is a secret (API keys, tokens, passwords)."""
    return bool(_SECRET_NAME.search(name))


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of the secret-named variables of `environ` (default: this process's), longest first
    (so a secret that contains another is masked whole)."""
    env = os.environ if environ is None else environ
    values = {v for k, v in env.items() if is_secret_name(k) and len(v) >= _MIN_SECRET_LEN}
    return sorted(values, key=len, reverse=True)


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def mask_secrets(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return _KEY_LIKE.sub(MASK, text)


@dataclass(frozen=True)
class Scrubber:
    """What to remove: the secrets to mask and the scratch roots whose evaluation folders become
    `<scratch>` (a path below one keeps its tail: `<scratch>/candidate.py:10:4`)."""

    secrets: tuple[str, ...]
    scratch_roots: tuple[str, ...]

    @classmethod
    def here(cls, environ: Mapping[str, str] | None = None) -> Scrubber:
        """This process's secrets and scratch root (read now: the environment may have changed)."""
        root = str(config.scratch_root())
        home = os.path.expanduser("~")
        roots = [root] + ([root.replace(home, "~", 1)] if home not in ("", "/") and root.startswith(home) else [])
        return cls(tuple(secret_values(environ)), tuple(roots))

    def text(self, text: str) -> str:
        text = strip_ansi(text)
        text = mask_secrets(text, list(self.secrets))
        for root in self.scratch_roots:  # `<root>/<evaluation folder>` -> <scratch>
            text = re.sub(re.escape(root.rstrip("/")) + r"/[^\s/'\"`:,;()<>]+", SCRATCH, text)
        return _ANY_SCRATCH.sub(SCRATCH, text)


def scrub(text: str | None) -> str | None:
    """`text` without ANSI codes, scratch paths (-> `<scratch>`) and secrets (-> `***`); None stays None."""
    if text is None:
        return None
    return Scrubber.here().text(text)
