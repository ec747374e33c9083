"""Runs ONE candidate kernel inside its own process and scratch directory (cwd).

Usage: python -m hawk.targets.ascend_pypto.worker request.json

The parent (target.py) owns timeouts, memory limits and the verdict; this process only does the
work and records what happened in result.json after every stage, so that a crash or a kill still
leaves the last stage reached. The simulator's own logs and files are read by the parent.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from dataclasses import asdict
from pathlib import Path
from typing import Any

from hawk.targets.worker_kit import Recorder, compare, goldens_first, kernel_frames
from hawk.tasks.task import as_kernel_tensor, scalar_args, tensor_args

TORCH_TO_PYPTO = {
    "float32": "DT_FP32", "float16": "DT_FP16", "bfloat16": "DT_BF16", "int8": "DT_INT8",
    "int16": "DT_INT16", "int32": "DT_INT32", "int64": "DT_INT64", "uint8": "DT_UINT8", "bool": "DT_BOOL",
}  # fmt: skip


def _check_signature(fn: Any, specs: list[Any], dynamic: dict[str, list[int]]) -> str | None:
    """None if the kernel's annotations match the task's contract, else what is wrong. An axis the
    task's shape set varies (`dynamic`: argument -> axes) must be `pypto.DYNAMIC`; every other axis
    its literal size."""
    import inspect

    params = list(inspect.signature(fn).parameters.values())
    if len(params) != len(specs):
        expected = ", ".join(f"{s.name}: {list(s.shape)} {s.dtype} ({s.role})" for s in specs)
        return f"kernel takes {len(params)} arguments, the task needs {len(specs)}: {expected}"
    for i, (param, spec) in enumerate(zip(params, specs, strict=True)):
        ann = param.annotation
        if spec.role == "scalar":
            problem = _check_scalar(i, param, spec)
            if problem:
                return problem
            continue
        if ann is inspect.Parameter.empty or not hasattr(ann, "to_tensor"):
            return f"argument {i} '{param.name}' has no pypto.Tensor(shape, dtype) annotation"
        t = ann.to_tensor(param.name)
        dims = list(t.shape)
        axes = dynamic.get(spec.name, [])
        if len(dims) == len(spec.shape):
            for a, d in enumerate(dims):
                is_dynamic = not isinstance(d, int)
                if a in axes and not is_dynamic:
                    return (f"argument {i} '{param.name}' axis {a} is dynamic in this task (its size changes "
                            f"across the task's shapes): annotate it pypto.DYNAMIC, not {d}")  # fmt: skip
                if is_dynamic and a not in axes:
                    return (f"argument {i} '{param.name}' axis {a} is annotated pypto.DYNAMIC, but the task "
                            f"fixes it at {spec.shape[a]}")  # fmt: skip
        shape = [int(d) if isinstance(d, int) else spec.shape[a] for a, d in enumerate(dims)]
        dtype = str(t.dtype).split(".")[-1]
        want_dtype = TORCH_TO_PYPTO.get(spec.dtype, spec.dtype)
        if shape != list(spec.shape) or dtype != want_dtype:
            return (
                f"argument {i} '{param.name}' is annotated {shape} {dtype}, but the task's {spec.role} "
                f"'{spec.name}' is {list(spec.shape)} {want_dtype}"
            )
    return None


def _check_scalar(i: int, param: Any, spec: Any) -> str | None:
    """A scalar input is a plain `float` / `int` parameter after every tensor (pypto's jit compiles
    its value into the program)."""
    ann = param.annotation
    if getattr(ann, "__name__", ann) != spec.dtype:
        return (f"argument {i} '{param.name}' is the task's scalar input '{spec.name}': annotate it "
                f"`{spec.dtype}` (a Python number, after every tensor argument)")  # fmt: skip
    return None


def _matmul_flops(inst: Any) -> int:
    """FLOPs of the reference's matrix products (torch's own counter); feeds the cube roofline."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        inst.model(*inst.inputs)
    return int(counter.get_total_flops())


def run(request: dict[str, Any], rec: Recorder) -> None:
    """The reference's goldens, then the candidate: load, contract check, and compile + verify +
    simulate on every seed and stress case (mode npu and the locating compile branch off after the check)."""
    from hawk.targets.ascend_pypto.perf_child import int_keys

    _setup(request, rec)
    golden = _reference(request, rec)
    kernel_file = str(Path(request["kernel_file"]).resolve())
    fn = _load_kernel(kernel_file, golden.specs, request, rec)
    if fn is None:
        return
    options = int_keys(request.get("pass_options") or {})  # the kernel's own scheduling options
    pass_options = {"pass_options": options} if options else {}
    seeds: list[int] = request["seeds"]
    if request.get("mode") == "npu":
        _run_on_npu(fn, golden.instances, seeds, golden.outputs, rec, kernel_file, pass_options)
        return
    if request.get("locate"):
        _compile_with_graph_dumps(fn, golden.instances[seeds[0]], rec, pass_options)
        return
    n_out = sum(1 for s in golden.specs if s.role == "output")
    sim = _SimRuns(fn, rec, kernel_file, Path(request["workdir"]), pass_options, golden.outputs, n_out)
    # The seeds (the first one simulated: the profile does not depend on the data), then the stress
    # cases (correctness only). A stress case that raises is a failed case, not a failed kernel run.
    runs = [(f"seed{seed}", seed, golden.instances[seed]) for seed in seeds]
    runs += [(f"stress{j}", name, inst) for j, (name, inst) in enumerate(golden.stress)]
    for i, (folder, label, inst) in enumerate(runs):
        if not sim.one(folder, label, inst, simulate=i == 0):
            return
    rec.finish("ran")


