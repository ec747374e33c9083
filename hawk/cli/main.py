"""`hawk` command line. Bad input gets one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hawk import targets
from hawk.cli import options as opt
from hawk.cli.tables import print_records
from hawk.targets.base import EvalOptions
from hawk.targets.verdict import ErrorContext, Status, Verdict
from hawk.tasks import TaskError, load_suite, resolve_task, suite_names
from hawk.tasks.shape_policy import shape_summary

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Hawk: LLM-written NPU kernels, judged on the target."
)
console = Console(soft_wrap=True)  # a message is one line at any width; tables fit the width
err = Console(stderr=True, soft_wrap=True)


def _kb_app() -> typer.Typer:
    from hawk.cli.kb import app as kb_app

    return kb_app


app.add_typer(_kb_app(), name="kb", help="Inspect and manage the knowledge store.")


def fail(message: str, code: int = 2) -> None:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


MAX_KERNEL_BYTES = 1 << 20  # a kernel is a few KB; a bigger file is not one (and is not read whole)


def read_kernel(path: Path) -> tuple[str, str | None]:
    """The kernel's text, or "" and why it cannot be a kernel (too large, not UTF-8, unreadable)."""
    try:
        size = path.stat().st_size
        if size > MAX_KERNEL_BYTES:
            return "", f"the kernel file is {size} bytes, over the {MAX_KERNEL_BYTES} byte limit: not a kernel"
        return path.read_bytes().decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return "", f"the kernel file is not UTF-8 text (byte {exc.start}: {exc.reason}): not a kernel"
    except OSError as exc:
        return "", f"cannot read the kernel file: {exc.strerror or exc}"


def _refuse(as_json: bool, task: str, target: str, message: str, kind: str = "usage", code: int = 2) -> None:
    """A `hawk eval` that cannot judge: with --json still a verdict record on stdout (status
    `invalid`, error kind `usage` or `internal`), else one line on stderr; exit code `code`."""
    if not as_json:
        fail(message, code)
    verdict = Verdict(Status.INVALID, task, target, "", error=ErrorContext(kind=kind, message=message))
    print(json.dumps(verdict.to_dict(), indent=2, default=str))
    raise typer.Exit(code)


@app.command("targets")
def targets_cmd(as_json: opt.AsJson = False) -> None:
    """List hardware targets, whether each can run here, and in which mode."""
    records, chips = [], {}
    for name in targets.names():
        t = targets.get(name)
        spec = t.spec()
        chips[name] = f"{spec.sku}: {spec.cube_cores} cube + {spec.vector_cores} vector cores"
        for m in t.modes():
            records.append({"target": name, "mode": m.mode, "available": m.available, "why": m.reason,
                            "chip": chips[name]})  # fmt: skip
    print_records(console, records, ["target", "mode", "available", "why"], {"why"}, as_json)
    if not as_json:
        for name, chip in chips.items():
            console.print(f"{name}: {chip}", highlight=False, markup=False)


def _task_record(suite: str, t) -> dict:
    return {"suite": suite, "id": t.id, "level": t.level, "category": t.category,
            "expert": t.expert_kernel is not None, "description": t.description, "path": str(t.path),
            "expert_kernel": str(t.expert_kernel) if t.expert_kernel else None,
            "shapes": t.shapes}  # fmt: skip


@app.command("tasks")
def tasks_cmd(
    suite: Annotated[str | None, typer.Option(help="suite name")] = None,
    tasks_dir: opt.TasksDir = None,
    levels: opt.Levels = None,
    only: opt.Only = None,
    shape_overrides: opt.ShapeOverrides = None,
    show: Annotated[str | None, typer.Option("--show", metavar="ID", help="print one task whole")] = None,
    as_json: opt.AsJson = False,
) -> None:
    """List the tasks of a suite (all suites by default) or of a KernelBench-format folder (--dir), one per
    line; --show ID prints one whole."""
    if tasks_dir is not None:
        _kernelbench_tasks(tasks_dir, levels, only, shape_overrides, as_json)
        return
    try:
        names = [suite] if suite else suite_names()
        records = [_task_record(name, t) for name in names for t in load_suite(name).tasks]
    except TaskError as exc:
        fail(str(exc))
    if show is not None:
        records = [r for r in records if r["id"] == show]
        if not records:
            fail(f"no task '{show}'" + (f" in suite {suite}" if suite else ""))
        print(json.dumps(records[0], indent=2, default=str))
        return
    if as_json:
        print_records(console, records, [], set(), as_json)
        return
    for name in names:  # a table per suite: the suite's name is not repeated on every row
        rows = [r for r in records if r["suite"] == name]
        console.print(f"suite {name}: {len(rows)} tasks (hawk tasks --show ID prints one whole)", highlight=False)
        print_records(console, rows, ["id", "level", "category", "description"], {"description"}, False)


