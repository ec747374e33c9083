"""The calibrated bound (hawk/targets/bound.py, ascend_pypto/calibrate.py), calibrated eager
estimates and their note, the GroupNorm mapping, and the optimize prompt's evidence."""

from __future__ import annotations

import json

import pytest

from hawk import targets
from hawk.targets.ascend_pypto import calibrate, eager, eager_codegen, eager_ops
from hawk.targets.ascend_pypto.profile import critical_chain
from hawk.targets.ascend_pypto.spec import ascend_a2a3_spec
from hawk.targets.base import EvalOptions
from hawk.targets.evidence import evidence_section, evidence_text, far_from
from hawk.targets.verdict import Perf, Status, Verdict, bound_gap
from hawk.tasks.task import task_from_file

from .conftest import DATA, kernel_source

PROFILE = DATA / "profiles" / "softmax_fp32"  # the l1_softmax_fp32 expert's simulator output (two files)

GROUP_NORM_TASK = """
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.GroupNorm(32, 256)

    def forward(self, x):
        return self.norm(x)


def get_inputs():
    return [torch.randn(2, 256, 16, 16)]


def get_init_inputs():
    return []
"""


def synthetic_times() -> dict[str, float]:
    """Kernel times shaped like the simulator's (us): fixed costs, a stepped stream, a matmul, vector chains."""
    times = {f"fixed_in{n}": 1.0 + 0.8 * (n - 1) for n in calibrate.FIXED_INPUTS}
    times |= {f"fixed_out{m}": 1.0 + 0.5 * (m - 1) for m in calibrate.FIXED_OUTPUTS}
    times |= {f"stream{t}": 1.0 + 0.2 * t for t in calibrate.STREAM_TILES}
    m, k, n = calibrate.MATMUL
    times["matmul"] = 1.0 + 2 * m * k * n / 170e12 * 1e6  # 170 TFLOP/s above the start cost
    times["vector1"], times[f"vector{calibrate.VECTOR[2]}"] = 8.0, 9.0
    return times


def test_calibration_is_measured_once_then_read_from_its_file(tmp_path, monkeypatch):
    spec = ascend_a2a3_spec()
    calls = []

    def fake_measure(spec_, workdir, tool_version):
        calls.append(workdir)
        return calibrate.fit(synthetic_times(), spec_, tool_version, wall_s=1.5)

    monkeypatch.setattr(calibrate, "measure", fake_measure)
    first = calibrate.calibration(spec, tmp_path)
    path = calibrate.cache_path(spec, tmp_path)
    assert len(calls) == 1 and path.is_file() and path.parent == tmp_path / "calibration"
    assert path.name == f"{spec.sku}-pypto{calibrate.pypto_version()}-cal{first.version}.json"
    record = json.loads(path.read_text())  # provenance: what ran, its times, where and when
    assert record["sku"] == spec.sku and record["tool_version"].startswith("pypto ")
    assert record["kernels"] == synthetic_times() and record["created"] and record["host"]

    def refuse(*args, **kwargs):
        raise AssertionError("a cached calibration must not simulate")

    monkeypatch.setattr(calibrate, "measure", refuse)
    again = calibrate.calibration(spec, tmp_path)
    assert again == first and len(calls) == 1


def test_failed_calibration_is_recorded_and_not_retried_until_forced(tmp_path, monkeypatch):
    spec = ascend_a2a3_spec()
    tries = []

    def failing(spec_, workdir, tool_version):
        tries.append(workdir)
        raise calibrate.CalibrationError("calibration kernels failed on the simulator: {'matmul': 'boom'}")

    monkeypatch.setattr(calibrate, "measure", failing)
    for _ in range(2):
        with pytest.raises(calibrate.CalibrationError, match="boom"):
            calibrate.calibration(spec, tmp_path)
    assert len(tries) == 1  # the second call read the recorded failure
    monkeypatch.setattr(calibrate, "measure", lambda s, w, v: calibrate.fit(synthetic_times(), s, v))
    assert calibrate.calibration(spec, tmp_path, force=True).cube_tflops > 0
    assert not calibrate.cache_path(spec, tmp_path).with_suffix(".failed").exists()
    assert calibrate.calibration(spec, tmp_path).cube_tflops > 0  # and read back without measuring


