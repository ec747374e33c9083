"""Benchmark metrics: pure functions over unit records (no files, no simulator).

Definitions (a *unit* is one (method, task, sample) run of the agent under the run's budget; only
complete units count, incomplete ones are reported beside the metrics):

- compile rate: share of units where at least one candidate got through the compiler, i.e. was
  judged `pass`, `wrong_result` or `runtime_error` (it ran). `compile_error`, `invalid`, `timeout`
  and a reply with no kernel count as not compiled. compile rate (first): the same for the unit's
  first candidate only, the one-shot figure KernelBench reports.
- correctness rate (accuracy): share of units that produced a kernel passing every seed.
- pass@k: per task, with n samples of which c are correct, the unbiased estimator of Chen et al.
  (2021), 1 - C(n-c, k) / C(n, k), averaged over tasks; reported for k = 1 and k = n.
- fast_p: share of units that are correct AND more than p times faster than eager (speedup > p).
  fast_0 equals the correctness rate; for p > 0 a correct unit without an eager time does not count.
- geomean speedup (eager): geometric mean of eager time / best time over correct units with an eager
  time. geomean speedup (expert): the same with expert time / best time, over correct units whose
  task's expert kernel passed in this run.
- implausible: correct units faster than eager by more than 10x (or than the expert by more than
  10x): flagged for inspection, as the field learned to do, never dropped silently.
- best / bound: geometric mean over correct units of best time / the task's calibrated bound (fixed
  cost + max(streaming, cube) as measured on the target: hawk/targets/bound.py, docs/bound.md); the
  headline figure. Units whose target has no calibration count their roofline ratio instead.
- best / roofline: geometric mean over correct units of best time / the task's roofline bound
  (1.0 = at the bound; below 1 is possible where the simulator beats the bandwidth it is credited with).
- tokens, simulator points and wall time per unit: means over units (wall = model + evaluation
  seconds of its steps, the tuner's included). Points are the tuner's performance-only simulations:
  a budget apart from tokens, so methods are compared at the same --tune-budget.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from hawk.bench.unit import UnitRecord

FAST_PS: tuple[float, ...] = (0.0, 1.0, 1.5, 2.0)
IMPLAUSIBLE_SPEEDUP = 10.0


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chen et al. 2021: probability that at least one of k draws (from n, c correct) is correct."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    # 1 - prod_{i=n-c+1..n} (1 - k/i): numerically stable form of 1 - C(n-c,k)/C(n,k)
    prod = 1.0
    for i in range(n - c + 1, n + 1):
        prod *= 1.0 - k / i
    return 1.0 - prod


def geomean(values: Iterable[float]) -> float | None:
    """Geometric mean of positive values; None for none (never 0 or 1 made up)."""
    vals = [float(v) for v in values]
    if not vals:
        return None
    if any(v <= 0 or math.isnan(v) for v in vals):
        raise ValueError(f"geometric mean of non-positive values: {vals}")
    return math.exp(sum(math.log(v) for v in vals) / len(vals))


def fast_p(records: list[UnitRecord], p: float) -> float | None:
    if not records:
        return None
    if p == 0:
        return sum(r.passed for r in records) / len(records)
    return sum(1 for r in records if r.passed and r.speedup is not None and r.speedup > p) / len(records)


def expert_speedup(r: UnitRecord, experts: dict[str, dict[str, Any]]) -> float | None:
    """Expert time / best time for a correct unit whose task's expert kernel passed in this run."""
    e = experts.get(r.task) or {}
    if not r.passed or not r.best_time_us or e.get("status") != "pass" or not e.get("time_us"):
        return None
    return float(e["time_us"]) / float(r.best_time_us)


@dataclass
class Flag:
    unit: str
    speedup: float
    over: str  # "eager" | "expert"
    reason: str


def implausible(
    records: list[UnitRecord], experts: dict[str, dict[str, Any]], threshold: float = IMPLAUSIBLE_SPEEDUP
) -> list[Flag]:
    flags = []
    for r in records:
        if r.passed and r.speedup is not None and r.speedup > threshold:
            flags.append(Flag(r.unit.key, r.speedup, "eager", f"more than {threshold:g}x faster than eager"))
        es = expert_speedup(r, experts)
        if es is not None and es > threshold:
            flags.append(Flag(r.unit.key, round(es, 3), "expert", f"more than {threshold:g}x faster than the expert"))
    return flags


