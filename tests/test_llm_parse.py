"""Replies as models really write them: the kernel is found, or the reason is precise; never a crash."""

from __future__ import annotations

import pytest

from hawk.llm import extract_kernel

KERNEL = """import pypto


def kernel(x: pypto.Tensor([8, 8], pypto.DT_FP32), out: pypto.Tensor([8, 8], pypto.DT_FP32)):
    out.move(pypto.exp(x))
"""


def fenced(code: str, lang: str = "python") -> str:
    return f"```{lang}\n{code}```"


def test_single_fenced_block() -> None:
    p = extract_kernel(fenced(KERNEL))
    assert p.ok and p.code == KERNEL and p.reason is None and p.blocks == 1 and p.note is None


def test_unfenced_whole_reply() -> None:
    p = extract_kernel(KERNEL)
    assert p.code == KERNEL and p.blocks == 0 and p.note is None


def test_unfenced_with_prose_around() -> None:
    reply = f"Sure! Here is the kernel.\n\n{KERNEL}\nIt computes exp on UB tiles. Let me know if it helps."
    p = extract_kernel(reply)
    assert p.code == KERNEL and "prose" in (p.note or "")


def test_prose_and_several_blocks_prefer_the_last_kernel() -> None:
    old = KERNEL.replace("pypto.exp(x)", "x")
    reply = (
        "The original version:\n"
        + fenced(old)
        + "\nRun it like this:\n"
        + fenced("python run.py --task softmax\n", "bash")
        + "\nThe fixed version:\n"
        + fenced(KERNEL)
        + "\nA usage example:\n"
        + fenced("kernel(x, out)\n")
        + "\nDone."
    )
    p = extract_kernel(reply)
    assert p.code == KERNEL and p.blocks == 4


def test_no_kernel_block_takes_last_python_block() -> None:
    reply = fenced("def helper():\n    return 1\n") + "\n" + fenced("def other(x):\n    return x\n", "py")
    p = extract_kernel(reply)
    assert p.code == "def other(x):\n    return x\n" and "last Python block" in (p.note or "")


def test_entry_point_name_is_configurable() -> None:
    p = extract_kernel(fenced(KERNEL.replace("def kernel", "def my_op")), entry_point="my_op")
    assert p.code and "def my_op" in p.code and p.note is None


@pytest.mark.parametrize("reply", ["", "   \n\t ", None])
def test_empty_reply(reply: str | None) -> None:
    p = extract_kernel(reply)  # type: ignore[arg-type]
    assert p.code is None and p.reason == "empty reply" and p.blocks == 0


def test_prose_only_reply() -> None:
    p = extract_kernel("I cannot write this kernel because the shapes are unknown.")
    assert p.code is None and p.reason == "no code block"


def test_only_other_languages() -> None:
    p = extract_kernel("Build with:\n```bash\nmake -j\n```\n```cpp\nint main() {}\n```")
    assert p.code is None and p.reason == "no Python code block (found: bash, cpp)" and p.blocks == 2


def test_truncated_block_that_does_not_parse() -> None:
    reply = "Here is the kernel:\n```python\n" + KERNEL + "\ndef kernel2(x):\n    for i in range("
    p = extract_kernel(reply, finish_reason="length")
    assert p.code is None and p.reason is not None
    assert p.reason.startswith("truncated code block (no closing fence)") and "max_tokens" in p.reason
    assert p.raw and "def kernel(" in p.raw


def test_truncated_block_that_parses_is_salvaged() -> None:
    p = extract_kernel("Here:\n```python\n" + KERNEL)
    assert p.code == KERNEL and "salvaged" in (p.note or "")


def test_syntax_error_names_the_line() -> None:
    broken = KERNEL.replace("out.move(pypto.exp(x))", "out.move(pypto.exp(x)")
    p = extract_kernel("Try this:\n" + fenced(broken))
    assert p.code is None and p.reason is not None
    assert p.reason.startswith("code block has syntax error at line 5") and p.raw == broken


def test_unfenced_syntax_error() -> None:
    p = extract_kernel("def kernel(x, out)\n    out.move(x)\n")
    assert p.code is None and (p.reason or "").startswith("unfenced code has syntax error at line 1")


def test_reasoning_is_dropped() -> None:
    draft = fenced(KERNEL.replace("pypto.exp(x)", "x"))
    p = extract_kernel(f"<think>Maybe:\n{draft}\nNo, use exp.</think>\n\nFinal:\n{fenced(KERNEL)}")
    assert p.code == KERNEL
    p = extract_kernel(f"reasoning from the template...\n{draft}\n</think>\n{fenced(KERNEL)}")
    assert p.code == KERNEL
    p = extract_kernel(f"<think>Let me think about tiling {draft} and then", finish_reason="length")
    assert p.code is None and "only reasoning" in (p.reason or "") and "max_tokens" in (p.reason or "")


def test_fence_variants() -> None:
    assert extract_kernel("~~~python\n" + KERNEL + "~~~\n").code == KERNEL
    assert extract_kernel("````py\n" + KERNEL + "````").code == KERNEL
    assert extract_kernel("```\n" + KERNEL + "```").code == KERNEL  # unlabeled
    assert extract_kernel("1. The kernel:\n   ```python\n" + _indent(KERNEL) + "   ```\n").code == KERNEL
    assert extract_kernel("```python\n" + KERNEL.rstrip("\n") + "```").code == KERNEL  # glued closing fence
    assert extract_kernel("```python\r\n" + KERNEL.replace("\n", "\r\n") + "```\r\n").code == KERNEL


def test_unlabeled_prose_block_is_not_code() -> None:
    p = extract_kernel("Output:\n```\nmax diff 0.001, all seeds pass\n```")
    assert p.code is None and p.reason == "no Python code block (found: unlabeled)"


@pytest.mark.timeout(60)  # a hang guard (catastrophic regex backtracking), not a speed goal
def test_many_lines_of_prose_around_the_kernel() -> None:
    reply = "\n".join(f"Note {i}: tiles must fit in UB." for i in range(2000)) + "\n" + KERNEL + "\nThe end.\n"
    assert extract_kernel(reply).code == KERNEL


def _indent(text: str) -> str:
    return "".join("   " + line if line.strip() else line for line in text.splitlines(keepends=True))
