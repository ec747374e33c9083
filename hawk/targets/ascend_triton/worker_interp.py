"""Numerics worker: runs INSIDE the triton-interp side environment (upstream triton 3.9.0 with
TRITON_INTERPRET=1, torch pinned to Hawk's version), never in Hawk's own process.

1. Goldens first: the task's PyTorch reference runs for every seed (fresh random inputs per seed)
   BEFORE any candidate code is imported, so the candidate can neither see nor alter them.
2. The candidate module is imported and its `kernel(*inputs, *params, *outputs)` launcher is called
   once per seed with copies of that seed's inputs and outputs pre-filled with NaN (integers: a
   random pattern), so an output the kernel does not write fails, and outputs cached from an
   earlier call are wrong for the next seed's inputs.
3. Every Triton launch is recorded (jit function, grid, argument types, constexpr values): the
   compile worker compiles exactly those. A call that launches no Triton kernel is `invalid`.
4. On the first seed, each interpreter builder call (tl.load, tl.dot, arithmetic, ...) is counted per
   program instance and per source line of the candidate: the estimate multiplies the compiled
   IR's per-op work by these execution counts.

Writes `interp.json` into the workdir. Usage: python worker_interp.py REQUEST.json
"""

from __future__ import annotations

import inspect
import json
import os
import sys
import time
import traceback
from collections import defaultdict
from pathlib import Path
from typing import Any

from hawk.targets.stress import scaled
from hawk.targets.worker_kit import Recorder, compare_tensors, goldens_first, kernel_frames  # stdlib-only module

CORE_COUNTS = (20, 40)  # cube cores (kernels with tl.dot), vector cores (pure vector kernels)
TORCH_TO_TRITON = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16", "float64": "fp64", "int8": "i8",
                   "int16": "i16", "int32": "i32", "int64": "i64", "uint8": "u8", "uint16": "u16", "uint32": "u32",
                   "uint64": "u64", "bool": "i1"}  # fmt: skip


def _jsonable(value: Any) -> Any:
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)  # tl.dtype and the like: the frontend accepts them by name


