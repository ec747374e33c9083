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
import uuid
from pathlib import Path

from hawk import config
from hawk.targets.ascend_pypto import harvest
from hawk.targets.ascend_pypto.spec import ascend_a2a3_spec
from hawk.targets.ascend_pypto.static_check import check_source
from hawk.targets.base import Availability, EvalOptions, HardwareSpec
from hawk.targets.sandbox import run_child
from hawk.targets.verdict import (
    Artifacts,
    Correctness,
    ErrorContext,
    Perf,
    SeedCheck,
    SourceLine,
    Status,
    Verdict,
)
from hawk.tasks.task import Task

GUIDE = Path(__file__).with_name("guide.md")


class AscendPyptoTarget:
    name = "ascend-pypto"

    def spec(self) -> HardwareSpec:
        return ascend_a2a3_spec()

    def language_guide(self) -> str:
        return GUIDE.read_text()

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

    def default_mode(self) -> str:
        modes = {m.mode: m for m in self.modes()}
        return "npu" if modes["npu"].available else "sim"

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, candidate: str, task: Task, options: EvalOptions | None = None) -> Verdict:
        opts = options or EvalOptions()
        mode = opts.mode or self.default_mode()
        started = time.perf_counter()
        verdict = Verdict(status=Status.RUNTIME_ERROR, task=task.id, target=self.name, mode=mode)

        finding = check_source(candidate)
        if finding is not None:
            verdict.status, verdict.error = finding.status, finding.error
            verdict.timings["total_s"] = time.perf_counter() - started
            return verdict
        if mode == "npu" and not {m.mode: m for m in self.modes()}["npu"].available:
            verdict.error = ErrorContext(kind="environment", message="mode npu requested but no NPU is available")
            return verdict

        workdir = config.scratch_root() / f"{_slug(task.id)}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        workdir.mkdir(parents=True)
        kernel_file = workdir / "candidate.py"
        kernel_file.write_text(candidate)
        seeds = list(range(opts.seeds))
        request = {
            "task_id": task.id,
            "task_file": str(task.path),
            "kernel_file": str(kernel_file),
            "workdir": str(workdir),
            "cache_dir": str(config.cache_dir()),
            "seeds": seeds,
            "atol": task.atol,
            "rtol": task.rtol,
            "mode": mode,
        }
        (workdir / "request.json").write_text(json.dumps(request, indent=1))
        env = dict(os.environ)
        env["ASCEND_PROCESS_LOG_PATH"] = str(workdir / "ascend_log")
        # pypto's trace scripts run `python3` from PATH: make it this interpreter (it has matplotlib).
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[3]), env.get("PYTHONPATH", "")])
        child = run_child(
            [sys.executable, "-m", "hawk.targets.ascend_pypto.worker", str(workdir / "request.json")],
            cwd=workdir, env=env, timeout_s=opts.timeout_s, memory_limit_mb=opts.memory_limit_mb,
            log_path=workdir / "worker.log",
        )  # fmt: skip
        verdict.artifacts = Artifacts(workdir=str(workdir), log=str(child.log_path))
        result = _read_json(workdir / "result.json")
        atol, rtol = result.get("atol", 0.0), result.get("rtol", 0.0)
        self._judge(verdict, child, result, candidate, workdir, seeds, atol, rtol)
        verdict.timings.update({k: round(v, 3) for k, v in result.get("timings", {}).items()})
        verdict.timings["total_s"] = round(time.perf_counter() - started, 3)
        (workdir / "verdict.json").write_text(json.dumps(verdict.to_dict(), indent=1, default=str))
        return verdict

    def _judge(self, verdict, child, result, source, workdir, seeds, atol, rtol) -> None:
        outcome = result.get("outcome")
        stage = result.get("stage", "start")
        stdout = child.log_path.read_text(errors="replace") if child.log_path.exists() else ""
        hw = harvest.hardware_reason(workdir / "ascend_log")

        def error(kind: str, message: str, lines: list[int] | None = None) -> ErrorContext:
            ctx = ErrorContext(kind=kind, message=message, lines=_source_lines(source, lines or []))
            if hw is not None:
                ctx.hardware_reason, ctx.op, ctx.constraint = hw.reason, hw.op, hw.constraint
                ctx.requested_bytes, ctx.available_bytes = hw.requested_bytes, hw.available_bytes
                if not ctx.lines and hw.op:
                    ctx.lines = _lines_calling(source, hw.op)
            return ctx

        if child.timed_out:
            verdict.status = Status.TIMEOUT
            verdict.error = error("timeout", f"no verdict within {child.wall_s:.0f} s (stage reached: {stage})")
            return
        if outcome is None:  # the worker died without finishing: a crash in pypto or the candidate
            how = f"signal {child.signal_name}" if child.signal_name else f"exit code {child.returncode}"
            if child.returncode == 1 and "MemoryError" in stdout or "std::bad_alloc" in stdout:
                how += " (memory limit reached)"
            kind = "crash"
            verdict.status = Status.COMPILE_ERROR if stage in ("load", "compile") else Status.RUNTIME_ERROR
            verdict.error = error(kind, f"the evaluation process died with {how} during {stage}")
            return
        message = str(result.get("message", ""))
        lines = result.get("lines") or []
        if outcome == "harness_error":
            verdict.status = Status.RUNTIME_ERROR
            verdict.error = error("harness", f"Hawk's worker failed: {message}")
            return
        if outcome == "invalid":
            verdict.status = Status.INVALID
            verdict.error = error("contract", message, lines)
            return
        if outcome in ("load_error", "compile_error", "reference_error"):
            verdict.status = Status.COMPILE_ERROR
            kind = "pass" if "Run pass failed" in message else ("import" if outcome == "load_error" else "frontend")
            if hw is not None and hw.constraint:
                kind = hw.constraint
            verdict.error = error(kind, _clean(message), lines)
            return
        if outcome != "ran":
            verdict.status = Status.RUNTIME_ERROR
            verdict.error = error("simulate", _clean(message), lines)
            return

        verdict.correctness = self._correctness(workdir, seeds, atol, rtol)
        verdict.perf = self._perf(workdir, stdout, result)
        if verdict.correctness.passed:
            verdict.status = Status.PASS
        else:
            verdict.status = Status.WRONG_RESULT
            bad = next(s for s in verdict.correctness.per_seed if not s.passed)
            verdict.error = ErrorContext(kind="mismatch", message=f"seed {bad.seed}: {bad.detail}")
        if verdict.perf:
            verdict.artifacts.trace = verdict.perf.__dict__.pop("_trace", None)

    def _correctness(self, workdir: Path, seeds: list[int], atol: float, rtol: float) -> Correctness:
        checks = []
        for seed in seeds:
            rows = harvest.verify_rows(workdir / "verify" / f"seed{seed}")
            if not rows:
                checks.append(SeedCheck(seed, False, detail="the verifier produced no result for the output"))
                continue
            worst = max(rows, key=lambda r: (not r.passed, r.max_abs_diff))
            passed = all(r.passed for r in rows)
            detail = "" if passed else (
                f"output differs from the reference: max abs diff {worst.max_abs_diff:.4g}, "
                f"max rel diff {worst.max_rel_diff:.4g}, {worst.error_ratio:.1%} of elements out of tolerance"
            )  # fmt: skip
            checks.append(SeedCheck(seed, passed, worst.max_abs_diff, worst.max_rel_diff, worst.error_ratio,
                                    worst.zero_ratio, detail))  # fmt: skip
        vals = [c for c in checks if c.max_abs_diff is not None]
        return Correctness(
            seeds=seeds,
            passed=bool(checks) and all(c.passed for c in checks),
            atol=atol,
            rtol=rtol,
            max_abs_diff=max((c.max_abs_diff for c in vals), default=None),
            max_rel_diff=max((c.max_rel_diff for c in vals), default=None),
            error_ratio=max((c.error_ratio for c in vals), default=None),
            per_seed=checks,
        )

    def _perf(self, workdir: Path, stdout: str, result: dict) -> Perf | None:
        time_us, util = harvest.sim_summary(stdout)
        out = harvest.sim_output_dir(workdir)
        if time_us is None or out is None:
            return None
        report = harvest.sim_report(out)
        spec = self.spec()
        perf = Perf(
            time_us=time_us,
            utilization=util,
            total_cycles=report.total_cycles,
            pipes=report.pipes,
            bubbles=report.bubbles,
        )
        perf.bottleneck = bottleneck(report, spec)
        perf.roofline_us = roofline_us(result.get("signature", []), int(result.get("matmul_flops", 0)), spec)
        if perf.roofline_us:
            perf.roofline_ratio = round(time_us / perf.roofline_us, 3)
        perf._trace = report.trace  # type: ignore[attr-defined]
        return perf


