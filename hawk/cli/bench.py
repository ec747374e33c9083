"""`hawk bench` and `hawk report`: benchmark runs at scale and their reports (registered in main.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hawk.cli import options as opt
from hawk.cli.tables import print_records

console = Console(soft_wrap=True)  # a message is one line at any width; tables fit the width
err = Console(stderr=True, soft_wrap=True)


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@opt.llm_options
@opt.search_options
@opt.bench_options
def bench_cmd(
    out: Annotated[Path, typer.Option(help="run directory; rerun the same command to resume")],
    method: Annotated[str, typer.Option(help="comma-separated methods, e.g. hawk,feedback,oneshot,transplant")],
    suite: Annotated[
        str | None, typer.Option(help="suite name, or a directory with suite.toml, tasks/ and experts/")
    ] = None,
    tasks_dir: opt.TasksDir = None,  # instead of --suite
    levels: opt.Levels = None,
    only: opt.Only = None,
    shape_overrides: opt.ShapeOverrides = None,
    target: opt.Target = "ascend-pypto",
    seeds: opt.Seeds = 3,
    timeout: opt.Timeout = 300.0,
    corpus: opt.Corpus = None,
    kb: opt.Kb = None,
    no_base_kb: opt.NoBaseKb = False,
    *,
    llm: opt.LlmArgs,  # the LLM options (opt.llm_options adds them)
    search: opt.SearchArgs,  # the search budget options, per unit (opt.search_options adds them)
    run: opt.BenchArgs,  # how the units run (opt.bench_options adds them)
) -> None:
    """Run every (method, task, sample) of a suite in parallel, resumably, then write the report."""
    import logging

    from hawk.bench import BenchConfig, BenchError
    from hawk.llm import LLMError
    from hawk.targets.base import EvalOptions

    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    try:
        settings = llm.settings()
        if settings.provider == "openai" and not (settings.base_url and settings.model):
            _fail("the LLM endpoint is not configured: give --base-url and --model (or HAWK_LLM_BASE_URL/MODEL)")
        config = BenchConfig(
            suite=suite, methods=[m.strip() for m in method.split(",") if m.strip()], out=out, target=target,
            samples=run.samples, tasks=opt.csv(run.tasks), budget=search.budget(),
            eval_options=EvalOptions(seeds=seeds, timeout_s=timeout), corpus=corpus, kb_path=kb,
            experts=run.experts, swimlane=run.swimlane, ablate_knowledge=run.ablate_knowledge,
            base_kb=not no_base_kb, tasks_dir=tasks_dir, levels=opt.csv_ints(levels, "--levels"),
            only=opt.csv(only), shape_overrides=shape_overrides,
        )  # fmt: skip
        outcome = _run_with_progress(config, settings, run)
    except (BenchError, LLMError, ValueError) as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted: finished units are kept; rerun the same command to resume", code=130)
    raise typer.Exit(_print_outcome(outcome, out, run.report))


def _run_with_progress(config, settings, run: opt.BenchArgs):
    """run_bench with a progress bar; log lines print above it."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from hawk.bench import run_bench

    with Progress(TextColumn("[bold]bench"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), TextColumn("{task.description}"), console=console,
                  transient=False) as bar:  # fmt: skip
        handle = bar.add_task("", total=None)

        def progress(done: int, total: int, key: str) -> None:
            bar.update(handle, completed=done, total=total, description=key)

        return run_bench(config, settings, workers=run.workers, ray_address=run.ray, progress=progress,
                         log=lambda m: bar.console.print(m, highlight=False, markup=False))  # fmt: skip


def _print_outcome(outcome, out: Path, report: bool) -> int:
    """What ran, what is incomplete, and the report's headline; the exit code (1: units incomplete)."""
    from hawk.bench import render

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
        print_method_table(paths["json"])
        console.print(f"report: {paths['html']} (also {paths['md'].name}, {paths['json'].name})", highlight=False)
    return 1 if incomplete else 0


def _pct(x: float | None) -> str | None:
    return None if x is None else f"{100 * x:.0f}%"


def _times(x: float | None) -> str | None:
    return None if x is None else f"{x:.2f}x"


def print_method_table(summary_json: Path) -> None:
    """The headline per method, one row per line (summary.md and report.html have every table)."""
    import json

    s = json.loads(summary_json.read_text())
    rows = [{"method": m, "units": v.get("units"), "correct": _pct(v.get("accuracy")),
             "pass@k": " ".join(f"{k} {_pct(x)}" for k, x in (v.get("pass_at") or {}).items()),
             "vs_eager": _times(v.get("geomean_speedup")), "vs_expert": _times(v.get("geomean_speedup_expert")),
             "best/bound": _times(v.get("geomean_bound_ratio")), "best/roofline": _times(v.get("geomean_roofline_ratio")),
             "tokens/unit": round(v["tokens_per_unit"]) if v.get("tokens_per_unit") is not None else None}
            for m, v in s["metrics"].items()]  # fmt: skip
    columns = ["method", "units", "correct", "pass@k", "vs_eager", "vs_expert", "best/bound", "best/roofline",
               "tokens/unit"]  # fmt: skip
    present = [c for c in columns if any(r[c] is not None for r in rows) or c in ("method", "units")]
    print_records(console, rows, present, {"pass@k"}, as_json=False)


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
            head = paths["md"].read_text().split("\n## Methods")[0]
            console.print(head.strip() + "\n", highlight=False, markup=False)
            print_method_table(paths["json"])
    except BenchError as exc:
        _fail(str(exc))
    console.print(f"written: {paths['html']} (every table: {paths['md'].name})", highlight=False)
