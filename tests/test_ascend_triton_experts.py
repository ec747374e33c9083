"""Every Triton expert kernel of the npu-workloads suite passes on ascend-triton (real compiler and
interpreter), with a labelled estimate and an eager estimate to compare with."""

from __future__ import annotations

import pytest

from hawk.targets import get
from hawk.targets.ascend_triton import envs
from hawk.targets.base import EvalOptions
from hawk.targets.verdict import Status
from hawk.tasks.suite import expert_for, load_suite

# The real-tools tier (simulator, compilers, browser): `pytest -m 'not sim'` runs the logic tier alone.
pytestmark = pytest.mark.sim

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


def test_triton_taxonomy_labels() -> None:
    from hawk.knowledge.taxonomy import LABELS, labels_for, labels_of

    assert set(labels_of("ascend-triton")) <= set(LABELS)
    assert {"grid_core_mapping", "multibuffer", "alignment", "dtype_support", "ub_capacity", "l0c_capacity"} <= set(
        labels_of("ascend-triton")
    )
    overflow = {"target": "ascend-triton", "error": {"constraint": "ub_capacity", "hardware_reason": "ub overflow, "
                "requires 4194304 bits while 1572864 bits available!"}}  # fmt: skip
    assert labels_for(overflow) == ["ub_capacity", "block_size"]
    cc = {"target": "ascend-triton", "error": {"hardware_reason": "cc overflow, requires 2097152 bits"}}
    assert "l0c_capacity" in labels_for(cc)
    grid = {"target": "ascend-triton", "findings": [{"rule": "grid_core_mapping", "severity": "warning"}],
            "perf": {"bottleneck": "mte_in_bound"}}  # fmt: skip
    assert labels_for(grid) == ["mte_in_bound", "grid_core_mapping"]
