"""The trajectory: one JSON line per finished step, appended and fsynced, so a run can resume.

A step is a typed record (its verdict a `Verdict`, its tuning a `Tuning`); this file is the only
place it becomes JSON and back.

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
class TunedPoint:
    values: dict[str, Any]
    time_us: float | None
    status: str


@dataclass
class Tuning:
    """The tuner's run on a step's kernel (hawk.tune.TuneResult, as the step keeps it): the tuned
    source and verdict when it found a faster verified point, what it spent, its best points."""

    changed: bool
    source: str | None
    verdict: Verdict | None
    before_us: float | None
    after_us: float | None
    roofline_us: float | None
    points_tried: int = 0
    points_pruned: int = 0
    points_failed: int = 0
    strategy: str = ""
    wall_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    knobs: list[str] = field(default_factory=list)
    top: list[TunedPoint] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Tuning:
        return cls(**{**d, "verdict": _verdict(d.get("verdict")), "top": [TunedPoint(**p) for p in d.get("top", [])]})


@dataclass
class Sample:
    """One of a step's samples that was not kept (with `candidates` > 1), or one of the kernels of its
    reply (with `variants` > 1; `reply` is then None when it is the step's own reply)."""

    sample: int
    reply: str | None
    candidate: str | None
    parse_error: str | None
    verdict: Verdict | None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Sample:
        return cls(**{**d, "verdict": _verdict(d.get("verdict"))})


@dataclass
class Step:
    index: int
    kind: str  # generate | repair | optimize
    messages: list[dict[str, str]]
    reply: str | None
    candidate: str | None
    parse_error: str | None  # why the reply held no usable kernel
    verdict: Verdict | None
    tokens: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    cached: bool = False
    knowledge: list[str] = field(default_factory=list)  # ids of knowledge items the prompt carried
    knowledge_applied: list[str] = field(default_factory=list)  # of those, the ones this step's change applied
    knowledge_withheld: list[str] = field(default_factory=list)  # retrieved but withheld (A/B ablation)
    knowledge_helped: bool | None = None  # the step's outcome as the items' effects were credited with it
    # The tuner's run on this step's kernel when it passed (hawk.agent.step.tune_step).
    tuning: Tuning | None = None
    # With `candidates` > 1: the other samples of this step; the step's own fields hold the best one.
    alternatives: list[Sample] = field(default_factory=list)
    # The step whose kernel this one rewrote (repair: the failed one; optimize: the kept parent).
    parent: int | None = None

    @property
    def status(self) -> str:
        """The verdict's status, or `no_kernel` when the reply held none."""
        return self.verdict.status.value if self.verdict else "no_kernel"

    def best_kernel(self) -> tuple[str | None, Verdict | None]:
        """This step's kernel and verdict, the tuned version when the tuner found a faster one."""
        if self.tuning and self.tuning.changed:
            return self.tuning.source, self.tuning.verdict
        return self.candidate, self.verdict

    def kept_verdict(self) -> Verdict | None:
        """The verdict of the kernel this step leaves behind: the tuned one when the tuner won."""
        if self.tuning and self.tuning.changed and self.tuning.verdict:
            return self.tuning.verdict
        return self.verdict

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Step:
        return cls(**{
            **d, "verdict": _verdict(d.get("verdict")),
            "tuning": Tuning.from_dict(d["tuning"]) if d.get("tuning") else None,
            "alternatives": [Sample.from_dict(a) for a in d.get("alternatives", [])],
        })  # fmt: skip


def _verdict(d: dict[str, Any] | None) -> Verdict | None:
    return Verdict.from_dict(d) if d else None


class Trajectory:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.steps: list[Step] = self._load()

    def _load(self) -> list[Step]:
        if not self.path.exists():
            return []
        steps = []
        lines = self.path.read_text().splitlines()
        for n, line in enumerate(lines, 1):
            try:
                steps.append(Step.from_dict(json.loads(line)))
            except (ValueError, TypeError, KeyError) as exc:
                if n < len(lines):  # not a torn tail: a record this version cannot read; never drop it
                    raise ValueError(
                        f"{self.path}: line {n} is not a step this version of Hawk reads ({exc})"
                    ) from None
                break  # a torn last line from a crash: everything before it is good
        return steps

    def append(self, step: Step) -> None:
        if len(self.steps) != step.index:
            raise ValueError(f"step {step.index} appended after {len(self.steps)} steps")
        self._rewrite_if_torn()
        with self.path.open("a") as fh:
            fh.write(json.dumps(step.to_dict(), default=str) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.steps.append(step)

    def _rewrite_if_torn(self) -> None:
        """Drop a partial trailing line left by a crash before appending after it."""
        text = self.path.read_text() if self.path.exists() else ""
        if text.count("\n") != len(self.steps) or (text and not text.endswith("\n")):
            atomic_write_text(self.path, "".join(json.dumps(s.to_dict(), default=str) + "\n" for s in self.steps))