class LaunchTracer:
    """Records launches and, while `counting`, builder calls per (program, candidate line)."""

    def __init__(self, kernel_file: str) -> None:
        self.kernel_file = kernel_file
        self.launches: list[dict[str, Any]] = []
        self.counting = False
        self.current: dict[tuple[int, int, int], dict[int, dict[str, int]]] | None = None
        self.program: tuple[int, int, int] = (0, 0, 0)

    def install(self) -> None:
        from triton.runtime import interpreter as interp

        tracer = self
        orig_run = interp.InterpretedFunction.run

        def run(self, *args, grid, warmup, **kwargs):
            if warmup:
                return orig_run(self, *args, grid=grid, warmup=warmup, **kwargs)
            record = tracer.record(self, args, kwargs, grid)
            tracer.current = defaultdict(lambda: defaultdict(lambda: defaultdict(int))) if tracer.counting else None
            try:
                return orig_run(self, *args, grid=grid, warmup=warmup, **kwargs)
            finally:
                if tracer.current is not None:
                    record["counts"] = tracer.summarize(tracer.current, record["grid"])
                tracer.current = None

        interp.InterpretedFunction.run = run
        builder = interp.interpreter_builder
        orig_set = builder.set_grid_idx

        def set_grid_idx(x, y, z):
            tracer.program = (x, y, z)
            return orig_set(x, y, z)

        builder.set_grid_idx = set_grid_idx
        for name in dir(type(builder)):
            if name.startswith("create_") or name.startswith("get_"):
                setattr(builder, name, self._counted(getattr(builder, name), name))

    def _counted(self, method: Any, name: str) -> Any:
        tracer = self

        def wrapper(*args, **kwargs):
            if tracer.current is not None:
                frame = sys._getframe(1)
                while frame is not None and frame.f_code.co_filename != tracer.kernel_file:
                    frame = frame.f_back
                if frame is not None:
                    tracer.current[tracer.program][frame.f_lineno][name] += 1
            return method(*args, **kwargs)

        return wrapper

    def record(self, jit_fn: Any, args: tuple, kwargs: dict, grid: Any) -> dict[str, Any]:
        from triton.runtime.jit import _normalize_ty

        fn = jit_fn.fn
        sig = inspect.signature(fn)
        names = list(sig.parameters)
        annotations = {n: _normalize_ty(t) for n, t in inspect.get_annotations(fn).items()}
        bound = sig.bind_partial(*args, **{k: v for k, v in kwargs.items() if k in names})
        bound.apply_defaults()
        described = []
        for name in names:
            value = bound.arguments.get(name)
            if annotations.get(name) == "constexpr":
                described.append({"name": name, "kind": "constexpr", "value": _jsonable(value)})
            elif hasattr(value, "data_ptr"):
                dtype = str(value.dtype).removeprefix("torch.")
                described.append({"name": name, "kind": "ptr", "type": "*" + TORCH_TO_TRITON.get(dtype, dtype),
                                  "numel": int(value.numel()), "shape": list(value.shape)})  # fmt: skip
            elif isinstance(value, bool):
                described.append({"name": name, "kind": "scalar", "type": "i1", "value": value})
            elif isinstance(value, int):
                described.append({"name": name, "kind": "scalar", "type": "i32" if -(2**31) <= value < 2**31 else "i64",
                                  "value": value})  # fmt: skip
            elif isinstance(value, float):
                described.append({"name": name, "kind": "scalar", "type": "fp32", "value": value})
            else:
                described.append({"name": name, "kind": "constexpr", "value": _jsonable(value)})
        g = grid(dict(bound.arguments)) if callable(grid) else grid
        g = tuple(int(x) for x in (g if isinstance(g, tuple | list) else (g,)))
        g = g + (1,) * (3 - len(g))
        record = {"name": fn.__name__, "file": inspect.getsourcefile(fn), "grid": list(g), "args": described}
        self.launches.append(record)
        return record

    @staticmethod
    def summarize(counts: dict, grid: list[int]) -> dict[str, Any]:
        """Per-line executions per program (the fewest calls of any builder op on that line), summed
        over the programs each core would run (program p on core p mod n), for n in CORE_COUNTS."""
        nx, ny, nz = grid
        per_core: dict[str, list[dict[str, Any]]] = {}
        for n in CORE_COUNTS:
            cores = [{"programs": 0, "lines": defaultdict(int)} for _ in range(n)]
            for (x, y, z), lines in counts.items():
                linear = x * ny * nz + y * nz + z
                core = cores[linear % n]
                for line, ops in lines.items():
                    core["lines"][line] += min(ops.values())
            total = nx * ny * nz
            for p in range(total):
                cores[p % n]["programs"] += 1
            per_core[str(n)] = [{"programs": c["programs"], "lines": dict(c["lines"])} for c in cores]
        return {"per_core": per_core, "programs": nx * ny * nz}


