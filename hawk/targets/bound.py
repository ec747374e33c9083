"""The calibrated bound: what no kernel can avoid on a target, measured on that target.

`roofline_us` (judging.py) divides the bytes and FLOPs by the device's nominal figures. On a
simulator those figures mislead both ways: every kernel pays a fixed start and end cost (~1-7 us
here, growing with its number of inputs and outputs) that the roofline ignores, and the simulator
grants streaming kernels more than the nominal bandwidth at some sizes and less at others. A
`Calibration` holds what a target measured once (hawk/targets/ascend_pypto/calibrate.py):

- the fixed cost of a minimal kernel with n inputs and one output, and with one input and m
  outputs (each on a tiny tensor; between calibrated counts, the one below);
- the streaming time of the fastest copy-like kernel at a dozen sizes (time above the fixed cost).
  Between two sizes the smaller size's time counts (the simulator's time rises in steps with the
  number of tiles: 16 and 22 full-UB tiles take the same 3.34 us, so a line between calibrated
  sizes would not be a floor); beyond the largest, its average rate;
- the effective cube peak (a large fp16 matmul, above its fixed cost) and the vector peak.

    bound_us = max(fixed(n_in, n_out), fixed(1, 1) + max(stream(max(read, written)), FLOPs / cube peak))

Each term is a floor on its own: no kernel with these inputs and outputs beats the minimal one on
tiny tensors, and no kernel moving these bytes beats the fastest copy of them (which pays the
one-input start cost). The extra cost of more inputs and outputs is not added to the streaming
time: in a large kernel it overlaps with it (the AdamW expert, 4 inputs and 3 outputs, ran at
29.13 us, under the 29.88 us that adding them would give).

docs/bound.md explains both figures and shows them side by side for the suite's experts.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

# Bump when what is measured or how the bound is computed changes: older caches are recomputed.
CALIBRATION_VERSION = 3  # 2: denser streaming sizes, a step between them; 3: cube peak above the start cost


@dataclass
class Calibration:
    """One target's measured floor, with its provenance (what ran, where, when)."""

    sku: str
    tool_version: str  # e.g. "pypto 0.2.0"
    fixed_in: list[tuple[int, float]]  # (inputs, us) of a minimal kernel with one output
    fixed_out: list[tuple[int, float]]  # (outputs, us) of a minimal kernel with one input
    stream: list[tuple[int, float]]  # (bytes per direction, us above the fixed cost) of the fastest copy
    cube_tflops: float  # effective: matmul FLOPs / (time - fixed cost)
    vector_tflops: float  # effective: extra elementwise ops / extra time
    kernels: dict[str, float | None] = field(default_factory=dict)  # every calibration kernel's time
    version: int = CALIBRATION_VERSION
    wall_s: float = 0.0
    created: str = ""
    host: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        data = dict(data)
        for key in ("fixed_in", "fixed_out", "stream"):
            data[key] = [(int(a), float(b)) for a, b in data[key]]
        return cls(**data)

    def fixed_us(self, n_in: int, n_out: int) -> float:
        """Start and end cost of a minimal kernel with `n_in` inputs and `n_out` outputs: the one-output
        curve at n_in plus what outputs beyond the first add on the one-input curve."""
        base = _step(self.fixed_in, 1)
        return _step(self.fixed_in, max(1, n_in)) + _step(self.fixed_out, max(1, n_out)) - base

    def stream_us(self, nbytes: int) -> float:
        """Time to stream `nbytes` per direction, above the fixed cost, at the simulator's best rate:
        the largest calibrated size not above `nbytes` (a step), beyond the last its average rate."""
        if nbytes <= 0 or not self.stream:
            return 0.0
        last_bytes, last_us = self.stream[-1]
        if nbytes > last_bytes:
            return last_us * nbytes / last_bytes
        return _step([(0, 0.0), *self.stream], nbytes)

    def cube_us(self, flops: int) -> float:
        return flops / (self.cube_tflops * 1e12) * 1e6 if flops and self.cube_tflops else 0.0

    def bound_us(self, read: int, written: int, matmul_flops: int, n_in: int, n_out: int) -> float:
        """max(the minimal kernel of this arity, the start cost + max(streaming the larger direction,
        the matrix products at the cube peak))."""
        work = max(self.stream_us(max(read, written)), self.cube_us(matmul_flops))
        return round(max(self.fixed_us(n_in, n_out), self.fixed_us(1, 1) + work), 4)

    def parts(self, read: int, written: int, matmul_flops: int, n_in: int, n_out: int) -> dict[str, float]:
        """The bound's terms, for the evidence shown to a model: fixed, memory and cube microseconds."""
        moved = max(read, written)
        return {"fixed_us": round(self.fixed_us(n_in, n_out), 3), "start_us": round(self.fixed_us(1, 1), 3),
                "memory_us": round(self.stream_us(moved), 3),
                "cube_us": round(self.cube_us(matmul_flops), 3), "moved_bytes": float(moved),
                "matmul_flops": float(matmul_flops)}  # fmt: skip

    def describe(self) -> str:
        big = self.stream[-1] if self.stream else (0, 0.0)
        gbps = big[0] / (big[1] * 1e-6) / 1e9 if big[1] else float("nan")
        fixed = ", ".join(f"{n} in: {us:.2f}" for n, us in self.fixed_in)
        return (f"calibrated on {self.sku} ({self.tool_version}): fixed cost {fixed} us; streaming "
                f"{gbps:.0f} GB/s per direction at {big[0] / 1e6:.0f} MB; cube {self.cube_tflops:.0f} TFLOP/s, "
                f"vector {self.vector_tflops:.1f} TFLOP/s")  # fmt: skip


def _step(points: list[tuple[int, float]], x: float) -> float:
    """The value at the largest calibrated x not above `x` (the first point's below it): a floor
    wherever the measured quantity never falls as x grows."""
    pts = sorted(points)
    return max((y for px, y in pts if px <= x), default=pts[0][1] if pts else 0.0)


def monotone(points: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Sorted points with y never decreasing (a larger size never streams faster than a smaller one)."""
    out: list[tuple[int, float]] = []
    for x, y in sorted(points):
        out.append((x, max(y, out[-1][1] if out else -math.inf)))
    return out
