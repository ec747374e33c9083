"""`hawk` command line. Bad input gets one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hawk import targets
from hawk.cli import options as opt
from hawk.targets.base import EvalOptions
from hawk.targets.verdict import Verdict
from hawk.tasks import TaskError, load_suite, resolve_task, suite_names
from hawk.tune import TUNE_BUDGET

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Hawk: LLM-written NPU kernels, judged on the target."
)
console = Console()
err = Console(stderr=True)


def _kb_app() -> typer.Typer:
    from hawk.cli.kb import app as kb_app

    return kb_app


app.add_typer(_kb_app(), name="kb", help="Inspect and manage the knowledge store.")


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
    stress: Annotated[bool, typer.Option(help="also judge on value-stress inputs (x16, x1/16, +100)")] = True,
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
        stress=stress,
    )  # fmt: skip
    verdict = the_target.evaluate(source, the_task, options)
    if as_json:
        print(json.dumps(verdict.to_dict(), indent=2, default=str))
    else:
        print_verdict(verdict)
    raise typer.Exit(0 if verdict.passed else 1)


def _llm_settings(provider, base_url, model, api_key, temperature, max_tokens, exchange_dir, llm_config, no_cache):
    from hawk.llm import LLMSettings

    return LLMSettings.load(
        config_file=llm_config, provider=provider, base_url=base_url, model=model, api_key=api_key,
        temperature=temperature, max_tokens=max_tokens, exchange_dir=exchange_dir,
        cache=False if no_cache else None,
    )  # fmt: skip


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
def generate_cmd(
    task: Annotated[str, typer.Option("--task", help="suite task id or task file")],
    method: Annotated[str, typer.Option(help="oneshot, feedback, transplant or hawk (knowledge-driven)")] = "feedback",
    target: Annotated[str, typer.Option(help="hardware target")] = "ascend-pypto",
    iterations: Annotated[int, typer.Option(min=1, help="LLM calls at most")] = 5,
    max_tokens_budget: Annotated[int | None, typer.Option("--token-budget", help="stop after this many tokens")] = None,
    wall_s: Annotated[float | None, typer.Option("--wall-budget", help="stop after this many seconds")] = None,
    tune_budget: opt.TuneBudget = TUNE_BUDGET,
    tune_workers: opt.TuneWorkers = 2,
    candidates: opt.Candidates = 1,
    roofline_stop: opt.RooflineStop = 1.2,
    out: Annotated[Path, typer.Option(help="output directory (rerun to resume)")] = Path("runs/generate"),
    corpus: Annotated[Path | None, typer.Option(help="kernels to transplant from (method transplant)")] = None,
    seeds: Annotated[int, typer.Option(min=1)] = 3,
    provider: opt.Provider = None,
    base_url: opt.BaseUrl = None,
    model: opt.Model = None,
    api_key: opt.ApiKey = None,
    temperature: opt.Temperature = None,
    max_tokens: opt.MaxTokens = None,
    exchange_dir: opt.ExchangeDir = None,
    llm_config: opt.LlmConfig = None,
    no_cache: opt.NoCache = False,
    kb: Annotated[Path | None, typer.Option("--kb", help="knowledge store (method hawk)")] = None,
    distill_every: Annotated[int, typer.Option(min=0, help="method hawk: distill the store every N tasks")] = 10,
) -> None:
    """Ask an LLM for a kernel, judge it on the target, repair and optimize; resumable."""
    import logging

    from hawk.agent import run_agent
    from hawk.llm import LLMError, make_llm

    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")  # shows LLM cache hits and retries

    try:
        the_task = resolve_task(task)
        the_target = targets.get(target)
        settings = _llm_settings(provider, base_url, model, api_key, temperature, max_tokens, exchange_dir,
                                 llm_config, no_cache)  # fmt: skip
        llm = make_llm(settings)
        result = run_agent(
            the_task, the_target, llm, method, out,
            opt.search_budget(iterations, max_tokens_budget, wall_s, tune_budget, tune_workers, candidates, roofline_stop),
            EvalOptions(seeds=seeds), corpus=corpus, log=lambda m: console.print(m, highlight=False, markup=False),
            knowledge_path=kb, distill_every=distill_every,
        )  # fmt: skip
    except (TaskError, KeyError, LLMError, ValueError) as exc:
        fail(str(exc).strip("'\""))
    _print_result(result, out)
    raise typer.Exit(0 if result.passed else 1)


@app.command("demo")
def demo_cmd(out: Annotated[Path, typer.Option(help="output directory")] = Path("runs/demo")) -> None:
    """The loop with a SCRIPTED model (no endpoint needed), method hawk on two tasks: a UB overflow is
    repaired and learned on task 1, and that knowledge is injected into task 2's repair."""
    import shutil

    from hawk.agent import Budget, run_agent
    from hawk.agent.demo import ROWMAX_REPLIES, ROWMAX_TASK_FILE, SCRIPTED_REPLIES, TASK_FILE
    from hawk.knowledge import KnowledgeStore
    from hawk.llm import ScriptedLLM
    from hawk.tasks.task import task_from_file

    # Tuning and roofline stopping are off here: the demo is about knowledge (`hawk tune` shows the tuner).
    console.print("[bold yellow]DEMO: the model is SCRIPTED[/bold yellow] (fixed replies; no LLM is called). "
                  "The simulator, verdicts, trajectories and knowledge store are real.")  # fmt: skip
    shutil.rmtree(out, ignore_errors=True)
    kb = out / "knowledge.db"
    target = targets.get("ascend-pypto")
    results = []
    for task_file, replies, iterations in ((TASK_FILE, SCRIPTED_REPLIES, 3), (ROWMAX_TASK_FILE, ROWMAX_REPLIES, 2)):
        task = task_from_file(task_file)
        run_out = out / task.id
        result = run_agent(
            task, target, ScriptedLLM(replies), "hawk", run_out,
            Budget(iterations=iterations, tune_points=0, roofline_stop=None), EvalOptions(seeds=3),
            log=lambda m: console.print("[scripted model] " + m, highlight=False, markup=False),
            knowledge_path=kb, distill_every=0,
        )  # fmt: skip
        _print_result(result, run_out)
        results.append(result)
    with KnowledgeStore(kb) as store:
        for item_id in results[1].knowledge.get("injected", []):
            item = store.get(item_id)
            e = item.effect
            console.print(f"knowledge item {item.id} [{', '.join(item.labels)}] learned on {item.provenance['task']}, "
                          f"injected into {results[1].task}'s repair: {item.rationale}; effect: {e.passes_after} "
                          f"pass(es) after {e.injected} injection(s)", highlight=False, markup=False)  # fmt: skip
    raise typer.Exit(0 if all(r.passed for r in results) else 1)


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

from hawk.cli.tune import tune_cmd  # noqa: E402

app.command("tune")(tune_cmd)

from hawk.cli.mcp import mcp_cmd  # noqa: E402

app.command("mcp")(mcp_cmd)


if __name__ == "__main__":
    app()