def run(request: dict[str, Any], rec: Recorder) -> None:
    """The reference's goldens, then the candidate's launcher under the interpreter on every seed
    (the first one's launches recorded for the compile worker) and every stress case."""
    t0 = time.perf_counter()
    import torch  # noqa: F401  (timed: the import is a large share of a small kernel's run)

    from hawk.tasks.task import load_module  # noqa: F401

    rec.data["timings"]["import_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    refs = goldens_first(request, rec)  # (not `golden`: the name of each output's golden below)
    rec.data["timings"]["reference_s"] = time.perf_counter() - t0

    kernel_file = str(Path(request["kernel_file"]).resolve())
    tracer = LaunchTracer(kernel_file)
    fn = _load_launcher(kernel_file, refs.specs, tracer, rec)
    if fn is None:
        return
    rec.stage("interpret")
    for i, seed in enumerate(request["seeds"]):
        if not _seed_run(fn, seed, refs.instances[seed], refs.outputs, tracer, i == 0, rec):
            return
    cases = {c["name"]: c for c in request.get("stress") or []}
    rec.data["stress"] = [
        _stress_run(fn, name, inst, scaled(refs.outputs, cases.get(name, {}))) for name, inst in refs.stress
    ]
    rec.finish("ran")


def _load_launcher(kernel_file: str, specs: list[Any], tracer: LaunchTracer, rec: Recorder) -> Any:
    """The candidate's plain Python `kernel` launcher, with the launch tracer installed; None once
    the result records why there is none (an import-time error, no launcher, a wrong arity)."""
    from hawk.tasks.task import load_module

    rec.stage("load")
    t0 = time.perf_counter()
    import triton  # noqa: F401  (upstream triton, interpreter mode: TRITON_INTERPRET=1 is set by the parent)

    tracer.install()
    try:
        module = load_module(Path(kernel_file), prefix="hawk_candidate", what="candidate kernel")
    except Exception as exc:
        cause = exc.__cause__ or exc
        rec.finish("load_error", message=str(exc), lines=kernel_frames(cause, kernel_file))
        return None
    fn = getattr(module, "kernel", None)
    if not callable(fn) or hasattr(fn, "fn"):
        rec.finish("invalid", message="the module has no plain Python `kernel` launcher (it must call the "
                   "@triton.jit kernels with kernel[grid](...))")  # fmt: skip
        return None
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    varargs = any(p.kind == p.VAR_POSITIONAL for p in params)
    if not varargs and len(params) != len(specs):
        expected = ", ".join(f"{s.name}: {list(s.shape)} {s.dtype} ({s.role})" for s in specs)
        rec.finish("invalid", message=f"kernel takes {len(params)} arguments, the task needs {len(specs)}: {expected}")
        return None
    rec.data["timings"]["load_s"] = time.perf_counter() - t0
    return fn


def _seed_run(fn: Any, seed: int, inst: Any, outputs: list[dict[str, Any]], tracer: LaunchTracer, first: bool,
              rec: Recorder) -> bool:  # fmt: skip
    """One seed under the interpreter, its outputs compared; False once the result records the
    kernel's failure. Floating outputs start NaN-filled, so an element never written shows."""
    import torch

    from hawk.tasks.task import scalar_args, tensor_args

    gen = torch.Generator().manual_seed(10_000 + seed)
    args = [x.clone().contiguous() for x in tensor_args(inst.inputs)] + [p.clone().contiguous() for _, p in inst.params]
    outs = []
    for y in inst.outputs:
        if y.is_floating_point():
            outs.append(torch.full_like(y, float("nan")).contiguous())
        else:
            outs.append(torch.randint(-100, 100, y.shape, generator=gen).to(y.dtype).contiguous())
    tracer.counting = first
    before = len(tracer.launches)
    t0 = time.perf_counter()
    try:
        fn(*args, *outs, *scalar_args(inst.inputs))
    except Exception as exc:
        rec.finish("runtime_error", message=f"{type(exc).__name__}: {exc}"[:4000],
                   lines=kernel_frames(exc, tracer.kernel_file), seed=seed, launches=tracer.launches)  # fmt: skip
        return False
    elapsed = time.perf_counter() - t0
    rec.data["timings"]["interpret_s"] = rec.data["timings"].get("interpret_s", 0.0) + elapsed
    if len(tracer.launches) == before:
        rec.finish("invalid", message="kernel() launched no @triton.jit kernel: the result must be computed by "
                   "Triton kernels (kernel_fn[grid](...))", launches=tracer.launches)  # fmt: skip
        return False
    if first:
        rec.data["launches"] = tracer.launches[:]
    checks = [{"output": spec["name"], **compare_tensors(out, golden, spec["atol"], spec["rtol"])}
              for out, golden, spec in zip(outs, inst.outputs, outputs, strict=True)]  # fmt: skip
    rec.data["seeds"].append({"seed": seed, "checks": checks, "launches": len(tracer.launches) - before,
                              "interpret_s": elapsed})  # fmt: skip
    rec.flush()
    return True


def _stress_run(fn: Any, name: str, inst: Any, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    """One stress case (correctness only): its comparison rows, or the error it raised."""
    import torch

    from hawk.tasks.task import scalar_args, tensor_args

    args = [x.clone().contiguous() for x in tensor_args(inst.inputs)] + [p.clone().contiguous() for _, p in inst.params]
    outs = [torch.full_like(y, float("nan")) if y.is_floating_point() else torch.zeros_like(y) for y in inst.outputs]
    try:
        fn(*args, *outs, *scalar_args(inst.inputs))
    except Exception as exc:
        return {"name": name, "error": f"{type(exc).__name__}: {exc}"[:500]}
    checks = [{"output": o["name"], **compare_tensors(out, g, o["atol"], o["rtol"])}
              for out, g, o in zip(outs, inst.outputs, outputs, strict=True)]  # fmt: skip
    return {"name": name, "checks": checks}


def main(argv: list[str]) -> int:
    request = json.loads(Path(argv[1]).read_text())
    rec = Recorder(Path(request["workdir"]) / "interp.json")
    assert os.environ.get("TRITON_INTERPRET") == "1", "the parent sets TRITON_INTERPRET=1"
    try:
        run(request, rec)
    except Exception as exc:
        rec.finish("harness_error", message=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
