"""What one run may spend: LLM tokens and simulator points are counted separately."""

from __future__ import annotations

from dataclasses import dataclass

from hawk.tune import TUNE_BUDGET

ROOFLINE_STOP = 1.2  # stop optimizing once the best kernel is within this factor of the roofline bound


@dataclass(frozen=True)
class Budget:
    """What one run may spend. LLM tokens and simulator points are counted separately."""

    iterations: int = 5
    max_tokens: int | None = None
    wall_s: float | None = None
    tune_points: int = TUNE_BUDGET  # tuner points per new correct kernel (0: no tuning)
    tune_workers: int = 2  # points simulated in parallel by the tuner
    candidates: int = 1  # samples asked per step and judged in parallel; the best is kept
    roofline_stop: float | None = ROOFLINE_STOP  # None: spend every iteration
