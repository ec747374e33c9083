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
from hawk.targets.ascend_triton.static_check import check_source
from hawk.targets.base import Availability, HardwareSpec
from hawk.targets.common import Finding, read_json, source_lines
from hawk.targets.judging import (
    WorkerResult,
    add_stress,
    correctness,
    dtype_bytes,
    roofline_us,
    seed_check,
    settle,
    worker_failure,
)
from hawk.targets.pipeline import Job, TargetBase
from hawk.targets.sandbox import ChildResult, run_child
from hawk.targets.tracing import TRACE_VERSION
from hawk.targets.verdict import ErrorContext, Perf, SeedCheck, Status, Verdict
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
        workdir, opts, mode, candidate = job.workdir, job.options, job.mode, job.candidate
        kernel_file = job.kernel_file
        deadline = time.monotonic() + opts.timeout_s
        request = job.request()

        # 1. numerics (or, in mode npu, the device run) -----------------------------------------
        worker = "worker_npu.py" if mode == "npu" else "worker_interp.py"
        env_name = envs.TRITON_ASCEND if mode == "npu" else envs.TRITON_INTERP
        (workdir / "interp_request.json").write_text(json.dumps(request, indent=1))
        child = run_child(
            [str(envs.python(env_name)), str(HERE / worker), str(workdir / "interp_request.json")],
            cwd=workdir, env=self._child_env(interpret=mode != "npu"), timeout_s=opts.timeout_s,
            memory_limit_mb=opts.memory_limit_mb, log_path=workdir / "interp.log",
        )  # fmt: skip
        verdict.artifacts.log = str(child.log_path)
        interp = WorkerResult.read(workdir / "interp.json")
        verdict.timings.update({f"interp_{k}": round(v, 3) for k, v in interp.timings.items()})
        verdict.timings["interp_wall_s"] = round(child.wall_s, 3)

        # 2. real compile of what was launched ------------------------------------------------------
        launches = _unique(interp.extra.get("launches") or [])
        compiled: dict[str, Any] = {}
        if launches and mode == "cpu":
            done = self._compile(job, launches, verdict, deadline)
            if done is None:  # the compile worker timed out or failed: the verdict says so
                return
            compiled = done

        summaries = self._summaries(compiled, str(kernel_file))
        for i, launch in enumerate(launches):
            entry = next((c for c in compiled.get("launches", []) if c.get("launch_index") == i), {})
            ttir = _read_text(Path(entry["dir"]) / "kernel.ttir.mlir") if entry.get("dir") else None
            verdict.findings += rules.findings(launch, summaries.get(i), ttir, candidate, str(kernel_file))

        # 3. judge: compile errors first (the kernel cannot run on the chip), then numerics -----------
        failed = [c for c in compiled.get("launches", []) if not c.get("ok")]
        if compiled.get("outcome") == "load_error":
            failed = [compiled]
        if failed:
            verdict.status = Status.COMPILE_ERROR
            verdict.error = _compile_error(failed[0], candidate, str(kernel_file))
            return
        if not self._judge_numerics(verdict, child, interp, job):
            return
        if mode == "npu":
            t = interp.extra.get("npu_time_us")
            verdict.perf = Perf(time_us=t, note="measured on the NPU with device events (worker_npu.py)")
        else:
            verdict.perf = self._estimate(launches, summaries, interp)

    def _compile(self, job: Job, launches: list[dict], verdict: Verdict, deadline: float) -> dict[str, Any] | None:
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
        compiled = read_json(workdir / "compile.json")
        verdict.timings["compile_wall_s"] = round(cchild.wall_s, 3)
        for entry in compiled.get("launches", []):
            for k, v in entry.get("timings", {}).items():
                verdict.timings[f"compile_{k}"] = round(verdict.timings.get(f"compile_{k}", 0.0) + v, 3)
        if cchild.timed_out:
            verdict.status = Status.TIMEOUT
            verdict.error = ErrorContext(kind="timeout", message=f"compilation did not finish in {cchild.wall_s:.0f} s")
            return None
        if compiled.get("outcome") != "done" and compiled.get("outcome") != "load_error":
            verdict.error = ErrorContext(kind="harness", message="the compile worker failed: "
                                         + str(compiled.get("message") or f"exit {cchild.returncode}"))  # fmt: skip
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

    def _summaries(self, compiled: dict[str, Any], kernel_file: str) -> dict[int, estimate.IrSummary]:
        out = {}
        for c in compiled.get("launches", []):
            if not c.get("ok"):
                continue
            paths = [Path(p) for name, p in c.get("planned_ir", {}).items() if not name.endswith("_function")]
            summary = estimate.parse_ir(paths, kernel_file)
            if c.get("final_ir"):
                summary.device = chip.device_spec_from_ir(_read_text(Path(c["final_ir"])) or "")
            out[int(c["launch_index"])] = summary
        return out

    def _judge_numerics(self, verdict: Verdict, child: ChildResult, interp: WorkerResult, job: Job) -> bool:
        """Sets the status from the interpreter run; True when the outputs were compared (pass or not)."""
        source, seeds, message = job.candidate, job.seeds, interp.message
        lines = source_lines(source, interp.lines)
        # The numerics child only interprets: no compile stage to blame for a crash there.
        failure = worker_failure(interp, child, _read_text(child.log_path) or "", "the interpreter process",
                                 compiles=False)  # fmt: skip
        if failure is not None:
            what = failure.message + (" (out-of-bounds stores can corrupt the heap)" if failure.kind == "crash" else "")
            verdict.status = failure.status
            verdict.error = ErrorContext(kind=failure.kind, message=what, lines=source_lines(source, failure.lines))
            return False
        if interp.outcome == "load_error":
            verdict.status = Status.COMPILE_ERROR
            verdict.error = ErrorContext(kind="import", message=message, lines=lines)
            return False
        if interp.outcome == "runtime_error":
            verdict.error = ErrorContext(kind="interpreter", message=message, lines=lines)
            return False
        outputs = interp.outputs
        rows = {s["seed"]: s["checks"] for s in interp.extra.get("seeds", [])}
        checks = [
            seed_check(seed, rows[seed], outputs)
            if seed in rows
            else SeedCheck(seed, False, detail="no result for this seed")
            for seed in seeds
        ]
        verdict.correctness = correctness(seeds, checks, outputs)
        add_stress(verdict.correctness, interp.stress, outputs, job.stress_note, job.stress)
        settle(verdict)
        return True

    def _estimate(
        self, launches: list[dict], summaries: dict[int, estimate.IrSummary], interp: WorkerResult
    ) -> Perf | None:
        """Sum of the per-launch estimates, each weighted by how often kernel() launched it."""
        total = 0.0
        pipes: dict[str, float] = {}
        notes, bottleneck, worst = [], None, -1.0
        for i, launch in enumerate(launches):
            summary = summaries.get(i)
            if summary is None:
                return None
            unique = sum(a.get("numel", 0) * dtype_bytes(_elem(a["type"]))
                         for a in launch["args"] if a["kind"] == "ptr")  # fmt: skip
            est = estimate.estimate_launch(summary, launch.get("counts", {}), unique)
            times = launch.get("times", 1)
            total += est.time_us * times
            for k, v in est.pipes_us.items():
                pipes[k] = pipes.get(k, 0.0) + v * times
            if est.time_us > worst:
                worst, bottleneck = est.time_us, est.bottleneck
            notes.append(f"{launch['name']}: {est.time_us} us x{times}; {est.note}")
        share = {k: round(100.0 * v / total, 1) for k, v in pipes.items()} if total else {}
        roof = _roofline(launches, self.spec())
        return Perf(
            time_us=round(total, 3), pipes=share, bottleneck=bottleneck, estimate=True,
            roofline_us=roof, roofline_ratio=round(total / roof, 3) if roof else None,
            note="; ".join(notes),
        )  # fmt: skip


# ---------------------------------------------------------------------- helpers
def _elem(ptr_type: str) -> str:
    t = ptr_type.lstrip("*")
    return {"fp32": "f32", "fp16": "f16", "bf16": "bf16", "fp64": "f64"}.get(t, t)


def _roofline(launches: list[dict], spec: HardwareSpec) -> float | None:
    """Lower bound: every tensor argument moved once at HBM bandwidth (the estimate's own floor)."""
    moved = sum(a.get("numel", 0) * dtype_bytes(_elem(a["type"]))
                for launch in launches for a in launch["args"] if a["kind"] == "ptr")  # fmt: skip
    return roofline_us(moved, 0, 0, spec, duplex=False)


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
