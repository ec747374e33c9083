"""Hostile or broken LLM replies (hawk/llm/parse.py `extract_kernel`), with what must come out: the
kernel (containing `needle`), or no code and a reason (containing `needle`). Never an exception."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReplyCase:
    id: str
    reply: str | None
    code: bool  # a kernel must be extracted
    needle: str = ""  # in the code when `code`, else in the reason
    finish_reason: str | None = None


K1 = "import pypto\n\ndef kernel(x, out):\n    out.move(pypto.exp(x))\n"
K2 = "import pypto\n\ndef kernel(x, out):\n    out.move(pypto.abs(x))\n"
HELPER = "def helper(t):\n    return t\n"


def fence(body: str, lang: str = "python", ticks: str = "```") -> str:
    return f"{ticks}{lang}\n{body}{ticks}\n"


REPLY_CASES = [
    ReplyCase("none", None, False, "empty"),
    ReplyCase("empty", "", False, "empty"),
    ReplyCase("whitespace", " \n\t\n ", False, "empty"),
    ReplyCase("prose-only", "I cannot write this kernel, sorry.", False, ""),
    ReplyCase("prose-truncated", "Let me think about the tiling. First", False, "max_tokens", "length"),
    ReplyCase("think-unclosed", "<think>the UB is 192 KiB so", False, "reasoning"),
    ReplyCase("think-then-code", "<think>tile 16 rows</think>\n" + fence(K1), True, "pypto.exp"),
    ReplyCase("plain", fence(K1), True, "pypto.exp"),
    ReplyCase("unlabeled-fence", fence(K1, ""), True, "pypto.exp"),
    ReplyCase("tilde-fence", fence(K1, "python", "~~~"), True, "pypto.exp"),
    ReplyCase("four-backticks", fence(K1, "python", "````"), True, "pypto.exp"),
    ReplyCase("two-kernels-last-wins", fence(K1) + "\nBetter:\n" + fence(K2), True, "pypto.abs"),
    ReplyCase("kernel-then-helper", fence(K1) + fence(HELPER), True, "pypto.exp"),
    ReplyCase("helper-only", fence(HELPER), True, "helper"),  # taken, with a note; the static check refuses it
    ReplyCase("cpp-block-only", fence("int main() { return 0; }\n", "cpp"), False, "no Python code block"),
    ReplyCase("bash-block-only", fence("rm -rf /\n", "bash"), False, "no Python code block"),
    ReplyCase("json-block-only", fence('{"kernel": 1}\n', "json"), False, "no Python code block"),
    ReplyCase("unfenced-kernel", "Here it is:\n\n" + K1, True, "pypto.exp"),
    ReplyCase("truncated-fence", "```python\n" + K1[:-12], False, "", "length"),
    # Cut where the rest still parses: taken (nothing says it was cut); running it fails on the NameError.
    ReplyCase("truncated-fence-no-reason", "```python\n" + K1[:40], True, "def kernel"),
    ReplyCase("syntax-error-block", fence("def kernel(x, out:\n    pass\n"), False, "syntax"),
    ReplyCase("binary-garbage", "\x00\x01\x02\xff\ufffd" * 50, False, ""),
    ReplyCase("null-bytes-in-code", fence(K1 + "\x00"), False, ""),
    ReplyCase("lone-surrogate", fence(K1 + "# \ud800\n"), False, "utf-8"),  # cannot be written as a file
    ReplyCase("huge-prose", "blah " * 200_000, False, ""),
    ReplyCase("huge-many-blocks", fence(HELPER) * 2000 + fence(K1), True, "pypto.exp"),
    ReplyCase("deep-nesting", fence("x = " + "-" * 100000 + "1\n" + K1), False, ""),
    ReplyCase("crlf", fence(K1).replace("\n", "\r\n"), True, "pypto.exp"),
    ReplyCase("fence-in-string", fence(K1 + 's = "```"\n'), True, "pypto.exp"),
    ReplyCase("indented-fence", "  ```python\n  " + K1.replace("\n", "\n  ") + "```\n", True, "pypto.exp"),
    ReplyCase("async-kernel", fence("async def kernel(x, out):\n    pass\n"), True, "async def kernel"),
    ReplyCase("diff-block", fence("-    out.move(x)\n+    out.move(pypto.exp(x))\n", "diff"), False, ""),
    ReplyCase("only-backticks", "```\n```\n```", False, ""),
    ReplyCase("html", "<html><script>alert(1)</script></html>", False, ""),
]
