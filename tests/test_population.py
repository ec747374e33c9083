"""Population search (logic tier, fake target, scripted model): structure signatures, the members
kept, the UCB1 choice of parent, the structure-aware optimize prompt, budgets and resuming."""

from __future__ import annotations

import json
import math

import pytest

from hawk import targets
from hawk.agent import Budget, run_agent
from hawk.agent.population import EXPLORE, Population, improvement
from hawk.agent.search import SEARCH_FILE
from hawk.agent.structure import structure_of
from hawk.bench.plan import open_manifest
from hawk.llm import ScriptedLLM
from hawk.records.trajectory import Step, Trajectory
from hawk.targets.base import EvalOptions
from hawk.tasks.task import task_from_file

from .conftest import EXP_TASK_FILE

TASK = task_from_file(EXP_TASK_FILE)
OPTS = EvalOptions(seeds=1)
ONE_PASS = "x.exp()"
TWO_PASS = "pypto.add(x.exp(), x)"
SPLIT = "pypto.concat(pypto.exp(pypto.view(x)), pypto.exp(pypto.view(x)))"


def kernel(time_us: float, body: str = ONE_PASS, verdict: str = "") -> str:
    """A fake kernel timed `time_us` (with TILE a knob the fake tuner could change) computing `body`."""
    scripted = f'# fake-verdict: {{"status": "{verdict}"}}\n' if verdict else ""
    return (f"import pypto\nTILE = 16\n# fake-time-us: {time_us}\n{scripted}\n"
            f"def kernel(x, out):\n    pypto.set_vec_tile_shapes(TILE, 512)\n    out.move({body})\n")  # fmt: skip


def fenced(code: str) -> str:
    return f"```python\n{code}```"


@pytest.fixture
def fake():
    return targets.get("fake")


def judged(fake, index: int, source: str, kind: str = "optimize", parent: int | None = None) -> Step:
    verdict = fake.evaluate(source, TASK, OPTS)
    return Step(index, kind, [], "r", source, None, verdict, parent=parent)


def test_a_structure_ignores_numbers_but_not_ops_loops_or_tiling():
    tiled = (
        "import pypto\nR = 8\ndef kernel(x, out):\n    pypto.set_vec_tile_shapes(R, 512)\n    out.move(pypto.exp(x))\n"
    )
    assert structure_of(tiled) == structure_of(tiled.replace("R = 8", "R = 64").replace("512", "1024"))
    assert structure_of(tiled) == structure_of(tiled.replace("R, 512", "4 * R, 512"))  # index arithmetic
    assert structure_of(tiled) != structure_of(tiled.replace("(R, 512)", "(1, R, 512)"))  # another tiling family
    assert structure_of(tiled) != structure_of(tiled.replace("pypto.exp(x)", "pypto.exp(pypto.add(x, x))"))
    looped = tiled.replace("    out.move", "    for i in pypto.loop(R):\n        out.move")
    assert structure_of(looped) != structure_of(tiled) and "for[loop]{" in structure_of(looped).skeleton
    assert structure_of(kernel(10.0)) == structure_of(kernel(99.0))  # comments and numbers
    assert structure_of("def kernel(:") == structure_of("def kernel(:  # 12")  # unparsable: text without numbers


def test_population_keeps_one_member_per_structure_and_the_fastest_structures(fake):
    pop = Population(size=2)
    assert pop.next_attempt(0).kind == "generate"
    pop.observe(judged(fake, 0, kernel(100.0), kind="generate"))
    pop.observe(judged(fake, 1, kernel(80.0), parent=0))  # only a number changed: the same structure, faster
    assert len(pop.members) == 1 and pop.members[0].kept.step.index == 1
    assert pop.members[0].tries == 1 and pop.members[0].reward == pytest.approx(0.2)
    pop.observe(judged(fake, 2, kernel(90.0, TWO_PASS), parent=1))  # a new structure
    assert [m.kept.step.index for m in pop.members] == [1, 2] and pop.best.step.index == 1
    pop.observe(judged(fake, 3, kernel(95.0, SPLIT), parent=1))  # slower than both kept: not kept (size 2)
    assert [m.kept.step.index for m in pop.members] == [1, 2]
    pop.observe(judged(fake, 4, kernel(50.0, SPLIT), parent=2))  # faster: replaces the slowest
    assert [m.kept.step.index for m in pop.members] == [1, 4] and pop.best.step.index == 4
    assert len({m.structure.key for m in pop.members}) == 2