def test_bound_is_the_larger_of_the_arity_floor_and_start_plus_stream_or_cube():
    cal = calibrate.fit(synthetic_times(), ascend_a2a3_spec(), "pypto test")
    assert cal.fixed_us(1, 1) == pytest.approx(1.0)
    assert cal.fixed_us(4, 1) == pytest.approx(3.4) and cal.fixed_us(6, 1) == pytest.approx(3.4)  # the step below
    assert cal.fixed_us(2, 3) == pytest.approx(1.8 + 2.0 - 1.0)
    tile = calibrate.UB_TILE_FP16 * 2  # bytes of one full-UB tile
    assert cal.stream_us(16 * tile) == pytest.approx(0.2 * 16)  # the time above the fixed cost
    assert cal.stream_us(20 * tile) == pytest.approx(cal.stream_us(16 * tile))  # between sizes: the floor
    big = 384 * tile
    assert cal.stream_us(2 * big) == pytest.approx(2 * cal.stream_us(big))  # beyond: the average rate
    assert cal.cube_tflops == pytest.approx(170, rel=1e-3)
    flops = 2 * 4096**3
    assert cal.bound_us(3 * tile, tile, flops, 2, 1) == pytest.approx(1.0 + flops / 170e12 * 1e6, rel=1e-3)
    assert cal.bound_us(64 * tile, 64 * tile, 0, 4, 3) == pytest.approx(1.0 + cal.stream_us(64 * tile))
    assert cal.bound_us(2048, 2048, 0, 8, 4) == pytest.approx(cal.fixed_us(8, 4))  # tiny data: the arity's floor


def test_stop_rule_uses_the_bound_where_there_is_one():
    assert bound_gap(Perf(time_us=5.0, roofline_ratio=0.6, bound_ratio=1.4)) == 1.4
    assert bound_gap(Perf(time_us=5.0, roofline_ratio=2.0)) == 2.0
    assert bound_gap(None) is None


def test_group_norm_maps_to_one_fused_kernel(tmp_path):
    task_file = tmp_path / "group_norm.py"
    task_file.write_text(GROUP_NORM_TASK)
    (op,) = eager_ops.trace_ops(task_from_file(task_file))
    assert (op.kind, op.consts["groups"], op.target_op is not None) == ("group_norm", 32, True)
    plan = eager_codegen.kernel_plan(op)
    assert plan is not None and plan.candidates
    src = plan.candidates[0].source
    assert "pypto.reshape" in src and src.count("set_vec_tile_shapes") == 2 and "[512, 1]" in src


def test_eager_note_names_the_estimated_ops():
    op = eager.OpTime(1, "argsort", "torch.argsort", "argsort", None, "estimated", 1.0, ["float32[128, 256]"],
                      ["float32[128, 256]"], "no PyPTO mapping for 'argsort': estimated; calibrated estimate")  # fmt: skip
    sim = eager.OpTime(0, "exp", "torch.exp", "exp", "pypto.exp", "simulated", 3.0, [], [], "vec [16384]")
    base = eager.EagerBaseline("t", "h", "sku", "0.2.0", 4.0, [sim, op], simulated=1, estimated=1)
    note = eager.estimated_note(base)
    assert note.startswith("1 of 2 eager kernels estimated") and "torch.argsort" in note and "25%" in note
    assert eager.estimated_note(eager.EagerBaseline("t", "h", "sku", "0.2.0", 3.0, [sim], simulated=1)) is None
    # A cached baseline priced before the calibrated model is recomputed; this one is current.
    assert not eager.stale_estimates(base)
    op.detail = "no PyPTO mapping for 'argsort': estimated; roofline estimate"
    assert eager.stale_estimates(base)
    # An op estimated before its mapping existed (flip: eager_pool_scan) is recomputed too.
    op.kind, op.detail = "flip", "no PyPTO mapping for 'flip': estimated; calibrated estimate"
    assert eager.stale_estimates(base)


def recorded_perf() -> Perf:
    data = json.loads((PROFILE / "perf.json").read_text())
    perf = Perf(**data)
    perf.critical_chain = critical_chain(PROFILE, perf.time_us)
    return perf


