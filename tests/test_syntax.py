"""Kernels of one reply are judged in threads; their parses must not overlap (python/cpython#106905
made a real-model unit die of `SystemError: AST constructor recursion depth mismatch`)."""

from __future__ import annotations

import ast
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import hawk.syntax
from hawk.syntax import parse_python


def test_parses_from_many_threads_never_overlap(monkeypatch):
    inside, most = 0, 0
    guard = threading.Lock()
    real = ast.parse

    def watched(source, filename="<unknown>", mode="exec"):
        nonlocal inside, most
        with guard:
            inside += 1
            most = max(most, inside)
        time.sleep(0.002)  # long enough for another thread to enter if nothing stops it
        with guard:
            inside -= 1
        return real(source, filename=filename, mode=mode)

    monkeypatch.setattr(hawk.syntax.ast, "parse", watched)
    with ThreadPoolExecutor(max_workers=8) as pool:
        trees = list(pool.map(lambda i: parse_python(f"x = {i}\n"), range(64)))
    assert most == 1 and [t.body[0].value.value for t in trees] == list(range(64))


def test_a_candidate_is_parsed_through_the_lock(monkeypatch):
    from hawk.targets.common import parse_candidate

    seen = []
    monkeypatch.setattr(hawk.syntax, "_LOCK", _Recording(seen))
    assert isinstance(parse_candidate("def kernel(x, out):\n    pass\n"), ast.Module) and seen == ["held"]


class _Recording:
    def __init__(self, seen: list[str]) -> None:
        self.seen = seen

    def __enter__(self):
        self.seen.append("held")

    def __exit__(self, *exc):
        return False
