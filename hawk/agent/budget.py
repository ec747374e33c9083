"""What one run may spend: LLM tokens and simulator points are counted separately."""

from __future__ import annotations

from dataclasses import dataclass

from hawk.tune import TUNE_BUDGET

SEARCHES = ("chain", "population")  # which kernel the next step rewrites (hawk.agent.strategy, .population)
POPULATION_SIZE = 4  # structures a population search keeps
ROOFLINE_STOP = 1.2  # stop optimizing once the best kernel is within this factor of the roofline bound


@dataclass(frozen=True)
class Budget:
    """What one run may spend. LLM tokens and simulator points are counted separately."""

    iterations: int = 5
    max_tokens: int | None = None
    wall_s: float | None = None
    tune_budget: int = TUNE_BUDGET  # tuner points per new correct kernel (0: no tuning)
    tune_workers: int = 2  # points simulated in parallel by the tuner
    candidates: int = 1  # samples asked per step and judged in parallel; the best is kept
    variants: int = 1  # kernels asked for in one optimize reply (the shown one refined + structurally different ones)
    roofline_stop: float | None = ROOFLINE_STOP  # None: spend every iteration
    search: str = "chain"  # chain: rewrite the best kernel; population: kept structures, chosen by UCB1
    population: int = POPULATION_SIZE  # with search population: structures kept

    def __post_init__(self) -> None:
        if self.search not in SEARCHES:
            raise ValueError(f"unknown search '{self.search}' (known: {', '.join(SEARCHES)})")
        if self.variants < 1:
            raise ValueError(f"an optimize reply holds at least one kernel (got variants={self.variants})")
        if self.variants > 1 and self.candidates > 1:
            raise ValueError("ask for several samples (candidates) or several kernels per reply (variants), not both")
        if self.population < 1:
            raise ValueError(f"a population keeps at least one structure (got {self.population})")