def test_ucb1_picks_the_less_tried_parent_over_the_greedy_one(fake):
    pop = Population(size=4)
    pop.observe(judged(fake, 0, kernel(100.0), kind="generate"))
    pop.observe(judged(fake, 1, kernel(120.0, TWO_PASS), parent=0))  # A tried once: slower, reward 0
    pop.observe(judged(fake, 2, kernel(95.0), parent=0))  # A again: 5% faster
    pop.observe(judged(fake, 3, kernel(94.0), parent=2))  # A again: 1% faster
    pop.observe(judged(fake, 4, kernel(70.0, SPLIT, verdict="wrong_result"), parent=1))  # B tried once: fails
    assert pop.next_attempt(5).kind == "repair" and pop.next_attempt(5).parent.index == 4
    pop.observe(judged(fake, 5, kernel(70.0, SPLIT, verdict="wrong_result"), kind="repair", parent=4))
    pop.observe(judged(fake, 6, kernel(70.0, SPLIT, verdict="wrong_result"), kind="repair", parent=5))
    a, b = pop.members
    assert (a.tries, b.tries, b.reward) == (3, 1, 0.0) and a.mean > b.mean and a.kept.time_us < b.kept.time_us
    # UCB1: mean + sqrt(2) * sqrt(ln N / n) with N = 4 tries in all; B's bonus outweighs A's mean.
    assert a.reward == pytest.approx(improvement(100.0, 95.0) + improvement(95.0, 94.0))
    score_a = a.mean + EXPLORE * math.sqrt(math.log(4) / 3)
    score_b = EXPLORE * math.sqrt(math.log(4) / 1)
    assert score_b > score_a and a.score(4, EXPLORE) == pytest.approx(score_a)
    attempt = pop.next_attempt(7)  # two repairs failed: the search moves on, and picks B
    assert attempt.kind == "optimize" and attempt.parent.index == 1 and attempt.candidate == kernel(120.0, TWO_PASS)
    assert len(attempt.structures) == 2 and "<- the kernel shown" in attempt.structures[1]
    assert "UCB1" in attempt.why


SCRIPT = [kernel(100.0), kernel(90.0, TWO_PASS), kernel(80.0, SPLIT, verdict="wrong_result"), kernel(60.0, SPLIT),
          kernel(85.0), kernel(70.0, TWO_PASS)]  # fmt: skip


def population_budget(iterations: int, **kw) -> Budget:
    return Budget(iterations=iterations, tune_budget=0, roofline_stop=None, search="population", **kw)


def test_population_run_asks_for_new_structures_and_records_parents(fake, tmp_path):
    result = run_agent(TASK, fake, ScriptedLLM([fenced(s) for s in SCRIPT[:4]]), "feedback", tmp_path,
                       population_budget(4), OPTS, log=lambda m: None)  # fmt: skip
    steps = Trajectory(tmp_path / "trajectory.jsonl").steps
    assert [(s.kind, s.parent) for s in steps] == [("generate", None), ("optimize", 0), ("optimize", 1), ("repair", 2)]
    prompt = steps[2].messages[-1]["content"]
    assert "# Structures Hawk keeps for this task (2)" in prompt and "structurally different from all 2" in prompt
    assert structure_of(SCRIPT[1]).shown() in prompt and "x the bound)" in prompt  # the gap to the bound
    assert result.best_time_us == 60.0 and result.search == "population"
    assert json.loads((tmp_path / SEARCH_FILE).read_text()) == {"search": "population", "population": 4}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["search"] == "population" and [k["step"] for k in summary["kept"]] == [3, 1, 0]  # fastest first
    assert len({k["structure"] for k in summary["kept"]}) == 3 and summary["kept"][1]["tries"] == 1


