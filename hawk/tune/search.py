"""The tuner: search a kernel's knobs on the target's performance-only simulation, verify the winner.

Flow (the target supplies the steps, see hawk/targets/tuning.py):
1. the target finds the knobs and their candidate values (`tuning_space`);
2. the original point is timed first: it is the "before" and the point to beat;
3. points are proposed by a grid (when every legal point fits the budget) or, for larger spaces,
   first from the original's neighbourhood (each size one step either way, each pass option,
   sizes two steps away; at most half the budget), then by optuna's TPE sampler started from every point seen (multivariate,
   seeded, constant liar so that a batch asked at once spreads out);
   a point the target's rules reject, or that needs at least as much memory as a point that
   already failed for capacity, is pruned without running; a point seen before is not re-run;
4. the rest run in batches on the target's timer (`workers` long-lived sandboxed children), timing only;
   a point that fails or crashes is a recorded point with its reason, never a crash of the tuner;
5. the fastest point is verified by a full evaluation (every seed, the calculator's check); if it
   fails, the next fastest is tried (up to VERIFY_TRIES), and the kernel comes back unchanged if
   none passes or none beats the original.
The budget counts simulated points (the original included); pruned and repeated points are free.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import time
import warnings
from dataclasses import asdict
from pathlib import Path

from hawk import config
from hawk.targets.base import EvalOptions, Target
from hawk.targets.common import slug
from hawk.targets.tuning import Knob, Point, PointTimer, PointTiming, Tunable, TuningSpace
from hawk.tasks.task import Task
from hawk.tune.records import PointRecord, TuneResult

# The tuner's budget, one setting wherever it is asked for (`hawk tune --budget`, `--tune-budget` per correct
# kernel of the loop, the MCP tool): simulated points, ~1 s each for a vector kernel, ~7 s for a 1024^3
# matmul, so ~30 s for a vector kernel on 2 cores.
TUNE_BUDGET = 24
VERIFY_TRIES = 3
GRID_MAX = 20000  # spaces up to this many points are enumerated (to see whether a grid fits the budget)
POINTS_PER_CHILD = 2  # points per worker per TPE batch: the sampler learns between batches, slots stay busy


def _key(point: Point) -> tuple:
    return tuple(sorted(point.items()))


class _Search:
    """Bookkeeping of one tuning run: every point's record, the seen set, capacity failures."""

    def __init__(self, target: Tunable, task: Task, space: TuningSpace, timer: PointTimer, workers: int, log) -> None:
        self.target, self.task, self.space, self.timer = target, task, space, timer
        self.workers, self.log = max(1, workers), log
        self.records: list[PointRecord] = []
        self.seen: dict[tuple, PointRecord] = {}
        self.capacity_failures: list[Point] = []
        self.simulated = 0
        self.batches = 0

    def dominated(self, point: Point) -> Point | None:
        """A failed-for-capacity point that `point` needs at least as much memory as, if any."""
        sizes = [k for k in self.space.knobs if k.size_like]
        others = [k for k in self.space.knobs if not k.size_like]
        for failed in self.capacity_failures:
            if all(point[k.name] == failed[k.name] for k in others) and all(
                point[k.name] >= failed[k.name] for k in sizes
            ):
                return failed
        return None

    def screen(self, point: Point) -> PointRecord | None:
        """The record that settles `point` without running it (seen, pruned), or None to run it."""
        key = _key(point)
        if key in self.seen:
            return self.seen[key]
        why = self.space.illegal(point)
        if why is None and (failed := self.dominated(point)) is not None:
            why = "needs at least the memory of a point that failed for capacity: " + ", ".join(
                f"{k}={v}" for k, v in failed.items() if v is not None
            )
        if why is None:
            return None
        rec = self._add(point, "pruned", reason=why)
        return rec

    def _add(self, point: Point, status: str, **fields) -> PointRecord:
        rec = PointRecord(index=len(self.records), values=dict(point), status=status, **fields)
        self.records.append(rec)
        self.seen[_key(point)] = rec
        return rec

    def run(self, points: list[Point]) -> list[PointRecord]:
        """Time `points` (already screened, distinct) in parallel; one record each, in order."""
        if not points:
            return []
        self.batches += 1
        names = {f"b{self.batches}p{i}": p for i, p in enumerate(points)}
        sources = {n: self.space.render(p) for n, p in names.items()}
        try:
            timings = self.timer.time_points(sources)
        except Exception as exc:  # a broken timer is these points' failure, not the tuner's
            timings = {n: PointTiming(None, f"timing failed: {type(exc).__name__}: {exc}") for n in sources}
        out = []
        for name, point in names.items():
            t = timings.get(name) or PointTiming(None, "no timing came back")
            self.simulated += 1
            if t.time_us:
                rec = self._add(point, "ok", time_us=t.time_us)
            else:
                rec = self._add(point, "failed", reason=(t.error or "failed")[:300], constraint=t.constraint)
                if t.constraint and t.constraint.endswith("_capacity"):
                    self.capacity_failures.append(dict(point))
            out.append(rec)
        best = min((r.time_us for r in self.records if r.time_us), default=None)
        self.log(f"  tune: {self.simulated} points simulated, best {best} us")
        return out


