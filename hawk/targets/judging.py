"""Judging code every target shares: a worker's result decoded once (`WorkerResult`), its fate to
a status (`worker_failure`), seed checks to `Correctness`, the roofline bound, byte sizes of
dtypes, speedup against an eager baseline.

Targets call these from their steps (hawk.targets.pipeline owns the order); keeping one copy
here is what keeps the targets' verdicts comparable (same tolerance rule, same bound).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hawk.targets.common import read_json
from hawk.targets.verdict import Correctness, ErrorContext, SeedCheck, Status, StressCheck, Verdict

if TYPE_CHECKING:
    from hawk.targets.base import HardwareSpec
    from hawk.targets.sandbox import ChildResult

# Bytes per element, by torch dtype name; IR spellings (f32, i8, ...) are aliases of these.
DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int8": 1, "uint8": 1, "int16": 2,
               "int32": 4, "int64": 8, "bool": 1}  # fmt: skip
_ALIASES = {"f32": "float32", "fp32": "float32", "f16": "float16", "fp16": "float16", "bf16": "bfloat16",
            "f64": "float64", "fp64": "float64", "i8": "int8", "ui8": "uint8", "u8": "uint8", "i16": "int16",
            "i32": "int32", "i64": "int64", "i1": "bool"}  # fmt: skip


@dataclass
class WorkerResult:
    """What a worker recorded in its result file (hawk.targets.worker_kit.Recorder), decoded once."""

    outcome: str | None = None  # None: the worker died or hung before recording one
    stage: str = "start"  # the last stage it reached
    message: str = ""
    lines: list[int] = field(default_factory=list)  # the candidate's lines in the failure's traceback
    timings: dict[str, float] = field(default_factory=dict)
    outputs: list[dict[str, Any]] = field(default_factory=list)  # each output's name, index, dtype, atol, rtol
    signature: list[dict[str, Any]] = field(default_factory=list)  # the kernel's argument specs
    stress: list[dict[str, Any]] = field(default_factory=list)  # the stress cases' results
    extra: dict[str, Any] = field(default_factory=dict)  # what only this target's worker records

    @classmethod
    def read(cls, path: Path) -> WorkerResult:
        data = read_json(path)
        known = {f.name for f in fields(cls)} - {"extra"}
        typed = {k: data[k] for k in known if data.get(k) is not None}
        typed["message"] = str(typed.get("message", ""))
        return cls(**typed, extra={k: v for k, v in data.items() if k not in known})


@dataclass(frozen=True)
class Failure:
    status: Status
    kind: str  # ErrorContext.kind
    message: str
    lines: list[int] = field(default_factory=list)
    op: str | None = None  # the op the failure names, where the target found one (pypto's first cause)


def worker_failure(
    result: WorkerResult, child: ChildResult, log_text: str, process: str = "the evaluation process",
    compiles: bool = True,
) -> Failure | None:  # fmt: skip
    """The outcomes every worker can end with before its outputs mean anything: hung or dead
    (`child_failure`), an invalid candidate (the contract), Hawk's own failure. None otherwise."""
    if child.timed_out or result.outcome is None:
        status, kind, message = child_failure(child, result.stage, log_text, process, compiles)
        return Failure(status, kind, message)
    if result.outcome == "invalid":
        return Failure(Status.INVALID, "contract", result.message, result.lines)
    if result.outcome == "harness_error":
        return Failure(Status.RUNTIME_ERROR, "harness", f"Hawk's worker failed: {result.message}")
    return None


def dtype_bytes(name: str, default: int = 4) -> int:
    """Bytes per element of dtype `name` (torch's name or an IR spelling such as f16 / i8)."""
    return DTYPE_BYTES.get(_ALIASES.get(name, name), default)


def signature_bytes(signature: list[dict[str, Any]]) -> tuple[int, int]:
    """(bytes read, bytes written) of a kernel's arguments, from the task's signature records."""
    read = written = 0
    for arg in signature:
        n = 1
        for d in arg["shape"]:
            n *= int(d)
        if arg["role"] == "scalar":  # compiled into the program: no memory traffic
            continue
        if arg["role"] == "output":
            written += n * dtype_bytes(arg["dtype"])
        else:
            read += n * dtype_bytes(arg["dtype"])
    return read, written


