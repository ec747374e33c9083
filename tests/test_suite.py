"""The npu-workloads suite: its manifest, the kernel contract of each task, and every expert kernel passing."""

import pytest

from hawk import targets
from hawk.targets.base import EvalOptions
from hawk.targets.verdict import Status
from hawk.tasks import load_suite, resolve_task
from hawk.tasks.task import shape_set

# The real-tools tier (simulator, compilers, browser): `pytest -m 'not sim'` runs the logic tier alone.
pytestmark = pytest.mark.sim

SUITE = load_suite("npu-workloads")


def representative(tasks):
    """CI judges one expert per (level, category), and one dynamic-shape expert per level (each costs
    a run per shape): every kind of kernel the suite has, in bounded time; `python
    benchmarks/eval_time.py` judges all of them."""
    seen, out = set(), []
    for t in tasks:
        key = (t.level, "dynamic shapes" if shape_set(t) else t.category)
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out


def test_suite_shape():
    assert len(SUITE.tasks) >= 30
    assert {1, 2, 3} <= {t.level for t in SUITE.tasks} <= {1, 2, 3, 4}
    assert all(t.expert_kernel is not None for t in SUITE.tasks)
    assert len({t.id for t in SUITE.tasks}) == len(SUITE.tasks)
    assert resolve_task(SUITE.tasks[0].id).path == SUITE.tasks[0].path


@pytest.mark.parametrize("task", representative(SUITE.tasks), ids=lambda t: t.id)
def test_expert_kernel_passes(task):
    v = targets.get("ascend-pypto").evaluate(task.expert_kernel.read_text(), task, EvalOptions(seeds=3))
    assert v.status == Status.PASS, (v.error, v.correctness)
    assert v.perf.time_us > 0 and v.perf.eager_time_us > 0


# The families no NPU agent passed on KernelBench (issue 19): pooling, scans, large-K matmul. Each
# expert is judged, not one per category (the representatives above already run with the eager).
OP_FAMILY_EXPERTS = ("l1_maxpool2d_fp32", "l1_avgpool3d_fp32", "l1_cumsum_reverse_fp32", "l1_cumsum_exclusive_fp32",
                     "l1_matmul_large_k_fp16")  # fmt: skip


@pytest.mark.parametrize(
    "task_id", [t for t in OP_FAMILY_EXPERTS if t not in {r.id for r in representative(SUITE.tasks)}]
)
def test_op_family_expert_passes_every_seed_and_stress(task_id):
    task = resolve_task(task_id)
    opts = EvalOptions(seeds=3, with_eager_baseline=False)
    v = targets.get("ascend-pypto").evaluate(task.expert_kernel.read_text(), task, opts)
    assert v.status == Status.PASS, (v.error, v.correctness)
    assert v.correctness.seeds == [0, 1, 2]
    assert v.correctness.stress and all(s.passed for s in v.correctness.stress)


def test_experts_per_target_and_suite_folders():
    from hawk.tasks.suite import all_experts, expert_for

    softmax = SUITE.get("l1_softmax_fp32")
    pypto_expert, triton_expert = expert_for(softmax, "ascend-pypto"), expert_for(softmax, "ascend-triton")
    assert pypto_expert.parent.name == "experts" and triton_expert.parent.name == "experts_ascend_triton"
    assert set(all_experts(softmax)) == {pypto_expert, triton_expert}  # synthesis refuses every one of them
    assert expert_for(softmax, "no-such-target") is None
    by_folder = load_suite(SUITE.root)  # a suite given as a folder loads the same tasks
    assert [t.id for t in by_folder.tasks] == [t.id for t in SUITE.tasks] and by_folder.name == SUITE.name
