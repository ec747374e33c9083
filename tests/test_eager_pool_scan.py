"""Eager mappings of pooling, cumsum and flip (hawk/targets/ascend_pypto/eager_pool_scan.py)."""

from pathlib import Path

import pytest

from hawk import targets
from hawk.targets.ascend_pypto.eager_codegen import kernel_plan
from hawk.targets.ascend_pypto.eager_ops import map_ops
from hawk.targets.ascend_pypto.eager_pool_scan import _Axis
from hawk.targets.base import EvalOptions
from hawk.targets.verdict import Status
from hawk.tasks.task import task_from_file

TASK = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = {module}

    def forward(self, x):
        return {forward}


def get_inputs():
    return [torch.randn({shape})]


def get_init_inputs():
    return []
"""


def _task(tmp_path: Path, shape: str, forward: str = "self.pool(x)", module: str = "nn.Identity()"):
    path = tmp_path / "task.py"
    path.write_text(TASK.format(module=module, forward=forward, shape=shape))
    return task_from_file(path)


def test_pool_module_maps_with_its_window(tmp_path):
    task = _task(tmp_path, "1, 8, 31, 33", module="nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, "
                 "count_include_pad=False)")  # fmt: skip
    (op,), _ = map_ops(task)
    assert op.kind == "avg_pool" and op.target_op is not None
    assert op.consts == {"d": 2, "kernel": [3, 3], "stride": [2, 2], "pad": [1, 1], "dilation": [1, 1],
                         "include_pad": False}  # fmt: skip
    plan = kernel_plan(op)
    assert len(plan.candidates) == 2 and "pypto.transpose" in plan.candidates[0].source


def test_functional_pool_cumsum_and_flip_map(tmp_path):
    forward = "torch.flip(torch.cumsum(F.max_pool1d(x, 4, 2, 2, 3), dim=-1), [1])"
    ops, _ = map_ops(_task(tmp_path, "4, 16, 128", forward=forward))
    assert [(o.kind, o.target_op is not None) for o in ops] == [("max_pool", True), ("cumsum", True), ("flip", True)]
    assert ops[0].consts["dilation"] == [3] and ops[2].consts == {"dim": 1}
    assert all(kernel_plan(o).candidates for o in ops)


def test_unsupported_variants_stay_estimated(tmp_path):
    ops, _ = map_ops(_task(tmp_path, "8, 64", forward="torch.cumsum(torch.flip(x, [0, 1]), dim=0)"))
    assert [o.target_op for o in ops] == [None, None]
    assert "several axes" in ops[0].note and "non-last axis" in ops[1].note


def test_axis_runs_split_the_borders():
    # 3-wide window, stride 2, padding 1 over 7 inputs, ceil_mode: 4 outputs
    axis = _Axis(length=7, out=4, kernel=3, stride=2, pad=1, dilation=1, include_pad=True)
    assert axis.runs() == [(0, 1, (1, 2), 3), (1, 3, (0, 1, 2), 3), (3, 4, (0, 1), 3)]  # padding counts (torch: 2/3)
    excl = _Axis(length=7, out=4, kernel=3, stride=2, pad=1, dilation=1, include_pad=False)
    assert [r[3] for r in excl.runs()] == [2, 3, 2]


@pytest.mark.sim
def test_eager_pool_kernel_computes_the_op(tmp_path):
    # The eager kernel is timed, not checked, in the baseline: here it is judged as a candidate.
    task = _task(tmp_path, "1, 4, 15, 16, 17", module="nn.MaxPool3d(3, stride=2, padding=1, ceil_mode=True)")
    (op,), _ = map_ops(task)
    k = kernel_plan(op).candidates[0]
    source = "import pypto\n\n" + k.source.replace(f"def {k.name}(", "def kernel(", 1)
    v = targets.get("ascend-pypto").evaluate(source, task, EvalOptions(seeds=1, with_eager_baseline=False))
    assert v.status == Status.PASS, (v.error, v.correctness)