def test_evidence_on_a_recorded_profile():
    perf = recorded_perf()
    chain = perf.critical_chain
    # The chain runs from the first task's start to the last task's end: it adds up to the kernel's time.
    assert chain["chain_tasks"] >= 3 and chain["work_us"] + chain["wait_us"] == pytest.approx(perf.time_us, rel=0.02)
    assert {x["after"] for x in chain["chain"]} <= {"start", "dependency", "core"}
    text = evidence_text(perf)
    assert f"Calibrated bound {perf.bound_us} us" in text and "larger term is memory" in text
    assert "Critical task chain" in text and "Pipe busy shares" in text and "Bubbles:" in text
    assert "no unit's throughput limits this kernel" in text  # every pipe under 9% busy
    assert "GB/s" in text  # the rate it moves its bytes at, against what the simulator grants
    assert "Far from: its time beyond the start cost (19.46 us) is 4.7x the streaming floor (4.14 us)" in text
    assert far_from(3.0, fixed=2.6, start=1.01, memory=0.5, cube=0.0).startswith("It runs within 1.5x the fixed cost")
    verdict = Verdict(status=Status.PASS, task="l1_softmax_fp32", target="ascend-pypto", mode="sim", perf=perf)
    assert evidence_section(verdict).startswith("# Evidence from the profile") and evidence_text(None) == ""


@pytest.mark.sim
def test_minimal_kernel_sits_at_the_calibrated_bound():
    task = task_from_file(DATA / "tasks" / "tiny_copy.py")
    v = targets.get("ascend-pypto").evaluate(
        kernel_source("tiny_copy_minimal"), task, EvalOptions(seeds=1, stress=False, with_eager_baseline=False)
    )
    assert v.status == Status.PASS, v.error
    assert 0.9 <= v.perf.bound_ratio <= 1.15  # it IS the calibration's start-cost kernel
    assert v.perf.roofline_ratio > 100  # the nominal roofline sees 4 KiB and no fixed cost
    assert v.perf.bound_parts["fixed_us"] == pytest.approx(v.perf.bound_us)
    assert v.perf.critical_chain["chain_tasks"] >= 1


@pytest.mark.sim
def test_eager_estimates_include_the_fixed_cost_and_group_norm_is_simulated(tmp_path):
    spec = ascend_a2a3_spec()
    cal = calibrate.calibration(spec)
    (tmp_path / "group_norm.py").write_text(GROUP_NORM_TASK)
    flip_task = task_from_file(DATA / "tasks" / "exp_flip2d.py")  # shared with test_eager
    flip_base = eager.eager_baseline(flip_task, spec, tmp_path / "cache", calibration=cal)
    flip = flip_base.ops[1]
    assert (flip.kind, flip.source) == ("flip", "estimated") and "calibrated estimate" in flip.detail
    assert flip.time_us >= cal.fixed_us(1, 1)  # the nominal roofline gave 0.35 us, under any kernel's cost
    assert "torch.flip" in eager.estimated_note(flip_base)
    gn = eager.eager_baseline(task_from_file(tmp_path / "group_norm.py"), spec, tmp_path / "cache", calibration=cal)
    assert [(o.kind, o.source) for o in gn.ops] == [("group_norm", "simulated")] and gn.estimated == 0
    assert gn.time_us >= cal.fixed_us(3, 1)


def test_optimize_prompt_carries_the_evidence():
    from hawk.agent.prompts import build_messages
    from hawk.tasks.task import signature

    from .conftest import EXP_TASK_FILE

    task = task_from_file(EXP_TASK_FILE)
    verdict = Verdict(status=Status.PASS, task=task.id, target="fake", mode="sim", perf=recorded_perf())
    messages = build_messages("optimize", task, targets.get("fake"), signature(task), candidate="def kernel(): ...",
                              verdict=verdict)  # fmt: skip
    prompt = messages[-1].content
    assert "# Evidence from the profile" in prompt and "Critical task chain" in prompt and "Far from:" in prompt
    assert prompt.index("# Its profile") < prompt.index("# Evidence from the profile")
