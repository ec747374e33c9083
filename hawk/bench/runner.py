"""Runs a benchmark's units in parallel: a local process pool (spawn) by default, or a Ray cluster.

Each worker is one evaluation slot: it runs one unit at a time, and a unit evaluates one candidate
at a time. Finished units (complete unit.json) are skipped; a unit cut off mid-way resumes from its
trajectory. Results are written by the workers into the run directory, so the driver can die at any
moment without losing finished work; the driver only adds the knowledge-growth log and the report.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hawk.bench.plan import (
    BenchConfig,
    BenchError,
    WorkUnit,
    config_tasks,
    manifest_for,
    open_manifest,
    plan_units,
    validate_methods,
)
from hawk.bench.unit import ExpertSpec, UnitRecord, UnitSpec, execute, is_done
from hawk.llm import LLMSettings
from hawk.tasks.suite import expert_for

if TYPE_CHECKING:
    from hawk.tasks.task import Task


@dataclass
class BenchOutcome:
    out: Path
    planned: int
    skipped: int
    ran: list[UnitRecord] = field(default_factory=list)
    experts_ran: int = 0
    wall_s: float = 0.0
    backend: str = "local"
    workers: int = 1

    @property
    def evaluations(self) -> int:
        return sum(r.evaluations for r in self.ran) + self.experts_ran


def kb_snapshot(kb_path: Path) -> dict[str, int]:
    """Items in the knowledge store by status (0 when there is no store yet; nothing is created)."""
    if not Path(kb_path).is_file():
        return {"items": 0, "active": 0}
    from hawk.knowledge.store import KnowledgeStore

    with KnowledgeStore(kb_path) as store:
        items = store.list()
    return {"items": len(items), "active": sum(1 for i in items if i.status == "active")}


def run_bench(
    config: BenchConfig,
    llm_settings: LLMSettings,
    workers: int | None = None,
    ray_address: str | None = None,
    scripted_replies: dict[str, list[str]] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    log: Callable[[str], None] = print,
) -> BenchOutcome:
    """Run every unit of `config` not done yet, then return what ran. The report is rendered separately."""
    _check(config, llm_settings, workers, scripted_replies)
    suite_name, tasks = config_tasks(config)
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    backend = "ray" if ray_address else "local"
    if workers is None:  # local: one slot; Ray: every slot the cluster has (counted once it is up)
        workers = (os.cpu_count() or 1) if ray_address == "local" else (1 if backend == "local" else 0)
    invocation = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "backend": backend, "workers": workers,
                  "ray_address": ray_address, "pid": os.getpid()}  # fmt: skip
    open_manifest(out, manifest_for(config, suite_name, tasks, llm_settings.redacted()), invocation)
    kb = config.resolved_kb_path()
    if "hawk" in config.methods:  # a bad store must stop the run now, not fail every hawk unit later
        from hawk.knowledge.store import KnowledgeStore, StoreError

        try:
            KnowledgeStore(kb).close()
        except StoreError as exc:
            raise BenchError(str(exc)) from None
    units = plan_units(config.methods, tasks, config.samples)
    todo, skipped = _work(config, llm_settings, scripted_replies, tasks, units, out, kb)
    slots = f"{workers}" if workers else "all the cluster's"
    log(f"bench: {len(units)} units ({len(config.methods)} methods x {len(tasks)} tasks x {config.samples} samples), "
        f"{skipped} already done, {len(todo)} work items to run on {slots} {backend} worker slot(s)")  # fmt: skip
    outcome = BenchOutcome(out=out, planned=len(units), skipped=skipped, backend=backend, workers=workers)
    started = time.perf_counter()
    results = _run_local(todo, workers) if backend == "local" else _run_ray(todo, workers, ray_address)
    for done, (spec, result) in enumerate(results, 1):
        key, label = _record(outcome, spec, result, kb)
        log(f"[{done}/{len(todo)}] {key}: {label}")
        if progress:
            progress(done, len(todo), key)
    outcome.wall_s = time.perf_counter() - started
    return outcome


def _check(config: BenchConfig, llm_settings: LLMSettings, workers: int | None,
           scripted_replies: dict[str, list[str]] | None) -> None:  # fmt: skip
    """What makes a run impossible, said before anything is written."""
    if workers is not None and workers < 1:
        raise BenchError(f"--workers must be at least 1, got {workers}")
    if config.samples < 1:
        raise BenchError(f"--samples must be at least 1, got {config.samples}")
    validate_methods(config.methods)
    if "transplant" in config.methods and config.corpus is None:
        raise BenchError("method transplant needs --corpus DIR (kernels to transplant from)")
    if llm_settings.provider == "scripted" and not scripted_replies:
        raise BenchError("the scripted provider has no replies here (only tests and benchmarks script a model)")
    from hawk import targets

    try:
        targets.get(config.target)
    except KeyError:
        raise BenchError(f"unknown target '{config.target}' (known: {', '.join(targets.names())})") from None


def _work(config: BenchConfig, llm_settings: LLMSettings, scripted_replies: dict[str, list[str]] | None,
          tasks: list[Task], units: list[WorkUnit], out: Path, kb: Path) -> tuple[list[UnitSpec | ExpertSpec], int]:  # fmt: skip
    """The work items not done yet (the experts' timings first), and how many units were done already."""
    by_id = {t.id: t for t in tasks}
    todo: list[UnitSpec | ExpertSpec] = []
    if config.experts:
        for t in tasks:
            cached = out / "experts" / f"{t.id}.json"
            if expert_for(t, config.target) is not None and not _expert_done(cached):
                todo.append(ExpertSpec(task=t, out=out, target=config.target, eval_options=config.eval_options))
    skipped = 0
    for u in units:
        if is_done(u.dir(out)):
            skipped += 1
            continue
        todo.append(UnitSpec(unit=u, out=out, task=by_id[u.task], target=config.target, budget=config.budget,
                             eval_options=config.eval_options, llm_settings=llm_settings, kb_path=kb,
                             corpus=config.corpus, swimlane=config.swimlane,
                             ablate_knowledge=config.ablate_knowledge, base_kb=config.base_kb, scripted_replies=scripted_replies))  # fmt: skip
    return todo, skipped


def _record(outcome: BenchOutcome, spec: UnitSpec | ExpertSpec, result: Any, kb: Path) -> tuple[str, str]:
    """One finished work item into `outcome` (and the knowledge-growth log); its key and progress label."""
    if isinstance(result, BaseException):  # the worker died (killed, out of memory): nothing it finished is lost
        key = spec.unit.key if isinstance(spec, UnitSpec) else f"expert/{spec.task.id}"
        return key, f"worker failed ({type(result).__name__}: {result}); the next run resumes it"
    if isinstance(result, UnitRecord):
        outcome.ran.append(result)
        _append_growth(outcome.out, result, kb_snapshot(kb))
        return result.unit.key, _describe(result)
    outcome.experts_ran += 1
    return f"expert/{result['task']}", f"{result['status']} {result.get('time_us')} us"


def _expert_done(path: Path) -> bool:
    try:
        return json.loads(path.read_text()).get("status") != "error"
    except (OSError, ValueError):
        return False


def _describe(r: UnitRecord) -> str:
    if r.error:
        return f"error ({r.error}); retried by the next run"
    best = f"pass, {r.speedup}x over eager" if r.passed else "no correct kernel"
    more = "" if r.complete else f" [incomplete: {r.stop_reason}; resumed by the next run]"
    return f"{best} ({r.steps} steps: {', '.join(r.statuses)}){more}"


def _append_growth(out: Path, r: UnitRecord, kb: dict[str, int]) -> None:
    """One line per finished unit, in finishing order: the knowledge store's size after it."""
    line = json.dumps({"unit": r.unit.key, "method": r.method, "finished_at": r.finished_at, **kb}) + "\n"
    with (out / "kb_growth.jsonl").open("a") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


# --- backends: each yields (spec, result) as work finishes ------------------------------------------


def _run_local(todo: list[Any], workers: int) -> Iterator[tuple[Any, Any]]:
    if not todo:
        return
    # spawn, not fork: the driver may hold threads (progress bar, HTTP clients) that fork would copy mid-state.
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        pending: dict[Future, Any] = {pool.submit(execute, spec): spec for spec in todo}
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    spec = pending.pop(fut)
                    exc = fut.exception()
                    yield spec, exc if exc is not None else fut.result()
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise


def _run_ray(todo: list[Any], workers: int, address: str | None) -> Iterator[tuple[Any, Any]]:
    """One Ray task per work item, at most `workers` in flight (0: as many as the cluster has
    slots); each takes one evaluation slot.

    `address` "local" starts a private local cluster with `workers` CPUs; anything else is passed to
    ray.init (e.g. "auto", "ray://head:10001"). On a cluster whose nodes advertise an "NPU" resource,
    each task asks for one NPU, so every NPU evaluates one candidate at a time.
    """
    try:
        import ray
    except ImportError:
        raise BenchError("--ray needs the ray package (pip install ray)") from None
    if not todo:
        return
    started_here = False
    if not ray.is_initialized():
        if address == "local":
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=address, log_to_driver=False)
        started_here = True
    try:
        npus = ray.cluster_resources().get("NPU", 0)
        options = {"num_cpus": 0, "resources": {"NPU": 1}} if npus else {"num_cpus": 1}
        if workers == 0:
            workers = max(1, int(npus or ray.cluster_resources().get("CPU", 1)))
        remote = ray.remote(max_retries=0)(execute).options(**options)
        queue = list(todo)
        in_flight: dict[Any, Any] = {}
        while queue or in_flight:
            while queue and len(in_flight) < workers:
                spec = queue.pop(0)
                in_flight[remote.remote(spec)] = spec
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            for ref in ready:
                spec = in_flight.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayError as exc:  # a worker that died; its unit resumes next run
                    result = exc
                yield spec, result
    finally:
        if started_here:
            ray.shutdown()
