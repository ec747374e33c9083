"""The agent's seams (logic tier, fake target): the methods behind one protocol, the strategy that
picks the next kernel, the meter every model call goes through, knowledge proving through the
`prove` it is handed, and the MCP server learning (and distilling) through the same object."""

from __future__ import annotations

import pytest

from hawk import targets
from hawk.agent import Budget, run_agent
from hawk.agent.knowledge import LearnSettings, NoKnowledge, StoreKnowledge
from hawk.agent.meter import DRAW, LEARN, TokenMeter
from hawk.agent.methods import Feedback, Hawk, MethodOptions, OneShot, RunParts, Transplant, make_method
from hawk.agent.strategy import Chain
from hawk.knowledge import KnowledgeStore
from hawk.knowledge.distill import reverify
from hawk.llm import ScriptedLLM
from hawk.mcp.session import EvalPool, ServerClosing, pooled_prove
from hawk.records.trajectory import Step, Trajectory
from hawk.targets.base import EvalOptions
from hawk.tasks.task import task_from_file

from .conftest import EXP_TASK_FILE

TASK = task_from_file(EXP_TASK_FILE)
OPTS = EvalOptions(seeds=1)
WHY = "Smaller TILE keeps the exp tiles inside the Unified Buffer."


def kernel(tile: int) -> str:
    return (
        f"TILE = {tile}\n# fake-time-us: 1000 / TILE + 10\n# fake-knobs: TILE in 8, 16, 32, 64, 128, 256\n"
        f"# fake-overflow: TILE > 128\n\ndef kernel(x, out):\n    out.move(x.exp())  # exp over TILE rows\n"
    )


@pytest.fixture
def fake():
    return targets.get("fake")


def judged(fake, index: int, tile: int) -> Step:
    v = fake.evaluate(kernel(tile), TASK, OPTS)
    return Step(index, "generate", [], "r", kernel(tile), None, v)


def parts(fake, tmp_path, llm=None, meter=None) -> RunParts:
    return RunParts(TASK, fake, tmp_path, llm or ScriptedLLM([]), meter or TokenMeter(),
                    lambda code, t: fake.evaluate(code, t, OPTS), OPTS, lambda m: None)  # fmt: skip


def test_make_method_builds_each_method_and_refuses_unknown_ones(fake, tmp_path):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "k.py").write_text(kernel(32))
    run = parts(fake, tmp_path)
    assert make_method("oneshot", run, MethodOptions()).iterations(5) == 1 and isinstance(OneShot(), Feedback)
    assert make_method("feedback", run, MethodOptions()).iterations(5) == 5
    transplant = make_method("transplant", run, MethodOptions(corpus=tmp_path / "corpus"))
    assert isinstance(transplant, Transplant) and transplant.exemplar == kernel(32)
    assert transplant.exemplar_name and transplant.exemplar_name.startswith("k.py (similarity")
    hawk = make_method("hawk", run, MethodOptions(knowledge_path=tmp_path / "kb.db"))
    assert isinstance(hawk, Hawk) and isinstance(hawk.knowledge, StoreKnowledge)
    hawk.close()
    assert isinstance(Feedback().knowledge, NoKnowledge)
    with pytest.raises(ValueError, match="needs a corpus"):
        make_method("transplant", run, MethodOptions())
    with pytest.raises(ValueError, match="unknown method 'beam'"):
        make_method("beam", run, MethodOptions())


def test_chain_repairs_the_last_failure_then_optimizes_the_fastest_kernel(fake):
    chain = Chain()
    assert chain.next_attempt(0).kind == "generate" and chain.best is None
    chain.observe(judged(fake, 0, 256))  # overflow
    repair = chain.next_attempt(1)
    assert (
        repair.kind == "repair" and repair.candidate == kernel(256) and repair.verdict.status.value == "compile_error"
    )
    chain.observe(judged(fake, 1, 64))
    chain.observe(judged(fake, 2, 16))  # slower: the best stays at step 1
    optimize = chain.next_attempt(3)
    assert optimize.kind == "optimize" and optimize.candidate == kernel(64) and optimize.parent.index == 1
    chain.observe(Step(3, "optimize", [], "no code", None, "no code block", None))
    again = chain.next_attempt(4)  # an unusable reply: optimize the best again, saying why
    assert again.kind == "optimize" and again.note == "no code block" and chain.best.step.index == 1


