"""Population search (`--search population`): keep correct kernels of different structure and
choose which one the next step rewrites by an upper-confidence rule.

Members are structures (hawk.agent.structure): each keeps the fastest kernel of its signature
seen so far, how often it was chosen as a parent (`tries`) and the improvements its rewrites
brought (`reward`). A rewrite of parent p whose lineage ends in a correct kernel c earns

    r = max(0, (t_p - t_c) / t_p)       (t: simulated us of the kept, tuned kernel)

which is the relative improvement of `bound_ratio` as well (the bound is fixed for a task), in
[0, 1). The next parent is the member with the largest UCB1 score (Auer et al., 2002)

    score(m) = reward_m / tries_m + EXPLORE * sqrt(ln(N) / tries_m),   N = sum of tries over members,

an untried member first (ties: the faster kernel, then the earlier step). The optimize prompt lists
every kept structure and asks for a structurally different variant. A failing rewrite is repaired
from its own kernel (repair prompts as in the chain) at most MAX_REPAIRS times; a lineage that
never passes leaves its parent's try unrewarded. At most `size` structures are kept: a new one
replaces the slowest member when it is faster. With `Budget.variants` > 1 each rewrite's reply holds
the parent refined and structurally different kernels; every correct one is admitted, the fastest
earns the reward.

Every decision is a function of the finished steps (each records the step it rewrote, `parent`),
so a resumed run rebuilds the same population from the trajectory and continues it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hawk.agent.budget import POPULATION_SIZE
from hawk.agent.strategy import Attempt, Kept
from hawk.agent.structure import Structure, structure_of
from hawk.records.trajectory import Step
from hawk.targets.verdict import bound_gap

EXPLORE = math.sqrt(2)  # UCB1's exploration weight for rewards in [0, 1]
MAX_REPAIRS = 2  # repairs of a failing rewrite before the search moves on


@dataclass
class Member:
    """One kept structure: its fastest kernel, how often it was rewritten and what that earned."""

    structure: Structure
    kept: Kept
    tries: int = 0
    reward: float = 0.0

    @property
    def mean(self) -> float:
        return self.reward / self.tries if self.tries else 0.0

    def score(self, total_tries: int, explore: float) -> float:
        if self.tries == 0:
            return math.inf
        return self.mean + explore * math.sqrt(math.log(max(total_tries, 1)) / self.tries)

    def line(self) -> str:
        gap = bound_gap(self.kept.verdict.perf)
        ratio = f" ({gap}x the bound)" if gap else ""
        return f"{self.kept.time_us} us{ratio}, step {self.kept.step.index}: {self.structure.shown()}"


class Population:
    """The strategy behind `--search population` (see the module's docstring)."""

    def __init__(self, size: int = POPULATION_SIZE, explore: float = EXPLORE, max_repairs: int = MAX_REPAIRS) -> None:
        if size < 1:
            raise ValueError(f"a population keeps at least one structure (got {size})")
        self.size, self.explore, self.max_repairs = size, explore, max_repairs
        self.members: list[Member] = []
        self.best: Kept | None = None
        self.last: Step | None = None
        self.steps: dict[int, Step] = {}

    def observe(self, step: Step) -> None:
        self.steps[step.index] = step
        self.last = step
        origin = self.origin(step)
        parent = self.member_of(origin) if origin is not None else None
        if step.kind == "optimize" and parent is not None:
            parent.tries += 1
        for other in step.alternatives:  # the reply's other correct kernels are structures too (Budget.variants)
            if other.candidate and other.verdict is not None and other.verdict.passed:
                self.admit(Kept(step, other.candidate, other.verdict))
        source, verdict = step.best_kernel()
        if verdict is None or not source or not verdict.passed:
            return
        kept = Kept(step, source, verdict)
        if parent is not None and origin is not None:
            parent.reward += improvement(_kept_time(origin), kept.time_us)
        self.admit(kept)
        if self.best is None or kept.time_us < self.best.time_us:
            self.best = kept

    def next_attempt(self, index: int) -> Attempt:
        last = self.last
        note = last.parse_error if last is not None and last.candidate is None else None
        failed = last is not None and last.verdict is not None and not last.verdict.passed
        if last is not None and failed and (not self.members or self.repairs(last) < self.max_repairs):
            return Attempt(index, "repair", last.candidate, last.verdict, note, parent=last)
        if not self.members:
            return Attempt(index, "generate", note=note)
        chosen = self.choose()
        total = sum(m.tries for m in self.members)
        why = (f"population: rewriting step {chosen.kept.step.index}'s kernel (UCB1 score "
               f"{chosen.score(total, self.explore):.3g}; rewritten {chosen.tries} time(s) before, mean improvement {chosen.mean:.3g})")  # fmt: skip
        return Attempt(index, "optimize", chosen.kept.source, chosen.kept.verdict, note, parent=chosen.kept.step,
                       structures=self.structure_lines(chosen), why=why)  # fmt: skip

    def kept(self) -> list[dict[str, Any]]:
        return [{**m.kept.record(), "structure": m.structure.skeleton, "tries": m.tries, "reward": round(m.reward, 4)}
                for m in sorted(self.members, key=lambda m: m.kept.time_us)]  # fmt: skip

    def choose(self) -> Member:
        """The member with the largest UCB1 score (untried first; ties: faster, then earlier)."""
        total = sum(m.tries for m in self.members)
        return max(self.members, key=lambda m: (m.score(total, self.explore), -m.kept.time_us, -m.kept.step.index))

    def admit(self, kept: Kept) -> None:
        """Keep a correct kernel: in its structure's member when faster, as a new member when there is room
        or when it is faster than the slowest member (which it replaces)."""
        structure = structure_of(kept.source)
        for member in self.members:
            if member.structure.key == structure.key:
                if kept.time_us < member.kept.time_us:
                    member.kept = kept
                return
        if len(self.members) < self.size:
            self.members.append(Member(structure, kept))
            return
        slowest = max(self.members, key=lambda m: (m.kept.time_us, m.kept.step.index))
        if kept.time_us < slowest.kept.time_us:
            self.members[self.members.index(slowest)] = Member(structure, kept)

    def member_of(self, step: Step) -> Member | None:
        source, _ = step.best_kernel()
        key = structure_of(source or "").key
        return next((m for m in self.members if m.structure.key == key), None)

    def origin(self, step: Step) -> Step | None:
        """The correct kernel this step's lineage rewrote (following `parent` through failed repairs)."""
        at = step.parent
        while at is not None and at in self.steps:
            linked = self.steps[at]
            if _passed(linked):
                return linked
            at = linked.parent
        return None

    def repairs(self, step: Step) -> int:
        """Repair steps in a row that led to `step`, itself included."""
        count, at = 0, step
        while at is not None and at.kind == "repair":
            count += 1
            at = self.steps.get(at.parent) if at.parent is not None else None
        return count

    def structure_lines(self, chosen: Member) -> tuple[str, ...]:
        ordered = sorted(self.members, key=lambda m: m.kept.time_us)
        return tuple(m.line() + ("  <- the kernel shown above" if m is chosen else "") for m in ordered)


def improvement(parent_us: float, child_us: float) -> float:
    """The reward of a rewrite: its relative improvement over its parent, 0 when slower."""
    if not math.isfinite(parent_us) or parent_us <= 0 or not math.isfinite(child_us):
        return 0.0
    return max(0.0, (parent_us - child_us) / parent_us)


def _passed(step: Step) -> bool:
    verdict = step.kept_verdict()
    return verdict is not None and verdict.passed


def _kept_time(step: Step) -> float:
    source, verdict = step.best_kernel()
    return Kept(step, source or "", verdict).time_us if verdict is not None else math.inf
