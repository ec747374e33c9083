"""Target `ascend-triton`: Triton kernels for the Ascend910B4, judged without an NPU.

Mode `cpu` (default here), per candidate, each step in its own sandboxed child process:
1. static checks (static_check.py): syntax, contract, cheating -> `invalid` before anything runs;
2. numerics (worker_interp.py, in the triton-interp env): goldens from the PyTorch reference first,
   then the candidate's launcher under upstream Triton's interpreter on several seeds, same
   tolerances as ascend-pypto; every launch is recorded;
3. real compile (worker_compile.py, in the triton-ascend env) of exactly the recorded launches:
   triton-ascend frontend -> triton-adapter-opt -> bishengir-compile --target=Ascend910B4; its
   errors become the verdict's hardware reason (ub/cc overflow with requested/available bytes,
   lowering failures with the MLIR diagnostic and the kernel line);
4. hardware findings (rules.py) and the performance ESTIMATE (estimate.py) from the compiled IR;
   the eager baseline is estimated with the same model, so speedups compare like with like.
Mode `npu` (torch_npu + CANN present) runs the kernel on the device with triton-ascend and times it
with device events (worker_npu.py); it has NOT been run on Hawk's machines, which have no NPU.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import time
from pathlib import Path
from typing import Any

from hawk import config
from hawk.fileio import atomic_write_json
from hawk.targets.ascend_triton import envs, estimate, rules
from hawk.targets.ascend_triton import spec as chip
from hawk.targets.ascend_triton.judge_steps import TritonJudgeSteps
from hawk.targets.ascend_triton.static_check import check_source
from hawk.targets.base import Availability, HardwareSpec
from hawk.targets.common import Finding, source_lines
from hawk.targets.judging import WorkerResult
from hawk.targets.pipeline import Job, TargetBase, judge
from hawk.targets.sandbox import ChildResult, run_child
from hawk.targets.tracing import TRACE_VERSION
from hawk.targets.verdict import ErrorContext, Status, Verdict
from hawk.tasks.task import Task

GUIDE = Path(__file__).with_name("guide.md")
HERE = Path(__file__).parent
REPO_ROOT = Path(__file__).resolve().parents[3]
SETUP_HINT = "run `hawk setup ascend-triton`"
_OVERFLOW = re.compile(r"(\w+) overflow, requires (\d+) bits while (\d+) bits available!?[^\n]*")
_CONSTRAINT = {"ub": "ub_capacity", "cc": "l0c_capacity", "l0c": "l0c_capacity", "cbuf": "l1_capacity",
               "l1": "l1_capacity", "ca": "l0a_capacity", "l0a": "l0a_capacity", "cb": "l0b_capacity",
               "l0b": "l0b_capacity"}  # fmt: skip
_MEMORY = {"ub_capacity": "UB", "l0c_capacity": "L0C", "l1_capacity": "L1", "l0a_capacity": "L0A",
           "l0b_capacity": "L0B"}  # fmt: skip
_DIAG = re.compile(r'loc\((?:callsite\(.*? at )?"([^"]+)":(\d+):\d+\)+: error: (.*)')


class AscendTritonTarget(TargetBase):
    name = "ascend-triton"
    scratch_prefix = "triton-"

    def spec(self) -> HardwareSpec:
        return chip.ascend910b4_spec()

    def language_guide(self) -> str:
        return GUIDE.read_text()

    def modes(self) -> list[Availability]:
        missing = envs.missing()
        cpu_why = (
            f"real compile (bishengir-compile --target={chip.SKU}) + Triton interpreter numerics + IR estimate"
            if not missing
            else f"side environments missing ({', '.join(missing)}): {SETUP_HINT}"
        )
        npu_ok = importlib.util.find_spec("torch_npu") is not None and bool(os.environ.get("ASCEND_HOME_PATH"))
        npu_why = "torch_npu + CANN found" if npu_ok else "no torch_npu / CANN (ASCEND_HOME_PATH) on this machine"
        return [Availability("cpu", not missing, cpu_why), Availability("npu", npu_ok, npu_why)]

    def tool_versions(self) -> dict[str, str]:
        """What judged a kernel here (recorded in knowledge provenance): the side environments' pins."""
        return {name: " ".join(spec.requirements) for name, spec in envs.specs().items()}

    def setup(self, log=print, force: bool = False) -> dict[str, float]:
        """Create (or verify) the side environments; see envs.py."""
        return envs.ensure(log, force=force)

    # ------------------------------------------------------------------ evaluation steps (hawk.targets.pipeline)
    def static_check(self, source: str) -> Finding | None:
        return check_source(source)

    def run(self, job: Job, verdict: Verdict) -> None:
        """Numerics (or the device run), the real compile of what was launched, hardware findings;
        then compile errors first (the kernel cannot run on the chip) and the harness's judging."""
        deadline = time.monotonic() + job.options.timeout_s
        child, interp = self._numerics(job, verdict)
        launches = _unique(interp.extra.get("launches") or [])
        compiled = WorkerResult()
        if launches and job.mode == "cpu":
            done = self._compile(job, launches, verdict, deadline)
            if done is None:  # the compile worker timed out or failed: the verdict says so
                return
            compiled = done
        entries = compiled.extra.get("launches", [])
        summaries = self._summaries(entries, str(job.kernel_file))
        self._findings(job, launches, entries, summaries, verdict)
        failed = [c for c in entries if not c.get("ok")]
        if compiled.outcome == "load_error":
            failed = [{"stage": compiled.stage, "message": compiled.message, "lines": compiled.lines}]
        if failed:
            verdict.status = Status.COMPILE_ERROR
            verdict.error = _compile_error(failed[0], job.candidate, str(job.kernel_file))
            return
        judge(verdict, interp, child, job, TritonJudgeSteps(self.spec(), job, launches, summaries))

    def _numerics(self, job: Job, verdict: Verdict) -> tuple[ChildResult, WorkerResult]:
        """The interpreter run (mode npu: the device run) in its side environment, and what it recorded."""
        workdir, opts, mode = job.workdir, job.options, job.mode
        worker = "worker_npu.py" if mode == "npu" else "worker_interp.py"
        env_name = envs.TRITON_ASCEND if mode == "npu" else envs.TRITON_INTERP
        (workdir / "interp_request.json").write_text(json.dumps(job.request(), indent=1))
        child = run_child(
            [str(envs.python(env_name)), str(HERE / worker), str(workdir / "interp_request.json")],
            cwd=workdir, env=self._child_env(interpret=mode != "npu"), timeout_s=opts.timeout_s,
            memory_limit_mb=opts.memory_limit_mb, log_path=workdir / "interp.log",
        )  # fmt: skip
        verdict.artifacts.log = str(child.log_path)
        interp = WorkerResult.read(workdir / "interp.json")
        verdict.timings.update({f"interp_{k}": round(v, 3) for k, v in interp.timings.items()})
        verdict.timings["interp_wall_s"] = round(child.wall_s, 3)
        return child, interp

    def _findings(self, job: Job, launches: list[dict], entries: list[dict],
                  summaries: dict[int, estimate.IrSummary], verdict: Verdict) -> None:  # fmt: skip
        """Hardware findings (rules.py) of every launch, from its compiled IR where there is one."""
        kernel_file = str(job.kernel_file)
        for i, launch in enumerate(launches):
            entry = next((c for c in entries if c.get("launch_index") == i), {})
            ttir = _read_text(Path(entry["dir"]) / "kernel.ttir.mlir") if entry.get("dir") else None
            verdict.findings += rules.findings(launch, summaries.get(i), ttir, job.candidate, kernel_file)

    def _compile(self, job: Job, launches: list[dict], verdict: Verdict, deadline: float) -> WorkerResult | None:
        """Every launch through triton-ascend's real compiler (worker_compile.py, in the triton-ascend env);
        what it recorded, or None when it timed out or failed (the verdict then says so)."""
        workdir, opts = job.workdir, job.options
        creq = {"workdir": str(workdir), "kernel_file": str(job.kernel_file), "sku": chip.SKU, "launches": launches,
                "torch_site": str(envs.site_packages(envs.TRITON_INTERP))}  # fmt: skip
        (workdir / "compile_request.json").write_text(json.dumps(creq, indent=1))
        cchild = run_child(
            [str(envs.python(envs.TRITON_ASCEND)), str(HERE / "worker_compile.py"), str(workdir / "compile_request.json")],
            cwd=workdir, env=self._child_env(interpret=False), timeout_s=max(30.0, deadline - time.monotonic()),
            memory_limit_mb=opts.memory_limit_mb, log_path=workdir / "compile.log",
        )  # fmt: skip
        compiled = WorkerResult.read(workdir / "compile.json")
        verdict.timings["compile_wall_s"] = round(cchild.wall_s, 3)
        for entry in compiled.extra.get("launches", []):
            for k, v in entry.get("timings", {}).items():
                verdict.timings[f"compile_{k}"] = round(verdict.timings.get(f"compile_{k}", 0.0) + v, 3)
        if cchild.timed_out:
            verdict.status = Status.TIMEOUT
            verdict.error = ErrorContext(kind="timeout", message=f"compilation did not finish in {cchild.wall_s:.0f} s")
            return None
        if compiled.outcome not in ("done", "load_error"):
            verdict.error = ErrorContext(kind="harness", message="the compile worker failed: "
                                         + (compiled.message or f"exit {cchild.returncode}"))  # fmt: skip
            return None
        return compiled

    def eager_baseline(self, job: Job) -> tuple[float | None, str | None] | None:
        """The eager model estimated with the same IR model (mode cpu only: like with like)."""
        if job.mode != "cpu":
            return None
        base = _cached_eager(job.task)
        return base["time_us"], base["note"]

    # ------------------------------------------------------------------ pieces
    def _child_env(self, interpret: bool) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME", "TRITON_INTERPRET")}
        env["PYTHONPATH"] = str(REPO_ROOT)  # the workers import hawk.tasks (stdlib + torch only)
        env["TRITON_CACHE_DIR"] = str(config.cache_dir() / "triton-cache")
        if interpret:
            env["TRITON_INTERPRET"] = "1"
        return env

    def _summaries(self, entries: list[dict[str, Any]], kernel_file: str) -> dict[int, estimate.IrSummary]:
        out = {}
        for c in entries:
            if not c.get("ok"):
                continue
            paths = [Path(p) for name, p in c.get("planned_ir", {}).items() if not name.endswith("_function")]
            summary = estimate.parse_ir(paths, kernel_file)
            if c.get("final_ir"):
                summary.device = chip.device_spec_from_ir(_read_text(Path(c["final_ir"])) or "")
            out[int(c["launch_index"])] = summary
        return out