def _setup(request: dict[str, Any], rec: Recorder) -> None:
    t0 = time.perf_counter()
    import pypto  # noqa: F401  (timed: the import is a large share of a small kernel's run)
    import torch  # noqa: F401
    from pypto.frontend import jit  # noqa: F401

    from hawk.targets.ascend_pypto import pypto_patch

    rec.add_time("import_s", time.perf_counter() - t0)
    t0 = time.perf_counter()
    rec.stage("setup")
    pypto_patch.install(Path(request["cache_dir"]))
    rec.add_time("setup_s", time.perf_counter() - t0)


def _reference(request: dict[str, Any], rec: Recorder) -> Any:
    """Goldens are computed before any candidate code runs, so the candidate cannot touch them."""
    t0 = time.perf_counter()
    golden = goldens_first(request, rec)
    rec.data["matmul_flops"] = _matmul_flops(golden.instances[request["seeds"][0]])
    rec.data["outputs"] = golden.outputs
    rec.add_time("reference_s", time.perf_counter() - t0)
    return golden


def _load_kernel(kernel_file: str, specs: list[Any], request: dict[str, Any], rec: Recorder) -> Any:
    """The candidate's `kernel` (without its own @jit: Hawk sets the options), or None once the
    result records why there is none (an import-time error, no kernel, a broken contract)."""
    from pypto.frontend.parser.entry import JitCallableWrapper

    from hawk.tasks.task import load_module

    rec.stage("load")
    try:
        module = load_module(Path(kernel_file), prefix="hawk_candidate", what="candidate kernel")
    except Exception as exc:  # the candidate's own import-time error
        cause = exc.__cause__ or exc
        rec.finish("load_error", message=str(exc), lines=kernel_frames(cause, kernel_file))
        return None
    fn = getattr(module, "kernel", None)
    if isinstance(fn, JitCallableWrapper):
        fn = fn._original_func
    if not callable(fn):
        rec.finish("invalid", message="the module has no callable `kernel`")
        return None
    problem = _check_signature(fn, specs, request.get("dynamic_axes") or {})
    if problem:
        rec.finish("invalid", message=problem)
        return None
    return fn


class _SimRuns:
    """The candidate compiled, verified against each golden and (first run only) simulated, with the
    stages timed: compile (parse + passes + pass verification) vs simulate (cost model)."""

    def __init__(self, fn: Any, rec: Recorder, kernel_file: str, workdir: Path, pass_options: dict,
                 outputs: list[dict[str, Any]], n_out: int) -> None:  # fmt: skip
        self.fn, self.rec, self.kernel_file, self.workdir = fn, rec, kernel_file, workdir
        self.pass_options = pass_options
        # Each output is judged at its own dtype's tolerance (by the parent, from the saved tensors);
        # pypto's verifier gets the loosest one so that it never rejects what the parent would accept.
        self.tolerance = max(max(o["atol"] for o in outputs), max(o["rtol"] for o in outputs))
        self.n_out = n_out
        self.simulate = True
        self._time_stages()

    def _time_stages(self) -> None:
        from pypto.frontend.parser.entry import JitCallableWrapper

        orig_compile, orig_run_cpu, runs = JitCallableWrapper.compile, JitCallableWrapper._run_with_cpu, self
        rec = self.rec

        def timed_compile(wrapper, *a, **k):
            rec.stage("compile")
            t = time.perf_counter()
            try:
                return orig_compile(wrapper, *a, **k)
            finally:
                rec.add_time("compile_verify_s", time.perf_counter() - t)

        def timed_run(wrapper, *a, **k):
            if not runs.simulate:  # the profile does not depend on the data: simulate the first seed only
                return None
            rec.stage("simulate")
            t = time.perf_counter()
            try:
                return orig_run_cpu(wrapper, *a, **k)
            finally:
                rec.add_time("simulate_s", time.perf_counter() - t)

        JitCallableWrapper.compile = timed_compile
        JitCallableWrapper._run_with_cpu = timed_run

    def one(self, folder: str, label: Any, inst: Any, simulate: bool) -> bool:
        """One seed or stress case; False once the result records the kernel's failure."""
        import pypto
        import torch
        from pypto.frontend import jit
        from pypto.frontend.parser.entry import RunMode

        rec = self.rec
        verify_dir = self.workdir / "verify" / folder
        verify_dir.mkdir(parents=True, exist_ok=True)
        kern = jit(self.fn, runtime_options={"run_mode": RunMode.SIM}, **self.pass_options, use_cache=False,
                   verify_options={"enable_pass_verify": True, "pass_verify_save_tensor": False,
                                   "pass_verify_save_tensor_dir": str(verify_dir),
                                   "pass_verify_pass_filter": [],  # only the final program against the golden
                                   "pass_verify_error_tol": [self.tolerance] * 2})  # fmt: skip
        args = [as_kernel_tensor(x).contiguous() for x in tensor_args(inst.inputs)]
        args += [as_kernel_tensor(p).contiguous() for _, p in inst.params]
        outs = [torch.zeros_like(as_kernel_tensor(y)) for y in inst.outputs]
        assert len(outs) == self.n_out
        pypto.set_verify_golden_data(
            goldens=[None] * len(args) + [as_kernel_tensor(y).contiguous() for y in inst.outputs]
        )
        self.simulate = simulate
        stress = folder.startswith("stress")
        try:
            kern(*args, *outs, *scalar_args(inst.inputs))
        except Exception as exc:
            if stress:
                rec.data.setdefault("stress", []).append({"name": label, "error": f"{type(exc).__name__}: {exc}"[:500]})
                return True
            rec.finish(f"{rec.data['stage']}_error", message=f"{type(exc).__name__}: {exc}",
                       lines=kernel_frames(exc, self.kernel_file), seed=label)  # fmt: skip
            return False
        if stress:
            rec.data.setdefault("stress", []).append({"name": label, "verify_dir": str(verify_dir)})
        else:
            rec.data["seeds"].append({"seed": label, "verify_dir": str(verify_dir)})
        rec.flush()
        return True


