"""The snippet-transplant baseline's retrieval: the most similar existing kernel by code similarity.

The corpus is a folder of kernel files the user points to (e.g. earlier successful kernels of other
tasks). A kernel `name.py` may have its task beside it as `name.task.py`; then task is compared with
task, otherwise the task's reference code is compared with the kernel's code. Similarity is the
Jaccard index of identifier sets: the plain textual retrieval that Hawk's paper shows failing at
run time, kept deliberately naive.
"""

from __future__ import annotations

import re
from pathlib import Path

_IDENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def _tokens(text: str) -> set[str]:
    return {t.lower() for t in _IDENT.findall(text)}


def retrieve(corpus: Path, task_source: str, exclude: str | None = None) -> tuple[Path, float] | None:
    """The best-matching kernel file and its score, or None for an empty corpus."""
    query = _tokens(task_source)
    best: tuple[Path, float] | None = None
    for kernel in sorted(Path(corpus).glob("*.py")):
        if kernel.name.endswith(".task.py") or (exclude and kernel.stem == exclude):
            continue
        task_file = kernel.with_name(kernel.stem + ".task.py")
        other = _tokens(task_file.read_text() if task_file.exists() else kernel.read_text())
        score = len(query & other) / max(1, len(query | other))
        if best is None or score > best[1]:
            best = (kernel, score)
    return best
