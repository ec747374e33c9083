"""Suites: a folder with `suite.toml` (the manifest), `tasks/` (KernelBench files) and `experts/`
(expert reference kernels that prove the harness; never shown to a generating model)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from hawk.tasks.task import Task, TaskError

SUITES_DIR = Path(__file__).parent / "suites"


@dataclass
class Suite:
    name: str
    description: str
    root: Path
    tasks: list[Task]

    def get(self, task_id: str) -> Task:
        for t in self.tasks:
            if t.id == task_id:
                return t
        raise TaskError(f"unknown task '{task_id}' in suite {self.name}")


def suite_names() -> list[str]:
    names = []
    for manifest in sorted(SUITES_DIR.glob("*/suite.toml")):
        with manifest.open("rb") as fh:
            names.append(tomllib.load(fh)["suite"]["name"])
    return names


def _suite_dir(name: str) -> Path:
    for manifest in sorted(SUITES_DIR.glob("*/suite.toml")):
        with manifest.open("rb") as fh:
            if tomllib.load(fh)["suite"]["name"] == name:
                return manifest.parent
    raise TaskError(f"unknown suite '{name}' (known: {', '.join(suite_names())})")


def load_suite(ref: str | Path) -> Suite:
    """A suite by its registered name, or any folder with the suite layout (`suite.toml`, `tasks/`,
    `experts/`), e.g. a user's own benchmark."""
    folder = Path(ref)
    root = (folder if (folder / "suite.toml").is_file() else _suite_dir(str(ref))).resolve()
    try:
        with (root / "suite.toml").open("rb") as fh:
            manifest = tomllib.load(fh)
        name = manifest["suite"]["name"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise TaskError(f"{root / 'suite.toml'}: not a suite manifest ({exc})") from None
    tasks = []
    for entry in manifest.get("task", []):
        tid = entry["id"]
        path = root / "tasks" / f"{tid}.py"
        if not path.is_file():
            raise TaskError(f"suite {name}: task file missing for {tid}: {path}")
        expert = root / "experts" / f"{tid}.py"
        # Other targets' experts live in experts_<target, dashes as underscores>/ (e.g. experts_ascend_triton/).
        per_target = {
            d.name.removeprefix("experts_").replace("_", "-"): d / f"{tid}.py"
            for d in sorted(root.glob("experts_*"))
            if (d / f"{tid}.py").is_file()
        }
        tasks.append(
            Task(
                id=tid,
                path=path.resolve(),
                level=int(entry.get("level", 1)),
                category=entry.get("category", "uncategorized"),
                suite=name,
                description=entry.get("description", ""),
                atol=entry.get("atol"),
                rtol=entry.get("rtol"),
                expert_kernel=expert.resolve() if expert.is_file() else None,
                extra={"experts": per_target, **({"no_stress": entry["no_stress"]} if "no_stress" in entry else {})},
                shapes=entry.get("shapes"),
            )
        )
    return Suite(name=name, description=manifest["suite"].get("description", ""), root=root, tasks=tasks)


DEFAULT_EXPERT_TARGET = "ascend-pypto"  # `experts/` holds this target's expert kernels


def expert_for(task: Task, target: str) -> Path | None:
    """The expert kernel of `task` written for `target`, or None when the suite has none."""
    if target == DEFAULT_EXPERT_TARGET:
        return task.expert_kernel
    return task.extra.get("experts", {}).get(target)


def all_experts(task: Task) -> list[Path]:
    """Every target's expert kernel of `task` (reference solutions, which knowledge must never hold)."""
    return [p for p in [task.expert_kernel, *task.extra.get("experts", {}).values()] if p is not None]
