"""Target `ascend-pypto`: PyPTO kernels for Ascend 910B/910C, judged by pypto's own toolchain.

Mode `sim` (default without an NPU) compiles through pypto's passes, simulates the program on the
vendor's A2/A3 machine model and verifies its result with pypto's CPU calculator. Mode `npu` runs
the same kernel on a real device through torch_npu (documented; not run on Hawk's CI machines).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from hawk import config
from hawk.targets.ascend_pypto import harvest
from hawk.targets.ascend_pypto.knobs import PyptoSpace, find_space
from hawk.targets.ascend_pypto.perf import PerfKernel, SimPool, child_env
from hawk.targets.ascend_pypto.profile import critical_chain
from hawk.targets.ascend_pypto.spec import ascend_a2a3_spec
from hawk.targets.ascend_pypto.static_check import check_source, kernel_pass_options
from hawk.targets.base import Availability, HardwareSpec
from hawk.targets.common import Finding, source_lines
from hawk.targets.judging import (
    WorkerResult,
    add_stress,
    correctness,
    roofline_us,
    seed_check,
    set_bound,
    set_roofline,
    settle,
    signature_bytes,
    signature_counts,
    worker_failure,
)
from hawk.targets.pipeline import Job, TargetBase
from hawk.targets.sandbox import ChildResult, run_child
from hawk.targets.stress import scaled
from hawk.targets.tuning import PointTiming
from hawk.targets.verdict import Correctness, ErrorContext, Perf, SeedCheck, SourceLine, Status, Verdict
from hawk.targets.worker_kit import compare
from hawk.tasks.task import Task

GUIDE = Path(__file__).with_name("guide.md")


class AscendPyptoTarget(TargetBase):
    name = "ascend-pypto"
    scratch_prefix = ""

    def spec(self) -> HardwareSpec:
        return ascend_a2a3_spec()

    def language_guide(self) -> str:
        return GUIDE.read_text()

    def tool_versions(self) -> dict[str, str]:
        """What judged a kernel here (recorded in knowledge provenance)."""
        from importlib.metadata import version

        return {"pypto": version("pypto"), "torch": version("torch")}

    def modes(self) -> list[Availability]:
        have_pypto = importlib.util.find_spec("pypto") is not None
        tools = [t for t in ("cmake", "c++") if shutil.which(t) is None]
        sim_ok = have_pypto and not tools
        sim_why = (
            "pypto simulator + CPU calculator"
            if sim_ok
            else ("pypto is not installed" if not have_pypto else f"missing {', '.join(tools)} (calculator build)")
        )
        npu_ok = importlib.util.find_spec("torch_npu") is not None and bool(os.environ.get("ASCEND_HOME_PATH"))
        npu_why = "torch_npu + CANN found" if npu_ok else "no torch_npu / CANN (ASCEND_HOME_PATH) on this machine"
        return [Availability("sim", sim_ok, sim_why), Availability("npu", npu_ok, npu_why)]

    # ------------------------------------------------------------------ tuning (hawk.targets.tuning.Tunable)
    def tuning_space(self, source: str, task: Task) -> PyptoSpace:
        return find_space(source, self.spec())

    def point_timer(self, task: Task, workdir: Path, workers: int) -> PyptoTimer:
        return PyptoTimer(task, workdir, workers)

    # ------------------------------------------------------------------ evaluation steps (hawk.targets.pipeline)
    def static_check(self, source: str) -> Finding | None:
        return check_source(source)

    def run(self, job: Job, verdict: Verdict) -> None:
        """One worker child: reference, load, compile + verify (pypto's passes and CPU calculator),
        simulate; then the plog, the verifier's tensors and the simulator's report are read here."""
        workdir, opts = job.workdir, job.options
        request = job.request(cache_dir=str(config.cache_dir()), mode=job.mode,
                              pass_options=kernel_pass_options(job.candidate))  # fmt: skip
        (workdir / "request.json").write_text(json.dumps(request, indent=1))
        # pypto's trace scripts run `python3` from PATH: child_env makes it this interpreter (it has
        # matplotlib), behind a shim that skips the swimlane drawings unless asked for (~90% of simulate time).
        env = child_env(workdir / "ascend_log")
        env["HAWK_SWIMLANE"] = "1" if opts.swimlane else "0"
        child = run_child(
            [sys.executable, "-m", "hawk.targets.ascend_pypto.worker", str(workdir / "request.json")],
            cwd=workdir, env=env, timeout_s=opts.timeout_s, memory_limit_mb=opts.memory_limit_mb,
            log_path=workdir / "worker.log",
        )  # fmt: skip
        verdict.artifacts.log = str(child.log_path)
        result = WorkerResult.read(workdir / "result.json")
        self._judge(verdict, child, result, job)
        verdict.timings.update({k: round(v, 3) for k, v in result.timings.items()})

    def eager_baseline(self, job: Job) -> tuple[float | None, str | None] | None:
        """One simulated single-op kernel per PyTorch op of the reference (see eager.py); mode sim only."""
        if job.mode != "sim":
            return None
        from hawk.targets.ascend_pypto.calibrate import CalibrationError, calibration
        from hawk.targets.ascend_pypto.eager import eager_baseline, estimated_note

        try:
            cal = calibration(self.spec())
        except (CalibrationError, OSError):
            cal = None  # estimated ops fall back to the nominal roofline (the note says which ops)
        baseline = eager_baseline(job.task, self.spec(), config.cache_dir(), calibration=cal)
        return baseline.time_us, estimated_note(baseline)

    def cleanup(self, job: Job) -> None:
        """Drop the bulky tensor dumps once judged (tens of MB per evaluation); keep logs, CSVs, traces."""
        if job.options.keep_tensors:
            return
        for path in job.workdir.glob("verify/*/verify_*/tensor_graph/*.data"):
            path.unlink(missing_ok=True)
        for path in job.workdir.glob("output/*/tensor"):
            shutil.rmtree(path, ignore_errors=True)

    def _judge(self, verdict: Verdict, child: ChildResult, result: WorkerResult, job: Job) -> None:
        source, workdir, seeds = job.candidate, job.workdir, job.seeds
        outcome, message, lines = result.outcome, result.message, result.lines
        stdout = child.log_path.read_text(errors="replace") if child.log_path.exists() else ""
        hw = harvest.hardware_reason(workdir / "ascend_log")
        if hw is not None and hw.constraint is None and outcome != "compile_error":
            hw = None  # a Python-side error: the plog's lines are the verifier unwinding, not a reason
        if hw is not None and hw.constraint and hw.op_magic is not None and outcome == "compile_error":
            self._locate(job, hw)

        def error(kind: str, message: str, lines: list[int] | None = None) -> ErrorContext:
            ctx = ErrorContext(kind=kind, message=message, lines=source_lines(source, lines or []))
            if hw is not None:
                ctx.hardware_reason, ctx.op, ctx.constraint = hw.reason, hw.op, hw.constraint
                ctx.requested_bytes, ctx.available_bytes = hw.requested_bytes, hw.available_bytes
                if hw.line is not None:  # located exactly: the line that created the op
                    ctx.lines = source_lines(source, [hw.line])
                elif not ctx.lines and hw.op:
                    ctx.lines = _lines_calling(source, hw.op)
            return ctx

        failure = worker_failure(result, child, stdout)  # hung or dead (pypto or the candidate), invalid, ours
        if failure is not None:
            verdict.status, verdict.error = failure.status, error(failure.kind, failure.message, failure.lines)
            return
        if outcome in ("load_error", "compile_error", "reference_error"):
            verdict.status = Status.COMPILE_ERROR
            kind = "pass" if "Run pass failed" in message else ("import" if outcome == "load_error" else "frontend")
            if hw is not None and hw.constraint:
                kind = hw.constraint
            cause = harvest.frontend_cause(stdout) if kind == "frontend" else None
            if cause is not None:  # pypto's exception is a derived error; the logged first cause is the real one
                verdict.error = error(kind, f"{_clean(cause.message)} (pypto then raised: {_clean(message)})", lines)
                verdict.error.op = verdict.error.op or cause.op
                if not verdict.error.lines and cause.op:
                    verdict.error.lines = _lines_calling(source, cause.op)
                return
            verdict.error = error(kind, _clean(message), lines)
            return
        if outcome == "ran_npu":
            self._judge_npu(verdict, result, seeds)
            return
        if outcome != "ran":
            verdict.status = Status.RUNTIME_ERROR
            verdict.error = error("simulate", _clean(message), lines)
            return

        verdict.correctness = self._correctness(result, job)
        verdict.perf, report = self._perf(workdir, stdout)
        if report is not None:
            verdict.artifacts.trace, verdict.artifacts.swimlane = report.trace, report.swimlane
        set_roofline(verdict, self._roofline(result))
        self._set_bound(verdict, result)
        if verdict.perf is None:
            verdict.error = ErrorContext(
                kind="no_profile",
                message="the simulator reported no AICore time (seen when an L1 overflow slips past the "
                "compiler); the kernel is not accepted without a profile",
                hardware_reason=hw.reason if hw else None,
            )
            verdict.status = Status.RUNTIME_ERROR
            return
        settle(verdict)

    def _locate(self, job: Job, hw: harvest.HardwareReason) -> None:
        """Name the kernel line of the op a capacity failure names: compile again in a child with
        pypto's graph dumps on (they carry each op's source line) and look the op's id up there.
        Costs one more compile (~10 s), only for kernels that failed this way."""
        folder = job.workdir / "locate"
        folder.mkdir(exist_ok=True)
        request = job.request(cache_dir=str(config.cache_dir()), mode="sim", locate=True, workdir=str(folder),
                              seeds=job.seeds[:1], stress=[], pass_options=kernel_pass_options(job.candidate))  # fmt: skip
        (folder / "request.json").write_text(json.dumps(request, indent=1))
        run_child([sys.executable, "-m", "hawk.targets.ascend_pypto.worker", str(folder / "request.json")],
                  cwd=folder, env=child_env(folder / "ascend_log"), timeout_s=min(job.options.timeout_s, 180),
                  memory_limit_mb=job.options.memory_limit_mb, log_path=folder / "worker.log")  # fmt: skip
        found = harvest.op_location(folder / "output", hw.op_magic) if hw.op_magic is not None else None
        shutil.rmtree(folder / "output", ignore_errors=True)  # the dumps: ~15 MB even for a small kernel
        if found is None:
            return
        hw.line, tile = found
        hw.reason += f"; the op comes from kernel line {hw.line}" + (f" (vector tile {tile})" if tile else "")

    def _judge_npu(self, verdict: Verdict, result: WorkerResult, seeds: list[int]) -> None:
        """Mode npu: outputs were compared on the host and the kernel timed on the device."""
        outputs = result.outputs
        rows = result.extra.get("npu_checks", [])
        checks = [seed_check(seed, [r for r in rows if r["seed"] == seed], outputs) for seed in seeds]
        verdict.correctness = correctness(seeds, checks, outputs)
        verdict.perf = Perf(time_us=result.extra.get("npu_time_us"),
                            eager_note="eager baseline is simulated; not compared with device time")  # fmt: skip
        set_roofline(verdict, self._roofline(result))  # no calibrated bound: it was measured on the simulator
        settle(verdict)

    def _roofline(self, result: WorkerResult) -> float | None:
        """The reference's bytes moved and matmul FLOPs (recorded by the worker) over this chip's peaks."""
        read, written = signature_bytes(result.signature)
        return roofline_us(read, written, int(result.extra.get("matmul_flops", 0)), self.spec())

    def _set_bound(self, verdict: Verdict, result: WorkerResult) -> None:
        """The calibrated bound (hawk/targets/bound.py); without a calibration the verdict keeps the roofline only."""
        if verdict.perf is None or not result.signature:
            return
        from hawk.targets.ascend_pypto.calibrate import CalibrationError, calibration

        try:
            cal = calibration(self.spec())
        except (CalibrationError, OSError) as exc:
            verdict.perf.note = "; ".join(filter(None, [verdict.perf.note, f"no calibrated bound: {exc}"[:300]]))
            return
        read, written = signature_bytes(result.signature)
        n_in, n_out = signature_counts(result.signature)
        flops = int(result.extra.get("matmul_flops", 0))
        set_bound(
            verdict, cal.bound_us(read, written, flops, n_in, n_out), cal.parts(read, written, flops, n_in, n_out)
        )

    def setup(self, log: Callable[[str], None] = print, force: bool = False) -> dict[str, float]:
        """Calibrate the bound on this machine's simulator (cached per SKU and pypto version)."""
        from hawk.targets.ascend_pypto.calibrate import calibration

        started = time.perf_counter()
        cal = calibration(self.spec(), force=force)
        log(cal.describe())
        return {"calibrate_s": round(time.perf_counter() - started, 1)}

    def _correctness(self, result: WorkerResult, job: Job) -> Correctness:
        """Every output of every seed and stress case is compared with its golden at that output's
        own tolerance (from the calculator's saved tensors)."""
        workdir, seeds, outputs = job.workdir, job.seeds, result.outputs
        checks = []
        for seed in seeds:
            rows, missing = self._compared(workdir / "verify" / f"seed{seed}", outputs)
            if missing:
                checks.append(SeedCheck(seed, False, detail=f"the verifier produced no result for {missing}"))
            else:
                checks.append(seed_check(seed, rows, outputs))
        corr = correctness(seeds, checks, outputs)
        stress = []
        cases = {c["name"]: c for c in job.stress}
        for case in result.stress:
            if "verify_dir" in case:  # Hawk's comparison only: pypto's verifier has the seeds' absolute tolerance
                case_outputs = scaled(outputs, cases.get(case["name"], {}))
                rows, missing = self._compared(Path(case["verify_dir"]), case_outputs, trust_verifier=False)
                case = {"name": case["name"], "checks": rows} if not missing else {
                    "name": case["name"], "error": f"the verifier produced no result for {missing}"}  # fmt: skip
            stress.append(case)
        add_stress(corr, stress, outputs, job.stress_note, job.stress)
        return corr

    @staticmethod
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

    def _perf(self, workdir: Path, stdout: str) -> tuple[Perf | None, harvest.SimReport | None]:
        """The profile, and the simulator's report (its trace and swimlane become the verdict's artifacts)."""
        time_us, util = harvest.sim_summary(stdout)
        out = harvest.sim_output_dir(workdir)
        if time_us is None or out is None:
            return None, None
        report = harvest.sim_report(out)
        perf = Perf(
            time_us=time_us,
            utilization=util,
            total_cycles=report.total_cycles,
            pipes=report.pipes,
            bubbles=report.bubbles,
            bottleneck=harvest.bottleneck(report, self.spec()),
        )
        try:  # evidence for the optimize prompt; a profile without the task files only lacks the chain
            perf.critical_chain = critical_chain(out, time_us)
        except (OSError, ValueError, KeyError, TypeError):
            perf.critical_chain = {}
        return perf, report


