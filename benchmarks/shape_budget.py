"""How long one evaluation takes as a task's tensors grow: the figures behind the shape policy's budget.

Writes an elementwise task (ReLU, fp32) and a matmul task (fp32, square) at growing sizes into a
temporary folder, each with a simple correct kernel, and judges them on `ascend-pypto` (1 seed,
no stress inputs or eager baseline unless asked), printing wall seconds per phase: the PyTorch
reference, compile + verify (pypto's passes and its CPU calculator) and simulate (cost model).
A benchmark, not a test: it prints figures and asserts nothing.

    python benchmarks/shape_budget.py [--elementwise 18,20,22,24] [--matmul 256,512,1024] [--timeout 600]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from hawk import targets
from hawk.targets.base import EvalOptions
from hawk.tasks.task import task_from_file

RELU_TASK = """import torch
import torch.nn as nn

N = {n}


class Model(nn.Module):
    def forward(self, x):
        return torch.relu(x)


def get_inputs():
    return [torch.randn(N)]


def get_init_inputs():
    return []
"""

RELU_KERNEL = """import pypto

N = {n}


def kernel(x: pypto.Tensor([N], pypto.DT_FP32), out: pypto.Tensor([N], pypto.DT_FP32)):
    pypto.set_vec_tile_shapes({tile})
    out.move(pypto.relu(x))
"""

MATMUL_TASK = """import torch
import torch.nn as nn

M = {m}


class Model(nn.Module):
    def forward(self, a, b):
        return torch.matmul(a, b)


def get_inputs():
    return [torch.randn(M, M), torch.randn(M, M)]


def get_init_inputs():
    return []
"""

MATMUL_KERNEL = """import pypto

M = {m}


def kernel(a: pypto.Tensor([M, M], pypto.DT_FP32), b: pypto.Tensor([M, M], pypto.DT_FP32),
           out: pypto.Tensor([M, M], pypto.DT_FP32)):
    pypto.set_cube_tile_shapes([128, 128], [64, 256], [128, 128])
    out.move(pypto.matmul(a, b, pypto.DT_FP32))
"""


def measure(folder: Path, name: str, task_src: str, kernel_src: str, elements: int, opts: EvalOptions) -> None:
    path = folder / f"{name}.py"
    path.write_text(task_src)
    v = targets.get("ascend-pypto").evaluate(kernel_src, task_from_file(path), opts)
    t = v.timings
    sim_us = v.perf.time_us if v.perf else None
    print(f"{name:24} {elements:>11} {v.status.value:13} {t.get('total_s', 0):8.1f} {t.get('reference_s', 0):6.1f} "
          f"{t.get('compile_verify_s', 0):9.1f} {t.get('simulate_s', 0):8.1f} {sim_us}", flush=True)  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--elementwise", default="16,18,20,22,24", help="log2 of the element counts")
    ap.add_argument("--matmul", default="256,512,1024,2048", help="square sizes M (M x M times M x M)")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--eager", action="store_true", help="also build the eager baseline")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--stress", action="store_true", help="also run the value-stress inputs")
    args = ap.parse_args()
    opts = EvalOptions(seeds=args.seeds, stress=args.stress, with_eager_baseline=args.eager, timeout_s=args.timeout)
    print(f"{'task':24} {'elements':>11} {'status':13} {'wall_s':>8} {'ref_s':>6} {'compile_s':>9} {'sim_s':>8} sim_us")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for p in filter(None, args.elementwise.split(",")):
            n = 2 ** int(p)
            measure(folder, f"relu_fp32_2e{p}", RELU_TASK.format(n=n), RELU_KERNEL.format(n=n, tile=min(n, 32768)),
                    n, opts)  # fmt: skip
        for m in filter(None, args.matmul.split(",")):
            m = int(m)
            measure(folder, f"matmul_fp32_{m}", MATMUL_TASK.format(m=m), MATMUL_KERNEL.format(m=m), 3 * m * m, opts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