def _kernelbench_tasks(folder: Path, levels: str | None, only: str | None, overrides: Path | None,
                       as_json: bool) -> None:  # fmt: skip
    """`hawk tasks --dir`: each task's id, level, category, and the shape it runs at and why."""
    from hawk.tasks.kernelbench import load_dir

    try:
        s = load_dir(folder, opt.csv_ints(levels, "--levels"), opt.csv(only), overrides)
    except (TaskError, ValueError) as exc:
        fail(str(exc))
    records = []
    for t in s.tasks:
        d = t.extra.get("shape_policy") or {}
        sizes = f"{d.get('elements_original', 0):,} -> {d.get('elements_run', 0):,}" if d.get("constants") else (
            f"{d.get('elements_run', 0):,}")  # fmt: skip
        records.append({"id": t.id, "level": t.level, "category": t.category, "shape run": shape_summary(d),
                        "elements": sizes, "why": d.get("reason", ""), "path": str(t.path)})  # fmt: skip
    if not as_json:
        console.print(f"{s.name}: {s.root}", highlight=False)
    print_records(console, records, ["id", "level", "category", "shape run", "elements", "why"], {"why"}, as_json)
    if not as_json:
        reduced = sum(1 for t in s.tasks if (t.extra.get("shape_policy") or {}).get("constants"))
        console.print(f"{len(s.tasks)} tasks; {reduced} run at a reduced shape (the shape policy: docs/kernelbench.md)")


@app.command("eval")
def eval_cmd(
    kernel: Annotated[Path, typer.Argument(help="candidate kernel file")],
    task: opt.TaskRef,
    target: opt.Target = "ascend-pypto",
    seeds: opt.Seeds = 3,
    mode: Annotated[str | None, typer.Option(help="target mode (sim, npu); default: best available")] = None,
    timeout: opt.Timeout = 300.0,
    memory_mb: Annotated[int, typer.Option(help="memory limit of the evaluation process")] = 16384,
    swimlane: Annotated[bool, typer.Option(help="also draw swimlane images (slower)")] = False,
    eager: Annotated[bool, typer.Option(help="compare with the eager baseline (cached per task)")] = True,
    stress: Annotated[bool, typer.Option(help="also judge on value-stress inputs (x16, x1/16, +100)")] = True,
    as_json: opt.AsJson = False,
) -> None:
    """Judge one kernel on one task. Exit code 0 only for a pass."""
    if not kernel.is_file():
        _refuse(as_json, task, target, f"kernel file not found: {kernel}")
    source, problem = read_kernel(kernel)
    try:
        the_task = resolve_task(task)
        the_target = targets.get(target)
    except (TaskError, KeyError) as exc:
        _refuse(as_json, task, target, str(exc).strip("'\""))
    if problem is not None:  # the kernel's own fault: an `invalid` verdict, as for any bad candidate
        verdict = Verdict(Status.INVALID, the_task.id, the_target.name, mode or "",
                          error=ErrorContext(kind="encoding", message=problem))  # fmt: skip
    else:
        options = EvalOptions(
            seeds=seeds, timeout_s=timeout, memory_limit_mb=memory_mb, mode=mode, swimlane=swimlane,
            with_eager_baseline=eager, stress=stress,
        )  # fmt: skip
        try:
            verdict = the_target.evaluate(source, the_task, options)
        except Exception as exc:  # a bug of Hawk's: still one record (JSON) or one line, never a traceback
            _refuse(as_json, task, target, f"evaluation failed: {type(exc).__name__}: {exc}", kind="internal", code=3)
    if as_json:
        print(json.dumps(verdict.to_dict(), indent=2, default=str))
    else:
        print_verdict(verdict)
    raise typer.Exit(0 if verdict.passed else 1)


def _print_result(result, out: Path) -> None:
    best = (
        f"best kernel from step {result.best_step}: {result.best_time_us} us simulated"
        + (f", {result.best_speedup}x over eager" if result.best_speedup else "")
        if result.passed
        else "no correct kernel"
    )
    console.print(f"{result.task} [{result.method}]: {result.steps} steps ({', '.join(result.statuses)}); {best}")
    roof = f"; best/roofline {result.best_roofline_ratio}x" if result.best_roofline_ratio else ""
    console.print(f"stopped: {result.stop_reason}; tokens: {result.tokens.get('total_tokens', 0)}; "
                  f"tuner points simulated: {result.sim_points}{roof}", highlight=False)  # fmt: skip
    if result.knowledge:
        k = result.knowledge
        console.print(f"knowledge ({k['store']}): {len(k['injected'])} item(s) injected, "
                      f"{len(k.get('synthesized', []))} synthesized" + (", store distilled" if k.get("distilled") else ""),
                      highlight=False)  # fmt: skip
    console.print(f"written to {out}/ (best_kernel.py, best_verdict.json, trajectory.jsonl, summary.json)")


