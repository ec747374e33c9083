"""Target `ascend-pypto`: PyPTO kernels for Ascend 910B/910C, judged by pypto's own toolchain.

Mode `sim` (default without an NPU) compiles through pypto's passes, simulates the program on the
vendor's A2/A3 machine model and verifies its result with pypto's CPU calculator. Mode `npu` runs
the same kernel on a real device through torch_npu (documented; not run on Hawk's CI machines).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from hawk import config
from hawk.targets.ascend_pypto import harvest
from hawk.targets.ascend_pypto.judge_steps import PyptoJudgeSteps
from hawk.targets.ascend_pypto.knobs import PyptoSpace, find_space
from hawk.targets.ascend_pypto.perf import PerfKernel, SimPool, child_env
from hawk.targets.ascend_pypto.spec import ascend_a2a3_spec
from hawk.targets.ascend_pypto.static_check import check_source, kernel_pass_options
from hawk.targets.base import Availability, HardwareSpec
from hawk.targets.common import Finding
from hawk.targets.judging import WorkerResult
from hawk.targets.pipeline import Job, TargetBase, judge
from hawk.targets.sandbox import ChildResult, run_child
from hawk.targets.tuning import PointTiming
from hawk.targets.verdict import Verdict
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
        """The harness's judging sequence over this run's steps, once the plog's hardware reason is read."""
        stdout = child.log_path.read_text(errors="replace") if child.log_path.exists() else ""
        hw = harvest.hardware_reason(job.workdir / "ascend_log")
        if hw is not None and hw.constraint is None and result.outcome != "compile_error":
            hw = None  # a Python-side error: the plog's lines are the verifier unwinding, not a reason
        if hw is not None and hw.constraint and hw.op_magic is not None and result.outcome == "compile_error":
            self._locate(job, hw)
        judge(verdict, result, child, job, PyptoJudgeSteps(self.spec(), job, hw, stdout))

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

    def setup(self, log: Callable[[str], None] = print, force: bool = False) -> dict[str, float]:
        """Calibrate the bound on this machine's simulator (cached per SKU and pypto version)."""
        from hawk.targets.ascend_pypto.calibrate import calibration

        started = time.perf_counter()
        cal = calibration(self.spec(), force=force)
        log(cal.describe())
        return {"calibrate_s": round(time.perf_counter() - started, 1)}


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
