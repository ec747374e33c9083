"""What a benchmark run is: its work units (method, task, sample), the tasks, and the run manifest.

Layout of a run directory DIR::

    DIR/run.json                       the manifest (suite, target, methods, samples, budget, LLM settings
                                       without secrets, hawk version, git commit, one entry per invocation)
    DIR/<method>/<task>/s<k>/          one unit: run_agent's files (trajectory.jsonl, summary.json,
                                       best_kernel.py, best_verdict.json), unit.json (the bench record), log.txt
    DIR/experts/<task>.json            the expert kernel's verdict, evaluated once per run
    DIR/logs/<task>.log                every unit's log lines for that task, interleaved
    DIR/kb_growth.jsonl                knowledge-store size after each finished unit
    DIR/summary.json, summary.md, report.html, tasks/<task>.html
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hawk.agent.loop import Budget
from hawk.fileio import atomic_write_json
from hawk.targets.base import EvalOptions
from hawk.tasks import TaskError, load_suite
from hawk.tasks.task import Task

MANIFEST = "run.json"
SAMPLE_DIR = "s{}"


class BenchError(Exception):
    """Bad input or an unusable run directory; the message is one line that says what to change."""


@dataclass(frozen=True, order=True)
class WorkUnit:
    method: str
    task: str
    sample: int

    @property
    def key(self) -> str:
        return f"{self.method}/{self.task}/s{self.sample}"

    def dir(self, root: Path) -> Path:
        return Path(root) / self.method / self.task / SAMPLE_DIR.format(self.sample)


@dataclass
class BenchConfig:
    """Everything that decides a run's results; recorded in run.json and equal for every method."""

    suite: str | None  # a suite name, or a directory holding suite.toml, tasks/ and experts/ (or tasks_dir)
    methods: list[str]
    out: Path
    target: str = "ascend-pypto"
    samples: int = 1
    tasks: list[str] | None = None  # a subset of the suite's task ids; None: all
    budget: Budget = field(default_factory=Budget)
    eval_options: EvalOptions = field(default_factory=EvalOptions)
    corpus: Path | None = None  # for method transplant
    kb_path: Path | None = None  # None: DIR/knowledge.sqlite (a benchmark never pollutes the user's store)
    experts: bool = True  # evaluate each task's expert kernel once (speedup over expert)
    swimlane: bool = False  # draw the best kernel's swimlane per correct unit (one more evaluation each)
    ablate_knowledge: bool = False  # method hawk withholds a random half of each step's retrieved items (A/B)
    base_kb: bool = True  # method hawk: the base layer shipped with Hawk lies beneath the run's store
    # A KernelBench-format folder instead of a suite (hawk/tasks/kernelbench.py): its levels, a filter
    # on task ids, and a shape-override file for the shape policy.
    tasks_dir: Path | None = None
    levels: list[int] | None = None
    only: list[str] | None = None
    shape_overrides: Path | None = None

    def resolved_kb_path(self) -> Path:
        return Path(self.kb_path) if self.kb_path else Path(self.out) / "knowledge.sqlite"


def config_tasks(config: BenchConfig) -> tuple[str, list[Task]]:
    """The run's suite name and tasks: `--suite` (and `--tasks`), or `--tasks-dir` (with `--levels`,
    `--only`, `--tasks`), each KernelBench-format task at the shape the shape policy picks."""
    if (config.tasks_dir is None) == (config.suite is None):
        raise BenchError("give either --suite or --tasks-dir")
    if config.tasks_dir is None:
        return load_tasks(config.suite, config.tasks)
    from hawk.tasks.kernelbench import load_dir

    try:
        s = load_dir(Path(config.tasks_dir), config.levels, config.only, config.shape_overrides)
    except TaskError as exc:
        raise BenchError(str(exc)) from None
    return load_tasks(s.name, config.tasks, s)


def load_tasks(suite: str, only: list[str] | None = None, loaded: Any = None) -> tuple[str, list[Task]]:
    """The suite's name and tasks. `suite` is a registered suite name or a suite directory (or the
    name of `loaded`, a suite already read)."""
    try:
        s = loaded or load_suite(suite)
    except TaskError as exc:
        raise BenchError(str(exc)) from None
    name, tasks = s.name, s.tasks
    if only:
        known = {t.id for t in tasks}
        missing = [t for t in only if t not in known]
        if missing:
            raise BenchError(f"task(s) not in suite {name}: {', '.join(missing)}")
        tasks = [t for t in tasks if t.id in set(only)]
    if not tasks:
        raise BenchError(f"suite {name} has no tasks")
    return name, tasks


def plan_units(methods: list[str], tasks: list[Task], samples: int) -> list[WorkUnit]:
    """Every (method, task, sample), task-major so early results cover all methods of a task."""
    return [WorkUnit(m, t.id, k) for t in tasks for m in methods for k in range(samples)]


