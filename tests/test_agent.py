"""The generation loop end to end with the real simulator and a scripted model (no LLM exists here)."""

import json
from pathlib import Path

import pytest

from hawk import targets
from hawk.agent import Budget, run_agent
from hawk.agent.demo import SCRIPTED_REPLIES, TASK_FILE
from hawk.agent.transplant import retrieve
from hawk.llm import ScriptedLLM
from hawk.records.trajectory import Step, Trajectory
from hawk.targets.base import EvalOptions
from hawk.tasks.task import task_from_file

# The real-tools tier (simulator, compilers, browser): `pytest -m 'not sim'` runs the logic tier alone.
pytestmark = pytest.mark.sim

TASK = task_from_file(TASK_FILE)


@pytest.fixture(scope="module")
def target():
    return targets.get("ascend-pypto")


def test_overflow_repair_optimize(target, tmp_path):
    llm = ScriptedLLM(SCRIPTED_REPLIES)
    result = run_agent(TASK, target, llm, "feedback", tmp_path, Budget(iterations=3, tune_budget=0, roofline_stop=None), EvalOptions(seeds=2),
                       log=lambda m: None)  # fmt: skip
    assert result.statuses == ["compile_error", "pass", "pass"]
    # The repair prompt carries the hardware reason harvested from the simulator's log.
    repair_prompt = llm.calls[1]["messages"][-1]["content"] if isinstance(llm.calls[1], dict) else None
    steps = Trajectory(tmp_path / "trajectory.jsonl").steps
    assert steps[1].kind == "repair" and steps[2].kind == "optimize"
    repair_text = repair_prompt or steps[1].messages[-1]["content"]
    assert "exceeds MEM_UB size [196608]" in repair_text and "ub_capacity" in repair_text
    assert "Bottleneck:" in steps[2].messages[-1]["content"]  # the optimize prompt shows the profile
    # The faster correct kernel (16-row tiles) is kept over the slower one (8-row tiles).
    t1 = steps[1].verdict.perf.time_us
    t2 = steps[2].verdict.perf.time_us
    assert t2 < t1 and result.best_step == 2 and result.best_time_us == t2
    assert "set_vec_tile_shapes(16, 512)" in (tmp_path / "best_kernel.py").read_text()
    assert json.loads((tmp_path / "summary.json").read_text())["best_step"] == 2


def test_resume_repeats_and_loses_nothing(target, tmp_path):
    # First run dies after two replies (the endpoint goes away): two finished steps are on disk.
    first = run_agent(TASK, target, ScriptedLLM(SCRIPTED_REPLIES[:2]), "feedback", tmp_path, Budget(iterations=3, tune_budget=0, roofline_stop=None),
                      EvalOptions(seeds=1), log=lambda m: None)  # fmt: skip
    assert first.steps == 2 and first.stop_reason.startswith("llm error")
    # The rerun replays steps 0-1 from the trajectory and asks the model only for step 2.
    llm = ScriptedLLM(SCRIPTED_REPLIES[2:])
    second = run_agent(TASK, target, llm, "feedback", tmp_path, Budget(iterations=3, tune_budget=0, roofline_stop=None), EvalOptions(seeds=1),
                       log=lambda m: None)  # fmt: skip
    assert len(llm.calls) == 1
    steps = Trajectory(tmp_path / "trajectory.jsonl").steps
    assert [s.index for s in steps] == [0, 1, 2]
    assert second.statuses == ["compile_error", "pass", "pass"]


def test_reply_without_kernel_is_a_recorded_attempt(target, tmp_path):
    llm = ScriptedLLM(["I cannot help with that.", SCRIPTED_REPLIES[1]])
    result = run_agent(TASK, target, llm, "feedback", tmp_path, Budget(iterations=2, tune_budget=0, roofline_stop=None), EvalOptions(seeds=1),
                       log=lambda m: None)  # fmt: skip
    steps = Trajectory(tmp_path / "trajectory.jsonl").steps
    assert steps[0].candidate is None and steps[0].parse_error
    assert "not usable" in steps[1].messages[-1]["content"]
    assert result.statuses == ["no_kernel", "pass"]


def test_torn_trajectory_line_is_dropped(tmp_path):
    traj = Trajectory(tmp_path / "t.jsonl")
    traj.append(Step(0, "generate", [], "r", None, "empty reply", None))
    with (tmp_path / "t.jsonl").open("a") as fh:
        fh.write('{"index": 1, "kind": "rep')  # a crash mid-write
    again = Trajectory(tmp_path / "t.jsonl")
    assert len(again.steps) == 1
    again.append(Step(1, "generate", [], "r", None, "empty reply", None))
    assert [s.index for s in Trajectory(tmp_path / "t.jsonl").steps] == [0, 1]


def test_transplant_retrieves_most_similar(tmp_path: Path):
    (tmp_path / "softmax.py").write_text("def kernel(x, out): out.move(pypto.exp(x))")
    (tmp_path / "softmax.task.py").write_text("torch.softmax(x, dim=-1) amax exp sum div")
    (tmp_path / "matmul.py").write_text("def kernel(a, b, out): out.move(pypto.matmul(a, b))")
    (tmp_path / "matmul.task.py").write_text("torch.matmul(a, b) linear weight")
    hit = retrieve(tmp_path, "return torch.softmax(x * scale, dim=-1)")
    assert hit[0].name == "softmax.py" and 0 < hit[1] <= 1
    assert retrieve(tmp_path / "empty", "x") is None
