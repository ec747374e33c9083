"""ascend-pypto's steps in the harness's judging sequence (hawk.targets.pipeline.judge): how the
worker's outcomes, the plog's hardware reason, the verifier's tensors and the simulator's report
become a verdict's error, correctness, profile and bounds."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hawk.targets.ascend_pypto import harvest
from hawk.targets.ascend_pypto.profile import critical_chain
from hawk.targets.base import HardwareSpec
from hawk.targets.common import source_lines
from hawk.targets.judging import (
    Failure,
    WorkerResult,
    roofline_us,
    seed_check,
    set_bound,
    signature_bytes,
    signature_counts,
)
from hawk.targets.pipeline import Job
from hawk.targets.stress import scaled
from hawk.targets.verdict import ErrorContext, Perf, SeedCheck, SourceLine, Status, Verdict
from hawk.targets.worker_kit import compare


@dataclass
class PyptoJudgeSteps:
    """One worker run's judging steps: `hw` is the plog's hardware reason, `stdout` the worker's log."""

    spec: HardwareSpec
    job: Job
    hw: harvest.HardwareReason | None
    stdout: str
    process: str = "the evaluation process"
    compiles: bool = True

    def error(self, failure: Failure) -> ErrorContext:
        source, hw = self.job.candidate, self.hw
        ctx = ErrorContext(kind=failure.kind, message=failure.message, lines=source_lines(source, failure.lines))
        if hw is not None:
            ctx.hardware_reason, ctx.op, ctx.constraint = hw.reason, hw.op, hw.constraint
            ctx.requested_bytes, ctx.available_bytes = hw.requested_bytes, hw.available_bytes
            if hw.line is not None:  # located exactly: the line that created the op
                ctx.lines = source_lines(source, [hw.line])
            elif not ctx.lines and hw.op:
                ctx.lines = _lines_calling(source, hw.op)
        if failure.op:
            ctx.op = ctx.op or failure.op
            if not ctx.lines:
                ctx.lines = _lines_calling(source, failure.op)
        return ctx

    def refused(self, result: WorkerResult) -> Failure | None:
        outcome, message, lines = result.outcome, result.message, result.lines
        if outcome in ("load_error", "compile_error", "reference_error"):
            kind = "pass" if "Run pass failed" in message else ("import" if outcome == "load_error" else "frontend")
            if self.hw is not None and self.hw.constraint:
                kind = self.hw.constraint
            cause = harvest.frontend_cause(self.stdout) if kind == "frontend" else None
            if cause is not None:  # pypto's exception is a derived error; the logged first cause is the real one
                what = f"{_clean(cause.message)} (pypto then raised: {_clean(message)})"
                return Failure(Status.COMPILE_ERROR, kind, what, lines, cause.op)
            return Failure(Status.COMPILE_ERROR, kind, _clean(message), lines)
        if outcome not in ("ran", "ran_npu"):
            return Failure(Status.RUNTIME_ERROR, "simulate", _clean(message), lines)
        return None

    def seed_check(self, result: WorkerResult, seed: int) -> SeedCheck:
        """Mode sim: every output against its golden at that output's own tolerance (the calculator's
        saved tensors); mode npu: the rows the worker compared on the host."""
        outputs = result.outputs
        if result.outcome == "ran_npu":
            return seed_check(seed, [r for r in result.extra.get("npu_checks", []) if r["seed"] == seed], outputs)
        rows, missing = _compared(self.job.workdir / "verify" / f"seed{seed}", outputs)
        if missing:
            return SeedCheck(seed, False, detail=f"the verifier produced no result for {missing}")
        return seed_check(seed, rows, outputs)

    def stress_rows(self, result: WorkerResult) -> list[dict[str, Any]] | None:
        """Mode sim only (mode npu judges the seeds). Hawk's comparison only: pypto's verifier has the
        seeds' absolute tolerance."""
        if result.outcome == "ran_npu":
            return None
        rows = []
        cases = {c["name"]: c for c in self.job.stress}
        for case in result.stress:
            if "verify_dir" in case:
                case_outputs = scaled(result.outputs, cases.get(case["name"], {}))
                checks, missing = _compared(Path(case["verify_dir"]), case_outputs, trust_verifier=False)
                case = {"name": case["name"], "checks": checks} if not missing else {
                    "name": case["name"], "error": f"the verifier produced no result for {missing}"}  # fmt: skip
            rows.append(case)
        return rows

    def perf(self, result: WorkerResult, verdict: Verdict) -> Perf | None:
        """Mode npu: the device time; mode sim: the simulator's profile (its trace and swimlane become
        the verdict's artifacts)."""
        if result.outcome == "ran_npu":
            return Perf(time_us=result.extra.get("npu_time_us"),
                        eager_note="eager baseline is simulated; not compared with device time")  # fmt: skip
        perf, report = _profile(self.job.workdir, self.stdout, self.spec)
        if report is not None:
            verdict.artifacts.trace, verdict.artifacts.swimlane = report.trace, report.swimlane
        return perf

    def roofline(self, result: WorkerResult) -> float | None:
        """The reference's bytes moved and matmul FLOPs (recorded by the worker) over this chip's peaks."""
        read, written = signature_bytes(result.signature)
        return roofline_us(read, written, int(result.extra.get("matmul_flops", 0)), self.spec)

    def add_bound(self, verdict: Verdict, result: WorkerResult) -> None:
        """The calibrated bound (hawk/targets/bound.py); without a calibration the verdict keeps the
        roofline only. Not in mode npu: the calibration was measured on the simulator."""
        if verdict.perf is None or not result.signature or result.outcome == "ran_npu":
            return
        from hawk.targets.ascend_pypto.calibrate import CalibrationError, calibration

        try:
            cal = calibration(self.spec)
        except (CalibrationError, OSError) as exc:
            verdict.perf.note = "; ".join(filter(None, [verdict.perf.note, f"no calibrated bound: {exc}"[:300]]))
            return
        read, written = signature_bytes(result.signature)
        n_in, n_out = signature_counts(result.signature)
        flops = int(result.extra.get("matmul_flops", 0))
        set_bound(
            verdict, cal.bound_us(read, written, flops, n_in, n_out), cal.parts(read, written, flops, n_in, n_out)
        )

    def no_profile(self) -> ErrorContext | None:
        return ErrorContext(
            kind="no_profile",
            message="the simulator reported no AICore time (seen when an L1 overflow slips past the "
            "compiler); the kernel is not accepted without a profile",
            hardware_reason=self.hw.reason if self.hw else None,
        )