def test_the_meter_counts_draws_and_the_methods_own_questions_apart(fake, tmp_path):
    llm = ScriptedLLM([f"```python\n{kernel(256)}```", f"```python\n{kernel(16)}```", WHY, WHY])
    budget = Budget(iterations=2, tune_budget=0, roofline_stop=None)
    result = run_agent(TASK, fake, llm, "hawk", tmp_path / "run", budget, OPTS, log=lambda m: None,
                       knowledge_path=tmp_path / "kb.db")  # fmt: skip
    steps = Trajectory(tmp_path / "run" / "trajectory.jsonl").steps
    assert result.tokens["total_tokens"] == sum(s.tokens["total_tokens"] for s in steps) > 0
    assert result.knowledge["synthesized"] and result.knowledge["llm_calls"] >= 1
    assert result.knowledge["llm_tokens"] > 0  # the rationale's tokens, counted apart from the draws
    meter = TokenMeter()
    metered = meter.metered(ScriptedLLM(["a", "b"]), LEARN)
    metered.complete([]), metered.complete([])
    assert meter.tally(LEARN).calls == 2 and meter.tokens(DRAW) == 0 and meter.tokens(LEARN) > 0


def test_knowledge_proves_through_the_function_it_is_handed(fake, tmp_path):
    proved: list[str] = []

    def prove(code, task):
        proved.append(code)
        return fake.evaluate(code, task, OPTS)

    with KnowledgeStore(tmp_path / "kb.db") as store:
        knowledge = StoreKnowledge(store, fake, prove, settings=LearnSettings(OPTS, 0, lambda m: None))
        report = knowledge.learn([judged(fake, 0, 256), judged(fake, 1, 16)], TASK, "run-1")
        (item,) = store.list("active")
    assert proved == [kernel(16)] and report.synthesized[0]["id"] == item.id and report.distilled is None
    recheck = reverify(item, OPTS, prove=prove)
    assert recheck.passed and recheck.outcome == "pass" and proved[-1] == item.after_code
    item.provenance = {"task": "no_such_task"}
    gone = reverify(item, OPTS, prove=prove)
    assert not gone.passed and gone.verdict is None and gone.outcome == "not run" and "not found" in gone.why()


def test_learning_distills_when_due_as_the_cli_and_the_mcp_server_do(fake, tmp_path):
    with KnowledgeStore(tmp_path / "kb.db") as store:
        every_lesson = StoreKnowledge(store, fake, lambda c, t: fake.evaluate(c, t, OPTS),
                                      settings=LearnSettings(OPTS, 1, lambda m: None))  # fmt: skip
        report = every_lesson.learn([judged(fake, 0, 256), judged(fake, 1, 16)], TASK, "run-1")
    assert report.distilled is not None and report.to_dict()["distilled"]["clusters"] == 0


def test_a_pooled_proof_cut_short_by_shutdown_raises(fake):
    pool = EvalPool(1)
    prove = pooled_prove(fake, pool, OPTS)
    assert prove(kernel(16), TASK).passed and pool.busy == 0
    pool.closing = True
    with pytest.raises(ServerClosing):
        prove(kernel(16), TASK)


def test_the_mcp_server_learns_through_the_same_knowledge_and_distills_when_due(fake, tmp_path):
    from hawk.mcp.session import Session
    from hawk.mcp.state import Hawk as ServerState
    from hawk.mcp.state import ServerConfig

    root = tmp_path / "work"
    root.mkdir()
    state = ServerState(ServerConfig(root=root, kb_path=tmp_path / "kb.db", workers=1, distill_every=2))
    session = Session(tmp_path / "sessions")
    before, after = judged(fake, 0, 256), judged(fake, 1, 16)

    def since_distill() -> int:
        with KnowledgeStore(tmp_path / "kb.db") as store:
            row = store.conn.execute("SELECT value FROM meta WHERE key='tasks_since_distill'").fetchone()
        return row[0]

    created, known = state.synthesize(session, TASK, fake, before, after, OPTS)
    assert len(created) == 1 and known == [] and session.learned[0]["id"] == created[0].id
    assert since_distill() == 1  # one lesson counted toward the next distillation
    again, known = state.synthesize(session, TASK, fake, before, after, OPTS)
    assert again == [] and [k.id for k in known] == [created[0].id]  # the store already holds this fix
    assert since_distill() == 0  # the second lesson made it due: distilled, counter reset


def test_a_step_that_cannot_be_read_is_never_dropped_unless_it_is_the_torn_tail(fake, tmp_path):
    path = tmp_path / "t.jsonl"
    traj = Trajectory(path)
    traj.append(judged(fake, 0, 256))
    traj.append(judged(fake, 1, 16))
    again = Trajectory(path)
    assert [s.verdict.status.value for s in again.steps] == ["compile_error", "pass"]  # typed, as written
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0].replace('"status": "compile_error"', '"status": "no_such_status"'), lines[1]]))
    with pytest.raises(ValueError, match="line 1 is not a step"):
        Trajectory(path)
    assert path.read_text().count("\n") == 1  # nothing rewritten
