"""The `hawk` command as a user runs it: JSON verdicts, exit codes, one-line errors for bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DATA, EXP_TASK_FILE

HAWK = [sys.executable, "-m", "hawk.cli.main"]


def hawk(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*HAWK, *args], capture_output=True, text=True, timeout=timeout, env=dict(os.environ))


@pytest.mark.sim
def test_eval_json_pass():
    r = hawk("eval", str(DATA / "kernels" / "exp_mul_add_good.py"), "--task", str(EXP_TASK_FILE),
             "--seeds", "1", "--json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    v = json.loads(r.stdout)
    assert v["status"] == "pass" and v["target"] == "ascend-pypto" and v["mode"] == "sim"
    for key in ("seeds", "max_abs_diff", "max_rel_diff", "error_ratio"):
        assert key in v["correctness"]
    for key in ("time_us", "eager_time_us", "speedup", "roofline_us", "utilization", "pipes", "bottleneck"):
        assert key in v["perf"]
    assert set(v["artifacts"]) >= {"trace", "swimlane"}
    assert set(v["error"] or {}) == set()


@pytest.mark.sim
def test_eval_json_failure_exit_code():
    r = hawk("eval", str(DATA / "kernels" / "exp_mul_add_ub_overflow.py"), "--task",
             str(EXP_TASK_FILE), "--seeds", "1", "--json")  # fmt: skip
    assert r.returncode == 1
    v = json.loads(r.stdout)
    assert v["status"] == "compile_error"
    assert set(v["error"]) >= {"kind", "message", "hardware_reason", "op", "lines"}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["eval", "no/such/kernel.py", "--task", "x"], "kernel file not found"),
        (["eval", "{k}", "--task", "no-such-task"], "unknown task 'no-such-task'"),
        (["eval", "{k}", "--task", "missing/task.py"], "task file not found"),
        (["eval", "{k}", "--task", "{t}", "--target", "gpu-cuda"], "unknown target 'gpu-cuda'"),
        (["tasks", "--suite", "nope"], "unknown suite 'nope'"),
    ],
)
def test_bad_input_one_clear_line(args, needle):
    k, t = str(DATA / "kernels" / "exp_mul_add_good.py"), str(EXP_TASK_FILE)
    r = hawk(*[a.format(k=k, t=t) for a in args], timeout=60)
    assert r.returncode == 2
    assert needle in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert len(r.stderr.strip().splitlines()) == 1


def test_not_a_kernel_file(tmp_path: Path):
    notes = tmp_path / "notes.py"
    notes.write_text("print('hello')\n")
    r = hawk("eval", str(notes), "--task", str(EXP_TASK_FILE))
    assert r.returncode == 1
    assert "invalid" in r.stdout and "no top-level function named 'kernel'" in r.stdout
    binary = tmp_path / "blob.py"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    r = hawk("eval", str(binary), "--task", str(EXP_TASK_FILE))
    assert r.returncode == 1 and "invalid" in r.stdout and "not UTF-8" in r.stdout and "Traceback" not in r.stderr


def test_every_eval_json_failure_prints_a_json_verdict(tmp_path: Path):
    binary = tmp_path / "blob.py"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    r = hawk("eval", str(binary), "--task", str(EXP_TASK_FILE), "--json", timeout=60)
    v = json.loads(r.stdout)
    assert r.returncode == 1 and v["status"] == "invalid" and v["error"]["kind"] == "encoding"
    assert "not UTF-8" in v["error"]["message"] and v["task"] == EXP_TASK_FILE.stem
    huge = tmp_path / "huge.py"
    huge.write_text("# x\n" * 400_000)
    v = json.loads(hawk("eval", str(huge), "--task", str(EXP_TASK_FILE), "--json", timeout=60).stdout)
    assert v["status"] == "invalid" and "byte limit" in v["error"]["message"]
    k = str(DATA / "kernels" / "exp_mul_add_good.py")
    for args, needle in ((["no/such.py", "--task", "x"], "kernel file not found"),
                         ([k, "--task", "no-such-task"], "unknown task"),
                         ([k, "--task", str(EXP_TASK_FILE), "--target", "gpu-cuda"], "unknown target")):  # fmt: skip
        r = hawk("eval", *args, "--json", timeout=60)
        v = json.loads(r.stdout)
        assert r.returncode == 2 and v["status"] == "invalid" and v["error"]["kind"] == "usage", r.stdout
        assert needle in v["error"]["message"] and r.stderr == ""


def test_targets_lists_modes():
    r = hawk("targets", timeout=60)
    assert r.returncode == 0
    assert "ascend-pypto" in r.stdout and "sim" in r.stdout and "npu" in r.stdout


@pytest.mark.sim
def test_setup_command_checks_each_target():
    # scripts/setup.sh runs `hawk setup ascend-triton` and `hawk setup ascend-pypto` (the calibrated
    # bound): both are cached after it ran, so these read the caches.
    r = hawk("setup", "ascend-triton")
    assert r.returncode == 0 and "ascend-triton: ready" in r.stdout, r.stderr
    r = hawk("setup", "ascend-pypto")
    assert r.returncode == 0 and "ascend-pypto: ready" in r.stdout and "calibrated on" in r.stdout, r.stderr
    r = hawk("setup", "no-such-target")
    assert r.returncode == 2 and "unknown target" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.sim
def test_tune_writes_tuned_kernel_and_points(tmp_path):
    slow = tmp_path / "slow.py"
    slow.write_text((DATA / "kernels" / "exp_mul_add_good.py").read_text().replace("(16, 512)", "(2, 512)"))
    r = hawk("tune", str(slow), "--task", str(EXP_TASK_FILE), "--tune-budget", "6", "--seeds", "2",
             "--out", str(tmp_path / "out"))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "points simulated" in r.stdout and "before" in r.stdout and "x the roofline bound" in r.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert 1 <= summary["points_tried"] <= 6 and summary["after_us"] < summary["before_us"]
    rows = (tmp_path / "out" / "points.csv").read_text().splitlines()
    assert rows[0].startswith("index,") and len(rows) >= 2
    assert "(2, 512)" not in (tmp_path / "out" / "tuned_kernel.py").read_text()


@pytest.mark.sim
def test_tune_refuses_a_failing_kernel_and_a_missing_file(tmp_path):
    r = hawk("tune", str(DATA / "kernels" / "exp_mul_add_ub_overflow.py"), "--task", str(EXP_TASK_FILE),
             "--seeds", "1", "--out", str(tmp_path / "o"))  # fmt: skip
    assert r.returncode == 2 and "does not pass" in r.stderr and "tune a correct kernel" in r.stderr
    r = hawk("tune", str(tmp_path / "nope.py"), "--task", str(EXP_TASK_FILE))
    assert r.returncode == 2 and "kernel file not found" in r.stderr
