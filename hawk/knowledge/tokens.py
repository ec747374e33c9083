"""Code tokens for the syntactic retrieval axis: what a kernel calls and how it tiles, not its spelling.

Identifiers, pypto API attribute names and dtypes are kept; Python keywords and one-letter names are
dropped; numbers become magnitude buckets so 128 and 256 tiles look alike but 16 and 4096 do not.
"""

from __future__ import annotations

import keyword
import math
import re

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?")
_STOP = set(keyword.kwlist) | {"self", "range", "len", "int", "float", "print", "none", "true", "false"}
_TILING = re.compile(r"tile|shape|split|loop|view|assemble", re.I)


def _bucket(number: str) -> str:
    """Power-of-two magnitude bucket: n2e7 stands for 128..255."""
    value = float(number)
    if value < 1:
        return "n0"
    return f"n2e{int(math.log2(value))}"


def code_tokens(source: str) -> str:
    """Space-separated tokens of `source` for FTS5; tiling calls also emit a `tilingcall` marker."""
    out: list[str] = []
    for tok in _TOKEN.findall(source or ""):
        if tok[0].isdigit():
            out.append(_bucket(tok))
            continue
        low = tok.lower()
        if len(tok) < 2 or low in _STOP:
            continue
        out.append(low)
        if _TILING.search(tok):
            out.append("tilingcall")
    return " ".join(out)
