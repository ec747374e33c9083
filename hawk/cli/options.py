"""Command-line options that several `hawk` commands share, each declared once.

One name per concept across commands: `--kb` is the knowledge store everywhere (`--db`, the old
spelling of `hawk kb`, still works), `--task`, `--target`, `--seeds`, `--timeout` and `--corpus`
mean the same in every command that takes them. Options that travel together (the LLM settings,
the generation loop's search budget) are added to a command by a decorator, `llm_options` /
`search_options`, which hands the command one record instead of nine or seven arguments.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any

import typer

from hawk.tune import TUNE_BUDGET

# ---------------------------------------------------------------- single options
Target = Annotated[str, typer.Option("--target", help="hardware target (hawk targets lists them)")]
TaskRef = Annotated[str, typer.Option("--task", help="suite task id or path of a KernelBench-format task file")]
Seeds = Annotated[int, typer.Option("--seeds", min=1, help="random input seeds per evaluation; all must pass")]
Timeout = Annotated[
    float,
    typer.Option("--timeout", "--eval-timeout", help="wall-clock seconds per evaluation (--eval-timeout: old name)"),
]
Corpus = Annotated[Path | None, typer.Option("--corpus", help="kernels to transplant from (method transplant)")]
Kb = Annotated[
    Path | None,
    typer.Option(
        "--kb", "--db",
        help="knowledge store file (default ~/.cache/hawk/knowledge.db; hawk bench: RUN_DIR/knowledge.sqlite); "
        "--db is the old spelling",
    ),
]  # fmt: skip
NoBaseKb = Annotated[
    bool, typer.Option("--no-base-kb", help="method hawk: without the base layer of knowledge shipped with Hawk")
]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON (for scripts) instead of a table")]


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


# ---------------------------------------------------------------- option groups
@dataclass
class LlmArgs:
    """The LLM options as given on the command line (None: from the config file, env or defaults)."""

    provider: Annotated[str | None, typer.Option(help="openai, exchange")] = None
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible base URL")] = None
    model: Annotated[str | None, typer.Option(help="model name at the endpoint")] = None
    api_key: Annotated[str | None, typer.Option(help="API key (or HAWK_LLM_API_KEY)")] = None
    temperature: Annotated[float | None, typer.Option()] = None
    max_tokens: Annotated[int | None, typer.Option(help="per reply")] = None
    exchange_dir: Annotated[Path | None, typer.Option(help="folder for the exchange provider")] = None
    llm_config: Annotated[Path | None, typer.Option(help="TOML file with LLM settings")] = None
    no_cache: Annotated[bool, typer.Option("--no-cache", help="always ask the model")] = False

    def settings(self):
        """The LLMSettings these options select (raises LLMError when they are wrong)."""
        from hawk.llm import LLMSettings

        return LLMSettings.load(
            config_file=self.llm_config, provider=self.provider, base_url=self.base_url, model=self.model,
            api_key=self.api_key, temperature=self.temperature, max_tokens=self.max_tokens,
            exchange_dir=self.exchange_dir, cache=False if self.no_cache else None,
        )  # fmt: skip


@dataclass
class SearchArgs:
    """The generation loop's search budget (hawk.agent.loop.Budget), per unit in `hawk bench`."""

    iterations: Annotated[int, typer.Option(min=1, help="LLM calls at most")] = 5
    token_budget: Annotated[int | None, typer.Option("--token-budget", help="stop after this many tokens")] = None
    wall_budget: Annotated[float | None, typer.Option("--wall-budget", help="stop after this many seconds")] = None
    tune_budget: Annotated[
        int, typer.Option("--tune-budget", min=0, help="tuner points simulated per new correct kernel (0: no tuning)")
    ] = TUNE_BUDGET
    tune_workers: Annotated[
        int, typer.Option("--tune-workers", min=1, help="points the tuner simulates in parallel")
    ] = 2
    candidates: Annotated[
        int, typer.Option("--candidates", min=1, help="samples per step, judged in parallel; best kept")
    ] = 1
    variants: Annotated[
        int,
        typer.Option(
            "--variants",
            min=1,
            help="kernels asked for in one optimize reply (the best refined + "
            "structurally different ones), all judged, fastest kept",
        ),
    ] = 1
    roofline_stop: Annotated[
        float, typer.Option("--roofline-stop", min=0.0, help="stop once best/roofline <= this (0: never stop early)")
    ] = 1.2
    search: Annotated[
        str,
        typer.Option(
            "--search",
            help="chain: rewrite the best kernel; population: keep kernels of distinct "
            "structure, rewrite the one UCB1 picks (docs/tuning.md)",
        ),
    ] = "chain"
    population: Annotated[
        int, typer.Option("--population", min=1, help="with --search population: structures kept")
    ] = 4

    def budget(self):
        """The Budget that generate and bench record and run with."""
        from hawk.agent.loop import Budget

        return Budget(self.iterations, self.token_budget, self.wall_budget, tune_budget=self.tune_budget,
                      tune_workers=self.tune_workers, candidates=self.candidates,
                      variants=self.variants, roofline_stop=self.roofline_stop or None, search=self.search,
                      population=self.population)  # fmt: skip


@dataclass
class BenchArgs:
    """How `hawk bench` runs its units, and what it writes beside them."""

    samples: Annotated[int, typer.Option(min=1, help="independent samples per (method, task): pass@k")] = 1
    tasks: Annotated[str | None, typer.Option(help="comma-separated subset of the suite's task ids")] = None
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="units in parallel, one evaluation slot each (default 1; with --ray: every slot)"),
    ] = None
    ray: Annotated[str | None, typer.Option("--ray", help="Ray address ('auto', 'ray://host:10001'), or 'local'")] = (
        None
    )
    experts: Annotated[bool, typer.Option(help="judge each task's expert kernel once (speedup over expert)")] = True
    swimlane: Annotated[bool, typer.Option(help="draw the best kernel's swimlane per correct unit")] = False
    ablate_knowledge: Annotated[
        bool,
        typer.Option(
            "--ablate-knowledge",
            help="method hawk: withhold a random half of each step's retrieved "
            "items (recorded); the report gives outcome rates with and without each item",
        ),
    ] = False
    report: Annotated[bool, typer.Option(help="render the report at the end")] = True


def _group_decorator(group: type, into: str):
    """A decorator that adds `group`'s fields to a typer command as options (after the command's
    own) and calls the command with one `group` record as `into` instead."""
    group_params = [
        inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=hint)
        for f, hint in zip(fields(group), _hints(group), strict=True)
    ]
    names = [p.name for p in group_params]

    def decorate(command):
        signature = inspect.signature(command, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name != into]

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any):
            record = group(**{n: kwargs.pop(n) for n in names})
            return command(*args, **{into: record}, **kwargs)

        wrapper.__signature__ = signature.replace(parameters=[*own, *group_params])
        wrapper.__annotations__ = {p.name: p.annotation for p in wrapper.__signature__.parameters.values()}
        return wrapper

    return decorate


def _hints(group: type) -> list[Any]:
    import typing

    hints = typing.get_type_hints(group, include_extras=True)
    return [hints[f.name] for f in fields(group)]


llm_options = _group_decorator(LlmArgs, "llm")
search_options = _group_decorator(SearchArgs, "search")
bench_options = _group_decorator(BenchArgs, "run")
