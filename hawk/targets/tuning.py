"""What a target tells a tuner: the knobs of a kernel, the rules of its hardware, the source of any
point, and performance-only timings. A target that implements `Tunable` can be searched by
hawk.tune (the search itself is target-neutral and lives there)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from hawk.tasks.task import Task

Point = dict[str, Any]  # knob name -> value (None: the option is left unset)


@dataclass(frozen=True)
class Knob:
    """One number in the source the tuner may change without changing what the kernel computes."""

    name: str  # "vec@12[1]" (line 12, argument 1), "ROWS" (a module constant), "vec_nbuffer_setting"
    kind: str  # "vec_tile" | "cube_tile" | "constant" | "pass_option"
    original: Any  # the value in the source (None: a pass option not set)
    values: tuple[Any, ...]  # the candidates, ordered (sizes ascending; None first for options)
    line: int
    size_like: bool = True  # a larger value needs more on-chip memory (used to prune after a failure)
    note: str = ""


@dataclass
class PointTiming:
    """What a target's performance-only run says of one point."""

    time_us: float | None
    error: str | None = None
    constraint: str | None = None


class TuningSpace(Protocol):
    knobs: list[Knob]
    notes: list[str]  # what was not tuned, and why

    def original(self) -> Point: ...

    def illegal(self, point: Point) -> str | None:
        """Why `point` cannot work on the hardware (checked before running it), or None."""
        ...

    def render(self, point: Point) -> str:
        """The kernel's source with `point`'s values written in."""
        ...


class PointTimer(Protocol):
    """A target's performance-only timing session (its workers stay up between batches)."""

    def time_points(self, sources: dict[str, str]) -> dict[str, PointTiming]:
        """Time each named source (no correctness check), in parallel; never raises for a bad one."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Tunable(Protocol):
    def tuning_space(self, source: str, task: Task) -> TuningSpace: ...

    def point_timer(self, task: Task, workdir: Path, workers: int) -> PointTimer: ...