def roofline_us(
    read_bytes: int, written_bytes: int, matmul_flops: int, spec: HardwareSpec, *, duplex: bool = True
) -> float | None:
    """Lower bound in microseconds: the data moved once at the global-memory bandwidth, or the matrix
    products at cube peak, whichever is larger. `duplex`: reads and writes overlap (the bandwidth is
    per direction, so the larger stream bounds); otherwise they share the bandwidth."""
    moved = max(read_bytes, written_bytes) if duplex else read_bytes + written_bytes
    if not moved and not matmul_flops:
        return None
    memory_us = moved / (spec.gm_bandwidth_gbps * 1e9) * 1e6
    cube_us = matmul_flops / (spec.cube_peak_tflops * 1e12) * 1e6
    return round(max(memory_us, cube_us), 4)


def set_roofline(verdict: Verdict, bound_us: float | None) -> None:
    if verdict.perf is None:
        return
    verdict.perf.roofline_us = bound_us
    if bound_us and verdict.perf.time_us:
        verdict.perf.roofline_ratio = round(verdict.perf.time_us / bound_us, 3)


def set_bound(verdict: Verdict, bound_us: float | None, parts: dict[str, float] | None = None) -> None:
    """The calibrated bound (hawk/targets/bound.py) and the kernel's ratio to it."""
    if verdict.perf is None or not bound_us:
        return
    verdict.perf.bound_us, verdict.perf.bound_parts = bound_us, dict(parts or {})
    if verdict.perf.time_us:
        verdict.perf.bound_ratio = round(verdict.perf.time_us / bound_us, 3)


def signature_counts(signature: list[dict[str, Any]]) -> tuple[int, int]:
    """(inputs, outputs) of a kernel: parameters count as inputs (the kernel reads them)."""
    outputs = sum(1 for arg in signature if arg["role"] == "output")
    return len(signature) - outputs, outputs


def child_failure(
    child: ChildResult, stage: str, log_text: str, process: str = "the evaluation process", compiles: bool = True
) -> tuple[Status, str, str]:
    """(status, error kind, message) when the worker timed out or died before recording an outcome.

    Only call it when the worker left no outcome (or timed out); `stage` is the last one it reached.
    A death while loading or compiling is a compile error where the worker compiles (`compiles`)."""
    if child.timed_out:
        return Status.TIMEOUT, "timeout", f"no verdict within {child.wall_s:.0f} s (stage reached: {stage})"
    how = f"signal {child.signal_name}" if child.signal_name else f"exit code {child.returncode}"
    if "MemoryError" in log_text or "bad_alloc" in log_text:
        how += " (memory limit reached)"
    status = Status.COMPILE_ERROR if compiles and stage in ("load", "compile") else Status.RUNTIME_ERROR
    said = last_words(log_text)
    return status, "crash", f"{process} died with {how} during {stage}" + (f": {said}" if said else "")


_ERRCODE = re.compile(r"Errcode: ([0-9A-Fa-f]+)!\s*([^\n]*)")
_CODEGEN_OP = re.compile(r"Gen(\w+?)Op\b")
_SAID = re.compile(r"(error|exception|exceed|failed|invalid|not supported)", re.I)


def last_words(log_text: str, limit: int = 300) -> str:
    """What a dead worker's log last said about why: pypto's last error code and its line, with the
    op whose code generation raised it when the native stack names one (`GenWhereOp` -> WHERE);
    else the last line that reads like an error (not a stack frame). "" when the log says nothing."""
    found = list(_ERRCODE.finditer(log_text or ""))
    if found:
        last = found[-1]
        words = f"Errcode: {last.group(1)}! {last.group(2).strip()}".strip()
        op = _CODEGEN_OP.search(log_text[last.end() :])
        if op and op.group(1) not in ("Func", "FuncBody"):
            words += f" (while generating code for op {op.group(1).upper()})"
        return words[:limit]
    for line in reversed((log_text or "").splitlines()):
        line = line.strip()
        if line and _SAID.search(line) and not line.startswith(("lib", "File ", "#")) and "+0x" not in line:
            return line[:limit]
    return ""


def mismatch_detail(output: str, check: dict[str, Any], atol: float, rtol: float) -> str:
    """The words of a failed output comparison (a worker_kit.Comparison as a dict)."""
    if check.get("detail"):
        return f"output '{output}': {check['detail']}"
    detail = (
        f"output '{output}' differs from the reference: max abs diff {check.get('max_abs_diff', float('nan')):.4g}, "
        f"max rel diff {check.get('max_rel_diff', float('nan')):.4g}, {check.get('error_ratio', 1.0):.1%} of "
        f"elements beyond atol {atol:g} + rtol {rtol:g}"
    )
    if check.get("unwritten"):
        # Outputs start NaN-filled where the target can (Triton's interpreter): there a NaN the
        # reference lacks was never written; elsewhere it is a NaN the kernel computed (overflow).
        detail += f"; {check['unwritten']} elements NaN where the reference has a number (never written, or inf - inf)"
    return detail