@dataclass
class Metrics:
    units: int
    incomplete: int
    compile_rate: float | None
    compile_rate_first: float | None
    accuracy: float | None
    pass_at: dict[str, float] = field(default_factory=dict)  # "pass@1", "pass@k"
    fast: dict[str, float | None] = field(default_factory=dict)  # "fast_0", "fast_1", "fast_1.5", "fast_2"
    geomean_speedup: float | None = None
    speedup_n: int = 0
    geomean_speedup_expert: float | None = None
    speedup_expert_n: int = 0
    geomean_bound_ratio: float | None = None  # best time / calibrated bound (roofline where none) over correct units
    bound_n: int = 0
    geomean_roofline_ratio: float | None = None  # best time / roofline bound over correct units (1.0 = the bound)
    roofline_n: int = 0
    tokens_per_unit: float | None = None
    sim_points_per_unit: float | None = None  # tuner points simulated: a budget apart from tokens
    tokens_total: int = 0
    cost_usd: float = 0.0
    wall_s_per_unit: float | None = None
    wall_s_total: float = 0.0
    flagged: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _share(records: list[UnitRecord], pred: Callable[[UnitRecord], bool]) -> float | None:
    return sum(1 for r in records if pred(r)) / len(records) if records else None


def _fast_key(p: float) -> str:
    return f"fast_{p:g}"


def compute(all_records: list[UnitRecord], experts: dict[str, dict[str, Any]]) -> Metrics:
    """Metrics over one group of units (e.g. one method, or one method at one level)."""
    records = [r for r in all_records if r.complete]
    by_task: dict[str, list[UnitRecord]] = defaultdict(list)
    for r in records:
        by_task[r.task].append(r)
    pass_at: dict[str, float] = {}
    if by_task:
        n_min = min(len(v) for v in by_task.values())
        for k in sorted({1, n_min}):
            vals = [pass_at_k(len(v), sum(r.passed for r in v), k) for v in by_task.values()]
            pass_at[f"pass@{k}"] = sum(vals) / len(vals)
    speedups = [r.speedup for r in records if r.passed and r.speedup]
    expert_sp = [s for r in records if (s := expert_speedup(r, experts)) is not None]
    ratios = [r.roofline_ratio for r in records if r.passed and r.roofline_ratio]
    gaps = [g for r in records if r.passed and (g := r.bound_ratio or r.roofline_ratio)]
    return Metrics(
        units=len(records),
        incomplete=len(all_records) - len(records),
        compile_rate=_share(records, lambda r: r.any_compiled),
        compile_rate_first=_share(records, lambda r: r.first_compiled),
        accuracy=_share(records, lambda r: r.passed),
        pass_at=pass_at,
        fast={_fast_key(p): fast_p(records, p) for p in FAST_PS},
        geomean_speedup=geomean(speedups),
        speedup_n=len(speedups),
        geomean_speedup_expert=geomean(expert_sp),
        speedup_expert_n=len(expert_sp),
        geomean_bound_ratio=geomean(gaps),
        bound_n=len(gaps),
        geomean_roofline_ratio=geomean(ratios),
        roofline_n=len(ratios),
        tokens_per_unit=sum(r.total_tokens for r in records) / len(records) if records else None,
        sim_points_per_unit=sum(r.sim_points for r in records) / len(records) if records else None,
        tokens_total=sum(r.total_tokens for r in records),
        cost_usd=round(sum(r.cost_usd for r in records), 6),
        wall_s_per_unit=sum(r.wall_s for r in records) / len(records) if records else None,
        wall_s_total=round(sum(r.wall_s for r in records), 3),
        flagged=len(implausible(records, experts)),
    )


def by_method(records: list[UnitRecord], experts: dict[str, dict[str, Any]], methods: list[str]) -> dict[str, Metrics]:
    return {m: compute([r for r in records if r.method == m], experts) for m in methods}


def split(
    records: list[UnitRecord], experts: dict[str, dict[str, Any]], methods: list[str], key: Callable[[UnitRecord], Any]
) -> dict[str, dict[str, Metrics]]:
    """{group: {method: Metrics}} for groups such as level or category."""
    groups = sorted({key(r) for r in records}, key=str)
    return {
        str(g): {m: compute([r for r in records if r.method == m and key(r) == g], experts) for m in methods}
        for g in groups
    }


def knowledge_effect(records: list[UnitRecord], growth: list[dict[str, Any]]) -> dict[str, Any]:
    """How the run went as the store grew: per method, accuracy in the first and second half of its
    finished units (finishing order), and the store's size at each half's end. A rising accuracy
    beside a growing store is the knowledge loop's signature; equal halves mean no measurable effect."""
    order = {g["unit"]: i for i, g in enumerate(growth)}
    out: dict[str, Any] = {}
    for m in sorted({r.method for r in records}):
        done = sorted((r for r in records if r.method == m and r.complete), key=lambda r: order.get(r.unit.key, 1e9))
        half = len(done) // 2
        if half == 0:
            continue
        first, second = done[:half], done[half:]
        out[m] = {
            "first_half_accuracy": sum(r.passed for r in first) / len(first),
            "second_half_accuracy": sum(r.passed for r in second) / len(second),
            "units": len(done),
        }
    return out
