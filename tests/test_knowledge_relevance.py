"""Knowledge that earns its place (logic tier, fake target, seconds): preconditions gate retrieval,
effects are credited only to items a step's change applied, the first attempt gets knowledge
retrieved by the task itself, the A/B ablation records what it withheld, and old stores migrate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hawk import targets
from hawk.agent import Budget, run_agent
from hawk.bench import BenchConfig, render, run_bench
from hawk.knowledge import KnowledgeItem, KnowledgeStore, Trigger, labels_for, retrieve
from hawk.knowledge.attribution import applied, change_keys
from hawk.knowledge.embedding import HashedNgramEmbedder
from hawk.llm import LLMSettings, ScriptedLLM
from hawk.records.trajectory import Trajectory
from hawk.targets.base import EvalOptions
from hawk.tasks.task import task_from_file

from .conftest import DATA, EXP_TASK_FILE
from .knowledge_items import UB_AFTER, pass_verdict, ub_item

EXP = task_from_file(EXP_TASK_FILE)
ROW_CENTER = task_from_file(DATA / "tasks" / "row_center.py")
OPTS = EvalOptions(seeds=1)
BUDGET2 = Budget(iterations=2, tune_budget=0, roofline_stop=None)
UB_WHY = "Smaller TILE keeps the exp tiles inside the Unified Buffer."
PERF_WHY = "Larger TILE means fewer, longer MTE2 transfers per row block."

CUBE_BEFORE = """
import pypto
def mm_kernel(a, b, c):
    pypto.set_cube_tile_shapes([128, 128], [256, 256], [128, 128])
    c[:] = pypto.matmul(a, b, pypto.DT_FP16)
"""
CUBE_AFTER = CUBE_BEFORE.replace("[256, 256], [128, 128])", "[512, 512], [128, 128])")  # kL1 256 -> 512
QUANT = """
import pypto
def quant_kernel(x, out):
    pypto.set_vec_tile_shapes(64, 1024)
    a = pypto.abs(x)
    m = pypto.amax(a, dim=-1)
    q = pypto.round(pypto.div(x, m / 127.0))
    out[:] = pypto.cast(q, pypto.DT_INT8)
"""
OTHER_MATMUL = """
import pypto
def linear_kernel(x, w, out):
    pypto.set_cube_tile_shapes([64, 64], [128, 128], [64, 64])
    out[:] = pypto.matmul(x, w, pypto.DT_FP16)
