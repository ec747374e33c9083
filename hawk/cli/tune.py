"""`hawk tune`: search a correct kernel's tiling and scheduling knobs on the target (no LLM)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from hawk import targets
from hawk.cli import options as opt
from hawk.cli.tables import print_records
from hawk.targets.base import EvalOptions
from hawk.tasks import TaskError, resolve_task
from hawk.tune import TUNE_BUDGET

if TYPE_CHECKING:
    from hawk.tune.records import TuneResult

console = Console(soft_wrap=True)  # a message is one line at any width; tables fit the width
err = Console(stderr=True, soft_wrap=True)  # one line per error, whatever the terminal width


def tune_cmd(
    kernel: Annotated[Path, typer.Argument(help="a correct kernel file")],
    task: opt.TaskRef,
    target: opt.Target = "ascend-pypto",
    tune_budget: Annotated[
        int,
        typer.Option(
            "--tune-budget",
            "--budget",
            min=1,
            help="simulated points at most (the original included); --budget is the old spelling",
        ),
    ] = TUNE_BUDGET,
    tune_workers: Annotated[
        int, typer.Option("--tune-workers", "--workers", min=1, help="points simulated in parallel (--workers: old)")
    ] = 2,
    seeds: opt.Seeds = 3,
    seed: Annotated[int, typer.Option(help="the search's random seed")] = 0,
    out: Annotated[Path | None, typer.Option(help="output folder (default: <kernel>.tune/)")] = None,
    top: Annotated[int, typer.Option(help="rows of the points table to print")] = 10,
) -> None:
    """Tune KERNEL's tile sizes and pass options on the simulator; write the tuned kernel and the points tried."""
    from hawk.tune import tune, write_outputs

    def fail(message: str) -> None:
        err.print(f"[red]error:[/red] {message}", highlight=False)
        raise typer.Exit(2)

    if not kernel.is_file():
        fail(f"kernel file not found: {kernel}")
    try:
        source = kernel.read_text()
        the_task = resolve_task(task)
        the_target = targets.get(target)
    except (OSError, UnicodeDecodeError, TaskError, KeyError) as exc:
        fail(str(exc).strip("'\""))
    options = EvalOptions(seeds=seeds)
    console.print(f"checking {kernel} on {the_task.id} ({seeds} seeds) before tuning ...", highlight=False)
    first = the_target.evaluate(source, the_task, options)
    if not first.passed:
        why = (first.error.hardware_reason or first.error.message) if first.error else first.status.value
        fail(f"the kernel does not pass ({first.status.value}: {why[:300]}); tune a correct kernel")
    roofline = first.perf.roofline_us if first.perf else None
    result = tune(source, the_task, the_target, budget=tune_budget, workers=tune_workers, eval_options=options, seed=seed,
                  roofline_us=roofline, log=lambda m: console.print(m, highlight=False, markup=False))  # fmt: skip
    out_dir = out or kernel.with_name(kernel.stem + ".tune")
    paths = write_outputs(result, out_dir)
    _print_result(result, paths, top)


def _print_result(result: TuneResult, paths: dict[str, Path], top: int) -> None:
    """The knobs, the best `top` points, and before -> after."""
    for note in result.notes:
        console.print(f"note: {note}", highlight=False, markup=False)
    if result.knobs:
        console.print("knobs: " + ", ".join(f"{k.name} ({len(k.values)} values, now {k.original})" for k in result.knobs),
                      highlight=False, markup=False)  # fmt: skip
    ranked = sorted(result.records, key=lambda r: (r.time_us is None, r.time_us or 0.0))
    rows = [{"#": r.index, **{k.name: r.values.get(k.name) for k in result.knobs}, "status": r.status,
             "time_us": r.time_us, "reason": r.reason} for r in ranked[:top]]  # fmt: skip
    if rows:
        print_records(console, rows, ["#", *(k.name for k in result.knobs), "status", "time_us", "reason"], {"reason"},
                      as_json=False)  # fmt: skip
    if result.before_us is None:
        console.print("nothing was timed: the kernel comes back unchanged", highlight=False)
        console.print(f"written: {paths['kernel']}, {paths['points']}, {paths['summary']}", highlight=False)
        return
    ratio = f", {result.roofline_ratio}x the roofline bound ({result.roofline_us} us)" if result.roofline_ratio else ""
    console.print(
        f"before {result.before_us} us -> after {result.after_us} us"
        + (f" ({result.speedup}x)" if result.speedup else "") + ratio + f"; strategy {result.strategy}, "
        f"{result.points_tried} points simulated, {result.points_pruned} pruned, {result.points_failed} failed, "
        f"{result.wall_s} s ({result.points_per_minute} points/min while searching)" + ("" if result.changed else "; kernel unchanged"),
        highlight=False, markup=False,
    )  # fmt: skip
    console.print(f"written: {paths['kernel']}, {paths['points']}, {paths['summary']}", highlight=False)
