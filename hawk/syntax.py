"""`ast.parse` under one lock.

Hawk judges the kernels of one reply in threads (`--variants`, `--candidates`), and each judge parses
its candidate. CPython 3.11's AST constructor keeps a recursion-depth counter in interpreter-wide
state, so two parses at once can fail with `SystemError: AST constructor recursion depth mismatch`
(python/cpython#106905): a real-model unit died of it. Parsing a kernel takes microseconds, so one
lock costs nothing.
"""

from __future__ import annotations

import ast
import threading

_LOCK = threading.Lock()


def parse_python(source: str, filename: str = "<unknown>", mode: str = "exec") -> ast.AST:
    """`ast.parse(source, filename, mode)`, one parse at a time in this process."""
    with _LOCK:
        return ast.parse(source, filename=filename, mode=mode)
