"""NPU worker (mode `npu`): runs in the triton-ascend env on a machine with an Ascend NPU, torch_npu and
CANN. NOT RUN on Hawk's machines (no NPU there); written to triton-ascend's documented usage.

Goldens on the CPU first (as in worker_interp.py), then the launcher runs with the tensors on the NPU:
triton-ascend JIT-compiles and launches for real; outputs are compared on the host, and the whole
`kernel(...)` call is timed with device events (median of 15 after 5 warm-ups). Writes `interp.json`
in the same format as the interpreter worker plus `npu_time_us`.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import traceback
from pathlib import Path


def main(argv: list[str]) -> int:
    request = json.loads(Path(argv[1]).read_text())
    out_path = Path(request["workdir"]) / "interp.json"
    data: dict = {"stage": "start", "timings": {}, "seeds": []}
    try:
        import torch
        import torch_npu  # noqa: F401  (registers the npu device)

        from hawk.targets.worker_kit import compare_tensors
        from hawk.tasks.task import Task, instantiate, load_module, scalar_args, signature, tensor_args

        task = Task(id=request["task_id"], path=Path(request["task_file"]), atol=request["atol"], rtol=request["rtol"])
        seeds = request["seeds"]
        instances = {s: instantiate(task, s) for s in seeds}
        specs = signature(task, instances[seeds[0]])
        outputs = [{"name": s.name, "dtype": s.dtype, "atol": task.tolerance(s.dtype)[0],
                    "rtol": task.tolerance(s.dtype)[1]} for s in specs if s.role == "output"]  # fmt: skip
        data["outputs"] = outputs
        module = load_module(Path(request["kernel_file"]), prefix="hawk_candidate", what="candidate kernel")
        fn = module.kernel
        for seed in seeds:
            inst = instances[seed]
            args = [x.contiguous().npu() for x in tensor_args(inst.inputs)] + [
                p.contiguous().npu() for _, p in inst.params
            ]
            outs = [torch.full_like(y, float("nan")).npu() if y.is_floating_point() else torch.zeros_like(y).npu()
                    for y in inst.outputs]  # fmt: skip
            fn(*args, *outs, *scalar_args(inst.inputs))
            torch.npu.synchronize()
            checks = [{"output": o["name"], **compare_tensors(out, golden, o["atol"], o["rtol"])}
                      for out, golden, o in zip(outs, inst.outputs, outputs, strict=True)]  # fmt: skip
            data["seeds"].append({"seed": seed, "checks": checks})
        times = []
        for _ in range(20):
            start, end = torch.npu.Event(enable_timing=True), torch.npu.Event(enable_timing=True)
            start.record()
            fn(*args, *outs, *scalar_args(inst.inputs))
            end.record()
            torch.npu.synchronize()
            times.append(start.elapsed_time(end) * 1000.0)  # ms -> us
        data.update(outcome="ran", npu_time_us=statistics.median(times[5:]), timed_at=time.time())
    except Exception as exc:
        data.update(outcome="runtime_error", message=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
    out_path.write_text(json.dumps(data, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
