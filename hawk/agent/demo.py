"""`hawk demo`: the loop with NO model. A scripted stand-in replays fixed replies: on task 1 a
kernel whose tiles overflow UB, a repaired one, and a faster retiled one; on task 2 (another op)
an overflowing kernel, then a repaired one. The target, verdicts, trajectories and knowledge are
real; the "model" is not, and everything printed says so."""

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

# Second demo task, for method `hawk`: a different op (row-max subtraction) whose first kernel also
# overflows UB. The UB fix learned on the first task is retrieved and injected into its repair prompt.
ROWMAX_TASK_FILE = Path(__file__).with_name("demo_rowmax_task.py")

_ROWMAX_KERNEL = """import pypto

M, N = 128, 1024


def kernel(scores: pypto.Tensor([M, N], pypto.DT_FP32), out: pypto.Tensor([M, N], pypto.DT_FP32)):
    pypto.set_vec_tile_shapes({rows}, 1024)
    out.move(pypto.sub(scores, pypto.amax(scores, -1, keepdim=True)))
"""

ROWMAX_REPLIES = [
    "Row max, then subtract, with wide tiles:\n```python\n" + _ROWMAX_KERNEL.format(rows=64) + "```",
    "Following the UB lesson, 8-row tiles:\n```python\n" + _ROWMAX_KERNEL.format(rows=8) + "```",
]
