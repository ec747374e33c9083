"""Judging on what users feed kernels: value-stress inputs, shape sets and pypto.DYNAMIC axes.

Real simulator (the `sim` tier), except the shape-set merge logic, which runs on the fake target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hawk import targets
from hawk.targets.base import EvalOptions
from hawk.targets.stress import stress_cases
from hawk.targets.verdict import Status
from hawk.tasks import load_suite
from hawk.tasks.sandboxed import task_spec
from hawk.tasks.task import task_from_file

from .conftest import DATA, kernel_source

RMS_DYN = task_from_file(DATA / "tasks" / "rms_dynamic.py")
SOFTMAX = next(t for t in load_suite("npu-workloads").tasks if t.id == "l1_softmax_fp32")
FAST = EvalOptions(seeds=1, with_eager_baseline=False)


def test_shape_set_and_its_dynamic_axes():
    spec = task_spec(RMS_DYN)  # asked of a sandboxed child
    shapes = [dict(s) for s in spec.shapes]
    assert shapes == [{"BATCH": 1}, {"BATCH": 13}, {"BATCH": 32}]
    assert spec.dynamic_axes() == {"x": [0], "out": [0]}
    assert [a.shape for a in spec.shape_args[1]] == [(13, 256), (13, 256)]
    assert RMS_DYN.variant(shapes[0]).source_hash != RMS_DYN.variant(shapes[1]).source_hash


def test_stress_cases_keep_only_what_the_reference_supports():
    cases, note = stress_cases(SOFTMAX)  # softmax is shift-invariant: the shift case is kept first
    assert [c["name"] for c in cases] == ["inputs +100", "inputs x16"] and "x1/16" in note
    cases, note = stress_cases(RMS_DYN.variant({"BATCH": 1}))  # x/rms(x) is scale-, not shift-invariant
    assert "inputs +100" not in [c["name"] for c in cases] and "not shift-invariant" in note


def test_shape_that_fails_is_named_and_each_shape_is_listed(tmp_path):
    fake = targets.get("fake")
    src = "# fake-wrong-at: BATCH == 13\n\ndef kernel(x, out):\n    pass\n"
    v = fake.evaluate(src, RMS_DYN, EvalOptions(seeds=1))
    assert v.status == Status.WRONG_RESULT and v.error.message.startswith("shape BATCH=13: ")
    assert [(r.shape["BATCH"], r.status.value) for r in v.shapes] == [(1, "pass"), (13, "wrong_result"), (32, "pass")]
    ok = fake.evaluate(src.replace("13", "99"), RMS_DYN, EvalOptions(seeds=1))
    assert ok.status == Status.PASS and len(ok.shapes) == 3 and ok.perf.speedup == pytest.approx(4.0)


@pytest.mark.sim
def test_softmax_without_max_subtraction_fails_the_stress_inputs():
    expert = SOFTMAX.expert_kernel.read_text()
    unsafe = expert.replace(
        "    row_max = pypto.amax(scores, -1, keepdim=True)  # subtract the max: exp never overflows\n", ""
    )
    unsafe = unsafe.replace("pypto.exp(pypto.sub(scores, row_max))", "pypto.exp(scores)")
    assert unsafe != expert
    v = targets.get("ascend-pypto").evaluate(unsafe, SOFTMAX, FAST)
    assert v.status == Status.WRONG_RESULT and all(s.passed for s in v.correctness.per_seed)  # the seeds pass
    assert "stress input 'inputs +100'" in v.error.message
    saved = json.loads((Path(v.artifacts.workdir) / "verdict.json").read_text())
    assert [c["name"] for c in saved["correctness"]["stress"]] == ["inputs +100", "inputs x16"]
    assert not saved["correctness"]["stress"][0]["passed"]


@pytest.mark.sim
def test_dynamic_kernel_passes_every_shape_and_the_stress_inputs():
    v = targets.get("ascend-pypto").evaluate(kernel_source("rms_dynamic"), RMS_DYN, FAST)
    assert v.status == Status.PASS, v.error
    assert [r.shape for r in v.shapes] == list(task_spec(RMS_DYN).shapes) and all(r.time_us > 0 for r in v.shapes)
    assert v.correctness.stress and all(c.passed for c in v.correctness.stress)
    saved = json.loads((Path(v.artifacts.workdir) / "verdict.json").read_text())
    assert len(saved["shapes"]) == 3 and saved["perf"]["time_us"] > 0


@pytest.mark.sim
def test_fixed_shape_annotation_on_a_dynamic_axis_is_invalid():
    fixed = kernel_source("rms_dynamic").replace("pypto.DYNAMIC", "32")
    v = targets.get("ascend-pypto").evaluate(fixed, RMS_DYN, FAST)
    assert v.status == Status.INVALID and "shape BATCH=1" in v.error.message
    assert "axis 0 is dynamic in this task" in v.error.message and "pypto.DYNAMIC" in v.error.message
