"""Knowledge that transfers (logic tier, seconds): structural preconditions, items a model reads at a
glance, and the tuner's verified finds as items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hawk.knowledge import KnowledgeItem, KnowledgeStore, Trigger, retrieve
from hawk.knowledge.base_layer import layer_of
from hawk.knowledge.distill import distill
from hawk.knowledge.embedding import HashedNgramEmbedder
from hawk.knowledge.facts import Facts, code_facts, kernel_class
from hawk.knowledge.gating import NO_STRUCTURE, check, of
from hawk.knowledge.inject import MAX_ITEM_LINES, item_block, minimal_diff
from hawk.knowledge.item import Preconditions
from hawk.knowledge.retrieval import Hit
from hawk.knowledge.store import StoreError
from hawk.knowledge.tuner_lessons import find_tuner_lessons, knob_family, learn_from_tuner
from hawk.records.trajectory import Step, Tuning
from hawk.targets.verdict import Verdict

from .knowledge_items import PERF_AFTER, PERF_BEFORE, QUERY_CODE, pass_verdict, perf_item

ATTENTION = """
import pypto
def attn_kernel(q, k, v, out):
    pypto.set_cube_tile_shapes([64, 64], [128, 128], [64, 64])
    s = pypto.matmul(q, k, pypto.DT_FP32)
    m = pypto.amax(s, dim=-1)
    p = pypto.exp(s - m)
    out[:] = pypto.matmul(p / pypto.sum(p, dim=-1), v, pypto.DT_FP16)
"""
NORM_BEFORE = """
import pypto
NBUF = 2
def rms_kernel(x, w, out):
    pypto.set_vec_tile_shapes(8, 1024)  # 8 rows x 1024 fp16 = 16 KiB per tile
    ms = pypto.sum(x * x, dim=-1)
    out[:] = x * pypto.rsqrt(ms / 1024.0 + 1e-6) * w
