"""The ascend-pypto target judged by the real pypto simulator and CPU calculator (no mocks)."""

from pathlib import Path

import pytest

from hawk import targets
from hawk.targets.base import EvalOptions
from hawk.targets.verdict import Status, Verdict
from hawk.tasks.task import task_from_file

from .conftest import DATA, EXP_TASK_FILE, kernel_source

# The real-tools tier (simulator, compilers, browser): `pytest -m 'not sim'` runs the logic tier alone.
pytestmark = pytest.mark.sim

EXP_TASK = task_from_file(EXP_TASK_FILE)
ROW_TASK = task_from_file(DATA / "tasks" / "row_center.py")


@pytest.fixture(scope="module")
def target():
    return targets.get("ascend-pypto")


def evaluate(target, kernel: str, task, **opts) -> Verdict:
    return target.evaluate(kernel_source(kernel), task, EvalOptions(**opts))


def test_correct_kernel_passes_with_profile(target):
    v = evaluate(target, "exp_mul_add_good", EXP_TASK)
    assert v.status == Status.PASS, v.error
    assert v.correctness.seeds == [0, 1, 2] and v.correctness.passed
    assert v.correctness.max_abs_diff is not None and v.correctness.max_abs_diff <= 1e-3
    p = v.perf
    assert p.time_us and p.time_us > 0
    assert set(p.pipes) == {"cube", "vector", "mte_in", "mte1", "mte_out"}
    assert p.pipes["mte_in"] > 0 and p.pipes["cube"] == 0  # a pure vector kernel
    assert p.bottleneck
    assert p.roofline_us and p.roofline_ratio >= 1.0  # no kernel beats the memory bound
    # Fusing three ops into one kernel beats eager's one-kernel-per-op (3 simulated kernels).
    assert p.eager_time_us > p.time_us and p.speedup > 1.0
    assert Path(v.artifacts.trace).is_file()
    # The verdict round-trips through JSON for the knowledge store and reports.
    assert Verdict.from_dict(v.to_dict()).to_dict() == v.to_dict()


def test_ub_overflow_is_compile_error_with_hardware_reason(target):
    v = evaluate(target, "exp_mul_add_ub_overflow", EXP_TASK, seeds=1)
    assert v.status == Status.COMPILE_ERROR
    assert v.error.constraint == "ub_capacity"
    assert "MEM_UB size [196608]" in v.error.hardware_reason
    assert v.error.available_bytes == 196608 and v.error.requested_bytes > 196608
    assert v.error.op == "EXP"
    assert any("pypto.exp" in line.text for line in v.error.lines)


def test_alloc_overflow_names_the_producing_op_and_its_line(target):
    # pypto reports "Alloc tensor [40] size [262144] exceeds MEM_UB" for a buffer that an op inside
    # pypto.cumsum allocates: the verdict names that op and the kernel line that created it.
    v = evaluate(target, "prefix_sum_ub_overflow", task_from_file(DATA / "tasks" / "prefix_sum.py"), seeds=1,
                 stress=False, with_eager_baseline=False)  # fmt: skip
    assert v.status == Status.COMPILE_ERROR and v.error.constraint == "ub_capacity"
    assert v.error.op == "TRANSPOSE_VNCHWCONV"
    assert "allocated by op TRANSPOSE_VNCHWCONV" in v.error.hardware_reason
    assert "kernel line 6" in v.error.hardware_reason
    assert [line.lineno for line in v.error.lines] == [6]
    assert "pypto.cumsum" in v.error.lines[0].text


def test_frontend_error_reports_the_first_cause_and_its_line(target):
    # pypto raises a derived "tile shape not set" error; the real cause is logged before it.
    v = evaluate(target, "row_center_bad_view", ROW_TASK, seeds=1, with_eager_baseline=False)
    assert v.status == Status.COMPILE_ERROR and v.error.kind == "frontend"
    assert v.error.message.startswith("Errcode: FC0000! shape not support binary operation")
    assert "pypto then raised" in v.error.message and v.error.op == "SUB"
    assert [ln.lineno for ln in v.error.lines] == [7]


def test_wrong_axis_reduction_is_wrong_result(target):
    good = evaluate(target, "row_center_good", ROW_TASK, seeds=2)
    assert good.status == Status.PASS, good.error
    bad = evaluate(target, "row_center_wrong_axis", ROW_TASK, seeds=2)
    assert bad.status == Status.WRONG_RESULT
    assert bad.correctness.error_ratio > 0.5
    assert "seed 0" in bad.error.message


def test_kernel_returning_an_input_fails(target):
    v = evaluate(target, "copies_input", EXP_TASK, seeds=1)
    assert v.status == Status.WRONG_RESULT


def test_endless_loop_is_timeout(target):
    v = evaluate(target, "endless_loop", EXP_TASK, seeds=1, timeout_s=15)
    assert v.status == Status.TIMEOUT
    assert "15 s" in v.error.message


def test_syntax_error_names_line(target):
    v = evaluate(target, "syntax_error", EXP_TASK)
    assert v.status == Status.COMPILE_ERROR
    assert v.error.lines[0].lineno == 7


def test_kernel_calling_torch_is_invalid(target):
    v = evaluate(target, "calls_torch", EXP_TASK)
    assert v.status == Status.INVALID
    assert "torch" in v.error.message


def test_wrong_shapes_are_invalid(target):
    v = evaluate(target, "wrong_shape", EXP_TASK, seeds=1)
    assert v.status == Status.INVALID
    assert "argument 0 'x'" in v.error.message and "[256, 512]" in v.error.message


def test_crash_in_worker_is_contained(target):
    """A candidate that kills its own process (here: exhausting the memory limit) gets a verdict."""
    source = kernel_source("exp_mul_add_good").replace(
        "M, N = 256, 512", "M, N = 256, 512\nHOG = [bytearray(1 << 30) for _ in range(64)]"
    )
    v = target.evaluate(source, EXP_TASK, EvalOptions(seeds=1, memory_limit_mb=6000))
    assert v.status in (Status.COMPILE_ERROR, Status.RUNTIME_ERROR)
    assert "MemoryError" in v.error.message or "memory" in v.error.message


def test_each_output_is_checked_at_its_own_tolerance(target):
    """int8 codes may be off by one rounding step, but the fp32 scale beside them gets fp32 tolerance."""
    from hawk.tasks import resolve_task

    task = resolve_task("l2_quantize_int8")
    source = task.expert_kernel.read_text().replace("out1.move(scale)", "out1.move(pypto.add(scale, 0.01))")
    v = target.evaluate(source, task, EvalOptions(seeds=1, with_eager_baseline=False))
    assert v.status == Status.WRONG_RESULT
    assert "out1" in v.error.message and "atol 0.001" in v.error.message
