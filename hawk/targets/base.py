"""The small protocol every hardware target implements, and its hardware description.

`Target` is what callers use (agent, tuner, bench, MCP). A target implements it by subclassing
`hawk.targets.pipeline.TargetBase`, whose `evaluate` is the harness's one evaluation flow, and
supplying the steps of `pipeline.Steps`: static rules, the worker run, the eager baseline,
clean-up. This module imports neither (the flow imports it), so there is no import circle.
README.md, "Adding a target", walks through one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Callable

    from hawk.targets.verdict import Verdict
    from hawk.tasks.task import Task


@dataclass(frozen=True)
class MemoryLevel:
    name: str  # "UB", "L1", "L0A", "L0B", "L0C", "L2", "GM"
    capacity_bytes: int
    alignment_bytes: int | None = None
    note: str = ""


@dataclass(frozen=True)
class HardwareSpec:
    """What an LLM (and Hawk's rules) must know of the chip. Values come from vendor tooling."""

    sku: str
    cube_cores: int
    vector_cores: int
    clock_mhz: int
    memories: tuple[MemoryLevel, ...]
    pipes: tuple[str, ...]  # units that can bound a kernel
    gm_bandwidth_gbps: float  # streaming bandwidth seen by kernels, GB/s
    cube_peak_tflops: float  # fp16 in, fp32 accumulate
    vector_peak_tflops: float  # fp32 elementwise
    source: str  # where the numbers come from
    notes: tuple[str, ...] = field(default_factory=tuple)

    def memory(self, name: str) -> MemoryLevel:
        for level in self.memories:
            if level.name == name:
                return level
        raise KeyError(name)

    def describe(self) -> str:
        """Plain-text summary for prompts and `hawk targets`."""
        lines = [
            f"SKU {self.sku}: {self.cube_cores} cube cores, {self.vector_cores} vector cores, {self.clock_mhz} MHz",
        ]
        for m in self.memories:
            align = f", {m.alignment_bytes} B alignment" if m.alignment_bytes else ""
            lines.append(f"  {m.name}: {m.capacity_bytes // 1024} KiB{align}{'; ' + m.note if m.note else ''}")
        lines.append(f"  global memory streaming bandwidth ~{self.gm_bandwidth_gbps:.0f} GB/s")
        lines.append(
            f"  peaks: cube {self.cube_peak_tflops:.0f} TFLOP/s (fp16), vector {self.vector_peak_tflops:.1f} TFLOP/s"
        )
        lines.append(f"  pipes: {', '.join(self.pipes)}")
        lines.extend(f"  {n}" for n in self.notes)
        return "\n".join(lines)


@dataclass(frozen=True)
class EvalOptions:
    seeds: int = 3
    timeout_s: float = 300.0
    memory_limit_mb: int = 16384
    mode: str | None = None  # None: the target's default for this machine
    keep_tensors: bool = False  # keep bulky intermediate dumps (tensors) in the scratch directory
    with_eager_baseline: bool = True
    stress: bool = True  # also judge on value-stress inputs (hawk/targets/stress.py)
    swimlane: bool = False  # draw profile images where the target can (slow); traces are always kept


@dataclass(frozen=True)
class Availability:
    mode: str
    available: bool
    reason: str


@runtime_checkable
class Target(Protocol):
    name: str

    def spec(self) -> HardwareSpec: ...

    def language_guide(self) -> str: ...

    def modes(self) -> list[Availability]: ...

    def default_mode(self) -> str: ...

    def tool_versions(self) -> dict[str, str]:
        """The compiler/simulator versions that judge kernels (kept in knowledge provenance)."""
        ...

    def setup(self, log: Callable[[str], None] = print, force: bool = False) -> dict[str, float]:
        """Create what the target needs on this machine (side environments); {} when nothing."""
        ...

    def evaluate(self, candidate: str, task: Task, options: EvalOptions | None = None) -> Verdict:
        """Judge one candidate kernel (its source text) on `task`. Never raises for bad candidates."""
        ...
