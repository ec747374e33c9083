"""Helpers shared by the targets: static-check findings, source lines, scratch names, result files.

(The worker scripts keep their own small result writers: they run inside side environments that
import nothing of Hawk's.)"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

from hawk.syntax import parse_python
from hawk.targets.verdict import ErrorContext, SourceLine, Status


@dataclass
class Finding:
    """What a static check found before anything ran: the verdict status and its error."""

    status: Status
    error: ErrorContext


def source_lines(source: str, linenos: list[int]) -> list[SourceLine]:
    """Lines `linenos` of `source` (1-based, each once, in order given); out-of-range ones are skipped."""
    lines = source.splitlines()
    return [SourceLine(n, lines[n - 1]) for n in dict.fromkeys(linenos) if 1 <= n <= len(lines)]


def source_line(source: str, lineno: int) -> list[SourceLine]:
    return source_lines(source, [lineno])


def slug(text: str) -> str:
    """A task id made safe for a directory name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:60]


def read_json(path: Path) -> dict:
    """A worker's result file, or {} when it never got written (the worker died first)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def invalid(kind: str, message: str, source: str, node: ast.AST | None) -> Finding:
    """An `invalid` finding pointing at `node`'s line (cheating, or a broken contract)."""
    lineno = getattr(node, "lineno", 0) if node is not None else 0
    return Finding(Status.INVALID, ErrorContext(kind=kind, message=message, lines=source_line(source, lineno)))


def parse_candidate(source: str, filename: str = "kernel.py") -> ast.Module | Finding:
    """The candidate's syntax tree, or the finding for an empty file or a syntax error (with its line)."""
    if not source.strip():
        return invalid("contract", "the candidate is empty", source, None)
    try:
        return parse_python(source, filename=filename)
    except SyntaxError as exc:
        lineno = exc.lineno or 0
        msg = f"syntax error at line {lineno}: {exc.msg}"
        return Finding(
            Status.COMPILE_ERROR, ErrorContext(kind="syntax", message=msg, lines=source_line(source, lineno))
        )
    except (MemoryError, RecursionError):  # nesting deep enough to exhaust the parser (e.g. 100000 unary minuses)
        return invalid("contract", "the candidate is nested too deeply for Python's parser", source, None)
