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