def _compile_with_graph_dumps(fn: Any, inst: Any, rec: Recorder, pass_options: dict) -> None:
    """Compile once more with pypto's per-pass graph dumps on, to find which kernel line created
    the op that a failed compile names (harvest.op_location reads the dumps). The dumps cost disk
    and time, so this runs only after a capacity failure, in its own folder (target._locate)."""
    import torch
    from pypto.frontend import jit
    from pypto.frontend.parser.entry import RunMode

    kern = jit(fn, runtime_options={"run_mode": RunMode.SIM}, debug_options={"compile_debug_mode": 1},
               use_cache=False, **pass_options)  # fmt: skip
    args = [x.contiguous() for x in inst.inputs] + [p.contiguous() for _, p in inst.params]
    rec.stage("compile")
    try:
        kern(*args, *[torch.zeros_like(y) for y in inst.outputs])
    except Exception as exc:  # the failure being located
        rec.finish("compile_error", message=f"{type(exc).__name__}: {exc}"[:500])
        return
    rec.finish("ran")


def _run_on_npu(
    fn: Any, instances: dict, seeds: list[int], outputs: list[dict], rec: Recorder, kernel_file: str, pass_options: dict
):
    """Real device (torch_npu + CANN): outputs are written, so they are compared directly, and the
    kernel is timed with device events. Written to pypto's documented NPU path; NOT run on Hawk's
    machines, which have no NPU."""
    import statistics

    import torch
    import torch_npu  # noqa: F401  (registers the npu device)
    from pypto.frontend import jit
    from pypto.frontend.parser.entry import RunMode

    kern = jit(fn, runtime_options={"run_mode": RunMode.NPU}, **pass_options)
    checks = []
    for seed in seeds:
        inst = instances[seed]
        args = [as_kernel_tensor(t).contiguous().npu() for t in tensor_args(inst.inputs)]
        args += [as_kernel_tensor(p).contiguous().npu() for _, p in inst.params]
        outs = [torch.zeros_like(as_kernel_tensor(y)).npu() for y in inst.outputs]
        rec.stage("compile")
        try:
            kern(*args, *outs, *scalar_args(inst.inputs))
            torch.npu.synchronize()
        except Exception as exc:
            rec.finish("compile_error", message=f"{type(exc).__name__}: {exc}", lines=kernel_frames(exc, kernel_file))
            return
        for out, golden, spec in zip(outs, inst.outputs, outputs, strict=True):
            c = compare(out.float().cpu().numpy(), golden.float().numpy(), spec["atol"], spec["rtol"])
            checks.append({"seed": seed, "output": spec["name"], **asdict(c)})
    rec.stage("simulate")
    times = []
    for _ in range(20):
        start, end = torch.npu.Event(enable_timing=True), torch.npu.Event(enable_timing=True)
        start.record()
        kern(*args, *outs, *scalar_args(inst.inputs))
        end.record()
        torch.npu.synchronize()
        times.append(start.elapsed_time(end) * 1000.0)  # ms -> us
    rec.finish("ran_npu", npu_checks=checks, npu_time_us=statistics.median(times[5:]))


def main(argv: list[str]) -> int:
    request = json.loads(Path(argv[1]).read_text())
    rec = Recorder(Path(request["workdir"]) / "result.json")
    try:
        run(request, rec)
    except Exception as exc:  # Hawk-side failure inside the worker: report it, never hide it
        rec.finish("harness_error", message=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
