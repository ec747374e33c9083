"""The Verdict: what a target says about one candidate kernel, with the evidence.

Every later module (agent prompts, knowledge synthesis, reports) reads these records, so they
are structured dataclasses that round-trip through JSON, not text blobs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "pass"
    COMPILE_ERROR = "compile_error"
    RUNTIME_ERROR = "runtime_error"
    WRONG_RESULT = "wrong_result"
    TIMEOUT = "timeout"
    INVALID = "invalid"


@dataclass
class SourceLine:
    lineno: int
    text: str


@dataclass
class ErrorContext:
    """Why a candidate failed. `hardware_reason` is the target's own words about the constraint."""

    kind: str  # e.g. syntax, contract, cheating, frontend, pass, ub_overflow, crash, timeout
    message: str
    hardware_reason: str | None = None
    op: str | None = None
    constraint: str | None = None  # taxonomy label, e.g. "ub_capacity"
    requested_bytes: int | None = None
    available_bytes: int | None = None
    lines: list[SourceLine] = field(default_factory=list)


@dataclass
class SeedCheck:
    seed: int
    passed: bool
    max_abs_diff: float | None = None
    max_rel_diff: float | None = None
    error_ratio: float | None = None
    zero_ratio: float | None = None
    detail: str = ""


@dataclass
class StressCheck:
    """One value-stress case (hawk/targets/stress.py): seed 0's inputs scaled or shifted."""

    name: str  # e.g. "inputs x16"
    passed: bool
    max_abs_diff: float | None = None
    detail: str = ""


@dataclass
class Correctness:
    seeds: list[int]
    passed: bool
    atol: float
    rtol: float
    max_abs_diff: float | None = None
    max_rel_diff: float | None = None
    error_ratio: float | None = None
    per_seed: list[SeedCheck] = field(default_factory=list)
    stress: list[StressCheck] = field(default_factory=list)  # also part of `passed`
    stress_note: str = ""  # stress cases left out, and why


@dataclass
class ShapeResult:
    """A kernel on one shape of its task's shape set."""

    shape: dict[str, int]  # the task's module constants at this shape, e.g. {"BATCH": 16}
    status: Status
    time_us: float | None = None
    eager_time_us: float | None = None
    speedup: float | None = None
    roofline_ratio: float | None = None
    bound_ratio: float | None = None
    detail: str = ""  # why it failed there


@dataclass
class Perf:
    time_us: float | None = None
    eager_time_us: float | None = None
    speedup: float | None = None
    roofline_us: float | None = None
    roofline_ratio: float | None = None  # time_us / roofline_us (>= 1; 1 is at the bound)
    bound_us: float | None = None  # calibrated floor: fixed cost + max(streaming, cube) (hawk/targets/bound.py)
    bound_ratio: float | None = None  # time_us / bound_us
    bound_parts: dict[str, float] = field(default_factory=dict)  # the bound's terms: fixed_us, memory_us, cube_us
    utilization: float | None = None  # percent of AICore time busy, as the simulator reports it
    total_cycles: int | None = None
    pipes: dict[str, float] = field(default_factory=dict)  # percent busy per pipe
    bubbles: dict[str, float] = field(default_factory=dict)
    bottleneck: str | None = None
    critical_chain: dict[str, Any] = field(default_factory=dict)  # tasks that decide the time (ascend_pypto/profile.py)
    eager_note: str | None = None  # why eager_time_us is missing, when it is
    estimate: bool = False  # True when the time is a model's estimate rather than a simulation
    note: str | None = None  # what the figures are (e.g. the estimate model and its inputs)


def bound_gap(perf: Perf | None) -> float | None:
    """How far a kernel is from its target's floor: the calibrated bound's ratio where there is one,
    else the roofline's (the loop's stop rule and the bench headline use this)."""
    if perf is None:
        return None
    return perf.bound_ratio if perf.bound_ratio is not None else perf.roofline_ratio


@dataclass
class HardwareFinding:
    """A documented hardware rule a candidate breaks or strains, found without running it on a device."""

    rule: str  # taxonomy label, e.g. "grid_core_mapping", "alignment", "dtype_support"
    severity: str  # "error" (cannot run on the chip), "warning" (runs, but slowly or padded), "info"
    message: str
    lines: list[SourceLine] = field(default_factory=list)


@dataclass
class Artifacts:
    workdir: str | None = None
    trace: str | None = None
    swimlane: str | None = None
    log: str | None = None


@dataclass
class Verdict:
    status: Status
    task: str
    target: str
    mode: str
    error: ErrorContext | None = None
    correctness: Correctness | None = None
    perf: Perf | None = None
    artifacts: Artifacts = field(default_factory=Artifacts)
    timings: dict[str, float] = field(default_factory=dict)  # wall seconds per phase
    findings: list[HardwareFinding] = field(default_factory=list)  # static hardware-rule findings
    shapes: list[ShapeResult] = field(default_factory=list)  # one per shape of a task's shape set
    # The shape policy's decision for a task loaded through it (hawk/tasks/shape_policy.py): rule,
    # reason, constants as written and as run, argument shapes both ways; None: run as written.
    shape_policy: dict[str, Any] | None = None

    @property
    def passed(self) -> bool:
        return self.status == Status.PASS

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def scrub_messages(self, clean: Callable[[str], str]) -> None:
        """Apply `clean` (hawk.scrub) to every message a reader or a model sees; code lines, names
        and figures stay as they are (the artifacts keep their real paths: they are for the user)."""
        if self.error is not None:
            self.error.message = clean(self.error.message)
            if self.error.hardware_reason:
                self.error.hardware_reason = clean(self.error.hardware_reason)
        if self.correctness is not None:
            self.correctness.stress_note = clean(self.correctness.stress_note)
            for check in [*self.correctness.per_seed, *self.correctness.stress]:
                check.detail = clean(check.detail)
        if self.perf is not None:
            self.perf.note = clean(self.perf.note) if self.perf.note else self.perf.note
            self.perf.eager_note = clean(self.perf.eager_note) if self.perf.eager_note else self.perf.eager_note
        for finding in self.findings:
            finding.message = clean(finding.message)
        for shape in self.shapes:
            shape.detail = clean(shape.detail)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        error = data.get("error")
        corr = data.get("correctness")
        perf = data.get("perf")
        return cls(
            status=Status(data["status"]),
            task=data["task"],
            target=data["target"],
            mode=data["mode"],
            error=ErrorContext(**{**error, "lines": [SourceLine(**ln) for ln in error.get("lines", [])]})
            if error
            else None,
            correctness=Correctness(
                **{
                    **corr,
                    "per_seed": [SeedCheck(**s) for s in corr.get("per_seed", [])],
                    "stress": [StressCheck(**c) for c in corr.get("stress", [])],
                }
            )
            if corr
            else None,
            perf=Perf(**perf) if perf else None,
            artifacts=Artifacts(**data.get("artifacts", {})),
            timings=dict(data.get("timings", {})),
            findings=[
                HardwareFinding(**{**f, "lines": [SourceLine(**ln) for ln in f.get("lines", [])]})
                for f in data.get("findings", [])
            ],
            shapes=[ShapeResult(**{**r, "status": Status(r["status"])}) for r in data.get("shapes", [])],
            shape_policy=data.get("shape_policy"),
        )