# ---------------------------------------------------------------------- helpers
def _cached_eager(task: Task) -> dict[str, Any]:
    path = (
        config.cache_dir()
        / "eager-triton"
        / f"{task.source_hash}-{chip.SKU}-{estimate.MODEL.replace('/', '_')}-trace{TRACE_VERSION}.json"
    )
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    base = estimate.eager_estimate(task)
    data = {"time_us": base.time_us, "kernels": base.kernels, "ops": base.ops, "note": base.note}
    atomic_write_json(path, data)
    return data


def _unique(launches: list[dict]) -> list[dict]:
    """Distinct launches (same kernel, types, constexprs and grid), with how often each ran per call."""
    out: dict[str, dict] = {}
    for launch in launches:
        key = json.dumps([launch["name"], launch["grid"], [{k: v for k, v in a.items() if k not in ("value", "numel",
                          "shape") or a["kind"] == "constexpr"} for a in launch["args"]]], sort_keys=True)  # fmt: skip
        if key in out:
            out[key]["times"] += 1
        else:
            out[key] = {**launch, "times": 1}
    return list(out.values())


def _compile_error(entry: dict, source: str, kernel_file: str) -> ErrorContext:
    message = str(entry.get("message", ""))
    stage = entry.get("stage", "frontend")
    lines = list(entry.get("lines") or [])
    diags = [(f, int(n), text.strip()) for f, n, text in _DIAG.findall(message)]
    lines += [n for f, n, _ in diags if f == kernel_file]
    m = _OVERFLOW.search(message)
    if m:
        constraint = _CONSTRAINT.get(m.group(1).lower(), f"{m.group(1).lower()}_capacity")
        req, avail = int(m.group(2)) // 8, int(m.group(3)) // 8
        memory = _MEMORY.get(constraint, m.group(1).upper())
        return ErrorContext(
            kind=constraint, constraint=constraint, requested_bytes=req, available_bytes=avail,
            message=f"{entry.get('name', 'kernel')}: {memory} overflow: the tiles need {req} bytes, {memory} holds "
                    f"{avail} bytes (bishengir-compile --target={chip.SKU}, after retrying without multibuffer)",
            hardware_reason=m.group(0).strip(), op=entry.get("name"), lines=source_lines(source, lines),
        )  # fmt: skip
    errors = [text for _, _, text in diags if "Failed to run" not in text] or [
        ln.strip() for ln in message.splitlines() if "error" in ln.lower()
    ]
    reason = errors[0] if errors else (message.strip().splitlines() or [""])[-1]
    kind = {"frontend": "frontend", "adapter": "lowering", "bishengir": "lowering"}.get(stage, stage)
    return ErrorContext(
        kind=kind, message=f"{entry.get('name', 'kernel')}: {stage} failed: {reason}"[:2000],
        hardware_reason=reason[:500] if stage != "frontend" else None,
        constraint="lowering_failure" if stage != "frontend" else None, op=entry.get("name"),
        lines=source_lines(source, lines),
    )  # fmt: skip


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return None