"""


def fk(tile: int, unroll: int = 1) -> str:
    """A fake kernel: time falls with TILE and UNROLL; TILE above 128 overflows the fake UB."""
    return (
        f"TILE = {tile}\nUNROLL = {unroll}\n# fake-time-us: 1000 / TILE / UNROLL + 10\n# fake-overflow: TILE > 128\n"
        "\ndef kernel(x, out):\n    out.move(x.exp())  # exp over TILE rows\n"
    )


def fenced(code: str) -> str:
    return f"```python\n{code}```"


def cube_item() -> KnowledgeItem:
    v = pass_verdict("mm", "mte_in_bound", {"mte_in": 81.0, "cube": 20.0})
    from hawk.knowledge.synthesis import unified_diff

    return KnowledgeItem(
        trigger=Trigger(bottleneck="mte_in_bound", pipes={"mte_in": 81.0}, code_pattern=unified_diff(CUBE_BEFORE, CUBE_AFTER)),
        labels=labels_for(v), rationale="kL1 256 -> 512 halves GM->L1 transfers of the right operand.",
        before_code=CUBE_BEFORE, after_code=CUBE_AFTER, proof_verdict=v, provenance={"task": "mm", "source": "run"},
    )  # fmt: skip


@pytest.fixture
def fake():
    return targets.get("fake")


@pytest.fixture
def learned(fake, tmp_path) -> tuple[Path, dict[str, KnowledgeItem]]:
    """A store learned by method hawk on the exp task: a UB repair (TILE 256 -> 16) and a speed-up (16 -> 64)."""
    kb = tmp_path / "kb.db"
    llm = ScriptedLLM([fenced(fk(256)), fenced(fk(16)), fenced(fk(64)), UB_WHY, PERF_WHY])
    budget = Budget(iterations=3, tune_budget=0, roofline_stop=None)
    run_agent(EXP, fake, llm, "hawk", tmp_path / "learn", budget, OPTS, log=lambda m: None, knowledge_path=kb)
    with KnowledgeStore(kb) as store:
        items = {("ub" if it.trigger.signature else "perf"): it for it in store.list("active")}
    assert set(items) == {"ub", "perf"}
    return kb, items


# ---------------------------------------------------------------------- 1. gating
def test_a_cube_tiling_item_is_not_retrieved_for_a_vector_kernel_and_is_for_a_matmul(tmp_path):
    emb = HashedNgramEmbedder()
    with KnowledgeStore(tmp_path / "kb.db") as store:
        cube = store.add(cube_item())
        ub = store.add(ub_item(proof=pass_verdict()))
        assert cube.preconditions.ops == ["matmul"] and ub.preconditions.ops == []
        assert cube.rule["template"] and "set_cube_tile_shapes" in cube.rule["template"][0]
        query = pass_verdict("quant", "mte_in_bound", {"mte_in": 80.0, "vector": 30.0})
        # Without gating the bottleneck label alone brings the cube item to an int8 quantization kernel ...
        plain = retrieve(store, QUANT, verdict=query, k=5, embedder=emb, record=False)
        hit = next(h for h in plain if h.item.id == cube.id)
        assert hit.check.failed == ["uses matmul"] and "failed ['uses matmul']" in hit.why
        # ... gated, it is left out; the UB item (no preconditions) still comes.
        gated = retrieve(store, QUANT, verdict=query, k=5, embedder=emb, record=False, gate=True)
        assert cube.id not in {h.item.id for h in gated} and ub.id in {h.item.id for h in gated}
        # A matmul kernel meets it, and the hit says so.
        mm = retrieve(store, OTHER_MATMUL, verdict=query, k=5, embedder=emb, record=False, gate=True)
        hit = next(h for h in mm if h.item.id == cube.id)
        assert hit.check.held == ["uses matmul"] and "held ['uses matmul']" in hit.why


def test_change_keys_read_what_an_edit_touched_and_which_way():
    assert change_keys(fk(256), fk(16)) == {"shrink:TILE", "shrink:tile_size"}
    assert change_keys(fk(16), fk(16, 4)) == {"grow:UNROLL"}  # not a tile size
    assert change_keys(CUBE_BEFORE, CUBE_AFTER) == {"grow:set_cube_tile_shapes", "grow:cube_tile"}
    # Another name, the same edit: a Triton BLOCK shrunk to fit the UB repeats an item that shrank ROWS.
    assert change_keys("ROWS = 64\n", "ROWS = 8\n") & change_keys("BLOCK = 65536\n", "BLOCK = 1024\n")
    item = ub_item(proof=pass_verdict())
    assert applied(item, item.before_code, UB_AFTER.replace("(32, 512)", "(16, 512)"))  # smaller vec tiles again
    assert not applied(item, item.before_code, item.before_code.replace("exp", "sigmoid"))  # another edit
    assert applied(item, None, UB_AFTER) and not applied(item, None, item.before_code)  # a first attempt


# ---------------------------------------------------------------------- 2. attributable effects
def test_a_step_whose_change_ignores_an_injected_item_leaves_its_help_count_unchanged(fake, learned, tmp_path):
    kb, items = learned
    perf = items["perf"]
    assert perf.change == ["grow:TILE", "grow:tile_size"] and perf.effect.passes_after == 0
    # The optimize step makes the kernel faster by unrolling: the TILE item was injected, not applied.
    llm = ScriptedLLM([fenced(fk(16)), fenced(fk(16, 4))])
    run_agent(ROW_CENTER, fake, llm, "hawk", tmp_path / "b", BUDGET2, OPTS, log=lambda m: None, knowledge_path=kb)
    step = Trajectory(tmp_path / "b" / "trajectory.jsonl").steps[1]
    assert step.kind == "optimize" and perf.id in step.knowledge and step.knowledge_helped is True
    assert perf.id not in step.knowledge_applied
    with KnowledgeStore(kb) as store:
        e = store.get(perf.id).effect
    assert (e.injected, e.passes_after, e.regressions) == (0, 0, 0) and e.not_applied >= 1 and e.not_applied_passes >= 1

    # A step that grows TILE applies it: the help is credited, and on this second task the item is general.
    llm = ScriptedLLM([fenced(fk(16)), fenced(fk(64))])
    run_agent(ROW_CENTER, fake, llm, "hawk", tmp_path / "c", BUDGET2, OPTS, log=lambda m: None, knowledge_path=kb)
    step = Trajectory(tmp_path / "c" / "trajectory.jsonl").steps[1]
    assert perf.id in step.knowledge_applied
    with KnowledgeStore(kb) as store:
        again = store.get(perf.id)
    assert (again.effect.injected, again.effect.passes_after) == (1, 1) and again.effect.speedups
    assert again.general and again.proven_tasks == [EXP.id, ROW_CENTER.id]


# ---------------------------------------------------------------------- 4. knowledge before the first attempt
def test_the_generate_prompt_of_a_new_task_carries_a_relevant_item_learned_on_another_task(fake, learned, tmp_path):
    kb, items = learned
    with KnowledgeStore(kb) as store:
        store.add(cube_item())  # a matmul lesson: the row-max task must not get it
    llm = ScriptedLLM([fenced(fk(256)), fenced(fk(32))])
    run_agent(ROW_CENTER, fake, llm, "hawk", tmp_path / "b", BUDGET2, OPTS, log=lambda m: None, knowledge_path=kb)
    first = Trajectory(tmp_path / "b" / "trajectory.jsonl").steps[0]
    prompt = first.messages[-1]["content"]
    assert first.kind == "generate" and items["ub"].id in first.knowledge
    assert "Hardware knowledge learned from earlier runs" in prompt and UB_WHY in prompt and "rule: needs" in prompt
    assert "kL1 256 -> 512" not in prompt and items["ub"].id not in first.knowledge_applied  # TILE = 256 again


# ---------------------------------------------------------------------- 3. A/B ablation
def test_ablation_records_which_items_were_withheld_and_the_report_shows_with_and_without(fake, learned, tmp_path):
    kb, items = learned
    suite = tmp_path / "suite"
    (suite / "tasks").mkdir(parents=True)
    shutil.copy(ROW_CENTER.path, suite / "tasks" / "row_center.py")
    (suite / "suite.toml").write_text('[suite]\nname = "kb_ab"\n\n[[task]]\nid = "row_center"\n')
    out = tmp_path / "run"
    config = BenchConfig(suite=str(suite), methods=["hawk"], out=out, target="fake", samples=2, budget=BUDGET2,
                         eval_options=OPTS, kb_path=kb, experts=False, ablate_knowledge=True)  # fmt: skip
    replies = {"row_center": [fenced(fk(16)), fenced(fk(64))]}
    run_bench(config, LLMSettings(provider="scripted"), workers=1, scripted_replies=replies, log=lambda m: None)
    assert json.loads((out / "run.json").read_text())["ablate_knowledge"] is True
    steps = [s for k in (0, 1) for s in Trajectory(out / "hawk" / "row_center" / f"s{k}" / "trajectory.jsonl").steps]
    withheld = [i for s in steps for i in s.knowledge_withheld]
    assert withheld and all(not set(s.knowledge) & set(s.knowledge_withheld) for s in steps)
    # The generate steps retrieve both learned items; exactly one of the two is withheld.
    assert all(len(s.knowledge) + len(s.knowledge_withheld) == 2 and len(s.knowledge_withheld) == 1
               for s in steps if s.kind == "generate")  # fmt: skip
    with KnowledgeStore(kb) as store:
        assert sum(store.get(i).effect.withheld for i in set(withheld)) == len(withheld)
    md = render(out)["md"].read_text()
    assert "## Knowledge A/B (--ablate-knowledge)" in md and "| overall |" in md
    summary = json.loads((out / "summary.json").read_text())["knowledge"]["ablation"]
    assert summary["overall"]["without"]["n"] == len(withheld)
    assert summary["overall"]["with"]["n"] == sum(len(s.knowledge) for s in steps if s.knowledge_helped is not None)


# ---------------------------------------------------------------------- migration
def test_an_old_store_is_migrated_and_keeps_its_effects(tmp_path):
    db = tmp_path / "old.db"
    with KnowledgeStore(db) as store:
        item = store.add(ub_item(proof=pass_verdict()))
        old = item.to_dict()
        for key in ("preconditions", "change", "rule", "proven_tasks", "general"):
            old.pop(key)
        old["effect"] = {"retrieved": 4, "injected": 3, "passes_after": 2, "regressions": 1, "speedups": []}
        # What a store written before schema 2 holds: no derived fields, no schema marker.
        store.conn.execute("UPDATE items SET data=? WHERE id=?", (json.dumps(old), item.id))
        store.conn.execute("DELETE FROM meta WHERE key='schema'")
    with KnowledgeStore(db) as store:
        got = store.get(item.id)
        assert (
            got.preconditions is not None
            and got.change == ["shrink:set_vec_tile_shapes", "shrink:tile_size"]
            and got.rule
        )
        assert (got.effect.injected, got.effect.passes_after, got.effect.not_applied) == (3, 2, 0)
        assert got.proven_tasks == ["softmax"]
        hits = retrieve(store, UB_AFTER, verdict=pass_verdict(), k=1, embedder=HashedNgramEmbedder(), gate=True)
        assert hits and hits[0].item.id == item.id
