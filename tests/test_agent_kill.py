"""A `hawk generate` process killed mid-run (SIGKILL) resumes: no step repeated, none lost.

The model is played through the exchange provider (request/response files), answered by this test
with the demo's scripted replies; the target is the real simulator.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hawk.agent.demo import SCRIPTED_REPLIES, TASK_FILE
from hawk.records.trajectory import Trajectory

# The real-tools tier (simulator, compilers, browser): `pytest -m 'not sim'` runs the logic tier alone.
pytestmark = pytest.mark.sim


def _answer_pending(exchange: Path, replies: list[str]) -> int:
    """Answer every request that has no response yet, in order; returns how many were answered."""
    answered = 0
    (exchange / "responses").mkdir(parents=True, exist_ok=True)
    for req in sorted((exchange / "requests").glob("*.json"), key=lambda p: p.stat().st_mtime):
        resp = exchange / "responses" / req.name
        if not resp.exists() and replies:
            tmp = resp.with_suffix(".tmp")
            tmp.write_text(json.dumps({"content": replies.pop(0)}))
            tmp.replace(resp)
            answered += 1
    return answered


def _wait(cond, timeout: float = 240.0) -> None:
    end = time.time() + timeout
    while not cond():
        if time.time() > end:
            raise TimeoutError("condition not reached")
        time.sleep(0.2)


def test_killed_generate_resumes(tmp_path):
    exchange, out = tmp_path / "exchange", tmp_path / "run"
    cmd = [sys.executable, "-m", "hawk.cli.main", "generate", "--task", str(TASK_FILE), "--method", "feedback",
           "--iterations", "3", "--out", str(out), "--provider", "exchange", "--exchange-dir", str(exchange),
           "--no-cache", "--seeds", "1", "--tune-budget", "0", "--roofline-stop", "0"]  # fmt: skip
    requests = lambda: list((exchange / "requests").glob("*.json")) if (exchange / "requests").exists() else []  # noqa: E731
    traj = out / "trajectory.jsonl"

    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: len(requests()) == 1)
        _answer_pending(exchange, [SCRIPTED_REPLIES[0]])
        # Step 0 is judged and written; the run then waits on the model for step 1: kill it there.
        _wait(lambda: traj.exists() and len(requests()) == 2)
    finally:
        proc.kill()
        proc.wait()
    assert len(Trajectory(traj).steps) == 1

    replies = list(SCRIPTED_REPLIES[1:])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    while proc.poll() is None:
        _answer_pending(exchange, replies)
        time.sleep(0.2)
    output = proc.stdout.read()
    steps = Trajectory(traj).steps
    assert [s.index for s in steps] == [0, 1, 2], output
    assert [s.status for s in steps] == ["compile_error", "pass", "pass"]
    assert "step 0 (generate) replayed from the trajectory" in output
    # The request the killed run was waiting on has a stable id, so the rerun asked for it once.
    assert len(requests()) == 3 and not replies
    assert proc.returncode == 0