@app.command("generate")
@opt.llm_options
@opt.search_options
def generate_cmd(
    task: opt.TaskRef,
    method: Annotated[str, typer.Option(help="oneshot, feedback, transplant or hawk (knowledge-driven)")] = "feedback",
    target: opt.Target = "ascend-pypto",
    out: Annotated[Path, typer.Option(help="output directory (rerun to resume)")] = Path("runs/generate"),
    corpus: opt.Corpus = None,
    seeds: opt.Seeds = 3,
    kb: opt.Kb = None,
    distill_every: Annotated[int, typer.Option(min=0, help="method hawk: distill the store every N tasks")] = 10,
    no_base_kb: opt.NoBaseKb = False,
    fork_from: Annotated[
        Path | None, typer.Option("--fork-from", help="start from this run's first --fork-steps steps (paired A/Bs)")
    ] = None,
    fork_steps: Annotated[int, typer.Option("--fork-steps", min=1, help="with --fork-from: steps copied")] = 1,
    *,
    llm: opt.LlmArgs,  # the LLM options (opt.llm_options adds them)
    search: opt.SearchArgs,  # the search budget options (opt.search_options adds them)
) -> None:
    """Ask an LLM for a kernel, judge it on the target, repair and optimize; resumable."""
    import logging

    from hawk.agent import run_agent
    from hawk.llm import LLMError, make_llm
    from hawk.records.fork import Fork

    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")  # shows LLM cache hits and retries

    try:
        the_task = resolve_task(task)
        the_target = targets.get(target)
        model = make_llm(llm.settings())
        result = run_agent(
            the_task, the_target, model, method, out, search.budget(),
            EvalOptions(seeds=seeds), corpus=corpus, log=lambda m: console.print(m, highlight=False, markup=False),
            knowledge_path=kb, distill_every=distill_every, base_kb=not no_base_kb,
            fork=Fork(fork_from, fork_steps) if fork_from else None,
        )  # fmt: skip
    except (TaskError, KeyError, LLMError, ValueError) as exc:
        fail(str(exc).strip("'\""))
    _print_result(result, out)
    raise typer.Exit(0 if result.passed else 1)


@app.command("setup")
def setup_cmd(
    target: Annotated[str, typer.Argument(help="target whose environments to create, e.g. ascend-triton")],
    force: Annotated[bool, typer.Option(help="recreate even when ready")] = False,
) -> None:
    """Create and check a target's side environments (idempotent; quick when already done)."""
    try:
        the_target = targets.get(target)
    except KeyError as exc:
        fail(str(exc).strip("'\""))
    try:
        spent = the_target.setup(log=lambda m: console.print(m, highlight=False, markup=False), force=force)
    except Exception as exc:  # a failed pip install or check: one clear message, non-zero exit
        fail(f"setting up {target} failed: {exc}")
    if not spent:
        console.print(f"{target} needs no set-up beyond Hawk's own environment")
        return
    console.print(f"{target}: ready ({', '.join(f'{k} {v:.1f} s' for k, v in spent.items())})")


def print_verdict(v: Verdict) -> None:
    color = "green" if v.passed else "red"
    console.print(f"[{color}]{v.status.value}[/{color}]  task={v.task} target={v.target} mode={v.mode}")
    if v.shape_policy and v.shape_policy.get("rule") != "original":
        console.print(f"  shape run: {shape_summary(v.shape_policy)}; {v.shape_policy['reason']}", highlight=False)
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
        roof += f", calibrated bound {p.bound_us} us ({p.bound_ratio}x)" if p.bound_us else ""
        how = "ESTIMATED (model, not measured)" if p.estimate else "simulated"
        console.print(f"  perf: {p.time_us} us {how}{extra}{roof}; bottleneck {p.bottleneck}")
        if p.note:
            console.print(f"  perf note: {p.note}", highlight=False)
        console.print("  pipes busy %: " + ", ".join(f"{k} {v:.1f}" for k, v in p.pipes.items()))
    for f in getattr(v, "findings", []):
        console.print(f"  finding [{f.severity}] {f.rule}: {f.message}", highlight=False, markup=False)
    if v.artifacts.workdir:
        console.print(f"  workdir: {v.artifacts.workdir}", highlight=False)
    console.print("  timings: " + ", ".join(f"{k} {t:.1f}" for k, t in v.timings.items()))


# Benchmark runs and their reports (hawk/cli/bench.py).
from hawk.cli.bench import bench_cmd, report_cmd  # noqa: E402

app.command("bench")(bench_cmd)
app.command("report")(report_cmd)

from hawk.cli.demo import demo_cmd  # noqa: E402

app.command("demo")(demo_cmd)

from hawk.cli.tune import tune_cmd  # noqa: E402

app.command("tune")(tune_cmd)

from hawk.cli.mcp import mcp_cmd  # noqa: E402

app.command("mcp")(mcp_cmd)


if __name__ == "__main__":
    app()
