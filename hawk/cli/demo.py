"""`hawk demo`: the generation loop with a SCRIPTED model, written as a benchmark run with its report.

Method hawk on two small tasks, one after the other: the first kernel of task 1 overflows UB and
is repaired, the lesson is proven and stored, and task 2's repair gets it injected. Each task is a
unit of a `hawk bench`-format run (run.json, hawk/<task>/s0/, knowledge.db), so `hawk report`
renders it like any benchmark; the demo renders it at the end.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console(soft_wrap=True)
TARGET = "ascend-pypto"


def _demo_suite(folder: Path) -> Path:
    """The demo's two task files laid out as a suite folder (suite.toml, tasks/)."""
    from hawk.agent.demo import ROWMAX_TASK_FILE, TASK_FILE

    (folder / "tasks").mkdir(parents=True, exist_ok=True)
    (folder / "experts").mkdir(exist_ok=True)
    entries = []
    for path, what in ((TASK_FILE, "exp(x) * y + x on 256 x 512 fp32"), (ROWMAX_TASK_FILE, "x - rowmax(x), fp32")):
        shutil.copyfile(path, folder / "tasks" / path.name)
        entries.append(f'[[task]]\nid = "{path.stem}"\nlevel = 1\ncategory = "demo"\ndescription = "{what}"\n')
    (folder / "suite.toml").write_text('[suite]\nname = "demo"\ndescription = "hawk demo"\n\n' + "\n".join(entries))
    return folder


def _print_unit(record, unit_dir: Path) -> None:
    for line in (unit_dir / "log.txt").read_text().splitlines():
        console.print("[scripted model] " + line.split("] ", 1)[-1], highlight=False, markup=False)
    best = (f"best kernel from step {record.best_step}: {record.best_time_us} us simulated"
            + (f", {record.speedup}x over eager" if record.speedup else "")) if record.passed else "no correct kernel"  # fmt: skip
    console.print(f"{record.task}: {record.steps} steps ({', '.join(record.statuses)}); {best}; stopped: "
                  f"{record.stop_reason}; written to {unit_dir}/", highlight=False, markup=False)  # fmt: skip


def demo_cmd(out: Annotated[Path, typer.Option(help="output directory (a benchmark run)")] = Path("runs/demo")) -> None:
    """The loop with a SCRIPTED model (no endpoint needed), method hawk on two tasks: a UB overflow is
    repaired and learned on task 1, and that knowledge is injected into task 2's repair; then the report."""
    from hawk.agent import Budget
    from hawk.agent.demo import ROWMAX_REPLIES, SCRIPTED_REPLIES
    from hawk.bench import BenchConfig, WorkUnit, render
    from hawk.bench.plan import load_tasks, manifest_for, open_manifest
    from hawk.bench.unit import UnitSpec, run_unit
    from hawk.cli.bench import print_method_table
    from hawk.llm import LLMSettings
    from hawk.targets.base import EvalOptions

    # Tuning and roofline stopping are off here: the demo is about knowledge learned at run time from an
    # empty store (`hawk tune` shows the tuner), so the shipped base layer stays out too.
    console.print("[bold yellow]DEMO: the model is SCRIPTED[/bold yellow] (fixed replies; no LLM is called). "
                  "The simulator, verdicts, trajectories and knowledge store are real.")  # fmt: skip
    shutil.rmtree(out, ignore_errors=True)
    suite_name, tasks = load_tasks(str(_demo_suite(out / "suite")))
    kb, settings, options = out / "knowledge.db", LLMSettings(provider="scripted"), EvalOptions(seeds=3)
    budgets = [
        Budget(iterations=n, tune_budget=0, roofline_stop=None) for n in (len(SCRIPTED_REPLIES), len(ROWMAX_REPLIES))
    ]
    config = BenchConfig(suite=str(out / "suite"), methods=["hawk"], out=out, target=TARGET, budget=budgets[0],
                         eval_options=options, kb_path=kb, experts=False, base_kb=False)  # fmt: skip
    open_manifest(out, manifest_for(config, suite_name, tasks, settings.redacted()),
                  {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "backend": "local", "workers": 1,
                   "ray_address": None, "pid": os.getpid()})  # fmt: skip
    records = []
    for task, replies, budget in zip(tasks, (SCRIPTED_REPLIES, ROWMAX_REPLIES), budgets, strict=True):
        unit = WorkUnit("hawk", task.id, 0)
        record = run_unit(UnitSpec(unit=unit, out=out, task=task, target=TARGET, budget=budget, eval_options=options,
                                   llm_settings=settings, kb_path=kb, base_kb=False,
                                   scripted_replies={task.id: replies}))  # fmt: skip
        _print_unit(record, unit.dir(out))
        records.append((record, unit.dir(out)))
    _print_injected(kb, records[1])
    paths = render(out)
    print_method_table(paths["json"])
    console.print(f"report: {paths['html']} (also {paths['md'].name}; `hawk report {out}` re-renders it)",
                  highlight=False, markup=False)  # fmt: skip
    raise typer.Exit(0 if all(r.passed for r, _ in records) else 1)


def _print_injected(kb: Path, second: tuple) -> None:
    """What task 2's repair was given from what task 1 taught, and what it did."""
    import json

    from hawk.knowledge import KnowledgeStore

    record, unit_dir = second
    injected = json.loads((unit_dir / "knowledge.json").read_text()).get("injected", [])
    with KnowledgeStore(kb) as store:
        for item_id in injected:
            item = store.get(item_id)
            e = item.effect
            console.print(f"knowledge item {item.id} [{', '.join(item.labels)}] learned on {item.provenance['task']}, "
                          f"injected into {record.task}'s repair: {item.rationale}; effect: {e.passes_after} "
                          f"pass(es) after {e.injected} injection(s)", highlight=False, markup=False)  # fmt: skip
