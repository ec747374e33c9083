"""What every target's worker process shares: the result recorder, kernel frames, output comparison.

Workers run in child processes, some inside side environments (Triton's), so this module imports
only the standard library at the top (numpy lazily, inside `compare`) and nothing else of Hawk's
except the atomic writer.
"""

from __future__ import annotations

import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hawk.fileio import atomic_write_json


class Recorder:
    """The worker's result file, rewritten after every stage, so a crash or a kill still leaves the
    last stage reached for the parent to report."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {"stage": "start", "timings": {}, "seeds": [], "outcome": None}
        self.flush()

    def stage(self, name: str) -> None:
        self.data["stage"] = name
        self.flush()

    def add_time(self, key: str, seconds: float) -> None:
        self.data["timings"][key] = self.data["timings"].get(key, 0.0) + seconds

    def finish(self, outcome: str, **fields: Any) -> None:
        self.data["outcome"] = outcome
        self.data.update(fields)
        self.flush()

    def flush(self) -> None:
        atomic_write_json(self.path, self.data)


def kernel_frames(exc: BaseException, kernel_file: str) -> list[int]:
    """Line numbers of the candidate's own frames in an exception's traceback and its causes."""
    out: list[int] = []
    e: BaseException | None = exc
    while e is not None:
        out += [f.lineno for f in traceback.extract_tb(e.__traceback__) if f.filename == kernel_file and f.lineno]
        e = e.__cause__ or e.__context__
    return list(dict.fromkeys(out))


@dataclass
class Comparison:
    passed: bool
    max_abs_diff: float
    max_rel_diff: float
    error_ratio: float
    zero_ratio: float
    unwritten: int = 0  # NaNs in the output where the golden has none (outputs are pre-filled with NaN)
    detail: str = ""


def compare(program: Any, golden: Any, atol: float, rtol: float) -> Comparison:
    """KernelBench-style allclose (|out - golden| <= atol + rtol*|golden|, NaN = NaN) with statistics."""
    import numpy as np

    out = np.asarray(program, dtype=np.float64)
    ref = np.asarray(golden, dtype=np.float64)
    if out.shape != ref.shape and out.size != ref.size:
        return Comparison(
            False, float("inf"), float("inf"), 1.0, 0.0, detail=f"shape {list(out.shape)} != {list(ref.shape)}"
        )
    out = out.reshape(ref.shape)
    if out.size == 0:
        return Comparison(True, 0.0, 0.0, 0.0, 0.0)
    finite = np.isfinite(out) == np.isfinite(ref)
    diff = np.where(finite, np.abs(np.nan_to_num(out - ref)), np.inf)
    bad = diff > atol + rtol * np.abs(np.nan_to_num(ref))
    rel = diff / np.maximum(np.abs(ref), 1e-12)
    nonzero = ref != 0
    return Comparison(
        passed=not bool(bad.any()),
        max_abs_diff=float(diff.max()),
        max_rel_diff=float(np.where(nonzero, rel, 0.0).max()),
        error_ratio=float(bad.mean()),
        zero_ratio=float(((out == 0) & nonzero).mean()),
        unwritten=int(np.isnan(out).sum() - np.isnan(ref).sum()),
    )


def compare_tensors(out: Any, golden: Any, atol: float, rtol: float) -> dict[str, Any]:
    """`compare` on two torch tensors (any dtype, any device), as a JSON-ready dict."""
    host = [t.detach().cpu().double().numpy() for t in (out, golden)]
    return asdict(compare(host[0], host[1], atol, rtol))


@dataclass
class Goldens:
    """What a worker knows before it imports the candidate (so the candidate can neither see nor
    alter it): one instance (inputs, params, golden outputs) per seed and per stress case, the
    kernel's argument specs, and each output with its own dtype's tolerance."""

    task: Any
    instances: dict[int, Any]
    specs: list[Any]
    outputs: list[dict[str, Any]]
    stress: list[tuple[str, Any]]  # (case name, instance)


def goldens_first(request: dict[str, Any], rec: Recorder) -> Goldens:
    """The reference stage every worker starts with (the task at the request's shape)."""
    from hawk.targets.stress import stress_instances
    from hawk.tasks.task import Task, instantiate, signature  # needs torch: imported in the child only

    rec.stage("reference")
    task = Task(id=request["task_id"], path=Path(request["task_file"]), atol=request["atol"], rtol=request["rtol"],
                shape=request.get("shape") or {})  # fmt: skip
    seeds: list[int] = request["seeds"]
    instances = {s: instantiate(task, s) for s in seeds}
    specs = signature(task, instances[seeds[0]])
    rec.data["signature"] = [s.__dict__ for s in specs]
    outputs = [
        {"name": s.name, "arg_index": i, "dtype": s.dtype, "atol": task.tolerance(s.dtype)[0],
         "rtol": task.tolerance(s.dtype)[1]}
        for i, s in enumerate(specs) if s.role == "output"
    ]  # fmt: skip
    rec.data["outputs"] = outputs
    stress = stress_instances(task, request.get("stress") or [])
    return Goldens(task, instances, specs, outputs, stress)
