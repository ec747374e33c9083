"""The logic tier: the harness's evaluation flow, the agent loop, knowledge, the tuner and the
bench records on the `fake` target (scripted verdicts, no simulator), in seconds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hawk import targets
from hawk.agent import Budget, run_agent
from hawk.knowledge import KnowledgeStore, labels_for
from hawk.llm import ScriptedLLM
from hawk.records.trajectory import Trajectory
from hawk.targets.base import EvalOptions
from hawk.targets.fake.target import FakeTarget
from hawk.targets.verdict import Status
from hawk.tasks.task import task_from_file
from hawk.tune import tune

from .conftest import DATA, EXP_TASK_FILE

TASK = task_from_file(EXP_TASK_FILE)
OPTS = EvalOptions(seeds=2)


def kernel(tile: int, extra: str = "") -> str:
    """A fake kernel whose time falls with TILE and which overflows the fake UB above 128."""
    return (
        f"TILE = {tile}\n# fake-time-us: 1000 / TILE + 10\n# fake-knobs: TILE in 8, 16, 32, 64, 128, 256\n"
        f"# fake-overflow: TILE > 128\n{extra}\n\ndef kernel(x, out):\n    out.move(x.exp())  # exp over TILE rows\n"
    )


def fenced(code: str) -> str:
    return f"Here is the kernel.\n```python\n{code}```"


@pytest.fixture
def fake() -> FakeTarget:
    return targets.get("fake")


# ---------------------------------------------------------------------- the pipeline
def test_pass_has_speedup_roofline_and_a_verdict_file(fake):
    v = fake.evaluate(kernel(64), TASK, OPTS)
    assert v.status == Status.PASS and v.correctness.seeds == [0, 1]
    assert v.perf.time_us == pytest.approx(1000 / 64 + 10, rel=1e-3)
    assert v.perf.speedup == pytest.approx(40.0 / v.perf.time_us, rel=1e-2) and v.perf.roofline_ratio > 1
    saved = json.loads((Path(v.artifacts.workdir) / "verdict.json").read_text())
    assert saved["status"] == "pass" and saved["timings"]["total_s"] >= 0


def test_overflow_is_a_compile_error_with_the_hardware_reason(fake):
    v = fake.evaluate(kernel(256), TASK, OPTS)
    assert v.status == Status.COMPILE_ERROR and v.error.constraint == "ub_capacity"
    assert "exceeds MEM_UB size" in v.error.hardware_reason and v.error.lines  # points at the exp line
    assert labels_for(v.to_dict()) == ["ub_capacity", "vector_tile_shape"]


def test_static_rules_and_bad_directives_are_invalid(fake):
    v = fake.evaluate("import torch\n\ndef kernel(x, out):\n    pass\n", TASK, OPTS)
    assert v.status == Status.INVALID and v.error.kind == "cheating" and v.artifacts.workdir is None
    assert fake.evaluate("x = (", TASK, OPTS).status == Status.COMPILE_ERROR  # syntax, with its line
    bad = fake.evaluate(kernel(8).replace("1000 / TILE", "__import__('os')"), TASK, OPTS)
    assert bad.status == Status.INVALID and "bad fake directive" in bad.error.message


def test_scripted_statuses_and_an_unknown_mode(fake):
    wrong = fake.evaluate(kernel(8, '# fake-verdict: {"status": "wrong_result"}'), TASK, OPTS)
    assert wrong.status == Status.WRONG_RESULT and wrong.error.message.startswith("seed 1:")
    hung = fake.evaluate(kernel(8, '# fake-verdict: {"status": "timeout"}'), TASK, OPTS)
    assert hung.status == Status.TIMEOUT and hung.perf is None
    v = fake.evaluate(kernel(8), TASK, EvalOptions(mode="npu"))
    assert v.status == Status.RUNTIME_ERROR and v.error.kind == "environment" and "unknown mode" in v.error.message


# ---------------------------------------------------------------------- the agent loop
def test_loop_repairs_the_overflow_then_keeps_the_faster_kernel(fake, tmp_path):
    llm = ScriptedLLM([fenced(kernel(256)), fenced(kernel(16)), fenced(kernel(64))])
    budget = Budget(iterations=3, tune_budget=0, roofline_stop=None)
    result = run_agent(TASK, fake, llm, "feedback", tmp_path, budget, OPTS, log=lambda m: None)
    assert result.statuses == ["compile_error", "pass", "pass"] and result.best_step == 2
    steps = Trajectory(tmp_path / "trajectory.jsonl").steps
    assert steps[1].kind == "repair" and "exceeds MEM_UB size" in steps[1].messages[-1]["content"]
    assert steps[2].kind == "optimize" and "Bottleneck:" in steps[2].messages[-1]["content"]
    assert "TILE = 64" in (tmp_path / "best_kernel.py").read_text()


def test_loop_tunes_each_new_kernel_and_prompts_with_the_tuned_one(fake, tmp_path):
    llm = ScriptedLLM([fenced(kernel(8)), fenced(kernel(16))])
    budget = Budget(iterations=2, tune_budget=6, tune_workers=1, roofline_stop=None)
    result = run_agent(TASK, fake, llm, "feedback", tmp_path, budget, OPTS, log=lambda m: None)
    steps = Trajectory(tmp_path / "trajectory.jsonl").steps
    tuned = steps[0].tuning
    assert tuned.changed and "TILE = 128" in tuned.source  # the largest tile that fits
    assert "TILE = 128" in steps[1].messages[-1]["content"]  # the model sees the tuned kernel
    assert result.best_time_us == pytest.approx(1000 / 128 + 10, rel=1e-3) and result.sim_points > 0


def test_tuner_prunes_overflowing_points_and_verifies_the_winner(fake, tmp_path):
    result = tune(kernel(8), TASK, fake, budget=10, workers=1, eval_options=OPTS, log=lambda m: None)
    assert result.changed and "TILE = 128" in result.source and result.verdict.status.value == "pass"
    assert result.before_us == pytest.approx(135.0) and result.after_us == pytest.approx(1000 / 128 + 10, rel=1e-3)
    failed = [r for r in result.records if r.status == "failed"]
    assert result.points_failed == len(failed) >= 1 and all(
        r.constraint == "ub_capacity" and "MEM_UB" in r.reason for r in failed
    )


# ---------------------------------------------------------------------- knowledge
def test_hawk_learns_a_repair_and_injects_it_into_another_task(fake, tmp_path):
    kb = tmp_path / "kb.db"
    rationale = "Smaller TILE keeps the exp tiles inside the Unified Buffer."
    first = ScriptedLLM([fenced(kernel(256)), fenced(kernel(16)), rationale, rationale])
    budget = Budget(iterations=2, tune_budget=0, roofline_stop=None)
    run_agent(TASK, fake, first, "hawk", tmp_path / "a", budget, OPTS, log=lambda m: None, knowledge_path=kb)
    with KnowledgeStore(kb) as store:
        items = store.list("active")
    assert items and items[0].labels[:1] == ["ub_capacity"] and items[0].rationale == rationale

    other = task_from_file(DATA / "tasks" / "row_center.py")  # another op, the same overflow
    second = ScriptedLLM([fenced(kernel(256)), fenced(kernel(32))])
    run_agent(other, fake, second, "hawk", tmp_path / "b", budget, OPTS, log=lambda m: None, knowledge_path=kb)
    steps = Trajectory(tmp_path / "b" / "trajectory.jsonl").steps
    assert steps[1].knowledge and steps[1].knowledge[0] == items[0].id
    assert rationale in steps[1].messages[-1]["content"]


# ---------------------------------------------------------------------- MCP, in process
def test_mcp_session_learns_a_fix_and_tunes_on_the_fake_target(tmp_path):
    import anyio
    from mcp import Client

    from hawk.mcp import ServerConfig, build_server

    root = tmp_path / "work"
    root.mkdir()
    (root / "task.py").write_text(EXP_TASK_FILE.read_text())
    (root / "big.py").write_text(kernel(256))
    (root / "good.py").write_text(kernel(16))
    server = build_server(
        ServerConfig(
            root=root, kb_path=root / "kb.sqlite", workers=1, trajectories=tmp_path / "tr", allow_fake_target=True
        )
    )

    async def call(client, tool, args):
        result = await client.call_tool(tool, args)
        assert not result.is_error, "".join(getattr(c, "text", "") for c in result.content)
        return result.structured_content

    async def scenario():
        async with Client(server) as client:
            common = {"task": "task.py", "target": "fake", "seeds": 1}
            ub = await call(client, "evaluate_kernel", {**common, "path": "big.py"})
            assert ub["status"] == "compile_error" and "MEM_UB" in ub["hardware_reason"]
            # (The SDK's in-process transport gives every request a connection of its own, so a session's
            # trajectory is not followed here; the stdio test in test_mcp.py covers background learning.)
            fix = await call(client, "record_fix", {**common, "failing_path": "big.py", "passing_path": "good.py"})
            assert fix["created"] and fix["items"][0]["status"] == "active"
            assert "ub_capacity" in fix["items"][0]["labels"] and "TILE = 16" in fix["items"][0]["diff"]
            found = await call(client, "search_knowledge", {"path": "big.py", "verdict": ub, "target": "fake"})
            assert found["hits"] and "ub_capacity" in found["hits"][0]["labels"]
            tuned = await call(client, "tune_kernel", {**common, "path": "good.py", "budget": 6, "workers": 1})
            assert "TILE = 128" in tuned["source"]

    anyio.run(scenario)
