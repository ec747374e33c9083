"""Task files are untrusted code: whatever one does, Hawk asks a sandboxed child and gets data or a
TaskError naming the task; its own process, working directory and secrets stay untouched.
Logic tier: the children import torch at most, never the simulator."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

import pytest

from hawk import targets
from hawk.targets.base import EvalOptions
from hawk.targets.stress import stress_cases
from hawk.targets.tracing import Call as TracedCall
from hawk.targets.tracing import TensorArg, TensorInfo, calls_from_json, calls_to_json, trace_calls
from hawk.targets.verdict import Status
from hawk.tasks import sandboxed
from hawk.tasks.sandboxed import check_task_file, task_spec
from hawk.tasks.task import Task, TaskError, task_from_file

TASK_TAIL = """
import torch
import torch.nn as nn

class Model(nn.Module):
    def forward(self, x):
        return torch.relu(x)

def get_inputs():
    return [torch.randn(4, 8)]

def get_init_inputs():
    return []
"""
KERNEL = """
import pypto

@pypto.frontend.jit
def kernel(x: pypto.Tensor([4, 8], pypto.DT_FP32), out: pypto.Tensor([4, 8], pypto.DT_FP32)):
    out[:] = pypto.relu(x)
"""


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch, tmp_path):
    sandboxed.clear_cache()
    disk = tmp_path / "spec-cache"  # every test asks its own children (the user's cache stays out of it)
    monkeypatch.setattr(sandboxed, "_disk_path", lambda key: disk / f"{abs(hash(key))}.json")
    monkeypatch.chdir(tmp_path)  # the caller's working directory: nothing may appear here
    yield
    sandboxed.clear_cache()


def write_task(tmp_path: Path, name: str, head: str, tail: str = TASK_TAIL) -> Task:
    folder = tmp_path / "tasks"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(head) + tail)
    return task_from_file(path)


def failure(task: Task) -> str:
    with pytest.raises(TaskError) as info:
        task_spec(task)
    return str(info.value)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("raise SystemExit(3)\n", "task hostile: SystemExit: 3"),
        ("import os\nos._exit(7)\n", "exit code 7"),
        ("import ctypes\nctypes.string_at(0)\n", "killed by SIGSEGV"),
        ("x = bytearray(64 << 30)\n", "importing the task failed: MemoryError"),
        ("raise KeyboardInterrupt\n", "KeyboardInterrupt"),
        ("import os\nos._exit(0)\n", "ended without an answer"),
    ],
    ids=["SystemExit", "os._exit", "segfault", "64GiB", "KeyboardInterrupt", "exit0"],
)
def test_a_task_that_kills_its_process_is_a_task_error(tmp_path, head, expected):
    task = write_task(tmp_path, "hostile", head)
    message = failure(task)
    assert "hostile" in message and expected in message, message
    assert list(tmp_path.iterdir()) == [tmp_path / "tasks"]  # nothing written in the caller's directory


def test_a_hanging_task_times_out_and_is_asked_again_next_time(tmp_path, monkeypatch):
    monkeypatch.setenv("HAWK_TASK_TIMEOUT_S", "2")
    task = write_task(tmp_path, "hangs", "import time\ntime.sleep(600)\n")
    assert "no answer within 2 s" in failure(task)
    calls = []
    real = sandboxed._run
    monkeypatch.setattr(sandboxed, "_run", lambda *a: calls.append(a) or real(*a))
    failure(task)
    assert len(calls) == 1  # a timeout is not remembered: the machine may have been busy


def test_a_crashing_task_is_remembered_and_not_started_again(tmp_path, monkeypatch):
    task = write_task(tmp_path, "exits", "raise SystemExit(3)\n")
    first = failure(task)
    monkeypatch.setattr(sandboxed, "_run", lambda *a: pytest.fail("started again"))
    assert failure(task) == first


def test_contracts_are_remembered_on_disk_between_processes(tmp_path, monkeypatch):
    task = write_task(tmp_path, "relu", "")
    first = task_spec(task)
    sandboxed.clear_cache()  # as in a new process
    monkeypatch.setattr(sandboxed, "_run", lambda *a: pytest.fail("a child was started"))
    assert task_spec(task) == first


def test_side_effects_stay_in_the_childs_scratch_and_secrets_stay_out(tmp_path, monkeypatch):
    monkeypatch.setenv("HAWK_TEST_API_KEY", "sk-test-0123456789abcdef0123")
    head = """
    import os
    open("marker.txt", "w").write("x")
    if "HAWK_TEST_API_KEY" in os.environ:
        raise RuntimeError("the task sees the secret " + os.environ["HAWK_TEST_API_KEY"])
    """
    spec = task_spec(write_task(tmp_path, "marks", head))
    assert [(a.name, a.role, a.shape) for a in spec.args] == [("x", "input", (4, 8)), ("out", "output", (4, 8))]
    assert not (tmp_path / "marker.txt").exists() and not Path("marker.txt").exists()


def test_get_inputs_that_raises_and_a_forged_answer_are_task_errors(tmp_path):
    raises = write_task(tmp_path, "bad_inputs", "", TASK_TAIL.replace("return [torch.randn(4, 8)]", "1 / 0"))
    assert "ZeroDivisionError" in failure(raises)
    forged = """
    import json, os
    json.dump({"answer": {"args": [{"name": 1, "role": "input"}], "shapes": [], "shape_args": []}},
              open("answer.json", "w"))
    os._exit(0)
    """
    assert "malformed contract" in failure(write_task(tmp_path, "forged", forged))
    nested = "import os\nopen('answer.json', 'w').write('[' * 100000 + ']' * 100000)\nos._exit(0)\n"
    assert "ended without an answer" in failure(write_task(tmp_path, "nested", nested))


def test_files_that_are_not_tasks_are_refused_without_running_them(tmp_path, monkeypatch):
    monkeypatch.setattr(sandboxed, "_run", lambda *a: pytest.fail("a child was started"))
    kernel = write_task(tmp_path, "a_kernel", KERNEL, "")
    assert "is it a kernel file?" in failure(kernel)
    binary = tmp_path / "tasks" / "binary.py"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert "not UTF-8" in failure(task_from_file(binary))
    broken = write_task(tmp_path, "broken", "def (:\n")
    assert ":1: syntax error" in failure(broken)
    with pytest.raises(TaskError):
        check_task_file(task_from_file(binary))


def test_the_evaluation_of_a_hostile_task_is_a_verdict_and_hawk_goes_on(tmp_path):
    task = write_task(tmp_path, "exit_at_import", "import os\nos._exit(9)\n")
    verdict = targets.get("fake").evaluate("def kernel(x, out):\n    pass\n", task, EvalOptions(seeds=1))
    assert verdict.status == Status.RUNTIME_ERROR and verdict.error.kind == "task"
    assert "exit_at_import" in verdict.error.message and "exit code 9" in verdict.error.message


def test_stress_choice_and_trace_come_back_as_data(tmp_path, monkeypatch):
    monkeypatch.setenv("HAWK_CACHE_DIR", str(tmp_path / "cache"))  # chosen now, by a child, not read from a cache
    task = write_task(tmp_path, "relu", "")
    cases, note = stress_cases(task)
    assert [c["name"] for c in cases] == ["inputs x16", "inputs x1/16"] and "not shift-invariant" in note
    calls, how = trace_calls(task)
    assert how == "fx" and [c.kind for c in calls] == ["relu"]
    assert isinstance(calls[0].args[0], TensorArg) and calls[0].outputs[0].shape == [4, 8]


def test_traced_calls_survive_json_and_reject_malformed_data():
    info = TensorInfo([2, 3], "float16", [3, 1])
    call = TracedCall("n", "torch.x", "x", [TensorArg(info, "a"), slice(0, None, 2), Ellipsis, 3.5, [1, (2, 3)]],
                      {"dtype": object(), "dim": -1, "nested": {"k": None}}, [info])  # fmt: skip
    back = calls_from_json(calls_to_json([call]))[0]
    assert back.args[0].info == info and back.args[1:4] == [slice(0, None, 2), Ellipsis, 3.5]
    assert back.args[4] == [1, [2, 3]] and back.kwargs["dim"] == -1 and back.kwargs["nested"] == {"k": None}
    assert isinstance(back.kwargs["dtype"], str)  # an arbitrary object comes back as its text
    with pytest.raises((TypeError, KeyError, ValueError)):
        calls_from_json([{**calls_to_json([call])[0], "args": [{"$tensor": 5, "info": {}}]}])


# The modules that run in sandboxed children (workers, the task child) or define the in-process
# functions (hawk/tasks/__init__.py re-exports two of them for tests).
CHILD_SIDE = {"hawk/tasks/task.py", "hawk/tasks/__init__.py", "hawk/tasks/sandboxed.py", "hawk/targets/worker_kit.py",
              "hawk/targets/stress.py", "hawk/targets/tracing.py", "hawk/targets/ascend_pypto/worker.py",
              "hawk/targets/ascend_triton/worker_interp.py", "hawk/targets/ascend_triton/worker_npu.py",
              "hawk/tasks/shape_policy.py"}  # fmt: skip
RUNS_TASK_CODE = {"load_module", "load_task_module", "instantiate", "signature", "shape_set", "trace_here",
                  "choose_here", "stress_instances"}  # fmt: skip


def test_only_sandboxed_children_run_task_code():
    root = Path(__file__).resolve().parents[1]
    wrong = []
    for path in (root / "hawk").rglob("*.py"):
        rel = str(path.relative_to(root))
        if rel in CHILD_SIDE or "/suites/" in rel:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hawk."):
                wrong += [f"{rel} imports {a.name}" for a in node.names if a.name in RUNS_TASK_CODE]
    assert not wrong, "\n".join(wrong)


@pytest.mark.sim
def test_a_candidate_that_allocates_64_gib_at_import_is_named_as_the_candidate():
    from tests.conftest import DATA, EXP_TASK_FILE

    source = "HOG = bytearray(64 << 30)\n" + (DATA / "kernels" / "exp_mul_add_good.py").read_text()
    verdict = targets.get("ascend-pypto").evaluate(source, task_from_file(EXP_TASK_FILE), EvalOptions(seeds=1))
    assert verdict.status == Status.COMPILE_ERROR and verdict.error.kind == "import"
    assert verdict.error.message.startswith("candidate.py: importing the candidate kernel failed: MemoryError")
    assert "scratch" not in verdict.error.message and "task" not in verdict.error.message


@pytest.mark.sim  # the server's default target is ascend-pypto (nothing is simulated here)
def test_the_mcp_server_keeps_serving_after_hostile_task_files(tmp_path, monkeypatch):
    import anyio
    from mcp.client.session import ClientSession
    from mcp.client.stdio import stdio_client

    from tests.conftest import DATA
    from tests.test_mcp import _call, _error, _server

    monkeypatch.setenv("HAWK_CACHE_DIR", str(tmp_path / "cache"))  # the server asks its own children
    root = tmp_path / "project"
    root.mkdir()
    (root / "exits.py").write_text("raise SystemExit(3)\n" + TASK_TAIL)
    (root / "kills.py").write_text("import os\nos._exit(7)\n" + TASK_TAIL)
    (root / "marks.py").write_text("open('marker.txt', 'w').write('x')\n" + TASK_TAIL)
    (root / "kernel_as_task.py").write_text((DATA / "kernels" / "exp_mul_add_good.py").read_text())
    kernel = "import pypto\n\n\ndef kernel(x, out):\n    pass\n"

    async def scenario() -> None:
        async with stdio_client(_server(root)) as (read, write), ClientSession(read, write) as s:
            await s.initialize()
            for name, needle in (("exits.py", "SystemExit: 3"), ("kills.py", "exit code 7"),
                                 ("kernel_as_task.py", "is it a kernel file?")):  # fmt: skip
                assert needle in await _error(s, "task_brief", {"task": name})
            brief = await _call(s, "task_brief", {"task": "marks.py"})
            assert [a["name"] for a in brief["contract"]] == ["x", "out"]
            verdict = await _call(s, "evaluate_kernel", {"task": "kills.py", "source": kernel, "eager": False})
            assert verdict["status"] == "runtime_error" and "exit code 7" in json.dumps(verdict)

    anyio.run(scenario)
    assert not (root / "marker.txt").exists()


def test_resolving_a_hostile_task_file_runs_it_only_in_a_child(tmp_path):
    from hawk.tasks import resolve_task

    write_task(tmp_path, "kills", "import os\nos._exit(7)\n")
    task = resolve_task(str(tmp_path / "tasks" / "kills.py"))  # the shape policy measures it: in a child
    decision = task.extra["shape_policy"]
    assert decision["rule"] == "unmeasured" and "exit code 7" in decision["reason"]
    assert "exit code 7" in failure(task)
    big = write_task(tmp_path, "big", "batch_size = 4096\n", TASK_TAIL.replace("(4, 8)", "(batch_size, 2048)"))
    reduced = resolve_task(str(big.path)).extra["shape_policy"]  # decided in a child, checked field by field
    assert reduced["rule"] == "reduced" and reduced["constants"]["batch_size"][0] == 4096
    assert reduced["elements_original"] == 2 * 4096 * 2048 and reduced["elements_run"] <= reduced["budget_elements"]