def _compared(verify_dir: Path, outputs: list[dict], trust_verifier: bool = True) -> tuple[list[dict], str]:
    """Comparison rows of one verified run, and the outputs it has no result for ("" when none)."""
    by_index = {o["arg_index"]: o for o in outputs}
    rows = harvest.verify_rows(verify_dir)
    seen = {r.arg_index for r in rows}
    missing = [o["name"] for i, o in by_index.items() if i not in seen]
    if not rows or missing:
        return [], ", ".join(missing) or "the outputs"
    compared = []
    for row in rows:
        out = by_index.get(row.arg_index, {"name": f"argument {row.arg_index}", "atol": 0.0, "rtol": 0.0})
        if row.program is None or row.golden is None:  # no tensor files: pypto's verdict only
            compared.append({"output": out["name"], "passed": row.verifier_passed,
                             "detail": "" if row.verifier_passed else "differs (pypto's verifier)"})  # fmt: skip
            continue
        c = asdict(compare(row.program, row.golden, out["atol"], out["rtol"]))
        compared.append(
            {**c, "output": out["name"], "passed": c["passed"] and (row.verifier_passed or not trust_verifier)}
        )
    return compared, ""


def _profile(workdir: Path, stdout: str, spec: HardwareSpec) -> tuple[Perf | None, harvest.SimReport | None]:
    """The profile, and the simulator's report."""
    time_us, util = harvest.sim_summary(stdout)
    out = harvest.sim_output_dir(workdir)
    if time_us is None or out is None:
        return None, None
    report = harvest.sim_report(out)
    perf = Perf(time_us=time_us, utilization=util, total_cycles=report.total_cycles, pipes=report.pipes,
                bubbles=report.bubbles, bottleneck=harvest.bottleneck(report, spec))  # fmt: skip
    try:  # evidence for the optimize prompt; a profile without the task files only lacks the chain
        perf.critical_chain = critical_chain(out, time_us)
    except (OSError, ValueError, KeyError, TypeError):
        perf.critical_chain = {}
    return perf, report


def _lines_calling(source: str, op: str) -> list[SourceLine]:
    """Lines that call the pypto op named in a hardware error (EXP -> pypto.exp, MATMUL -> matmul)."""
    name = op.lower().split("_")[0]
    pat = re.compile(rf"\b{name}\w*\s*\(")
    return [SourceLine(i, ln) for i, ln in enumerate(source.splitlines(), 1) if pat.search(ln)][:5]


def _clean(message: str) -> str:
    """Drop C++ backtrace lines from pypto's exception text."""
    backtrace = re.compile(r"\(\+?0x[0-9a-f]+\)|\[0x[0-9a-f]+\]|^Errcode: FFFFFF!?$")
    keep = [ln.strip() for ln in message.splitlines() if ln.strip() and not backtrace.search(ln.strip())]
    return " ".join(keep[:6]).replace("RenderedParserError: ", "")
