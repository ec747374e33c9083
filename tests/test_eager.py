"""The eager baseline of ascend-pypto: traced from the reference, timed by the real simulator (no mocks)."""

import pytest

from hawk import targets
from hawk.targets.ascend_pypto import eager, eager_ops, eager_tiling
from hawk.targets.ascend_pypto.spec import ascend_a2a3_spec
from hawk.targets.base import EvalOptions
from hawk.targets.tracing import TRACE_VERSION
from hawk.targets.verdict import Status
from hawk.tasks.task import task_from_file

from .conftest import DATA, EXP_TASK_FILE, kernel_source

# The real-tools tier (simulator, compilers, browser): `pytest -m 'not sim'` runs the logic tier alone.
pytestmark = pytest.mark.sim

EXP_TASK = task_from_file(EXP_TASK_FILE)  # torch.exp(x) * y + x: three eager kernels


def test_trace_maps_each_op_to_pypto():
    ops = eager_ops.trace_ops(EXP_TASK)
    assert [(o.torch_op, o.kind, o.target_op) for o in ops] == [
        ("torch.exp", "exp", "pypto.exp"),
        ("operator.mul", "mul", "pypto.mul"),
        ("operator.add", "add", "pypto.add"),
    ]
    assert all(o.launches_kernel for o in ops)
    assert ops[1].inputs[0].shape == [256, 512] and ops[1].outputs[0].dtype == "float32"


def test_tiling_rule_fits_ub_and_aligns_the_tail():
    cands, falls = eager_tiling.tile_sizes(512 * 1024, 12)  # fp32 binary op: 3 x 4 bytes per element
    assert max(cands) * 12 <= eager_tiling.UB_BYTES and falls and max(falls) < min(cands)
    tile = eager_tiling.vec_tile([8, 65536], 15123, 4)
    assert tile[0] == 1 and tile[1] % 32 == 0
    # out [4, 64, 512] * weight [512]: PyPTO broadcasts one axis only, so leading axes fold into rows.
    assert eager_tiling.collapse_axes([4, 64, 512], [[512], [4, 64, 512]]) == ([256, 512], [[1, 512], [256, 512]])


def test_baseline_simulates_each_op_exceeds_the_fused_kernel_and_is_cached(tmp_path, monkeypatch):
    spec = ascend_a2a3_spec()
    cache = tmp_path / "cache"
    base = eager.eager_baseline(EXP_TASK, spec, cache)
    assert base.simulated == 3 and base.estimated == 0 and base.views == 0
    assert [o.source for o in base.ops] == ["simulated"] * 3
    assert all(o.time_us > 0 for o in base.ops)
    assert base.time_us == pytest.approx(sum(o.time_us for o in base.ops))
    assert base.sku == spec.sku and base.pypto_version == "0.2.0"
    path = eager.cache_path(EXP_TASK, spec, cache)
    assert path.is_file() and path.parent == cache / "eager"
    assert (
        path.name
        == f"{EXP_TASK.source_hash}-{spec.sku}-pypto0.2.0-eager{eager.EAGER_MODEL_VERSION}-trace{TRACE_VERSION}.json"
    )

    # The fused expert kernel keeps intermediates on chip: faster than three GM round trips.
    fused = targets.get("ascend-pypto").evaluate(kernel_source("exp_mul_add_good"), EXP_TASK, EvalOptions(seeds=1))
    assert fused.status == Status.PASS, fused.error
    assert base.time_us > fused.perf.time_us > 0

    # A second call is a cache hit: no tracing, no child process.
    def refuse(*args, **kwargs):
        raise AssertionError("a cache hit must not trace or simulate")

    monkeypatch.setattr(eager, "SimPool", refuse)
    monkeypatch.setattr(eager, "map_ops", refuse)
    again = eager.eager_baseline(EXP_TASK, spec, cache)
    assert again.to_dict() == base.to_dict()


def test_op_without_mapping_is_estimated_by_roofline(tmp_path):
    task = task_from_file(DATA / "tasks" / "exp_flip2d.py")
    spec = ascend_a2a3_spec()
    base = eager.eager_baseline(task, spec, tmp_path / "cache")
    exp, flip = base.ops
    assert (exp.kind, exp.source) == ("exp", "simulated") and exp.time_us > 0
    assert (flip.kind, flip.source, flip.target_op) == ("flip", "estimated", None)
    assert "estimated" in flip.detail and "several axes" in flip.detail
    nbytes = 2 * 128 * 256 * 4  # read x, write the flipped copy
    assert flip.time_us == pytest.approx(nbytes / (spec.gm_bandwidth_gbps * 1e3), rel=1e-3)
    assert (base.simulated, base.estimated) == (1, 1)
    assert base.time_us == pytest.approx(exp.time_us + flip.time_us)
