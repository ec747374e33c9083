"""Which kernel the next step rewrites: the seam where population search plugs in.

A strategy sees every finished step (`observe`) and answers what to ask for next (`next_attempt`):
write a kernel from scratch, repair a failed one, or optimize a correct one. `Chain` is the loop
as it has always been: repair the last kernel while it fails, otherwise optimize the single best.
`Population` (hawk.agent.population, `--search population`) keeps several kernels of different
structure and picks a parent among them by an upper-confidence rule instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from hawk.records.trajectory import Step
from hawk.targets.verdict import Verdict, bound_gap


@dataclass(frozen=True)
class Attempt:
    """What one step asks for: its kind, the kernel it starts from and what the target said of it."""

    index: int
    kind: str  # generate | repair | optimize
    candidate: str | None = None
    verdict: Verdict | None = None
    note: str | None = None  # why the previous reply held no usable kernel
    parent: Step | None = None  # the step whose kernel is rewritten (its tuning, for the prompt)
    structures: tuple[str, ...] = ()  # population search: the kept structures the rewrite must differ from
    why: str | None = None  # why the strategy chose this parent (logged)


@dataclass(frozen=True)
class Kept:
    """A correct kernel worth keeping: the step it came from, its source (tuned when the tuner won)."""

    step: Step
    source: str
    verdict: Verdict

    @property
    def time_us(self) -> float:
        perf = self.verdict.perf
        return perf.time_us if perf is not None and perf.time_us is not None else float("inf")

    def record(self) -> dict[str, Any]:
        return {"step": self.step.index, "time_us": self.verdict.perf.time_us if self.verdict.perf else None,
                "bound_gap": bound_gap(self.verdict.perf)}  # fmt: skip


class Strategy(Protocol):
    best: Kept | None

    def observe(self, step: Step) -> None:
        """A step finished (or was replayed from the trajectory)."""

    def next_attempt(self, index: int) -> Attempt:
        """What step `index` asks of the model."""

    def kept(self) -> list[dict[str, Any]]:
        """The kernels the strategy keeps at the end, for summary.json (`kept`)."""


class Chain:
    """Repair the last kernel while it fails; once one passes, optimize the fastest correct kernel."""

    def __init__(self) -> None:
        self.best: Kept | None = None
        self.last: Step | None = None

    def observe(self, step: Step) -> None:
        source, verdict = step.best_kernel()
        if verdict is not None and source and verdict.passed:
            kept = Kept(step, source, verdict)
            if self.best is None or kept.time_us < self.best.time_us:
                self.best = kept
        self.last = step

    def kept(self) -> list[dict[str, Any]]:
        return [self.best.record()] if self.best else []

    def next_attempt(self, index: int) -> Attempt:
        last, best = self.last, self.best
        note = last.parse_error if last is not None and last.candidate is None else None
        last_v = last.verdict if last is not None else None
        if last is not None and last_v is not None and not last_v.passed:
            return Attempt(index, "repair", last.candidate, last_v, note, parent=last)
        if last is not None and best is not None:
            return Attempt(index, "optimize", best.source, best.verdict, note, parent=best.step)
        return Attempt(index, "generate", note=note)