"""
NORM_AFTER = NORM_BEFORE.replace("(8, 1024)  # 8 rows x 1024 fp16 = 16 KiB per tile", "(32, 1024)")


def test_a_dtype_only_precondition_never_admits_an_item():
    dtype_only = Preconditions(dtypes=["float16", "float32"])
    facts = Facts(ops={"exp"}, dtypes={"float16"}, known={"ops", "dtypes"})
    result = check(dtype_only, facts)
    assert not result.ok and NO_STRUCTURE in result.failed and "dtype in ['float16', 'float32']" in result.held
    # A repair item without structure is still admitted against a failing kernel: its error is the trigger.
    assert check(dtype_only, facts, repair_against_error=True).ok


def test_a_dtype_is_a_precondition_only_of_a_change_that_converts_one():
    """An fp16 convolution's batched matmul (its diff names DT_FP16) transfers to an fp32 task; a cast
    fix does not."""
    from hawk.knowledge.gating import derive

    matmul_diff = "--- a\n+++ b\n-    y = pypto.matmul(w2, cols, pypto.DT_FP32)\n+    out.move(pypto.matmul(w3, cols, pypto.DT_FP16))\n"
    cast_diff = "--- a\n+++ b\n-    y = pypto.exp(x)\n+    y = pypto.cast(pypto.exp(pypto.cast(x, pypto.DT_FP32)), pypto.DT_FP16)\n"
    fp32_matmul = Facts(ops={"matmul"}, dtypes={"float32"}, known={"ops", "dtypes"})
    batched = derive(matmul_diff, "y = pypto.matmul(w2, cols)", ["mte_in_bound"], perf=True)
    assert batched.dtypes == [] and check(batched, fp32_matmul).ok
    precision_fix = derive(cast_diff, "y = pypto.exp(x)", [], perf=True)
    assert precision_fix.dtypes == ["float16", "float32"] and "cast" not in precision_fix.ops  # cast: introduced
    # An item stored before the rule (dtypes in its file) is checked by the rule too.
    stored = KnowledgeItem(trigger=Trigger(bottleneck="mte_in_bound"), labels=["mte_in_bound"], rationale="r",
                           before_code="y = pypto.matmul(w2, cols)", after_code="x", provenance={"task": "conv"},
                           preconditions=Preconditions(ops=["matmul"], dtypes=["float16"]))  # fmt: skip
    assert of(stored).dtypes == [] and check(of(stored), fp32_matmul).ok
    from hawk.knowledge.rule import describe

    stored.rule = {"trigger": {"needs": ["uses matmul", "dtype in ['float16']"], "op_pattern": ["matmul"]}}
    assert "rule: needs uses matmul (" in describe(stored)  # the prompt says what the check needs today


def test_an_op_the_change_introduces_is_not_a_precondition():
    """A vector pool rewritten as a matmul against a 0/1 window matrix applies to vector pools: were
    "uses matmul" required, the item (also "a vector kernel") could never be retrieved."""
    from hawk.knowledge.gating import derive

    before = "def k(x, out):\n    out.move(pypto.add(pypto.view(x, [8, 8], [0, 0]), pypto.view(x, [8, 8], [0, 1])))\n"
    diff = "--- a\n+++ b\n-    out.move(pypto.add(a, b))\n+    out.move(pypto.matmul(x, window, pypto.DT_FP32))\n"
    pool = derive(diff, before, ["mte_in_bound"], perf=True)
    assert pool.ops == [] and pool.kernel_class == "vector"
    vector_pool = Facts(ops={"add", "view"}, known={"ops"})
    assert check(pool, vector_pool).ok
    # A change to an existing matmul still needs one.
    assert derive(diff, before + "    y = pypto.matmul(a, b)\n", [], perf=True).ops == ["matmul"]


def test_a_vector_speed_up_is_not_offered_to_a_kernel_with_a_matmul():
    item = perf_item()  # a larger vec tile on an add kernel: learned on a vector-only kernel
    assert of(item).kernel_class == "vector" and kernel_class(code_facts(ATTENTION)) == "cube"
    emb = HashedNgramEmbedder()
    query = pass_verdict("attn", "mte_in_bound", {"mte_in": 70.0, "cube": 20.0})
    with KnowledgeStore(":memory:") as store:
        stored = store.add(item)
        assert stored.preconditions.kernel_class == "vector"
        on_attention = retrieve(store, ATTENTION, verdict=query, embedder=emb, record=False, gate=True)
        on_vector = retrieve(store, QUERY_CODE, verdict=query, embedder=emb, record=False, gate=True)
    assert on_attention == [] and [h.item.id for h in on_vector] == [stored.id]
    assert "a vector kernel" in on_vector[0].check.held


def test_a_rendered_item_stays_within_its_line_budget_and_drops_comment_churn():
    churn = "\n".join(f"    # note {i}: tiles are rows x columns" for i in range(30))
    before = PERF_BEFORE + churn
    after = PERF_AFTER + churn.replace("rows x columns", "rows by columns")
    item = KnowledgeItem(
        trigger=Trigger(bottleneck="mte_in_bound"), labels=["mte_in_bound"],
        rationale="Larger vector tiles amortise each MTE2 transfer's fixed latency. " * 8 + "Second sentence.",
        before_code=before, after_code=after, proof_verdict=pass_verdict("add"), provenance={"task": "add"},
    )  # fmt: skip
    text = item_block(1, Hit(item, 0, 0, 0, 0, 0, ""))
    lines = text.splitlines()
    assert len(lines) <= MAX_ITEM_LINES and "Second sentence" not in text and "note" not in text
    assert "-    pypto.set_vec_tile_shapes(16, 64)" in lines and "+    pypto.set_vec_tile_shapes(256, 512)" in lines
    # A long change is cut with a pointer to the full record.
    long_before = "\n".join(f"A{i} = {i}" for i in range(20))
    long_diff = minimal_diff(long_before, long_before.replace(" = ", " = 1"))
    assert len(long_diff) <= 6 and "hawk kb show" in long_diff[-1]


def _tuned_step(index: int, task: str, before: str, after: str, t0: float, t1: float) -> Step:
    fast = pass_verdict(task, "vector_bound")
    fast["perf"]["time_us"] = t1
    slow = pass_verdict(task, "vector_bound")
    slow["perf"]["time_us"] = t0
    tuning = Tuning(changed=True, source=after, verdict=Verdict.from_dict(fast), before_us=t0, after_us=t1,
                    roofline_us=None)  # fmt: skip
    return Step(index, "generate", [], "", before, None, Verdict.from_dict(slow), tuning=tuning)


def test_a_tuner_result_becomes_one_item_and_a_second_task_makes_it_general():
    assert knob_family(NORM_BEFORE, NORM_AFTER) == ["grow:tile_size"]
    steps = [_tuned_step(0, "rms", NORM_BEFORE, NORM_AFTER, 10.0, 8.0)]
    assert len(find_tuner_lessons(steps)) == 1
    # A 1% "gain" is search noise, not a lesson.
    assert find_tuner_lessons([_tuned_step(0, "rms", NORM_BEFORE, NORM_AFTER, 10.0, 9.9)]) == []
    with KnowledgeStore(":memory:") as store:
        made = learn_from_tuner(steps, "rms", "ascend-pypto", "910B", store)
        assert len(made) == 1 and made[0].status == "active" and made[0].provenance["source"] == "tuner"
        assert made[0].proven_tasks == ["rms"] and not made[0].general
        # Another task's tuner grew its tile too: the same knob family, credited, no second item.
        other = [
            _tuned_step(3, "layernorm", NORM_BEFORE.replace("rms", "ln"), NORM_AFTER.replace("rms", "ln"), 6.0, 5.0)
        ]
        assert learn_from_tuner(other, "layernorm", "ascend-pypto", "910B", store) == []
        items = store.list()
    assert len(items) == 1 and items[0].general and items[0].proven_tasks == ["rms", "layernorm"]


# ---------------------------------------------------------------------- the base layer
def _base_file(tmp_path, items: list[KnowledgeItem]) -> Path:
    from hawk.knowledge.base_layer import as_base

    path = tmp_path / "base.jsonl"
    path.write_text("".join(json.dumps(as_base(it).to_dict()) + "\n" for it in items))
    return path


def test_the_base_layer_loads_read_only_beneath_a_user_store_and_is_searched_first_class(tmp_path):
    shipped = perf_item()
    shipped.status, shipped.general, shipped.proven_tasks = "active", True, ["add", "gelu"]
    base = _base_file(tmp_path, [shipped])
    emb = HashedNgramEmbedder()
    query = pass_verdict("gelu", "mte_in_bound", {"mte_in": 80.0, "vector": 10.0})
    with KnowledgeStore(tmp_path / "kb.db", base=base) as store:
        (item,) = store.list()
        assert item.id == f"b-{shipped.id}" and layer_of(item) == "base" and store.list(layer="user") == []
        hits = retrieve(store, QUERY_CODE, verdict=query, embedder=emb, gate=True)
        assert [h.item.id for h in hits] == [item.id]
        with pytest.raises(StoreError, match="read-only"):
            store.set_status(item.id, "pruned", "try")
        store.record_effect(item.id, injected=True, passed=True, task="silu")  # the user's evidence grows
        assert distill(store, log=lambda m: None).demoted == []
    # Opened again, the same version is not re-synced (the user's counts stay); without the layer it is unseen.
    with KnowledgeStore(tmp_path / "kb.db", base=base) as store:
        assert store.get(item.id).effect.injected == 1 and "silu" in store.get(item.id).proven_tasks
    with KnowledgeStore(tmp_path / "kb.db") as store:
        assert store.list() == [] and retrieve(store, QUERY_CODE, verdict=query, embedder=emb, gate=True) == []
    # A new base file without the item prunes it (with the reason) and keeps the user's evidence.
    base.write_text("")
    with KnowledgeStore(tmp_path / "kb.db", base=base) as store:
        gone = store.get(item.id)
    assert gone.status == "pruned" and "no longer" in gone.status_reason


def test_export_of_the_base_layer_keeps_only_proven_general_items(tmp_path):
    general = perf_item()
    general.proof_verdict = pass_verdict("add")
    one_off = perf_item()
    one_off.after_code = one_off.after_code.replace("(256, 512)", "(64, 512)")
    with KnowledgeStore(tmp_path / "kb.db") as store:
        g = store.add(general)
        store.add(one_off)  # proven once, never helped elsewhere: stays the user's
        store.credit_task(g.id, "gelu")
        n = store.export_jsonl(tmp_path / "base.jsonl", layer="base")
    lines = [json.loads(x) for x in (tmp_path / "base.jsonl").read_text().splitlines()]
    assert n == 1 and lines[0]["id"] == f"b-{g.id}" and lines[0]["provenance"]["layer"] == "base"


def test_a_big_structural_speed_up_qualifies_for_the_base_layer_a_small_one_does_not(tmp_path):
    from hawk.knowledge.base_layer import for_base

    big, small = perf_item(), perf_item()
    small.after_code = small.after_code.replace("(256, 512)", "(64, 512)")
    for item, times in ((big, [30.0, 24.0]), (small, [30.0, 28.0])):
        item.proof_verdict = pass_verdict("add")
        item.provenance["time_us"] = times  # 1.25x and 1.07x on the task it was learned on
    with KnowledgeStore(tmp_path / "kb.db") as store:
        b, s = store.add(big), store.add(small)
        assert of(b).structural and for_base(b) and not for_base(s)


def test_the_token_budget_counts_the_methods_own_questions():
    import time

    from hawk.agent.budget import Budget
    from hawk.agent.loop import _out_of_budget
    from hawk.agent.meter import DRAW, LEARN, TokenMeter

    meter = TokenMeter()
    meter.add(DRAW, 600)
    budget = Budget(max_tokens=1000)
    assert _out_of_budget(budget, meter, time.perf_counter()) == ""
    meter.add(LEARN, 500)  # a rationale and a label asked by method hawk: 1100 tokens in all
    assert _out_of_budget(budget, meter, time.perf_counter()) == "token budget" and meter.total() == 1100


def test_kb_learn_turns_a_finished_run_of_another_method_into_proven_items(tmp_path):
    import subprocess
    import sys

    from hawk import targets
    from hawk.agent import Budget, run_agent
    from hawk.llm import ScriptedLLM
    from hawk.targets.base import EvalOptions
    from hawk.tasks.task import task_from_file

    from .conftest import EXP_TASK_FILE

    def fake_kernel(tile: int) -> str:
        return (f"TILE = {tile}\n# fake-time-us: 1000 / TILE + 10\n# fake-overflow: TILE > 128\n\n"
                "def kernel(x, out):\n    out.move(x.exp())\n")  # fmt: skip

    replies = [f"```python\n{fake_kernel(t)}```" for t in (256, 16)]  # a UB overflow, then its repair
    budget = Budget(iterations=2, tune_budget=0, roofline_stop=None)
    run_agent(task_from_file(EXP_TASK_FILE), targets.get("fake"), ScriptedLLM(replies), "feedback", tmp_path / "run",
              budget, EvalOptions(seeds=1), log=lambda m: None)  # fmt: skip
    r = subprocess.run([sys.executable, "-m", "hawk.cli.main", "kb", "learn", str(tmp_path / "run"), "--task",
                        str(EXP_TASK_FILE), "--target", "fake", "--seeds", "1", "--kb", str(tmp_path / "kb.db")],
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 0 and "1 new item(s)" in r.stdout, r.stdout + r.stderr
    with KnowledgeStore(tmp_path / "kb.db") as store:
        (item,) = store.list()
    assert item.status == "active" and item.provenance["source"] == "run" and "ub_capacity" in item.labels


def test_a_convolution_reduces_over_channels_on_the_cube_and_a_depthwise_one_is_a_vector_stencil():
    from hawk import targets
    from hawk.knowledge.facts import task_facts
    from hawk.tasks import resolve_task

    spec = targets.get("ascend-pypto").spec()
    classes = {t: kernel_class(task_facts(resolve_task(t), spec)) for t in
               ("l1_conv3d_fp16", "l1_conv_transpose2d_fp16", "l1_conv2d_depthwise_fp16", "l1_maxpool2d_fp32")}  # fmt: skip
    assert classes == {"l1_conv3d_fp16": "cube", "l1_conv_transpose2d_fp16": "cube",
                       "l1_conv2d_depthwise_fp16": "vector", "l1_maxpool2d_fp32": "vector"}  # fmt: skip
