"""Global-memory streaming bandwidth of the simulator, measured with a copy-like kernel.

Runs `out = x + 1.0` (fp32) at several sizes through `hawk eval`'s machinery and prints
bytes moved (read x + write out) / simulated time. The result feeds the roofline
(hawk/targets/ascend_pypto/spec.py: SIM_GM_BANDWIDTH_GBPS).

    python benchmarks/sim_bandwidth.py [--sizes 1024,2048,4096]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from hawk import targets
from hawk.targets.base import EvalOptions
from hawk.tasks.task import task_from_file

TASK = """import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, x):
        return x + 1.0


def get_inputs():
    return [torch.randn({shape})]


def get_init_inputs():
    return []
"""

KERNEL = """import pypto


def kernel(x: pypto.Tensor([{shape}], pypto.DT_FP32), out: pypto.Tensor([{shape}], pypto.DT_FP32)):
    pypto.set_vec_tile_shapes({tile})
    out.move(pypto.add(x, 1.0))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1024,2048,4096", help="square fp32 matrix sizes")
    args = ap.parse_args()
    target = targets.get("ascend-pypto")
    print(f"{'shape':>14} {'MB moved':>9} {'sim_us':>9} {'GB/s':>8} {'status':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            rows = max(1, min(64, 16384 // n))  # in + out tile: 2 * rows * n * 4 B <= 128 KiB of UB
            # The same bytes as a 2-D [n, n] tensor and as a flat 1-D tensor (the simulator streams
            # 1-D tiles faster); the roofline takes the faster figure so that it stays a bound.
            for shape, tile in ((f"{n}, {n}", f"{rows}, {n}"), (f"{n * n}", f"{rows * n}")):
                task_path = Path(tmp) / f"add_one_{n}_{len(shape)}.py"
                task_path.write_text(TASK.format(shape=shape))
                source = KERNEL.format(shape=shape, tile=tile)
                v = target.evaluate(source, task_from_file(task_path), EvalOptions(seeds=1, with_eager_baseline=False))
                moved = 2 * n * n * 4
                t = v.perf.time_us if v.perf else None
                gbps = moved / (t * 1e-6) / 1e9 if t else float("nan")
                print(f"{shape:>14} {moved / 1e6:9.1f} {t or float('nan'):9.1f} {gbps:8.1f} {v.status.value:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
