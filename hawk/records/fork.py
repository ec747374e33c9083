"""Start a run from another run's first steps (`hawk generate --fork-from DIR --fork-steps K`).

A paired A/B of two searches (or budgets) is noisy when each arm draws its own first kernel: on
the KernelBench convolutions the first kernels of two units of one task differed up to 2x, more
than the searches did. Forking both arms from one run's first K finished steps gives them the same
opening, so what differs afterwards is what the A/B changes. The copied steps are replayed, never
re-asked or re-judged (their tokens count, as a resumed run's do); `fork.json` records where they
came from, and a rerun into the same directory resumes the fork like any run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from hawk.fileio import atomic_write_text
from hawk.records.trajectory import Step, Trajectory

FORK_FILE = "fork.json"


@dataclass(frozen=True)
class Fork:
    source: Path  # the run directory whose first steps are copied
    steps: int  # how many of its finished steps


def fork_run(fork: Fork, target: Trajectory, task_id: str | None = None) -> int:
    """Copy `fork.steps` finished steps of `fork.source` into the empty run `target`; the number copied.
    A run that already holds steps is left alone when it was forked the same way (a resume), and
    refused otherwise: its steps would not be the ones asked for. With `task_id`, a source run of
    another task is refused."""
    out_dir = target.path.parent
    record = {"source": str(Path(fork.source).resolve()), "steps": fork.steps}
    if target.steps:
        marker = out_dir / FORK_FILE
        if marker.exists() and json.loads(marker.read_text()) == record:
            return 0
        raise ValueError(f"{out_dir} already holds a run that was not forked from {fork.source} "
                         f"({fork.steps} steps): use another --out")  # fmt: skip
    if fork.steps < 1:
        raise ValueError(f"a fork copies at least one step (got --fork-steps {fork.steps})")
    path = Path(fork.source) / "trajectory.jsonl"
    if not path.is_file():
        raise ValueError(f"--fork-from {fork.source}: no trajectory.jsonl there (not a run directory)")
    source = Trajectory(path).steps
    if task_id is not None and source and f"# Task `{task_id}`" not in _prompt(source[0]):
        raise ValueError(f"--fork-from {fork.source} is a run of another task (its first prompt is not "
                         f"for `{task_id}`): its kernels would be judged against the wrong reference")  # fmt: skip
    if len(source) < fork.steps:
        raise ValueError(
            f"--fork-from {fork.source} has {len(source)} finished step(s), fewer than --fork-steps {fork.steps}"
        )
    for step in source[: fork.steps]:
        target.append(step)
    atomic_write_text(out_dir / FORK_FILE, json.dumps(record) + "\n")
    return fork.steps


def _prompt(step: Step) -> str:
    return "\n".join(m.get("content", "") for m in step.messages)
