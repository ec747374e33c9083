"""Command-line options that several `hawk` commands share (the LLM settings), declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Provider = Annotated[str | None, typer.Option(help="openai, exchange")]
BaseUrl = Annotated[str | None, typer.Option(help="OpenAI-compatible base URL")]
Model = Annotated[str | None, typer.Option()]
ApiKey = Annotated[str | None, typer.Option()]
Temperature = Annotated[float | None, typer.Option()]
MaxTokens = Annotated[int | None, typer.Option(help="per reply")]
ExchangeDir = Annotated[Path | None, typer.Option(help="folder for the exchange provider")]
LlmConfig = Annotated[Path | None, typer.Option(help="TOML file with LLM settings")]
NoCache = Annotated[bool, typer.Option("--no-cache", help="always ask the model")]

# The generation loop's search settings (hawk.agent.loop.Budget), shared by generate and bench.
TuneBudget = Annotated[
    int, typer.Option("--tune-budget", min=0, help="tuner points simulated per new correct kernel (0: no tuning)")
]
TuneWorkers = Annotated[int, typer.Option("--tune-workers", min=1, help="points the tuner simulates in parallel")]
Candidates = Annotated[int, typer.Option("--candidates", min=1, help="samples per step, judged in parallel; best kept")]
RooflineStop = Annotated[
    float, typer.Option("--roofline-stop", min=0.0, help="stop once best/roofline <= this (0: never stop early)")
]


# A KernelBench-format folder as a suite (hawk/tasks/kernelbench.py), shared by tasks and bench.
TasksDir = Annotated[
    Path | None,
    typer.Option("--dir", "--tasks-dir", help="a KernelBench checkout or folder of KernelBench-format files "
                 "(level1/, level2/, ...)"),
]  # fmt: skip
Levels = Annotated[str | None, typer.Option("--levels", help="with --dir: comma-separated levels, e.g. 1 or 1,2")]
Only = Annotated[
    str | None,
    typer.Option(
        "--only", help="with --dir: comma-separated id patterns (`*conv*`, `kb1_4?_*`) or task numbers (`19`)"
    ),
]
ShapeOverrides = Annotated[
    Path | None,
    typer.Option("--shape-overrides", help="with --dir: TOML of per-task shapes (default: DIR/hawk-shapes.toml)"),
]


def csv_ints(text: str | None, what: str) -> list[int] | None:
    """`1,2` -> [1, 2]; None stays None."""
    if not text:
        return None
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"{what} takes comma-separated integers, got {text!r}") from None


def csv(text: str | None) -> list[str] | None:
    return [x.strip() for x in text.split(",") if x.strip()] if text else None


def search_budget(iterations, max_tokens_budget, wall_s, tune_budget, tune_workers, candidates, roofline_stop):
    """The Budget that generate and bench record and run with."""
    from hawk.agent.loop import Budget

    return Budget(iterations, max_tokens_budget, wall_s, tune_points=tune_budget, tune_workers=tune_workers,
                  candidates=candidates, roofline_stop=roofline_stop or None)  # fmt: skip
