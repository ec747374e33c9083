"""Unchanged KernelBench-format files with a scalar input and with int64 targets, judged on the
real simulator (sim tier): the scalar reaches the kernel as its last argument, int64 as DT_INT64."""

from __future__ import annotations

import pytest

from hawk import targets
from hawk.targets.base import EvalOptions
from hawk.targets.verdict import Status
from hawk.tasks.kernelbench import load_dir

from .conftest import DATA, kernel_source

pytestmark = pytest.mark.sim
KB = DATA / "kernelbench"


def _task(tid: str):
    return next(t for t in load_dir(KB, levels=[1]).tasks if t.id == tid)


def test_scalar_input_reaches_the_kernel():
    target, task = targets.get("ascend-pypto"), _task("kb1_1_Scale_by_constant")
    good = kernel_source("kb_scale_by_constant")
    v = target.evaluate(good, task, EvalOptions(seeds=2))
    assert v.status is Status.PASS, v.error
    assert [s.name for s in v.correctness.stress] == ["inputs x16", "inputs x1/16"]  # the scalar is not scaled
    off = target.evaluate(good.replace("pypto.mul(x, factor)", "pypto.mul(x, factor + 1.0)"), task,
                          EvalOptions(seeds=1, stress=False, with_eager_baseline=False))  # fmt: skip
    assert off.status is Status.WRONG_RESULT  # the value given is the task's, not a default


def test_int64_targets_and_a_0d_loss():
    v = targets.get("ascend-pypto").evaluate(kernel_source("kb_token_cross_entropy"),
                                             _task("kb1_2_Token_cross_entropy"), EvalOptions(seeds=2))  # fmt: skip
    assert v.status is Status.PASS, v.error
    assert v.shape_policy["rule"] == "original"
