"""Method `hawk` and distillation end to end: real simulator, real HTTP client, scripted endpoint.

Run 1 learns on the demo task (UB overflow -> repair -> faster retile) and synthesizes proven items;
run 2, on a different op, gets the UB item injected into its repair prompt and its effect recorded.
Distillation then merges two duplicate UB fixes into one re-verified item and prunes a harmful one.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from hawk import targets
from hawk.agent import Budget, run_agent
from hawk.agent.demo import SCRIPTED_REPLIES, TASK_FILE
from hawk.knowledge import KnowledgeItem, KnowledgeStore, retrieve
from hawk.knowledge.distill import distill, parse_decision, reverify_items
from hawk.knowledge.synthesis import synthesize_from_steps
from hawk.llm import OpenAICompatible
from hawk.records.trajectory import Trajectory
from hawk.targets.base import EvalOptions
from hawk.tasks.task import task_from_file
from tests.scripted_endpoint import FakeEndpoint, Reply, ok_body, running_endpoint, settings_for

# The real-tools tier (simulator, compilers, browser): `pytest -m 'not sim'` runs the logic tier alone.
pytestmark = pytest.mark.sim

DATA = Path(__file__).parent / "data"
DEMO = task_from_file(TASK_FILE)
ROW_CENTER = task_from_file(DATA / "tasks" / "row_center.py")
OPTS = EvalOptions(seeds=1, with_eager_baseline=False)
RATIONALE = "Smaller vector tiles keep each op's input and output tiles inside the 192 KiB Unified Buffer."
GOOD_RC = (DATA / "kernels" / "row_center_good.py").read_text()
BIG_RC = GOOD_RC.replace("set_vec_tile_shapes(16, 256)", "set_vec_tile_shapes(256, 256)")  # 256 KiB tiles


def reply(text: str) -> Reply:
    return Reply(body=ok_body(text))


def kernel_reply(code: str) -> Reply:
    return reply(f"```python\n{code}```")


@pytest.fixture(scope="module")
def target():
    return targets.get("ascend-pypto")


@pytest.fixture(scope="module")
def run1(target, tmp_path_factory):
    """Run 1 (method hawk, empty store): the demo task's three scripted replies, then the two
    rationale requests of synthesis. Done once; each test gets its own copy of the store."""
    base = tmp_path_factory.mktemp("run1")
    kb = base / "kb.db"
    with running_endpoint() as fake:
        fake.push(*(reply(r) for r in SCRIPTED_REPLIES), reply(RATIONALE), reply(RATIONALE.replace("UB", "UB.")))
        llm = OpenAICompatible(settings_for(fake))
        out = base / "out"
        result = run_agent(
            DEMO,
            target,
            llm,
            "hawk",
            out,
            Budget(iterations=3, tune_budget=0, roofline_stop=None),
            OPTS,
            log=print,
            knowledge_path=kb,
        )
    assert result.statuses == ["compile_error", "pass", "pass"]
    return kb, Trajectory(out / "trajectory.jsonl").steps, result


@pytest.fixture
def learned(run1, tmp_path: Path):
    kb, steps, result = run1
    mine = tmp_path / "kb.db"
    with KnowledgeStore(kb) as store:  # a consistent copy of a WAL store: through SQLite's backup API
        dst = sqlite3.connect(mine)
        store.conn.backup(dst)
        dst.close()
    return mine, steps, result


def test_hawk_learns_then_injects_into_a_new_op(target, endpoint: FakeEndpoint, learned, tmp_path):
    kb, steps, first = learned
    # Run 1 had nothing to inject and learned a UB repair and a speed-up, both proven by a re-run.
    assert all(s.knowledge == [] for s in steps)
    synthesized = first.knowledge["synthesized"]
    assert (first.knowledge["llm_calls"], first.knowledge["llm_tokens"]) == (2, 60)  # two rationales, counted
    assert [it["status"] for it in synthesized] == ["active", "active"]
    with KnowledgeStore(kb) as store:
        ub = store.get(synthesized[0]["id"])
    assert ub.labels == ["ub_capacity", "vector_tile_shape"] and ub.rationale == RATIONALE
    assert ub.provenance["task_path"] == str(DEMO.path)

    # Run 2, a different op (row max subtraction): its first kernel overflows UB too.
    endpoint.push(kernel_reply(BIG_RC), kernel_reply(GOOD_RC))
    out = tmp_path / "run2"
    llm = OpenAICompatible(settings_for(endpoint))
    second = run_agent(ROW_CENTER, target, llm, "hawk", out, Budget(iterations=2, tune_budget=0, roofline_stop=None), OPTS, log=print, knowledge_path=kb,
                       distill_every=2)  # fmt: skip
    assert second.statuses == ["compile_error", "pass"]
    # This is the store's second finished task: with distill_every=2 the store was distilled (no
    # duplicates, no evidence yet: nothing changed).
    assert second.knowledge["distilled"]["clusters"] == 0 and second.knowledge["distilled"]["demoted"] == []
    steps2 = Trajectory(out / "trajectory.jsonl").steps
    assert steps2[1].kind == "repair" and steps2[1].knowledge[0] == ub.id  # the UB item ranked first
    prompt = steps2[1].messages[-1]["content"]
    assert "Hardware knowledge learned from earlier runs" in prompt and RATIONALE in prompt
    assert "+    pypto.set_vec_tile_shapes(8, 512)" in prompt  # the proven change itself, as a diff
    # The request that reached the endpoint is the prompt the trajectory recorded.
    assert endpoint.requests[1]["messages"][-1]["content"] == prompt
    with KnowledgeStore(kb) as store:
        eff = store.get(ub.id).effect
    assert (eff.injected, eff.passes_after, eff.regressions) == (1, 1, 0) and eff.retrieved >= 1
    # Resuming the finished run neither asks the model nor re-learns nor counts the effect twice.
    n_requests = len(endpoint.requests)
    again = run_agent(
        ROW_CENTER,
        target,
        llm,
        "hawk",
        out,
        Budget(iterations=2, tune_budget=0, roofline_stop=None),
        OPTS,
        log=print,
        knowledge_path=kb,
    )
    assert again.statuses == second.statuses and len(endpoint.requests) == n_requests
    with KnowledgeStore(kb) as store:
        assert store.get(ub.id).effect.injected == 1


def test_distill_merges_duplicates_and_prunes_harmful(target, endpoint: FakeEndpoint, learned, tmp_path):
    kb, steps, first = learned
    store = KnowledgeStore(kb)
    ub1_id, perf_id = (it["id"] for it in first.knowledge["synthesized"])
    # A second run fixed the same overflow with 16-row tiles instead of 8: a near-duplicate lesson.
    (ub2,) = synthesize_from_steps([steps[0], steps[2]], DEMO, target, store, run_id="run-b", eval_options=OPTS)
    assert ub2.status == "active" and ub2.id != ub1_id
    # The perf item went with failures every time it was injected.
    for _ in range(3):
        store.record_effect(perf_id, injected=True, passed=False, regressed=True)

    merged_rationale = "Shrink vector tiles until each op's in+out tiles fit the 192 KiB UB; 8 or 16 rows both fit."
    endpoint.push(reply("Decision:\n" + json.dumps({"decision": "merge", "base": ub2.id, "prune": [],
                                                   "rationale": merged_rationale, "reason": "same UB fix"})))  # fmt: skip
    llm = OpenAICompatible(settings_for(endpoint))
    n_requests = len(endpoint.requests)
    report = distill(store, llm, eval_options=OPTS, log=print)
    # Exactly one arbitration request, naming both duplicates and not the perf item.
    assert len(endpoint.requests) == n_requests + 1
    asked = endpoint.requests[-1]["messages"][-1]["content"]
    assert ub1_id in asked and ub2.id in asked and perf_id not in asked
    assert report.demoted == [perf_id] and len(report.merged) == 1
    merged = store.get(report.merged[0]["into"])
    assert merged.status == "active" and merged.proof_verdict["status"] == "pass"  # re-run on the simulator
    assert merged.rationale == merged_rationale and set(merged.provenance["merged_from"]) == {ub1_id, ub2.id}
    assert "set_vec_tile_shapes(16, 512)" in merged.after_code  # the base's executable part
    for old in (ub1_id, ub2.id):
        item = store.get(old)
        assert item.status == "merged" and item.merged_into == merged.id and "same UB fix" in item.status_reason
    # Retrieval now finds the merged item, not its sources.
    hits = retrieve(store, BIG_RC, verdict=steps[0].verdict.to_dict(), k=5, record=False)
    assert hits[0].item.id == merged.id and {ub1_id, ub2.id}.isdisjoint(h.item.id for h in hits)

    # Demoted, the perf item keeps failing: the next pass prunes it (no duplicates left to arbitrate).
    for _ in range(3):
        store.record_effect(perf_id, injected=True, passed=False, regressed=True)
    report2 = distill(store, llm, eval_options=OPTS, log=print)
    assert [p["id"] for p in report2.pruned] == [perf_id] and report2.clusters == 0
    assert len(endpoint.requests) == n_requests + 1
    perf = store.get(perf_id)
    assert perf.status == "pruned" and "harmful" in perf.status_reason
    # Nothing is deleted: every item is still in the store and in an export, with its reasons.
    assert {it.id for it in store.list()} >= {ub1_id, ub2.id, perf_id, merged.id}
    export = tmp_path / "kb.jsonl"
    store.export_jsonl(export)
    statuses = {json.loads(ln)["id"]: json.loads(ln)["status"] for ln in export.read_text().splitlines()}
    assert statuses[perf_id] == "pruned" and statuses[ub1_id] == "merged"
    store.close()


def test_unusable_arbiter_reply_changes_nothing(target, endpoint: FakeEndpoint, learned, tmp_path):
    kb, steps, first = learned
    with KnowledgeStore(kb) as store:
        synthesize_from_steps([steps[0], steps[2]], DEMO, target, store, run_id="run-b", eval_options=OPTS)
        before = {it.id: it.status for it in store.list()}
        endpoint.push(reply("I think you should merge them."))  # no JSON: not a decision
        report = distill(store, OpenAICompatible(settings_for(endpoint)), eval_options=OPTS, log=print)
        assert report.clusters == 1 and report.merged == [] and report.kept[0]["arbiter"] == "none"
        assert {it.id: it.status for it in store.list()} == before


def _item(item_id: str) -> KnowledgeItem:
    from hawk.knowledge import Trigger

    return KnowledgeItem(Trigger(signature="s"), ["ub_capacity"], "r", "a", "b", id=item_id)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("no json here", "no JSON object"),
        ('{"decision": "fuse"}', "not merge, keep or prune"),
        ('{"decision": "merge", "base": "zzz"}', "merge base"),
        ('{"decision": "prune", "prune": ["nope"]}', "unknown items"),
        ('{"decision": "prune", "prune": []}', "names no items"),
        ('{"decision": "merge", "base": "a1",', "no JSON object"),
    ],
)
def test_parse_decision_names_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_decision(text, [_item("a1"), _item("b2")])


def test_parse_decision_accepts_a_fenced_answer() -> None:
    d = parse_decision('```json\n{"decision": "keep", "reason": "different ops"}\n```', [_item("a1"), _item("b2")])
    assert (d.action, d.reason, d.arbiter) == ("keep", "different ops", "llm")


def test_reverify_refreshes_a_good_proof_and_retires_a_broken_fix(learned):
    kb, steps, first = learned
    ub_id, perf_id = (it["id"] for it in first.knowledge["synthesized"])
    with KnowledgeStore(kb) as store:
        broken = store.get(ub_id)
        broken.after_code = broken.before_code  # as if a tool upgrade made the stored fix overflow again
        store.update(broken)
        outcome = reverify_items(store, OPTS, item_ids=[ub_id, perf_id], log=print)
        assert outcome == {ub_id: "compile_error", perf_id: "pass"}
        ub, perf = store.get(ub_id), store.get(perf_id)
    assert ub.status == "candidate" and "MEM_UB" in ub.status_reason  # never injected again
    assert perf.status == "active" and perf.history[-1]["event"] == "reverified"


def test_hawk_method_learns_and_injects_on_ascend_triton(tmp_path):
    """The same loop on the second target: a UB overflow (real bishengir) repaired on softmax becomes a
    proven item with Triton's labels, and is injected when SiLU's block overflows UB."""
    from hawk.llm import ScriptedLLM
    from hawk.tasks import load_suite
    from hawk.tasks.suite import expert_for

    suite = load_suite("npu-workloads")
    softmax, silu = suite.get("l1_softmax_fp32"), suite.get("l1_silu_fp32")
    sm = expert_for(softmax, "ascend-triton").read_text()
    si = expert_for(silu, "ascend-triton").read_text()
    fence = "```python\n{}```".format
    triton = targets.get("ascend-triton")
    kb = tmp_path / "kb.db"
    opts = EvalOptions(seeds=1, with_eager_baseline=False, timeout_s=240)
    first = run_agent(softmax, triton, ScriptedLLM([fence(sm.replace("ROWS=4", "ROWS=64")), fence(sm.replace(
        "ROWS=4", "ROWS=8"))]), "hawk", tmp_path / "softmax", Budget(iterations=2, tune_budget=0, roofline_stop=None), opts, log=print, knowledge_path=kb)  # fmt: skip
    assert first.statuses == ["compile_error", "pass"]
    (item,) = first.knowledge["synthesized"]
    assert item["status"] == "active" and {"ub_capacity", "block_size"} <= set(item["labels"])
    with KnowledgeStore(kb) as store:
        learned = store.get(item["id"])
    assert learned.rationale.startswith("UB overflow") and learned.rationale.endswith("smaller ROWS (64 -> 8)")
    assert learned.provenance["tools"]["triton-ascend"].startswith("triton-ascend==3.2.0")

    second = run_agent(silu, triton, ScriptedLLM([fence(si.replace("BLOCK=2048", "BLOCK=65536")), fence(si.replace(
        "BLOCK=2048", "BLOCK=1024"))]), "hawk", tmp_path / "silu", Budget(iterations=2, tune_budget=0, roofline_stop=None), opts, log=print,
        knowledge_path=kb)  # fmt: skip
    assert second.statuses == ["compile_error", "pass"]
    repair = Trajectory(tmp_path / "silu" / "trajectory.jsonl").steps[1]
    assert repair.knowledge == [item["id"]] and "ROWS=8" in repair.messages[-1]["content"]
    with KnowledgeStore(kb) as store:
        stored = store.get(item["id"])
        assert stored.target == "ascend-triton" and (stored.effect.injected, stored.effect.passes_after) == (1, 1)
        # Knowledge stays with its target: a PyPTO query never sees this Triton fix.
        assert retrieve(store, BIG_RC, error_text="exceeds MEM_UB size", target="ascend-pypto", record=False) == []