def correctness(seeds: list[int], checks: list[SeedCheck], outputs: list[dict[str, Any]]) -> Correctness:
    """One `Correctness` from the worst check of each seed (outputs carry their own atol/rtol)."""
    vals = [c for c in checks if c.max_abs_diff is not None]
    return Correctness(
        seeds=seeds,
        passed=bool(checks) and all(c.passed for c in checks),
        atol=max((o["atol"] for o in outputs), default=0.0),
        rtol=max((o["rtol"] for o in outputs), default=0.0),
        max_abs_diff=max((c.max_abs_diff for c in vals), default=None),
        max_rel_diff=max((c.max_rel_diff or 0.0 for c in vals), default=None),
        error_ratio=max((c.error_ratio or 0.0 for c in vals), default=None),
        per_seed=checks,
    )


def seed_check(seed: int, rows: list[dict[str, Any]], outputs: list[dict[str, Any]]) -> SeedCheck:
    """A seed's verdict from its per-output comparison rows ({"output", "passed", max_abs_diff, ...}):
    the first failing output's detail, the worst output's statistics."""
    if not rows:
        return SeedCheck(seed, False, detail="no output was checked")
    by_name = {o["name"]: o for o in outputs}
    bad = [r for r in rows if not r["passed"]]
    worst = max(rows, key=lambda r: (not r["passed"], r.get("max_abs_diff") or 0.0))
    detail = ""
    if bad:
        spec = by_name.get(bad[0]["output"], {"atol": 0.0, "rtol": 0.0})
        detail = mismatch_detail(bad[0]["output"], bad[0], spec["atol"], spec["rtol"])
    return SeedCheck(seed, not bad, worst.get("max_abs_diff"), worst.get("max_rel_diff"), worst.get("error_ratio"),
                     worst.get("zero_ratio"), detail)  # fmt: skip


def add_stress(
    corr: Correctness, rows: list[dict[str, Any]], outputs: list[dict[str, Any]], note: str, cases: list[dict[str, Any]]
) -> None:
    """The stress cases' results (rows: {"name", "checks"} or {"name", "error"}) into `corr`; a
    failed case fails the kernel. `cases` (hawk.targets.stress) give each case's tolerances."""
    from hawk.targets.stress import scaled

    by_name = {c["name"]: c for c in cases}
    for row in rows:
        if "error" in row:
            corr.stress.append(StressCheck(row["name"], False, None, f"the kernel raised: {row['error']}"))
            continue
        check = seed_check(0, row.get("checks") or [], scaled(outputs, by_name.get(row["name"], {})))
        corr.stress.append(StressCheck(row["name"], check.passed, check.max_abs_diff, check.detail))
    corr.stress_note = note
    corr.passed = corr.passed and all(c.passed for c in corr.stress)


def settle(verdict: Verdict) -> None:
    """PASS when every seed and stress case passed, else WRONG_RESULT naming the first failing one."""
    assert verdict.correctness is not None
    if verdict.correctness.passed:
        verdict.status = Status.PASS
        return
    verdict.status = Status.WRONG_RESULT
    bad = next((c for c in verdict.correctness.per_seed if not c.passed), None)
    stressed = next((c for c in verdict.correctness.stress if not c.passed), None)
    if bad is not None:
        message = f"seed {bad.seed}: {bad.detail}"
    elif stressed is not None:
        message = (f"stress input '{stressed.name}' (seed 0's floating-point inputs {stressed.name.removeprefix('inputs ')}; "
                   f"the seeds pass): {stressed.detail}")  # fmt: skip
    else:
        message = "no seed was checked"
    verdict.error = ErrorContext(kind="mismatch", message=message)


def set_speedup(verdict: Verdict, eager_us: float | None) -> None:
    if verdict.perf is None or not eager_us:
        return
    verdict.perf.eager_time_us = round(eager_us, 3)
    if verdict.perf.time_us:
        verdict.perf.speedup = round(eager_us / verdict.perf.time_us, 3)
