"""`hawk demo`: one complete loop with NO model. A scripted stand-in replays three fixed replies:
a kernel whose tiles overflow UB, a repaired one, and a faster retiled one. The target, the
verdicts and the trajectory are real; the "model" is not, and everything printed says so."""

from __future__ import annotations

from pathlib import Path

TASK_FILE = Path(__file__).with_name("demo_task.py")

_KERNEL = """import pypto

M, N = 256, 512


def kernel(
    x: pypto.Tensor([M, N], pypto.DT_FP32),
    y: pypto.Tensor([M, N], pypto.DT_FP32),
    out: pypto.Tensor([M, N], pypto.DT_FP32),
):
    pypto.set_vec_tile_shapes({rows}, 512)
    out.move(pypto.add(pypto.mul(pypto.exp(x), y), x))
"""

SCRIPTED_REPLIES = [
    # 1. Transplanted tiling: 64 x 512 fp32 tiles; exp's input + output need 256 KiB of a 192 KiB UB.
    "Here is a kernel with large tiles for bandwidth:\n```python\n" + _KERNEL.format(rows=64) + "```",
    # 2. Repair after the UB overflow: 8-row tiles fit comfortably.
    "The tile overflowed UB; smaller tiles:\n```python\n" + _KERNEL.format(rows=8) + "```",
    # 3. Optimize: 16-row tiles still fit UB and halve the number of tiles.
    "Fewer, larger tiles that still fit UB:\n```python\n" + _KERNEL.format(rows=16) + "```",
]
