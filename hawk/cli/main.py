"""`hawk` command line. Bad input gets one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hawk import targets
from hawk.targets.base import EvalOptions
from hawk.targets.verdict import Verdict
from hawk.tasks import TaskError, load_suite, resolve_task, suite_names

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Hawk: LLM-written NPU kernels, judged on the target."
)
console = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 2) -> None:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


@app.command("targets")
def targets_cmd() -> None:
    """List hardware targets, whether each can run here, and in which mode."""
    table = Table("target", "mode", "available", "why", "chip")
    for name in targets.names():
        t = targets.get(name)
        spec = t.spec()
        chip = f"{spec.sku}: {spec.cube_cores} cube + {spec.vector_cores} vector cores"
        for m in t.modes():
            table.add_row(name, m.mode, "yes" if m.available else "no", m.reason, chip)
    console.print(table)


@app.command("tasks")
def tasks_cmd(suite: Annotated[str | None, typer.Option(help="suite name")] = None) -> None:
    """List the tasks of a suite (all suites by default)."""
    try:
        names = [suite] if suite else suite_names()
        table = Table("suite", "id", "level", "category", "expert", "description")
        for name in names:
            s = load_suite(name)
            for t in s.tasks:
                table.add_row(name, t.id, str(t.level), t.category, "yes" if t.expert_kernel else "-", t.description)
    except TaskError as exc:
        fail(str(exc))
    console.print(table)


@app.command("eval")
def eval_cmd(
    kernel: Annotated[Path, typer.Argument(help="candidate kernel file")],
    task: Annotated[str, typer.Option("--task", help="suite task id or path of a KernelBench-format task file")],
    target: Annotated[str, typer.Option(help="hardware target")] = "ascend-pypto",
    seeds: Annotated[int, typer.Option(min=1, help="random input seeds; all must pass")] = 3,
    mode: Annotated[str | None, typer.Option(help="target mode (sim, npu); default: best available")] = None,
    timeout: Annotated[float, typer.Option(help="wall-clock limit in seconds")] = 300.0,
    memory_mb: Annotated[int, typer.Option(help="memory limit of the evaluation process")] = 16384,
    swimlane: Annotated[bool, typer.Option(help="also draw swimlane images (slower)")] = False,
    eager: Annotated[bool, typer.Option(help="compare with the eager baseline (cached per task)")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print the verdict as JSON")] = False,
) -> None:
    """Judge one kernel on one task. Exit code 0 only for a pass."""
    if not kernel.is_file():
        fail(f"kernel file not found: {kernel}")
    try:
        source = kernel.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {kernel}: {exc}")
    try:
        the_task = resolve_task(task)
        the_target = targets.get(target)
    except (TaskError, KeyError) as exc:
        fail(str(exc).strip("'\""))
    options = EvalOptions(
        seeds=seeds, timeout_s=timeout, memory_limit_mb=memory_mb, mode=mode, swimlane=swimlane,
        with_eager_baseline=eager,
    )  # fmt: skip
    verdict = the_target.evaluate(source, the_task, options)
    if as_json:
        print(json.dumps(verdict.to_dict(), indent=2, default=str))
    else:
        print_verdict(verdict)
    raise typer.Exit(0 if verdict.passed else 1)


def print_verdict(v: Verdict) -> None:
    color = "green" if v.passed else "red"
    console.print(f"[{color}]{v.status.value}[/{color}]  task={v.task} target={v.target} mode={v.mode}")
    if v.error:
        console.print(f"  error ({v.error.kind}): {v.error.message}", highlight=False)
        if v.error.hardware_reason:
            console.print(f"  hardware reason: {v.error.hardware_reason}", highlight=False)
        for line in v.error.lines:
            console.print(f"  line {line.lineno}: {line.text.strip()}", highlight=False)
    if v.correctness:
        c = v.correctness
        console.print(
            f"  correctness: seeds {c.seeds}, max abs diff {c.max_abs_diff}, max rel diff {c.max_rel_diff}, "
            f"error ratio {c.error_ratio} (atol {c.atol}, rtol {c.rtol})"
        )
    if v.perf:
        p = v.perf
        extra = f", eager {p.eager_time_us} us, speedup {p.speedup}x" if p.eager_time_us else ""
        roof = f", roofline {p.roofline_us} us ({p.roofline_ratio}x the bound)" if p.roofline_us else ""
        console.print(f"  perf: {p.time_us} us simulated{extra}{roof}; bottleneck {p.bottleneck}")
        console.print("  pipes busy %: " + ", ".join(f"{k} {v:.1f}" for k, v in p.pipes.items()))
    if v.artifacts.workdir:
        console.print(f"  workdir: {v.artifacts.workdir}", highlight=False)
    console.print("  timings: " + ", ".join(f"{k} {t:.1f}" for k, t in v.timings.items()))


if __name__ == "__main__":
    app()
