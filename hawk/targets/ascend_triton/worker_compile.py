"""Compile worker: runs INSIDE the triton-ascend side environment (see envs.py), never in Hawk's.

For every distinct kernel launch the interpreter run recorded (jit function, argument types,
constexpr values), it runs the real Ascend pipeline, the same steps triton-ascend 3.2.0 takes for
an A2/A3 NPU target (`backends/ascend/compiler.py`: make_ttir -> ttir_to_linalg ->
linalg_to_bin_enable_npu_compile_A2_A3), with the same options:

1. the triton-ascend frontend turns the @triton.jit function into TTIR (ASTSource + make_ttir);
2. `triton-adapter-opt` lowers TTIR to Linalg/HFusion;
3. `bishengir-compile --target=<SKU>` runs the HFusion/HIVM pipeline, including memory planning
   (where UB/L1/L0 overflows are found). Its last step calls `hivmc`, which ships only with CANN;
   a stand-in first on PATH accepts the input so that the pipeline finishes without an NPU.
   The IR after `hivm-plan-memory` (buffers placed, multibuffering decided) is kept: the estimate
   reads it. Debug locations (file:line:col of the candidate) are kept in every IR.

It writes `compile.json` into the workdir: per launch, `ok` or the failing stage with the tool's
own diagnostics. The parent turns those into the verdict; nothing here judges.
Usage: python worker_compile.py REQUEST.json
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from hawk.fileio import atomic_write_json  # stdlib only; PYTHONPATH is Hawk's root

HIVMC_STANDIN = """#!/bin/sh
# Hawk: stand-in for CANN's hivmc (the final device-code step, absent without CANN). It accepts the
# fully planned HIVM module so bishengir-compile finishes; no device binary is produced.
exit 0
"""

ADAPTER_PASSES = [
    "--discrete-mask-access-conversion=compile-on-910-95=false force-simt-template=false",
    "--triton-to-annotation",
    "--triton-to-unstructure=compile-on-910-95=false force-simt-template=false",
    "--triton-to-hivm",
    "--triton-to-hfusion",
    "--triton-to-llvm",
    "--bubble-up-operation",
    "--triton-to-linalg=global-kernel=false named-ops=true enable-nd2nz-on-vector=false "
    "enable-select-analysis=false compile-on-910-95=false",
    "--mlir-print-debuginfo",
]


def bishengir_options(sku: str, multibuffer: bool) -> list[str]:
    return [
        f"--target={sku}",
        f"--enable-auto-multi-buffer={multibuffer}",
        "--enable-auto-bind-sub-block=True",
        "--enable-hfusion-compile=true",
        "--enable-hivm-compile=true",
        "--enable-triton-kernel-compile=true",
        "--mlir-print-debuginfo",
    ]


def _tool_paths() -> tuple[str, str]:
    import ascendnpuir
    import triton.backends.ascend.compiler as ascend_compiler

    adapter = os.path.join(os.path.dirname(ascend_compiler.__file__), "triton-adapter-opt")
    bishengir = os.path.join(os.path.dirname(ascendnpuir.__file__), "bin", "bishengir-compile")
    return adapter, bishengir


def _signature(launch: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    sig: dict[str, str] = {}
    consts: dict[str, Any] = {}
    for arg in launch["args"]:
        if arg["kind"] == "constexpr":
            sig[arg["name"]] = "constexpr"
            consts[arg["name"]] = arg["value"]
        else:
            sig[arg["name"]] = arg["type"]
    return sig, consts


def _load_module(path: str) -> Any:
    spec = importlib.util.spec_from_file_location("hawk_candidate_compile", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _frontend_error(exc: BaseException, kernel_file: str) -> dict[str, Any]:
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == kernel_file]
    node = getattr(exc, "node", None)  # triton.compiler.errors.CompilationError points at the AST node
    if node is not None and getattr(node, "lineno", None):
        src_fn = getattr(exc, "src", None)
        lines.append(int(node.lineno) + int(getattr(src_fn, "starting_line_number", 0) or 0))
    message = str(exc).strip() or type(exc).__name__
    return {"stage": "frontend", "message": f"{type(exc).__name__}: {message}"[:4000], "lines": lines}


def compile_launch(fn: Any, launch: dict[str, Any], out: Path, tools: tuple[str, str], shim: Path,
                   sku: str, multibuffer: bool, kernel_file: str) -> dict[str, Any]:  # fmt: skip
    from triton._C.libtriton import ir
    from triton.backends.ascend import compiler as ac
    from triton.backends.compiler import GPUTarget
    from triton.compiler.compiler import ASTSource

    adapter, bishengir = tools
    out.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {"name": launch["name"], "dir": str(out), "timings": {}}
    t = time.perf_counter()
    try:
        sig, consts = _signature(launch)
        src = ASTSource(fn, sig, consts)
        backend = ac.AscendBackend(GPUTarget("npu", sku, 40))
        opts = backend.parse_options({"multibuffer": multibuffer})
        ctx = ir.context()
        ir.load_dialects(ctx)
        backend.load_dialects(ctx)
        mod = src.make_ir(opts, backend.get_codegen_implementation(), backend.get_module_map(), ctx)
        mod = ac.make_ttir(mod, {"hash": "hawk"}, opts)
        ttir = str(mod)
    except Exception as exc:  # the candidate's Triton code does not compile in the frontend
        res.update(_frontend_error(exc, kernel_file), ok=False)
        return res
    (out / "kernel.ttir.mlir").write_text(ttir)
    res["timings"]["ttir_s"] = time.perf_counter() - t

    t = time.perf_counter()
    linalg = out / "kernel.linalg.mlir"
    proc = subprocess.run([adapter, str(out / "kernel.ttir.mlir"), *ADAPTER_PASSES, "-o", str(linalg)],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    res["timings"]["adapter_s"] = time.perf_counter() - t
    if proc.returncode != 0:
        res.update(ok=False, stage="adapter", message=(proc.stderr or proc.stdout)[-6000:])
        return res

    t = time.perf_counter()
    tree = out / "ir_after_plan_memory"
    env = dict(os.environ, PATH=os.pathsep.join([str(shim), os.environ.get("PATH", "")]))
    cmd = [bishengir, str(linalg), *bishengir_options(sku, multibuffer), "--save-temps", str(out / "temps"),
           "--mlir-print-ir-after=hivm-plan-memory", f"--mlir-print-ir-tree-dir={tree}", "-o", str(out / "kernel")]  # fmt: skip
    (out / "temps").mkdir(exist_ok=True)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    res["timings"]["bishengir_s"] = time.perf_counter() - t
    (out / "bishengir.log").write_text(proc.stdout + proc.stderr)
    res["command"] = " ".join(cmd)
    if proc.returncode != 0:
        res.update(ok=False, stage="bishengir", message=(proc.stdout + proc.stderr)[-8000:])
        return res
    # The last plan-memory dump per device function is the placed program (an earlier run of the
    # same pass, on tensors, precedes bufferization).
    planned: dict[str, str] = {}
    for func_dir in sorted(p for p in tree.glob("*/*") if p.is_dir()):
        dumps = sorted(func_dir.glob("*_hivm-plan-memory.mlir"), key=lambda p: [int(x) for x in p.name.split("_")[:2]])
        if dumps:
            planned[func_dir.name.removeprefix("func_func_")] = str(dumps[-1])
    final = out / "temps" / "module.hivm.opt.mlir"
    res.update(ok=True, planned_ir=planned, final_ir=str(final) if final.exists() else None)
    return res


def main(argv: list[str]) -> int:
    request = json.loads(Path(argv[1]).read_text())
    workdir = Path(request["workdir"])
    result: dict[str, Any] = {"launches": [], "timings": {}}
    out_path = workdir / "compile.json"

    def flush() -> None:
        atomic_write_json(out_path, result)

    try:
        # torch lives only in the interpreter env: appended LAST, so `triton` and `numpy` stay this env's.
        if request.get("torch_site"):
            sys.path.append(request["torch_site"])
        t = time.perf_counter()
        import triton  # noqa: F401  (triton-ascend's)

        shim = workdir / "hivmc-shim"
        shim.mkdir(exist_ok=True)
        (shim / "hivmc").write_text(HIVMC_STANDIN)
        (shim / "hivmc").chmod(0o755)
        tools = _tool_paths()
        result["timings"]["import_s"] = time.perf_counter() - t
        t = time.perf_counter()
        kernel_file = str(Path(request["kernel_file"]).resolve())
        try:
            module = _load_module(kernel_file)
        except Exception as exc:
            result.update(outcome="load_error", **_frontend_error(exc, kernel_file))
            flush()
            return 0
        result["timings"]["load_s"] = time.perf_counter() - t
        for i, launch in enumerate(request["launches"]):
            fn = getattr(module, launch["name"], None)
            if fn is None or not hasattr(fn, "fn"):
                result["launches"].append({"name": launch["name"], "ok": False, "stage": "frontend",
                                           "message": f"launched kernel '{launch['name']}' is not a module-level "
                                           "@triton.jit function of the candidate"})  # fmt: skip
                continue
            key = hashlib.sha1(json.dumps(launch["args"], sort_keys=True).encode()).hexdigest()[:8]
            res = compile_launch(fn, launch, workdir / "compile" / f"{i}_{launch['name']}_{key}", tools, shim,
                                 request["sku"], request.get("multibuffer", True), kernel_file)  # fmt: skip
            res["launch_index"] = i
            result["launches"].append(res)
            flush()
        result["outcome"] = "done"
    except Exception as exc:  # Hawk-side failure: say so, never hide it
        result.update(outcome="harness_error", message=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
    flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