def _grid(knobs: list[Knob], search: _Search, budget: int) -> list[Point] | None:
    """Every legal point, original first, when they fit the budget; None when they do not."""
    total = math.prod(len(k.values) for k in knobs)
    if total > GRID_MAX:
        return None
    legal = []
    for combo in itertools.product(*(k.values for k in knobs)):
        point = {k.name: v for k, v in zip(knobs, combo, strict=True)}
        if search.space.illegal(point) is None:
            legal.append(point)
            if len(legal) > budget:
                return None
    return legal


def tune(
    source: str,
    task: Task,
    target: Target,
    *,
    budget: int = TUNE_BUDGET,
    workers: int = 2,
    eval_options: EvalOptions | None = None,
    seed: int = 0,
    roofline_us: float | None = None,
    log=print,
) -> TuneResult:
    """Tune `source` (a correct kernel) for `task` on `target` within `budget` simulated points."""
    started = time.perf_counter()
    result = TuneResult(source=source, changed=False, strategy="none", roofline_us=roofline_us)
    if not isinstance(target, Tunable):
        result.notes.append(f"target {target.name} has no tuner: the kernel comes back unchanged")
        return result
    space = target.tuning_space(source, task)
    result.knobs, result.notes = list(space.knobs), list(space.notes)
    if not space.knobs:
        result.notes.append("no knobs found: the kernel comes back unchanged")
        result.wall_s = round(time.perf_counter() - started, 2)
        return result
    if budget < 1:
        result.notes.append("budget 0: nothing simulated")
        return result
    workdir = config.new_scratch_dir(f"tune-{slug(task.id)}")
    timer = target.point_timer(task, workdir, workers)
    try:
        _search(result, space, target, task, timer, workers, budget, seed, eval_options, log, started)
    finally:
        timer.close()
    result.wall_s = round(time.perf_counter() - started, 2)
    return result


def _search(result, space, target, task, timer, workers, budget, seed, eval_options, log, started) -> None:
    """Steps 2-5 of the module docstring, filling `result`."""
    search = _Search(target, task, space, timer, workers, log)
    original = space.original()
    first = search.run([original])[0]
    result.before_us = first.time_us
    if first.time_us is None:
        result.notes.append(f"the original point did not simulate ({first.reason}): unchanged")
    else:
        knobs = space.knobs
        grid = _grid(knobs, search, budget)
        if grid is not None:
            result.strategy = "grid"
            todo = [p for p in grid if _key(p) not in search.seen]
            for i in range(0, len(todo), search.workers * 4):
                batch = [p for p in todo[i : i + search.workers * 4] if search.screen(p) is None]
                search.run(batch[: budget - search.simulated])
                if search.simulated >= budget:
                    break
        else:
            result.strategy = "tpe"
            _tpe(search, knobs, original, budget, seed)
    result.search_s = round(time.perf_counter() - started, 2)
    result.records = search.records
    result.points_tried = search.simulated
    result.points_pruned = sum(1 for r in search.records if r.status == "pruned")
    result.points_failed = sum(1 for r in search.records if r.status == "failed")
    if result.before_us is not None:
        _verify(search, result, original, eval_options, log)


