from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data() -> Path:
    return DATA


def kernel_source(name: str) -> str:
    return (DATA / "kernels" / f"{name}.py").read_text()