class PyptoTimer:
    """Performance-only simulation of tuning points over a pool of long-lived children."""

    def __init__(self, task: Task, workdir: Path, workers: int) -> None:
        from hawk.tasks.sandboxed import task_spec

        self.workdir = workdir
        self.args = [(list(s.shape), s.dtype) for s in task_spec(task).args]
        self.pool = SimPool(workdir, workers=workers, kernel_timeout_s=POINT_TIMEOUT_S)

    def time_points(self, sources: dict[str, str]) -> dict[str, PointTiming]:
        out: dict[str, PointTiming] = {}
        kernels = []
        for name, source in sources.items():
            finding = check_source(source)  # a point is a candidate too
            if finding is not None:
                out[name] = PointTiming(None, f"{finding.status.value}: {finding.error.message}")
                continue
            module = self.workdir / f"{name}.py"
            module.write_text(source)
            kernels.append(PerfKernel(name, str(module), "kernel", self.args, kernel_pass_options(source)))
        for name, t in self.pool.run(kernels).items():
            out[name] = PointTiming(t.time_us, t.error, t.constraint)
        return out

    def close(self) -> None:
        self.pool.close()


# ---------------------------------------------------------------------- helpers
# One tuning point's compile + simulation at most (a normal one takes 1-10 s; tiny tiles can take minutes).
POINT_TIMEOUT_S = 90.0


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