# ---------------------------------------------------------------------- helpers
DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1, "uint8": 1, "int16": 2, "int32": 4,
               "int64": 8, "bool": 1}  # fmt: skip


def roofline_us(signature: list[dict], matmul_flops: int, spec: HardwareSpec) -> float | None:
    """Lower bound: every argument crosses global memory once, matrix products run at cube peak."""
    if not signature:
        return None
    nbytes = 0
    for arg in signature:
        n = 1
        for d in arg["shape"]:
            n *= int(d)
        nbytes += n * DTYPE_BYTES.get(arg["dtype"], 4)
    memory_us = nbytes / (spec.gm_bandwidth_gbps * 1e9) * 1e6
    cube_us = matmul_flops / (spec.cube_peak_tflops * 1e12) * 1e6
    return round(max(memory_us, cube_us), 4)


def bottleneck(report: harvest.SimReport, spec: HardwareSpec) -> str:
    """One label from the taxonomy: the busiest pipe, unless idle cores or bubbles dominate."""
    used = max(report.pipes_used.get("vector", 0), report.pipes_used.get("cube", 0))
    cores = spec.vector_cores if report.pipes_used.get("cube", 0) == 0 else spec.cube_cores
    busiest = max(report.pipes, key=lambda k: report.pipes[k]) if report.pipes else None
    if report.bubbles.get("bubble_ratio", 0.0) > 0.5:
        return "scheduling_bubbles"
    if used and used < cores / 2:
        return "core_underuse"
    return f"{busiest}_bound" if busiest else "unknown"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:60]


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _source_lines(source: str, linenos: list[int]) -> list[SourceLine]:
    lines = source.splitlines()
    return [SourceLine(n, lines[n - 1]) for n in dict.fromkeys(linenos) if 1 <= n <= len(lines)]


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
