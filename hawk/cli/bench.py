"""`hawk bench` and `hawk report`: benchmark runs at scale and their reports (registered in main.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hawk.cli import options as opt
from hawk.tune import TUNE_BUDGET

console = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def bench_cmd(
    suite: Annotated[str, typer.Option(help="suite name, or a directory with suite.toml, tasks/ and experts/")],
    out: Annotated[Path, typer.Option(help="run directory; rerun the same command to resume")],
    method: Annotated[str, typer.Option(help="comma-separated methods, e.g. hawk,feedback,oneshot,transplant")],
    target: Annotated[str, typer.Option(help="hardware target")] = "ascend-pypto",
    samples: Annotated[int, typer.Option(min=1, help="independent samples per (method, task): pass@k")] = 1,
    tasks: Annotated[str | None, typer.Option(help="comma-separated subset of the suite's task ids")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="units in parallel, one evaluation slot each (default 1; with --ray: every slot)"),
    ] = None,
    ray: Annotated[
        str | None, typer.Option("--ray", help="Ray address ('auto', 'ray://host:10001'), or 'local'")
    ] = None,
    iterations: Annotated[int, typer.Option(min=1, help="LLM calls per unit at most (every method)")] = 5,
    max_tokens_budget: Annotated[int | None, typer.Option("--token-budget", help="tokens per unit at most")] = None,
    wall_s: Annotated[float | None, typer.Option("--wall-budget", help="seconds per unit at most")] = None,
    tune_budget: opt.TuneBudget = TUNE_BUDGET,
    tune_workers: opt.TuneWorkers = 2,
    candidates: opt.Candidates = 1,
    roofline_stop: opt.RooflineStop = 1.2,
    seeds: Annotated[int, typer.Option(min=1, help="random input seeds per evaluation")] = 3,
    eval_timeout: Annotated[float, typer.Option(help="seconds per evaluation")] = 300.0,
    corpus: Annotated[Path | None, typer.Option(help="kernels to transplant from (method transplant)")] = None,
    kb: Annotated[Path | None, typer.Option("--kb", help="knowledge store; default DIR/knowledge.sqlite")] = None,
    experts: Annotated[bool, typer.Option(help="judge each task's expert kernel once (speedup over expert)")] = True,
    swimlane: Annotated[bool, typer.Option(help="draw the best kernel's swimlane per correct unit")] = False,
    ablate_knowledge: Annotated[
        bool,
        typer.Option(
            "--ablate-knowledge",
            help="method hawk: withhold a random half of each step's retrieved "
            "items (recorded); the report gives outcome rates with and without each item",
        ),
    ] = False,
    report: Annotated[bool, typer.Option(help="render the report at the end")] = True,
    provider: opt.Provider = None,
    base_url: opt.BaseUrl = None,
    model: opt.Model = None,
    api_key: opt.ApiKey = None,
    temperature: opt.Temperature = None,
    max_tokens: opt.MaxTokens = None,
    exchange_dir: opt.ExchangeDir = None,
    llm_config: opt.LlmConfig = None,
    no_cache: opt.NoCache = False,
) -> None:
    """Run every (method, task, sample) of a suite in parallel, resumably, then write the report."""
    import logging

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from hawk.bench import BenchConfig, BenchError, render, run_bench
    from hawk.llm import LLMError, LLMSettings
    from hawk.targets.base import EvalOptions

    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    try:
        settings = LLMSettings.load(
            config_file=llm_config, provider=provider, base_url=base_url, model=model, api_key=api_key,
            temperature=temperature, max_tokens=max_tokens, exchange_dir=exchange_dir,
            cache=False if no_cache else None,
        )  # fmt: skip
        if settings.provider == "openai" and not (settings.base_url and settings.model):
            _fail("the LLM endpoint is not configured: give --base-url and --model (or HAWK_LLM_BASE_URL/MODEL)")
        config = BenchConfig(
            suite=suite, methods=[m.strip() for m in method.split(",") if m.strip()], out=out, target=target,
            samples=samples, tasks=[t.strip() for t in tasks.split(",") if t.strip()] if tasks else None,
            budget=opt.search_budget(iterations, max_tokens_budget, wall_s, tune_budget, tune_workers, candidates,
                                     roofline_stop),
            eval_options=EvalOptions(seeds=seeds, timeout_s=eval_timeout), corpus=corpus, kb_path=kb,
            experts=experts, swimlane=swimlane, ablate_knowledge=ablate_knowledge,
        )  # fmt: skip
        with Progress(TextColumn("[bold]bench"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TimeRemainingColumn(), TextColumn("{task.description}"), console=console,
                      transient=False) as bar:  # fmt: skip
            handle = bar.add_task("", total=None)

            def progress(done: int, total: int, key: str) -> None:
                bar.update(handle, completed=done, total=total, description=key)

            outcome = run_bench(config, settings, workers=workers, ray_address=ray, progress=progress,
                                log=lambda m: bar.console.print(m, highlight=False, markup=False))  # fmt: skip
    except (BenchError, LLMError, ValueError) as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted: finished units are kept; rerun the same command to resume", code=130)
    rate = outcome.evaluations / outcome.wall_s * 60 if outcome.wall_s > 0 and outcome.evaluations else 0.0
    console.print(f"ran {len(outcome.ran)} units + {outcome.experts_ran} expert evaluations in {outcome.wall_s:.0f} s "
                  f"({outcome.evaluations} evaluations, {rate:.1f}/min); {outcome.skipped} units were already done",
                  highlight=False)  # fmt: skip
    incomplete = [r.unit.key for r in outcome.ran if not r.complete]
    if incomplete:
        console.print(f"[yellow]{len(incomplete)} unit(s) incomplete[/yellow] ({', '.join(incomplete[:5])}"
                      f"{'...' if len(incomplete) > 5 else ''}); rerun the same command to resume")  # fmt: skip
    if report:
        paths = render(out)
        console.print(f"report: {paths['html']} (also {paths['md'].name}, {paths['json'].name})", highlight=False)
    raise typer.Exit(1 if incomplete else 0)


def report_cmd(
    dirs: Annotated[list[Path], typer.Argument(help="run directory (two with --compare)")],
    compare: Annotated[bool, typer.Option("--compare", help="put two runs side by side")] = False,
    out: Annotated[
        Path | None, typer.Option(help="--compare: where compare.html goes (default: the first DIR)")
    ] = None,
) -> None:
    """Re-render a run's report (summary.json, summary.md, report.html), or compare two runs."""
    from hawk.bench import BenchError, render, render_compare

    try:
        if compare:
            if len(dirs) != 2:
                _fail(f"--compare takes two run directories, got {len(dirs)}")
            paths = render_compare(dirs, out or dirs[0])
            console.print(paths["md"].read_text(), highlight=False, markup=False)
        else:
            if len(dirs) != 1:
                _fail("give one run directory (or two with --compare)")
            paths = render(dirs[0])
            console.print(paths["md"].read_text().split("\n## By level")[0], highlight=False, markup=False)
    except BenchError as exc:
        _fail(str(exc))
    console.print(f"written: {paths['html']}", highlight=False)
