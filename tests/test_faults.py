"""Faults: `hawk generate` and `hawk bench` killed with SIGKILL mid-run resume to the result an
uninterrupted run gets (at most the step in flight is lost), and the knowledge store stays consistent
under 8 concurrent writer processes, one of them killed mid-write. Logic tier: the model is played
through the exchange provider by this test, the target is the scripted `fake` one.
(tests/test_agent_kill.py kills `hawk generate` on the real simulator.)"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hawk
from hawk.agent.demo import TASK_FILE
from hawk.knowledge import KnowledgeStore
from hawk.records.trajectory import Trajectory

from .knowledge_items import pass_verdict, ub_item

ENV = {**os.environ, "PYTHONPATH": str(Path(hawk.__file__).parents[1])}
UB_FAIL = (
    '# fake-verdict: {"status": "compile_error", "error": {"kind": "ub_capacity", "constraint": "ub_capacity",\n'
    '#   "message": "UB overflow", "hardware_reason": "OP EXP in/output total size [262144] exceeds MEM_UB size [196608]!"}}\n'
)
REPLIES = [  # what the "model" answers, step by step: a UB overflow, a slow pass, a faster pass
    f"```python\n{UB_FAIL}def kernel(x, y, out):\n    pass\n```",
    "```python\n# fake-time-us: 20\ndef kernel(x, y, out):\n    pass\n```",
    "```python\n# fake-time-us: 8\ndef kernel(x, y, out):\n    pass\n```",
]


def _requests(exchange: Path) -> list[Path]:
    folder = exchange / "requests"
    return sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime) if folder.exists() else []


def _answer(exchange: Path, reply_for: Callable[[int], str | None], answered: set[str]) -> None:
    """Answer each request without a response, the n-th distinct one with `reply_for(n)`."""
    (exchange / "responses").mkdir(parents=True, exist_ok=True)
    for req in _requests(exchange):
        resp = exchange / "responses" / req.name
        if resp.exists() or req.name in answered:
            continue
        reply = reply_for(len(answered))
        if reply is None:
            return
        tmp = resp.with_suffix(".tmp")
        tmp.write_text(json.dumps({"content": reply}))
        tmp.replace(resp)
        answered.add(req.name)


def _wait(cond: Callable[[], bool], timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.1)


def _run_to_end(cmd: list[str], exchange: Path, reply_for: Callable[[int], str | None], answered: set[str]) -> str:
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    while proc.poll() is None:
        _answer(exchange, reply_for, answered)
        time.sleep(0.1)
    output = proc.stdout.read()
    assert proc.returncode == 0, output
    return output


def _generate_cmd(out: Path, exchange: Path) -> list[str]:
    return [sys.executable, "-m", "hawk.cli.main", "generate", "--task", str(TASK_FILE), "--target", "fake",
            "--method", "feedback", "--iterations", "3", "--out", str(out), "--provider", "exchange",
            "--exchange-dir", str(exchange), "--no-cache", "--seeds", "1", "--tune-budget", "0",
            "--roofline-stop", "0"]  # fmt: skip


def _steps(traj: Path) -> list[tuple[int, str, str | None]]:
    return [(s.index, s.status, s.candidate) for s in Trajectory(traj).steps]


def test_killed_generate_resumes_to_the_uninterrupted_result(tmp_path: Path) -> None:
    whole = tmp_path / "whole"
    _run_to_end(_generate_cmd(whole / "run", whole / "ex"), whole / "ex", lambda n: REPLIES[n], set())

    cut = tmp_path / "cut"
    cmd, exchange, answered = _generate_cmd(cut / "run", cut / "ex"), cut / "ex", set()
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:  # step 0 judged and written, step 1 asked for: SIGKILL while the model "thinks"
        _wait(lambda: len(_requests(exchange)) == 1)
        _answer(exchange, lambda n: REPLIES[n] if n == 0 else None, answered)
        _wait(lambda: (cut / "run" / "trajectory.jsonl").exists() and len(_requests(exchange)) == 2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert len(Trajectory(cut / "run" / "trajectory.jsonl").steps) == 1  # only the step in flight is lost
    output = _run_to_end(cmd, exchange, lambda n: REPLIES[n], answered)
    assert "replayed from the trajectory" in output

    assert _steps(cut / "run" / "trajectory.jsonl") == _steps(whole / "run" / "trajectory.jsonl")
    assert [s[1] for s in _steps(whole / "run" / "trajectory.jsonl")] == ["compile_error", "pass", "pass"]
    assert len(_requests(exchange)) == 3  # the rerun asked for the pending step once, under the same id
    assert (cut / "run" / "best_kernel.py").read_text() == (whole / "run" / "best_kernel.py").read_text()


BENCH_TASKS = ["l1_silu_fp32", "l1_gelu_tanh_fp16"]
UNIT_FIELDS = ("complete", "steps", "statuses", "passed", "best_step", "best_time_us", "speedup", "first_compiled")


def _bench_cmd(out: Path, exchange: Path) -> list[str]:
    return [sys.executable, "-m", "hawk.cli.main", "bench", "--suite", "npu-workloads", "--tasks", ",".join(BENCH_TASKS),
            "--method", "feedback", "--target", "fake", "--out", str(out), "--provider", "exchange",
            "--exchange-dir", str(exchange), "--iterations", "3", "--seeds", "1", "--no-experts", "--no-report",
            "--workers", "1"]  # fmt: skip


def _units(out: Path) -> dict[str, dict[str, Any]]:
    units = {}
    for task in BENCH_TASKS:
        record = json.loads((out / "feedback" / task / "s0" / "unit.json").read_text())
        units[task] = {k: record[k] for k in UNIT_FIELDS}
    return units


def test_killed_bench_resumes_to_the_uninterrupted_result(tmp_path: Path) -> None:
    def reply_for(n: int) -> str:
        return REPLIES[n % 3]  # each unit asks 3 times: UB overflow, slow pass, faster pass

    whole = tmp_path / "whole"
    _run_to_end(_bench_cmd(whole / "run", whole / "ex"), whole / "ex", reply_for, set())
    expected = _units(whole / "run")
    assert all(u["complete"] and u["statuses"] == ["compile_error", "pass", "pass"] for u in expected.values())

    cut = tmp_path / "cut"
    cmd, exchange, answered = _bench_cmd(cut / "run", cut / "ex"), cut / "ex", set()
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def second_step_asked() -> bool:  # the first unit's 3 replies and the second unit's first are given
        _answer(exchange, lambda n: reply_for(n) if n < 4 else None, answered)
        return len(_requests(exchange)) == 5

    try:  # the first unit done, the second one's second step asked for: SIGKILL the driver and its worker
        _wait(second_step_asked)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    second = cut / "run" / "feedback" / BENCH_TASKS[1] / "s0"
    assert not (second / "unit.json").exists() and len(Trajectory(second / "trajectory.jsonl").steps) == 1
    _run_to_end(cmd, exchange, reply_for, answered)
    assert _units(cut / "run") == expected
    assert len(_requests(exchange)) == 6  # no step asked for twice


def _writer(path: str, shared_id: str, worker: int, n: int) -> None:
    with KnowledgeStore(path) as store:
        for i in range(n):
            store.add(ub_item(proof=pass_verdict(), task=f"w{worker}-{i}"))
            store.record_effect(shared_id, injected=True, passed=i % 2 == 0, speedup=float(i))
            store.list("active")  # readers among the writers


def _endless_writer(path: str, shared_id: str) -> None:
    _writer(path, shared_id, 99, 10**6)


def _count(path: Path, prefix: str) -> int:
    with KnowledgeStore(path) as store:
        return sum(1 for it in store.list() if it.provenance.get("task", "").startswith(prefix))


def test_knowledge_store_stays_consistent_under_8_writers_and_a_kill(tmp_path: Path) -> None:
    path, writers, each = tmp_path / "k.db", 8, 12
    with KnowledgeStore(path) as store:
        shared = store.add(ub_item(proof=pass_verdict()))
    ctx = mp.get_context("spawn")
    victim = ctx.Process(target=_endless_writer, args=(str(path), shared.id))
    procs = [ctx.Process(target=_writer, args=(str(path), shared.id, w, each)) for w in range(writers)]
    for p in [victim, *procs]:
        p.start()
    _wait(lambda: _count(path, "w99-") >= 3)
    os.kill(victim.pid, signal.SIGKILL)  # mid-transaction or between two: either way nothing half-written
    victim.join()
    for p in procs:
        p.join(180)
        assert p.exitcode == 0
    with KnowledgeStore(path) as store:
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        items = store.list()
        by_writer = {it.provenance["task"].split("-")[0] for it in items}
        assert {f"w{w}" for w in range(writers)} <= by_writer
        killed = sum(1 for it in items if it.provenance["task"].startswith("w99-"))
        assert len(items) == 1 + writers * each + killed
        assert store.conn.execute("SELECT count(*) FROM items_fts").fetchone()[0] == len(items)
        added = store.conn.execute("SELECT count(*) FROM events WHERE kind = 'added'").fetchone()[0]
        assert added == len(items)  # every item with its event: no insert without the rest of its transaction
        effect = store.get(shared.id).effect
        assert effect.injected == len(effect.speedups) >= writers * each
