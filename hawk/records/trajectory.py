"""The trajectory: one JSON line per finished step, appended and fsynced, so a run can resume.

A step is written only once it is complete (reply parsed and candidate judged), so a run killed
at any point loses at most the step in flight, and a rerun replays the finished steps from the
file instead of asking the model or the target again.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hawk.fileio import atomic_write_text
from hawk.targets.verdict import Verdict


@dataclass
class Step:
    index: int
    kind: str  # generate | repair | optimize
    messages: list[dict[str, str]]
    reply: str | None
    candidate: str | None
    parse_error: str | None  # why the reply held no usable kernel
    verdict: dict[str, Any] | None
    tokens: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    cached: bool = False
    knowledge: list[str] = field(default_factory=list)  # ids of knowledge items the prompt carried
    knowledge_applied: list[str] = field(default_factory=list)  # of those, the ones this step's change applied
    knowledge_withheld: list[str] = field(default_factory=list)  # retrieved but withheld (A/B ablation)
    knowledge_helped: bool | None = None  # the step's outcome as the items' effects were credited with it
    # The tuner's run on this step's kernel when it passed (hawk.agent.loop._tune_step): the tuned
    # source and verdict when it found a faster verified point, and what it spent.
    tuning: dict[str, Any] | None = None
    # With `candidates` > 1: the other samples of this step (reply, candidate, verdict); the step's
    # own fields hold the best one.
    alternatives: list[dict[str, Any]] = field(default_factory=list)

    def best_kernel(self) -> tuple[str | None, Verdict | None]:
        """This step's kernel and verdict, the tuned version when the tuner found a faster one."""
        if self.tuning and self.tuning.get("changed"):
            return self.tuning["source"], Verdict.from_dict(self.tuning["verdict"])
        return self.candidate, self.verdict_obj()

    def kept_verdict(self) -> dict[str, Any] | None:
        """The verdict of the kernel this step leaves behind: the tuned one when the tuner won."""
        if self.tuning and self.tuning.get("changed") and self.tuning.get("verdict"):
            return self.tuning["verdict"]
        return self.verdict

    def verdict_obj(self) -> Verdict | None:
        return Verdict.from_dict(self.verdict) if self.verdict else None


class Trajectory:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.steps: list[Step] = self._load()

    def _load(self) -> list[Step]:
        if not self.path.exists():
            return []
        steps = []
        for line in self.path.read_text().splitlines():
            try:
                steps.append(Step(**json.loads(line)))
            except (ValueError, TypeError):
                break  # a torn last line from a crash: everything before it is good
        return steps

    def append(self, step: Step) -> None:
        if len(self.steps) != step.index:
            raise ValueError(f"step {step.index} appended after {len(self.steps)} steps")
        self._rewrite_if_torn()
        with self.path.open("a") as fh:
            fh.write(json.dumps(asdict(step), default=str) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.steps.append(step)

    def _rewrite_if_torn(self) -> None:
        """Drop a partial trailing line left by a crash before appending after it."""
        text = self.path.read_text() if self.path.exists() else ""
        if text.count("\n") != len(self.steps) or (text and not text.endswith("\n")):
            atomic_write_text(self.path, "".join(json.dumps(asdict(s), default=str) + "\n" for s in self.steps))
