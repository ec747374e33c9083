from __future__ import annotations

import os
from pathlib import Path

import pytest

# The knowledge layer shipped with Hawk stays out of tests that do not ask for it (their retrievals
# and prompts are exact); tests of the base layer pass its file explicitly. Child processes inherit it.
os.environ.setdefault("HAWK_BASE_KB", "0")

from hawk.agent.demo import TASK_FILE as EXP_TASK_FILE  # exp(x) * y + x, 256 x 512 fp32: shared with `hawk demo`

DATA = Path(__file__).parent / "data"
__all__ = ["DATA", "EXP_TASK_FILE", "kernel_source"]


@pytest.fixture
def data() -> Path:
    return DATA


def kernel_source(name: str) -> str:
    return (DATA / "kernels" / f"{name}.py").read_text()


@pytest.fixture
def endpoint():
    """A scripted OpenAI-compatible endpoint on 127.0.0.1 for one test (tests/scripted_endpoint.py)."""
    from .scripted_endpoint import running_endpoint

    with running_endpoint() as fake:
        yield fake
