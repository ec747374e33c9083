"""`hawk bench` end to end: the real simulator, the real HTTP client, and an OpenAI-compatible server
on 127.0.0.1 that plays scripted replies (it is not a model, and the report says which endpoint ran).

One run (methods hawk and oneshot x 2 tasks, 2 local workers, experts on; hawk learns into the
run's knowledge store from both workers) is shared by the tests that read it; a rerun skips
everything; a SIGKILLed `hawk bench` resumes without repeating a finished step; and the same work
runs on a local Ray cluster. Evaluations are what cost time here (~5 s of CPU each), so every one is needed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hawk.agent.demo import SCRIPTED_REPLIES, TASK_FILE
from hawk.agent.loop import Budget
from hawk.bench import BenchConfig, BenchError, render, render_compare, run_bench
from hawk.bench.unit import SAMPLE_STRIDE, SampleOffsetLLM, load_record
from hawk.cli.main import app
from hawk.llm import LLMSettings, Message, make_llm
from hawk.targets.base import EvalOptions
from tests.scripted_endpoint import FakeEndpoint, Reply, ok_body, running_endpoint

# The real-tools tier (simulator, compilers, browser): `pytest -m 'not sim'` runs the logic tier alone.
pytestmark = pytest.mark.sim

DATA = Path(__file__).parent / "data"
RATIONALE = "Smaller vector tiles keep every op's input and output tiles inside the 192 KiB Unified Buffer."


def fenced(path: Path) -> str:
    return f"Here is the kernel:\n```python\n{path.read_text()}```"


# Per task: the reply for step 0, step 1, ... (the last one repeats). Both tasks fail first, then pass.
KERNELS = {
    "exp_mul_add": SCRIPTED_REPLIES[:2],  # UB overflow (compile_error), then 8-row tiles (pass)
    "row_center": [
        fenced(DATA / "kernels" / "row_center_wrong_axis.py"),
        fenced(DATA / "kernels" / "row_center_good.py"),
    ],
}
EXPECTED = {  # statuses per unit under a 2-iteration budget
    ("hawk", "exp_mul_add"): ["compile_error", "pass"],
    ("hawk", "row_center"): ["wrong_result", "pass"],
    ("oneshot", "exp_mul_add"): ["compile_error"],
    ("oneshot", "row_center"): ["wrong_result"],
}


class Router:
    """Stands in for FakeEndpoint.script: picks each reply from the request itself (task and step),
    so parallel workers get the right reply whatever order they ask in. Synthesis asks for a rationale."""

    def __init__(self, fake: FakeEndpoint) -> None:
        self.fake = fake
        self.hold: tuple[str, int, float] | None = None  # (task, step, seconds): delay that request once
        self.kernel_requests: list[tuple[str, int]] = []

    def __bool__(self) -> bool:
        return True

    def popleft(self) -> Reply:  # called under fake.lock, right after the request was appended
        text = "\n".join(m["content"] for m in self.fake.requests[-1]["messages"])
        task = re.search(r"# Task `([^`]+)`", text)
        if task is None:
            return Reply(body=ok_body(RATIONALE))
        step = len(re.findall(r"^- attempt \d+", text, re.M))
        self.kernel_requests.append((task.group(1), step))
        replies = KERNELS[task.group(1)]
        delay = 0.0
        if self.hold and self.hold[:2] == (task.group(1), step):
            delay, self.hold = self.hold[2], None
        return Reply(body=ok_body(replies[min(step, len(replies) - 1)]), delay_s=delay)


@pytest.fixture(scope="module")
def server():
    with running_endpoint() as fake:
        fake.script = Router(fake)  # type: ignore[assignment]
        yield fake


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> Path:
    """A two-task suite directory with expert kernels: an elementwise chain and a row reduction."""
    root = tmp_path_factory.mktemp("suite")
    (root / "tasks").mkdir()
    (root / "experts").mkdir()
    (root / "tasks" / "exp_mul_add.py").write_text(TASK_FILE.read_text())
    (root / "tasks" / "row_center.py").write_text((DATA / "tasks" / "row_center.py").read_text())
    (root / "experts" / "exp_mul_add.py").write_text((DATA / "kernels" / "exp_mul_add_good.py").read_text())
    (root / "experts" / "row_center.py").write_text((DATA / "kernels" / "row_center_good.py").read_text())
    (root / "suite.toml").write_text(
        '[suite]\nname = "mini"\n'
        '[[task]]\nid = "exp_mul_add"\nlevel = 1\ncategory = "elementwise"\n'
        '[[task]]\nid = "row_center"\nlevel = 2\ncategory = "reduction"\n'
    )
    return root


def settings(fake: FakeEndpoint) -> LLMSettings:
    return LLMSettings(base_url=fake.url, model="test-model", api_key="sk-secret-do-not-write", cache=False,
                       timeout_s=120, max_retries=1, retry_backoff_s=0.01)  # fmt: skip


def config(suite: Path, out: Path, methods: list[str], experts: bool = True) -> BenchConfig:
    return BenchConfig(suite=str(suite), methods=methods, out=out, budget=Budget(iterations=2, tune_budget=0, roofline_stop=None),
                       eval_options=EvalOptions(seeds=1), experts=experts)  # fmt: skip


@pytest.fixture(scope="module")
def local_run(server, suite, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "run"
    lines: list[str] = []
    outcome = run_bench(config(suite, out, ["hawk", "oneshot"]), settings(server), workers=2, log=lines.append)
    render(out)
    return out, outcome, lines


def test_local_pool_runs_every_unit(local_run, server):
    out, outcome, lines = local_run
    assert outcome.planned == 4 and outcome.skipped == 0 and len(outcome.ran) == 4 and outcome.experts_ran == 2
    records = {(r.method, r.task): r for r in outcome.ran}
    for (method, task), statuses in EXPECTED.items():
        r = records[(method, task)]
        assert r.complete and r.statuses == statuses, (method, task, r)
        assert r.passed == (statuses[-1] == "pass")
        assert r.provider == "openai" and r.model == "test-model" and r.total_tokens > 0
        assert (out / method / task / "s0" / "log.txt").is_file()
    assert len({r.worker_pid for r in outcome.ran}) == 2  # two worker processes shared the work
    assert all(r.worker_max_rss_kb > 0 and r.eval_max_rss_kb > 0 for r in outcome.ran)
    # Each unit asked for a kernel once per step (hawk's synthesis also asked for rationales).
    assert sorted(server.script.kernel_requests) == sorted(
        [(t, s) for m, t in records for s in range(len(records[(m, t)].statuses))]
    )
    for task in ("exp_mul_add", "row_center"):
        log = (out / "logs" / f"{task}.log").read_text()
        assert all(f"[{m} s0] unit {m}/{task}/s0 done" in log for m in ("hawk", "oneshot"))
        expert = json.loads((out / "experts" / f"{task}.json").read_text())
        assert expert["status"] == "pass" and expert["time_us"] > 0
    assert any("expert/row_center: pass" in line for line in lines)


def test_manifest_records_budget_and_settings_without_secrets(local_run):
    out, _, _ = local_run
    text = (out / "run.json").read_text()
    assert "sk-secret-do-not-write" not in text
    run = json.loads(text)
    assert run["methods"] == ["hawk", "oneshot"] and run["samples"] == 1 and run["suite"] == "mini"
    assert run["budget"] == {"iterations": 2, "max_tokens": None, "wall_s": None, "tune_budget": 0, "tune_workers": 2,
                             "candidates": 1, "variants": 1, "roofline_stop": None, "search": "chain", "population": 4}  # fmt: skip
    assert run["eval"]["seeds"] == 1 and run["llm"]["model"] == "test-model" and run["llm"]["api_key"] == "***"
    assert run["hawk_version"] and run["kb_path"] == str(out / "knowledge.sqlite")
    assert run["invocations"][0]["backend"] == "local" and run["invocations"][0]["workers"] == 2


def test_summary_metrics_and_knowledge(local_run):
    out, _, _ = local_run
    s = json.loads((out / "summary.json").read_text())
    hk, one = (s["metrics"][m] for m in ("hawk", "oneshot"))
    assert hk["units"] == 2 and hk["accuracy"] == 1.0 and hk["compile_rate"] == 1.0 and hk["compile_rate_first"] == 0.5
    assert one["accuracy"] == 0.0 and one["compile_rate"] == 0.5 and one["geomean_speedup"] is None
    assert hk["pass_at"] == {"pass@1": 1.0}
    # Speedups come from the verdicts; the geomean is over both correct units.
    sp = [u["speedup"] for u in s["units"] if u["method"] == "hawk"]
    assert hk["speedup_n"] == 2 and hk["geomean_speedup"] == pytest.approx((sp[0] * sp[1]) ** 0.5)
    assert hk["speedup_expert_n"] == 2 and hk["geomean_speedup_expert"] > 0
    assert set(s["by_level"]) == {"1", "2"} and set(s["by_category"]) == {"elementwise", "reduction"}
    assert s["by_level"]["2"]["oneshot"]["compile_rate"] == 1.0  # the wrong-axis kernel compiled
    # Method hawk learned the exp_mul_add repair into the run's own store (never the user's), with two
    # workers using the store at once; row_center's repair is the expert kernel, which is refused.
    kb = s["knowledge"]["final"]
    assert kb["path"] == str(out / "knowledge.sqlite") and kb["items"] >= 1
    growth = s["knowledge"]["growth"]
    assert len(growth) == 4 and growth[-1]["items"] == kb["items"] and growth[0]["items"] <= kb["items"]
    with sqlite3.connect(out / "knowledge.sqlite") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    md = (out / "summary.md").read_text()
    assert "model test-model at http://127.0.0.1:" in md and "| hawk | 2 |" in md


def test_rerun_skips_finished_units(local_run, server, suite):
    out, _, _ = local_run
    before = len(server.requests)
    outcome = run_bench(config(suite, out, ["hawk", "oneshot"]), settings(server), workers=2, log=lambda m: None)
    assert outcome.skipped == 4 and outcome.ran == [] and outcome.experts_ran == 0
    assert len(server.requests) == before  # nothing asked again
    # Settings that change results may not be mixed into the same directory.
    other = config(suite, out, ["feedback"])
    other.budget = Budget(iterations=3, tune_budget=0, roofline_stop=None)
    with pytest.raises(BenchError, match="another budget"):
        run_bench(other, settings(server), workers=1, log=lambda m: None)


def test_report_cli_rerenders_and_compares(local_run, tmp_path):
    out, _, _ = local_run
    (out / "report.html").unlink()
    result = CliRunner().invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file() and any(
        line.split()[:2] == ["hawk", "2"] for line in result.output.splitlines()
    )
    bad = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert bad.exit_code == 2 and "not a benchmark run" in bad.output


def test_bad_input_is_one_clear_line(suite, tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["bench", "--suite", str(suite), "--method", "feedback,magic", "--out", str(tmp_path / "x"),
                            "--base-url", "http://127.0.0.1:9/v1", "--model", "m"])  # fmt: skip
    assert r.exit_code == 2 and "unknown method(s) magic" in r.output
    r = runner.invoke(app, ["bench", "--suite", "no-such-suite", "--method", "feedback", "--out", str(tmp_path / "y"),
                            "--base-url", "http://127.0.0.1:9/v1", "--model", "m"])  # fmt: skip
    assert r.exit_code == 2 and "unknown suite 'no-such-suite'" in r.output
    r = runner.invoke(app, ["bench", "--suite", str(suite), "--method", "transplant", "--out", str(tmp_path / "z"),
                            "--base-url", "http://127.0.0.1:9/v1", "--model", "m"])  # fmt: skip
    assert r.exit_code == 2 and "needs --corpus" in r.output


def test_ray_local_cluster_runs_the_same_work(local_run, server, suite, tmp_path):
    out = tmp_path / "ray"
    outcome = run_bench(config(suite, out, ["oneshot"], experts=False), settings(server), workers=2,
                        ray_address="local", log=lambda m: None)  # fmt: skip
    assert outcome.backend == "ray" and len(outcome.ran) == 2
    assert {(r.method, r.task): r.statuses for r in outcome.ran} == {
        k: v for k, v in EXPECTED.items() if k[0] == "oneshot"
    }
    assert all(r.complete and r.worker_pid != os.getpid() for r in outcome.ran)
    assert json.loads((out / "run.json").read_text())["invocations"][0]["backend"] == "ray"
    render(out)
    paths = render_compare([local_run[0], out], tmp_path / "cmp")
    page = paths["html"].read_text()
    assert '<tr data-run="run" data-method="oneshot">' in page and '<tr data-run="ray" data-method="oneshot">' in page


def test_killed_bench_resumes_without_repeating_a_step(server, suite, tmp_path):
    """SIGKILL `hawk bench` (driver and worker) while a unit waits on the model for its second step:
    the finished unit is skipped and the cut-off unit resumes at that step."""
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "hawk.cli.main", "bench", "--suite", str(suite), "--tasks", "exp_mul_add",
           "--method", "oneshot,feedback", "--iterations", "2", "--seeds", "1", "--no-experts", "--workers", "1",
           "--out", str(out), "--base-url", server.url, "--model", "test-model", "--no-cache", "--swimlane",
           "--tune-budget", "0", "--roofline-stop", "0"]  # fmt: skip
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    router: Router = server.script  # type: ignore[assignment]
    router.hold = ("exp_mul_add", 1, 300.0)  # feedback's step 1 hangs until the kill
    start = len(router.kernel_requests)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    traj = out / "feedback" / "exp_mul_add" / "s0" / "trajectory.jsonl"
    try:
        end = time.time() + 240
        while not (len(router.kernel_requests) - start == 3 and traj.exists()):  # oneshot 1 + feedback 2 requests
            assert time.time() < end and proc.poll() is None, "bench did not reach the held request"
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its pool worker
        proc.wait()
    assert load_record(out / "oneshot" / "exp_mul_add" / "s0").complete
    assert load_record(out / "feedback" / "exp_mul_add" / "s0") is None
    assert len(traj.read_text().splitlines()) == 1

    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1 already done" in again.stdout
    assert router.kernel_requests[start + 3 :] == [("exp_mul_add", 1)]  # only the step cut off was asked again
    r = load_record(out / "feedback" / "exp_mul_add" / "s0")
    assert r.complete and r.statuses == ["compile_error", "pass"] and r.evaluations == 1  # step 0 replayed
    assert "step 0 (generate) replayed from the trajectory" in (out / "logs" / "exp_mul_add.log").read_text()
    s = json.loads((out / "summary.json").read_text())
    assert [g["unit"] for g in s["knowledge"]["growth"]] == ["oneshot/exp_mul_add/s0", "feedback/exp_mul_add/s0"]
    # --swimlane: the correct unit's best kernel was drawn once more, and its task page shows the image.
    assert (
        r.swimlane == "swimlane.png" and (out / "feedback" / "exp_mul_add" / "s0" / "swimlane.png").stat().st_size > 0
    )
    assert '<img src="../feedback/exp_mul_add/s0/swimlane.png"' in (out / "tasks" / "exp_mul_add.html").read_text()
    assert (out / "report.html").is_file()


def test_samples_are_separate_draws_through_the_cache(server, tmp_path):
    """Sample k of a unit is numbered apart from sample 0, so the response cache never answers one
    sample with another's reply (run_agent numbers draws by step only)."""
    llm = make_llm(settings(server).replace(cache=True, cache_dir=tmp_path / "cache"))
    messages = [Message("user", "# Task `row_center`\nWrite the kernel.")]
    before = len(server.requests)
    first = SampleOffsetLLM(llm, 0).complete(messages)
    second = SampleOffsetLLM(llm, SAMPLE_STRIDE).complete(messages)
    first_again = SampleOffsetLLM(llm, 0).complete(messages)
    assert len(server.requests) - before == 2
    assert not first.cached and not second.cached and first_again.cached


def test_a_run_recorded_before_the_tuner_budget_had_one_name_still_compares_equal():
    from hawk.agent.budget import Budget
    from hawk.bench.plan import _jsonable, _settled

    old = {"iterations": 2, "tune_points": 0}  # run.json as written before `tune_budget`
    assert _settled("budget", old) == _jsonable(Budget(iterations=2, tune_budget=0))
