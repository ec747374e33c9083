"""ascend-triton with the REAL compiler (triton-ascend + bishengir-compile) and interpreter (upstream
triton). The side environments are created by `hawk setup ascend-triton` (scripts/setup.sh); the
session fixture makes sure they exist (a no-op when the stamp matches), so nothing here is skipped."""

from __future__ import annotations

import json

import pytest

from hawk.targets import get
from hawk.targets.ascend_triton import envs
from hawk.targets.base import EvalOptions
from hawk.targets.verdict import Status, Verdict
from hawk.tasks.suite import expert_for, load_suite

# The real-tools tier (simulator, compilers, browser): `pytest -m 'not sim'` runs the logic tier alone.
pytestmark = pytest.mark.sim

SOFTMAX = load_suite("npu-workloads").get("l1_softmax_fp32")
EXPERT_SOFTMAX = expert_for(SOFTMAX, "ascend-triton").read_text()


@pytest.fixture(scope="module")
def target():
    envs.ensure()
    return get("ascend-triton")


def evaluate(target, source: str, task=SOFTMAX, seeds: int = 1, eager: bool = False) -> Verdict:
    v = target.evaluate(source, task, EvalOptions(seeds=seeds, timeout_s=240, with_eager_baseline=eager))
    assert Verdict.from_dict(json.loads(json.dumps(v.to_dict(), default=str))) == v  # round-trips, findings too
    return v


def test_correct_softmax_passes_with_labelled_estimate(target) -> None:
    v = evaluate(target, EXPERT_SOFTMAX, seeds=2, eager=True)
    assert v.status == Status.PASS, v.error
    assert v.correctness.passed and v.correctness.seeds == [0, 1] and v.correctness.max_abs_diff < 1e-5
    p = v.perf
    assert p.estimate is True and "ESTIMATE" in p.note and "ESTIMATE" in p.eager_note
    assert p.time_us > 0 and p.eager_time_us > 0 and p.speedup == pytest.approx(p.eager_time_us / p.time_us, 1e-2)
    assert p.roofline_us and p.time_us >= p.roofline_us  # the estimate never beats its own HBM floor
    assert v.timings["compile_bishengir_s"] > 0  # the real compiler ran
    assert not [f for f in v.findings if f.rule == "grid_core_mapping"]  # grid = 40 vector cores


def test_overflowing_block_is_a_compile_error_with_the_hardware_reason(target) -> None:
    big = EXPERT_SOFTMAX.replace("ROWS=4", "ROWS=64")  # 64 x 1024 fp32 = 256 KiB per tile > 192 KiB UB
    v = evaluate(target, big)
    assert v.status == Status.COMPILE_ERROR
    e = v.error
    assert e.constraint == "ub_capacity" and e.kind == "ub_capacity"
    assert "ub overflow, requires" in e.hardware_reason
    assert e.available_bytes == 196608 and e.requested_bytes > e.available_bytes
    assert e.lines and "def softmax_rows" in e.lines[0].text


def test_wrong_softmax_is_a_wrong_result(target) -> None:
    wrong = EXPERT_SOFTMAX.replace("y = e / tl.sum(e, axis=1)[:, None]", "y = e / tl.max(e, axis=1)[:, None]")
    assert wrong != EXPERT_SOFTMAX
    v = evaluate(target, wrong)
    assert v.status == Status.WRONG_RESULT
    assert not v.correctness.passed and v.correctness.max_abs_diff > 1e-2
    assert "differs from the reference" in v.error.message


def test_unwritten_output_fails(target) -> None:
    half = EXPERT_SOFTMAX.replace("mask = rows[:, None] < n_rows", "mask = rows[:, None] < n_rows // 2")
    v = evaluate(target, half)
    assert v.status == Status.WRONG_RESULT and "never written" in v.error.message


@pytest.mark.parametrize(
    "launcher, why",
    [
        ("def kernel(scores, out):\n    out.copy_(torch.softmax(scores, dim=-1))\n", "copy_"),
        ("def kernel(scores, out):\n    out[:] = scores\n", "writes into a tensor"),
        ("def kernel(scores, out):\n    torch.nn.functional.softmax(scores, -1, out=out)\n", "softmax"),
        ("import os\ndef kernel(scores, out):\n    os.system('true')\n", "imports 'os'"),
        ("def kernel(scores, out):\n    getattr(out, 'copy_')(scores)\n", "getattr"),
    ],
)
def test_cheating_launchers_are_invalid(target, launcher: str, why: str) -> None:
    source = (
        EXPERT_SOFTMAX.split("def kernel(")[0].replace("import triton\n", "import torch\nimport triton\n") + launcher
    )
    v = evaluate(target, source)
    assert v.status == Status.INVALID and why in v.error.message


def test_a_launcher_that_launches_nothing_is_invalid(target) -> None:
    source = EXPERT_SOFTMAX.split("def kernel(")[0] + "def kernel(scores, out):\n    return None\n"
    v = evaluate(target, source)
    assert v.status == Status.INVALID and "launched no @triton.jit kernel" in v.error.message


def test_grid_beyond_core_count_is_a_hardware_finding(target) -> None:
    # One program per 4-row block: 384 programs on 40 vector cores (correct, but in 10 rounds).
    many = EXPERT_SOFTMAX.replace("softmax_rows[(VECTOR_CORES,)]", "softmax_rows[(n_rows // 4,)]")
    v = evaluate(target, many)
    assert v.status == Status.PASS
    grid = [f for f in v.findings if f.rule == "grid_core_mapping"]
    assert (
        grid
        and grid[0].severity == "warning"
        and "384 programs exceeds the 40 physical vector cores" in grid[0].message
    )
    base = evaluate(target, EXPERT_SOFTMAX)
    # Extra rounds cost start-up time in the estimate (here hidden under the HBM floor of a streaming kernel).
    assert v.perf.time_us >= base.perf.time_us


def test_missing_environments_give_a_clear_verdict(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HAWK_CACHE_DIR", str(tmp_path))
    t = get("ascend-triton")
    cpu = next(m for m in t.modes() if m.mode == "cpu")
    assert not cpu.available and "hawk setup ascend-triton" in cpu.reason
    v = t.evaluate(EXPERT_SOFTMAX, SOFTMAX, EvalOptions(seeds=1))
    assert v.status == Status.RUNTIME_ERROR and v.error.kind == "environment"
    assert "hawk setup ascend-triton" in v.error.message