def _tpe(search: _Search, knobs: list[Knob], original: Point, budget: int, seed: int) -> None:
    import optuna
    from optuna.distributions import IntDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    # Knob values are ordered (tile sizes ascending), so TPE searches their indices as integers.
    dists = {k.name: IntDistribution(0, len(k.values) - 1) for k in knobs}
    sampler = optuna.samplers.TPESampler(
        seed=seed, multivariate=True, constant_liar=True, n_startup_trials=max(4, min(10, budget // 4))
    )
    study = optuna.create_study(direction="minimize", sampler=sampler)
    # The neighbourhood of the kernel as written first: each pass option on its tiling, then each
    # size one and two steps either way. Cheap, and where the big wins usually are (a merge count
    # on an already good tiling); at most half the budget.
    near = [p for p in _neighbourhood(knobs, original) if search.screen(p) is None]
    limit = max(0, budget // 2 - search.simulated)
    for i in range(0, min(len(near), limit), search.workers * POINTS_PER_CHILD):
        search.run(near[i : min(i + search.workers * POINTS_PER_CHILD, limit)])
    worst = max((r.time_us for r in search.records if r.time_us), default=1.0)
    for rec in search.records:  # TPE starts from everything seen so far
        params = {k.name: k.values.index(rec.values[k.name]) for k in knobs if rec.values[k.name] in k.values}
        if len(params) == len(knobs):
            value = rec.time_us or 4.0 * worst
            study.add_trial(optuna.trial.create_trial(params=params, distributions=dists, value=value))
    asks = 0
    while search.simulated < budget and asks < 30 * budget:
        want = min(search.workers * POINTS_PER_CHILD, budget - search.simulated)
        to_run: list[tuple] = []
        settled: list[tuple] = []
        while len(to_run) < want and asks < 30 * budget:
            asks += 1
            trial = study.ask(dists)
            point = {k.name: k.values[trial.params[k.name]] for k in knobs}
            rec = search.screen(point)
            if rec is not None:
                settled.append((trial, rec))
            elif any(_key(p) == _key(point) for _, p in to_run):
                settled.append((trial, None))  # asked twice in one batch: told with the first one's value
            else:
                to_run.append((trial, point))
        ran = search.run([p for _, p in to_run])
        worst = max((r.time_us for r in search.records if r.time_us), default=1.0)
        penalty = 4.0 * worst  # failed and pruned points: clearly worse than anything that ran
        for (trial, _), rec in zip(to_run, ran, strict=True):
            study.tell(trial, rec.time_us or penalty)
        for trial, rec in settled:
            if rec is None:
                study.tell(trial, penalty)
            else:
                study.tell(trial, rec.time_us or penalty)


def _neighbourhood(knobs: list[Knob], original: Point) -> list[Point]:
    """Points one knob away from `original`: sizes one step either way, then every value of a pass
    option, then sizes two steps away (nearest first, so a small budget still sees each knob move)."""

    def steps(step: int) -> list[Point]:
        out = []
        for k in knobs:
            if k.size_like and original[k.name] in k.values:
                i = k.values.index(original[k.name])
                out += [{**original, k.name: k.values[j]} for j in (i + step, i - step) if 0 <= j < len(k.values)]
        return out

    options = [{**original, k.name: v} for k in knobs if not k.size_like for v in k.values if v != original[k.name]]
    return steps(1) + options + steps(2)


def _verify(search: _Search, result: TuneResult, original: Point, eval_options, log) -> None:
    """Full evaluation of the fastest points until one passes every seed."""
    ranked = sorted((r for r in search.records if r.status == "ok"), key=lambda r: r.time_us)
    base = search.seen[_key(original)].time_us
    tries = 0
    for rec in ranked:
        if _key(rec.values) == _key(original) or rec.time_us >= base:
            break  # nothing faster than the original is left
        if tries >= VERIFY_TRIES:
            break
        tries += 1
        candidate = search.space.render(rec.values)
        verdict = search.target.evaluate(candidate, search.task, eval_options)
        if verdict.passed and verdict.perf and verdict.perf.time_us and verdict.perf.time_us < base:
            rec.status = "verified"
            result.source, result.changed = candidate, True
            result.after_us = verdict.perf.time_us
            result.verdict = verdict
            result.roofline_us = verdict.perf.roofline_us or result.roofline_us
            log(f"  tune: verified {rec.time_us} us on every seed")
            return
        rec.status = "verify_failed"
        rec.reason = f"full evaluation: {verdict.status.value}" + (
            f" ({verdict.error.message[:200]})" if verdict.error else ""
        )
        log(f"  tune: point {rec.index} failed verification ({verdict.status.value}); trying the next")
    result.after_us = base


def write_outputs(result: TuneResult, out_dir: Path) -> dict[str, Path]:
    """tuned_kernel.py, points.csv (one row per point: knob values, status, time, reason), summary.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "kernel": out_dir / "tuned_kernel.py",
        "points": out_dir / "points.csv",
        "summary": out_dir / "summary.json",
    }
    paths["kernel"].write_text(result.source)
    names = [k.name for k in result.knobs]
    with paths["points"].open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["index", *names, "status", "time_us", "reason"])
        for r in result.records:
            writer.writerow([r.index, *(r.values.get(n) for n in names), r.status, r.time_us, r.reason])
    summary = {k: v for k, v in asdict(result).items() if k not in ("source", "records", "verdict")}
    summary.update(roofline_ratio=result.roofline_ratio, speedup=result.speedup,
                   points_per_minute=result.points_per_minute)  # fmt: skip
    paths["summary"].write_text(json.dumps(summary, indent=1, default=str))
    return paths
