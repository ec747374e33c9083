"""The loop's search: tuning each correct kernel before the next LLM call, parallel candidates,
roofline stopping. Real simulator, scripted model."""

from __future__ import annotations

import pytest

from hawk import targets
from hawk.agent import Budget, run_agent
from hawk.llm import ScriptedLLM
from hawk.records.trajectory import Trajectory
from hawk.targets.base import EvalOptions
from hawk.tasks.task import task_from_file

from .conftest import EXP_TASK_FILE, kernel_source

# The real-tools tier (simulator, compilers, browser): `pytest -m 'not sim'` runs the logic tier alone.
pytestmark = pytest.mark.sim

TASK = task_from_file(EXP_TASK_FILE)
OPTS = EvalOptions(seeds=2)


def fence(code: str) -> str:
    return f"```python\n{code}\n```"


def tiled(rows: int) -> str:
    return kernel_source("exp_mul_add_good").replace(
        "set_vec_tile_shapes(16, 512)", f"set_vec_tile_shapes({rows}, 512)"
    )


@pytest.fixture(scope="module")
def target():
    return targets.get("ascend-pypto")


def test_loop_tunes_each_correct_kernel_and_the_next_prompt_shows_it(target, tmp_path):
    llm = ScriptedLLM([fence(tiled(2)), fence(tiled(2))])
    budget = Budget(iterations=2, tune_budget=8, tune_workers=2, roofline_stop=None)
    result = run_agent(TASK, target, llm, "feedback", tmp_path, budget, OPTS, log=lambda m: None)
    steps = Trajectory(tmp_path / "trajectory.jsonl").steps
    first = steps[0].tuning
    assert first.changed and first.after_us < first.before_us == steps[0].verdict.perf.time_us
    assert 1 <= first.points_tried <= 8 and "set_vec_tile_shapes(2, 512)" not in first.source
    # The optimize prompt shows the tuned kernel (not the model's), what the tuner did, and the gap.
    prompt = steps[1].messages[-1]["content"]
    assert steps[1].kind == "optimize" and first.source in prompt
    assert "What Hawk's tuner already did" in prompt and f"{first.points_tried} points" in prompt
    assert "x the bound)" in prompt and "spend this step on structure" in prompt
    assert result.best_time_us == first.after_us and (tmp_path / "best_kernel.py").read_text() == first.source
    # Simulator points and LLM tokens are counted apart.
    assert result.sim_points == sum(s.tuning.points_tried for s in steps) and result.tokens["total_tokens"] > 0
    assert result.best_roofline_ratio and result.best_roofline_ratio >= 1.0


def test_parallel_candidates_keep_the_fastest(target, tmp_path):
    llm = ScriptedLLM([fence(tiled(8)), fence(tiled(16))])
    budget = Budget(iterations=1, tune_budget=0, candidates=2, roofline_stop=None)
    result = run_agent(TASK, target, llm, "feedback", tmp_path, budget, OPTS, log=lambda m: None)
    (step,) = Trajectory(tmp_path / "trajectory.jsonl").steps
    assert len(llm.calls) == 2 and "set_vec_tile_shapes(16, 512)" in step.candidate  # 16-row tiles are faster
    (other,) = step.alternatives
    assert "set_vec_tile_shapes(8, 512)" in other.candidate and other.verdict.status.value == "pass"
    assert other.verdict.perf.time_us > step.verdict.perf.time_us == result.best_time_us
    assert step.tokens["total_tokens"] > 0


def test_roofline_stop_ends_the_run_early(target, tmp_path):
    llm = ScriptedLLM([fence(tiled(16))] * 3)
    budget = Budget(iterations=3, tune_budget=0, roofline_stop=100.0)
    result = run_agent(TASK, target, llm, "feedback", tmp_path, budget, OPTS, log=lambda m: None)
    assert result.steps == 1 and len(llm.calls) == 1 and result.stop_reason.startswith("near the roofline")