def test_population_run_stops_on_the_token_budget(fake, tmp_path):
    llm = ScriptedLLM([fenced(s) for s in SCRIPT])
    result = run_agent(TASK, fake, llm, "feedback", tmp_path, population_budget(6, max_tokens=1), OPTS,
                       log=lambda m: None)  # fmt: skip
    assert result.stop_reason == "token budget" and result.steps == 1 and len(llm.calls) == 1


def test_resuming_a_population_run_continues_it_as_one_run_would(fake, tmp_path):
    whole = tmp_path / "whole"
    run_agent(TASK, fake, ScriptedLLM([fenced(s) for s in SCRIPT]), "feedback", whole, population_budget(6), OPTS,
              log=lambda m: None)  # fmt: skip
    part = tmp_path / "part"
    run_agent(TASK, fake, ScriptedLLM([fenced(s) for s in SCRIPT[:2]]), "feedback", part, population_budget(2), OPTS,
              log=lambda m: None)  # fmt: skip
    said: list[str] = []
    llm = ScriptedLLM([fenced(s) for s in SCRIPT[2:]])
    chain_budget = Budget(iterations=6, tune_budget=0, roofline_stop=None)  # the flag forgotten on the rerun
    result = run_agent(TASK, fake, llm, "feedback", part, chain_budget, OPTS, log=said.append)
    assert len(llm.calls) == 4 and result.search == "population" and any("continuing with search population" in m
                                                                         for m in said)  # fmt: skip
    one, two = Trajectory(whole / "trajectory.jsonl").steps, Trajectory(part / "trajectory.jsonl").steps
    assert [(s.kind, s.parent, s.candidate) for s in one] == [(s.kind, s.parent, s.candidate) for s in two]
    assert [s.messages for s in one] == [s.messages for s in two]  # the same population in every prompt
    # Untried structures first (steps 2, 4); then equal tries, so the best mean: B (90 -> 60 us, step 1).
    assert [s.parent for s in two] == [None, 0, 1, 2, 3, 1]


def test_a_bench_run_from_before_search_existed_still_resumes(tmp_path):
    from hawk.bench.plan import _jsonable

    fresh = {"budget": _jsonable(Budget()), "methods": ["feedback"], "tasks": ["t"], "samples": 1, "llm": {}}
    old = {**fresh, "budget": {k: v for k, v in fresh["budget"].items() if k not in ("search", "population")}}
    (tmp_path / "run.json").write_text(json.dumps(old))
    assert open_manifest(tmp_path, fresh, {"at": "now"})["invocations"] == [{"at": "now"}]
    with pytest.raises(ValueError, match="unknown search 'beam'"):
        Budget(search="beam")


def test_generate_and_bench_take_search_and_refuse_an_unknown_one(tmp_path):
    from typer.testing import CliRunner

    from hawk.cli.main import app

    for command in ("generate", "bench"):
        assert "--search" in CliRunner().invoke(app, [command, "--help"], terminal_width=200).output
    args = ["generate", "--task", str(EXP_TASK_FILE), "--target", "fake", "--out", str(tmp_path / "run"),
            "--provider", "exchange", "--exchange-dir", str(tmp_path / "ex"), "--search", "beam"]  # fmt: skip
    result = CliRunner().invoke(app, args, terminal_width=200)
    assert result.exit_code != 0 and "unknown search 'beam'" in result.output


def test_a_trajectory_from_before_search_json_continues_as_the_chain(fake, tmp_path):
    chain = Budget(iterations=1, tune_budget=0, roofline_stop=None)
    run_agent(TASK, fake, ScriptedLLM([fenced(SCRIPT[0])]), "feedback", tmp_path, chain, OPTS, log=lambda m: None)
    (tmp_path / SEARCH_FILE).unlink()
    llm = ScriptedLLM([fenced(SCRIPT[1])])
    result = run_agent(TASK, fake, llm, "feedback", tmp_path, population_budget(2), OPTS, log=lambda m: None)
    assert result.search == "chain" and json.loads((tmp_path / SEARCH_FILE).read_text())["search"] == "chain"
    assert "Structures Hawk keeps" not in Trajectory(tmp_path / "trajectory.jsonl").steps[1].messages[-1]["content"]