def validate_methods(methods: list[str]) -> list[str]:
    from hawk.agent.loop import METHODS  # read at call time: methods added to the loop work here at once

    if not methods:
        raise BenchError("no method given (--method hawk,feedback,oneshot,transplant)")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise BenchError(f"unknown method(s) {', '.join(unknown)} (known: {', '.join(METHODS)})")
    if len(set(methods)) != len(methods):
        raise BenchError(f"a method is listed twice: {', '.join(methods)}")
    return methods


# --- the run manifest ----------------------------------------------------------------------------


def _jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(obj).items()}
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def git_commit() -> dict[str, Any] | None:
    """The commit of the Hawk checkout that runs the benchmark, if it is one (and whether it is dirty)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}


# Settings that decide results: a rerun into the same DIR must agree on them, or it would mix two runs.
_FIXED = ("suite", "target", "budget", "eval", "llm_identity", "kb_path", "corpus", "ablate_knowledge", "base_kb")
# LLM settings that do not change replies (transport, accounting, where files go).
_LLM_NOT_IDENTITY = {"api_key", "timeout_s", "max_retries", "retry_backoff_s", "retry_backoff_max_s", "concurrency",
                     "price_prompt_per_mtok", "price_completion_per_mtok", "exchange_dir", "exchange_timeout_s",
                     "exchange_poll_s", "cache", "cache_dir"}  # fmt: skip


def manifest_for(config: BenchConfig, suite_name: str, tasks: list[Task], llm_settings: dict[str, Any]) -> dict:
    from hawk import __version__

    llm_identity = {k: v for k, v in llm_settings.items() if k not in _LLM_NOT_IDENTITY}
    return {
        "format": 1,
        "suite": suite_name,
        "suite_arg": str(config.tasks_dir or config.suite),
        "target": config.target,
        "methods": list(config.methods),
        "samples": config.samples,
        "tasks": [t.id for t in tasks],
        "budget": _jsonable(config.budget),
        "eval": _jsonable(config.eval_options),
        "llm": llm_settings,  # redacted: the key is never written
        "llm_identity": llm_identity,
        "kb_path": str(config.resolved_kb_path()),
        "corpus": str(config.corpus) if config.corpus else None,
        "experts": config.experts,
        # Only written when set, so runs from before the option still resume (absent == off).
        **({"ablate_knowledge": True} if config.ablate_knowledge else {}),
        **({"base_kb": False} if not config.base_kb else {}),
        **_shape_policies(tasks),
        "hawk_version": __version__,
        "git": git_commit(),
        "started": _now(),
        "invocations": [],
    }


def _shape_policies(tasks: list[Task]) -> dict[str, Any]:
    """{"shape_policy": task id -> the shape policy's decision} for tasks loaded through it, else {}."""
    decisions = {t.id: t.extra["shape_policy"] for t in tasks if t.extra.get("shape_policy")}
    return {"shape_policy": decisions} if decisions else {}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def open_manifest(out: Path, fresh: dict[str, Any], invocation: dict[str, Any]) -> dict[str, Any]:
    """Create DIR/run.json, or check a rerun agrees with it and extend it (more methods, samples, tasks)."""
    out = Path(out)
    path = out / MANIFEST
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise BenchError(f"{path} is unreadable ({exc}); use another --out or repair it") from None
        for key in _FIXED:
            if json.dumps(_settled(key, old.get(key)), sort_keys=True) != json.dumps(fresh.get(key), sort_keys=True):
                raise BenchError(
                    f"{out} holds a run with another {key} ({json.dumps(old.get(key))[:200]}); "
                    "results would not be comparable: use another --out"
                )
        merged = dict(old)
        merged["methods"] = old["methods"] + [m for m in fresh["methods"] if m not in old["methods"]]
        merged["tasks"] = old["tasks"] + [t for t in fresh["tasks"] if t not in old["tasks"]]
        merged["samples"] = max(old["samples"], fresh["samples"])
        if "shape_policy" in fresh:
            merged["shape_policy"] = {**old.get("shape_policy", {}), **fresh["shape_policy"]}
        merged["llm"] = fresh["llm"]  # transport settings may change between invocations; the last is shown
    else:
        merged = fresh
    merged.setdefault("invocations", []).append(invocation)
    write_json(path, merged)
    return merged


def _settled(key: str, recorded: Any) -> Any:
    """A recorded setting as this version writes it: a budget from before a field existed has its default
    (the behaviour it ran with), so such a run still resumes."""
    if key == "budget" and isinstance(recorded, dict):
        recorded = dict(recorded)
        if "tune_points" in recorded:  # the tuner's budget before it had one name everywhere
            recorded["tune_budget"] = recorded.pop("tune_points")
        return {**_jsonable(Budget()), **recorded}
    return recorded


def read_manifest(out: Path) -> dict[str, Any]:
    path = Path(out) / MANIFEST
    if not path.is_file():
        raise BenchError(f"{out} is not a benchmark run (no {MANIFEST})")
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BenchError(f"{path} is unreadable: {exc}") from None


def write_json(path: Path, data: Any) -> None:
    """Write-then-rename, so a crash leaves the old file or the new one, never half of one."""
    atomic_write_json(Path(path), _jsonable(data))
