"""Records of a tuning run: every point tried, and the result."""

from __future__ import annotations

from dataclasses import dataclass, field

from hawk.targets.tuning import Knob, Point
from hawk.targets.verdict import Verdict


@dataclass
class PointRecord:
    """One point of a search: its values, what happened, and the simulated time if it ran."""

    index: int
    values: Point
    status: str  # "ok" | "failed" | "pruned" | "verify_failed" | "verified"
    time_us: float | None = None
    reason: str = ""  # why it was pruned or failed
    constraint: str | None = None  # the hardware constraint a failure named (ub_capacity, ...)


@dataclass
class TuneResult:
    source: str  # the tuned kernel (the input unchanged when nothing better was verified)
    changed: bool
    knobs: list[Knob] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # why something was not tuned
    strategy: str = ""  # "grid" | "tpe" | "none"
    before_us: float | None = None  # the original point, performance-only simulation
    after_us: float | None = None  # the tuned kernel's verified time (== before when unchanged)
    roofline_us: float | None = None
    points_tried: int = 0  # simulated (performance only), the original included
    points_pruned: int = 0  # rejected by the target's rules without running
    points_failed: int = 0
    wall_s: float = 0.0  # everything: search and verification
    search_s: float = 0.0  # proposing and simulating points (what points per minute is measured on)
    verdict: Verdict | None = None  # the tuned kernel's full verdict (every seed), when it changed
    records: list[PointRecord] = field(default_factory=list)

    @property
    def roofline_ratio(self) -> float | None:
        t = self.after_us if self.after_us is not None else self.before_us
        return round(t / self.roofline_us, 3) if t and self.roofline_us else None

    @property
    def points_per_minute(self) -> float | None:
        return round(self.points_tried / self.search_s * 60, 1) if self.search_s else None

    @property
    def speedup(self) -> float | None:
        return round(self.before_us / self.after_us, 3) if self.before_us and self.after_us else None
