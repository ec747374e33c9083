"""Find the kernel in an LLM reply, or say precisely why there is none.

Models wrap code in prose, give several blocks (an old and a fixed version, a usage example),
forget the fence, or stop mid-block at max_tokens. A reply without a usable kernel is a failed
attempt with a reason the agent can record and feed back, never an exception.

Choice, in order:
1. the last fenced Python block that defines ``def <entry_point>`` (the final version);
2. else the last fenced Python block that parses (the target will say what it lacks);
3. else, with no fences, the stretch of the reply that parses as Python and defines the entry point.
An unterminated last fence is salvaged when its text parses, else the reason says "truncated".
Reasoning in ``<think>...</think>`` is dropped first: drafts there are not the answer.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

from hawk.syntax import parse_python

PYTHON_LANGS = frozenset({"", "python", "python3", "py", "py3", "pypto", "ipython"})
FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*?)[ \t]*$")
CODE_START = re.compile(r"^(import\s|from\s+\S+\s+import\s|def\s|async\s+def\s|class\s|@|#)")
MAX_UNFENCED_STARTS = 4  # candidate first lines tried for unfenced code; bounds the parsing work
MAX_UNFENCED_ENDS = 100


@dataclass
class ParsedReply:
    code: str | None  # the kernel source to evaluate; None when the reply has no usable kernel
    reason: str | None  # why there is no code ("empty reply", "no code block", ...); None when code
    blocks: int  # fenced code blocks found in the reply (any language)
    raw: str | None = None  # the rejected candidate text (for feedback), when there was one
    note: str | None = None  # how the code was found when not the plain case, e.g. salvaged

    @property
    def ok(self) -> bool:
        return self.code is not None


@dataclass
class _Block:
    lang: str
    body: str
    closed: bool

    @property
    def python(self) -> bool:
        return self.lang in PYTHON_LANGS


def extract_kernel(reply: str | None, entry_point: str = "kernel", *, finish_reason: str | None = None) -> ParsedReply:
    """The kernel source in `reply`; `finish_reason` "length" is named in reasons for truncation."""
    text = (reply or "").replace("\r\n", "\n")
    if not text.strip():
        return ParsedReply(None, "empty reply", 0)
    text, only_reasoning = _drop_reasoning(text)
    if only_reasoning:
        return _fail(ParsedReply(None, "reply is only reasoning (<think> never closed), no answer", 0), finish_reason)
    blocks = _fenced_blocks(text)
    defines = _defines(entry_point)

    python_blocks = [b for b in blocks if b.python and b.body.strip()]
    with_entry = [b for b in python_blocks if defines.search(b.body)]
    if with_entry:
        return _judge(with_entry[-1], len(blocks), entry_point, finish_reason, note=None)
    python_blocks = [b for b in python_blocks if b.lang or _parses(b.body)]  # unlabeled prose is no code
    if python_blocks:
        parsing = [b for b in python_blocks if b.closed and _parses(b.body)]
        chosen = parsing[-1] if parsing else python_blocks[-1]
        note = f"no code block defines `def {entry_point}`; took the last Python block"
        return _judge(chosen, len(blocks), entry_point, finish_reason, note=note)
    if blocks:
        langs = ", ".join(sorted({b.lang or "unlabeled" for b in blocks}))
        unfenced = _unfenced(text, defines, entry_point, len(blocks))
        if unfenced.ok:
            return unfenced
        return ParsedReply(None, f"no Python code block (found: {langs})", len(blocks))
    return _fail(_unfenced(text, defines, entry_point, 0), finish_reason)


def extract_kernels(reply: str | None, wanted: int, entry_point: str = "kernel", *,
                    finish_reason: str | None = None) -> list[ParsedReply]:  # fmt: skip
    """Up to `wanted` kernels from a reply that was asked for several (one per fenced Python block
    that defines the entry point, in the reply's order). A reply holding fewer is not an error: it
    gives what it has, and one without any gives `extract_kernel`'s single answer and reason."""
    text = (reply or "").replace("\r\n", "\n")
    text, _ = _drop_reasoning(text)
    blocks = _fenced_blocks(text)
    defines = _defines(entry_point)
    with_entry = [b for b in blocks if b.python and defines.search(b.body)]
    if len(with_entry) < 2:
        return [extract_kernel(reply, entry_point, finish_reason=finish_reason)]
    return [_judge(b, len(blocks), entry_point, finish_reason, note=f"kernel {i} of {len(with_entry)} in the reply")
            for i, b in enumerate(with_entry[:wanted], 1)]  # fmt: skip


def _defines(entry_point: str) -> re.Pattern[str]:
    """A line that defines the entry point (`def kernel(`, `async def kernel (`)."""
    return re.compile(rf"^[ \t]*(async[ \t]+)?def[ \t]+{re.escape(entry_point)}[ \t]*\(", re.MULTILINE)


def _drop_reasoning(text: str) -> tuple[str, bool]:
    """Remove <think> sections; (text, True) when nothing but unfinished reasoning is left."""
    text = re.sub(r"<think>.*?</think>", "", text, flags=re.DOTALL)
    if "</think>" in text:  # chat templates that open the tag in the prompt leave only the close
        text = text.rsplit("</think>", 1)[1]
    if "<think>" in text:
        before = text.split("<think>", 1)[0]
        return before, not before.strip()
    return text, False


def _fenced_blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = FENCE_OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        fence = m["fence"]
        lang = (m["info"].split() or [""])[0].lower().strip("{}.")
        body: list[str] = []
        closed = False
        i += 1
        while i < len(lines):
            line = lines[i]
            stripped = line.strip()
            if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
                closed = True
                break
            if line.rstrip().endswith(fence) and stripped != fence:  # code``` glued on the last line
                body.append(line.rstrip()[: -len(fence)])
                closed = True
                break
            body.append(line)
            i += 1
        i += 1
        blocks.append(_Block(lang, textwrap.dedent("\n".join(body)).strip("\n") + "\n", closed))
    return blocks


def _judge(block: _Block, n_blocks: int, entry_point: str, finish_reason: str | None, note: str | None) -> ParsedReply:
    error = _syntax_error(block.body)
    if error is None:
        if not block.closed:
            note = "; ".join(filter(None, [note, "salvaged an unterminated code block that parses"]))
        return ParsedReply(block.body, None, n_blocks, note=note)
    if not block.closed:
        return _fail(
            ParsedReply(None, "truncated code block (no closing fence)", n_blocks, raw=block.body), finish_reason
        )
    return ParsedReply(None, f"code block has syntax error at {error}", n_blocks, raw=block.body, note=note)


def _unfenced(text: str, defines: re.Pattern[str], entry_point: str, n_blocks: int) -> ParsedReply:
    """Code without fences: the widest stretch of lines that parses and defines the entry point."""
    match = defines.search(text)
    if not match:
        return ParsedReply(None, "no code block", n_blocks)
    lines = text.split("\n")
    def_line = text.count("\n", 0, match.start())
    starts = [i for i in range(def_line + 1) if CODE_START.match(lines[i])][:MAX_UNFENCED_STARTS] or [def_line]
    # Only cut where a top-level line follows: dropping part of an indented body never helps.
    ends = [e for e in range(len(lines), def_line, -1) if e == len(lines) or _top_level(lines[e])]
    for start in starts:
        for end in ends[:MAX_UNFENCED_ENDS]:
            candidate = "\n".join(lines[start:end]).strip("\n") + "\n"
            if _defines_entry(candidate, entry_point):
                note = None if (start, end) == (0, len(lines)) else "code found without fences, prose around it dropped"
                return ParsedReply(candidate, None, n_blocks, note=note)
    widest = "\n".join(lines[starts[0] :]).strip("\n") + "\n"
    return ParsedReply(None, f"unfenced code has syntax error at {_syntax_error(widest)}", n_blocks, raw=widest)


def _top_level(line: str) -> bool:
    return bool(line.strip()) and not line[0].isspace()


def _fail(parsed: ParsedReply, finish_reason: str | None) -> ParsedReply:
    if parsed.code is None and finish_reason == "length":
        parsed.reason = f"{parsed.reason}; the reply hit max_tokens"
    return parsed


def _syntax_error(source: str) -> str | None:
    try:
        parse_python(source)
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}"
    except ValueError as exc:  # e.g. null bytes
        return f"line ?: {exc}"
    except (MemoryError, RecursionError):  # nested too deeply for the parser
        return "line ?: nested too deeply to parse"
    return None


def _parses(source: str) -> bool:
    return _syntax_error(source) is None


def _defines_entry(source: str, entry_point: str) -> bool:
    try:
        tree = parse_python(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return any(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == entry_point for n in tree.body)
