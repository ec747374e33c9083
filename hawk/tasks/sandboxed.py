"""Task files are untrusted code: Hawk's process never imports one, it asks a sandboxed child.

A task file (KernelBench format) is arbitrary Python: importing it, calling `get_inputs` or running
the reference may exit, hang, crash, eat memory or write files. So every question Hawk's own
process has about a task is answered by a child with the kernels' isolation
(hawk/targets/sandbox.py: own process and session, wall-clock timeout, RLIMIT_AS memory limit, a
fresh scratch directory as its working directory, removed afterwards, and no secret-named
variables in its environment), and the answer comes back as JSON data, never as pickled objects.
`ask(task, handler, params)` runs `handler` ("module:function": called with the task and the JSON
`params`, it returns JSON-ready data) in such a child; callers own their handlers and check what
comes back:
- `task_spec(task)` (here): the kernel contract (one ArgSpec per argument), the shape set and
  the contract at each of its shapes (hence the dynamic axes);
- the value-stress cases the reference supports (hawk/targets/stress.py: `stress_cases`);
- the reference's traced calls, for eager baselines and task facts (hawk/targets/tracing.py).
A task that misbehaves gives a `TaskError` naming the task and what happened; Hawk goes on.
The targets' workers, children already, import the task themselves (hawk.targets.worker_kit).

Answers are remembered per (task file, content hash, shape, handler) in this process, at most
`CACHE_SIZE` of them: every evaluation and prompt asks, a child costs a Python start and a torch
import (~2 s), and a long-lived process (MCP server, bench) may see any number of task files.
Contracts are also kept on disk (`~/.cache/hawk/task-spec/`, by content hash and shape), so each
`hawk eval` of a task seen before starts no child; stress choices and traces have their own disk
caches (stress.py, the eager baselines).
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import re
import shutil
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hawk import config
from hawk.fileio import atomic_write_json
from hawk.scrub import scrub
from hawk.syntax import parse_python
from hawk.tasks.task import ArgSpec, Task, TaskError

if TYPE_CHECKING:
    from hawk.targets.sandbox import ChildResult

SPEC_VERSION = 1  # bump when what the child answers to "spec" changes (the disk cache keys on it)
CACHE_SIZE = 256
MAX_TASK_BYTES = 4 << 20  # a KernelBench task is a few KB; a bigger file is refused before parsing
MAX_RESULT_BYTES = 32 << 20
REQUIRED = ("Model", "get_inputs", "get_init_inputs")
ROLES = ("input", "param", "output", "scalar")  # ArgSpec.role ("scalar": a Python number from get_inputs)
_REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class TaskLimits:
    """The child's limits: HAWK_TASK_TIMEOUT_S and HAWK_TASK_MEMORY_MB override the defaults (a
    level-4 reference traced with torch.export on a busy 2-core machine takes tens of seconds)."""

    timeout_s: float = 180.0
    memory_mb: int = 16384  # as a kernel's (EvalOptions.memory_limit_mb)

    @classmethod
    def from_env(cls) -> TaskLimits:
        try:
            timeout_s = float(os.environ.get("HAWK_TASK_TIMEOUT_S", cls.timeout_s))
            memory_mb = int(os.environ.get("HAWK_TASK_MEMORY_MB", cls.memory_mb))
        except ValueError:
            raise TaskError("HAWK_TASK_TIMEOUT_S / HAWK_TASK_MEMORY_MB must be numbers") from None
        return cls(timeout_s, memory_mb)


@dataclass(frozen=True)
class TaskSpec:
    """What Hawk knows of a task without importing it: the kernel contract at the task's shape, the
    shape set it is judged on ([] for the file as written) and the contract at each of those shapes."""

    task_id: str
    args: tuple[ArgSpec, ...]
    shapes: tuple[dict[str, int], ...] = ()
    shape_args: tuple[tuple[ArgSpec, ...], ...] = ()

    def dynamic_axes(self) -> dict[str, list[int]]:
        """Per argument, the axes whose size changes across the shape set (they must be
        `pypto.DYNAMIC` in the kernel); {} for a single shape."""
        if len(self.shape_args) < 2:
            return {}
        out: dict[str, list[int]] = {}
        for i, first in enumerate(self.shape_args[0]):
            sizes = [tuple(args[i].shape) for args in self.shape_args]
            if any(len(sz) != len(first.shape) for sz in sizes):
                raise TaskError(f"task {self.task_id}: argument {first.name} changes rank across the shape set")
            axes = [a for a in range(len(first.shape)) if len({sz[a] for sz in sizes}) > 1]
            if axes:
                out[first.name] = axes
        return out


# ---------------------------------------------------------------------------------------- parent side
SPEC_HANDLER = "hawk.tasks.sandboxed:spec_answer"


def task_spec(task: Task) -> TaskSpec:
    """The kernel contract and shape set of `task`, from a sandboxed child (cached)."""
    data = ask(task, SPEC_HANDLER)
    try:
        args = tuple(_arg_spec(a) for a in data["args"])
        shapes = tuple({str(k): int(v) for k, v in s.items()} for s in data["shapes"])
        shape_args = tuple(tuple(_arg_spec(a) for a in sa) for sa in data["shape_args"])
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise TaskError(f"task {task.id}: the task process gave a malformed contract ({exc})"[:500]) from None
    if len(shape_args) not in (0, len(shapes)) or len({len(sa) for sa in shape_args}) > 1:
        raise TaskError(f"task {task.id}: the task process gave a malformed contract (shape set)")
    return TaskSpec(task.id, args, shapes, shape_args)


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()


_CACHE: OrderedDict[tuple[str, ...], dict[str, Any] | TaskError] = OrderedDict()
_LOCK = threading.Lock()  # the MCP server asks from worker threads


def ask(task: Task, handler: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """`handler(task, **params)`'s answer from a sandboxed child (cached), or the TaskError it ended
    with. The answer is JSON data from untrusted code: the caller checks every field it reads."""
    source = check_task_file(task)
    key = (str(task.path), _hash(source), json.dumps(task.shape, sort_keys=True), json.dumps(task.shapes), handler,
           json.dumps(params or {}, sort_keys=True))  # fmt: skip
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            hit = _CACHE[key]
            if isinstance(hit, TaskError):
                raise TaskError(str(hit))
            return hit
    disk = _disk_path(key) if handler == SPEC_HANDLER else None
    try:
        answer: dict[str, Any] | TaskError | None = _read_disk(disk)
        if answer is None:
            answer = _run(task, handler, params or {}, TaskLimits.from_env())
            if disk is not None:
                atomic_write_json(disk, answer)
    except _Transient as exc:  # a timeout may be the machine's load: asked again next time
        raise TaskError(str(exc)) from None
    except TaskError as exc:  # the same file fails the same way: do not start it again
        answer = exc
    with _LOCK:
        _CACHE[key] = answer
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    if isinstance(answer, TaskError):
        raise TaskError(str(answer))
    return answer


def _disk_path(key: tuple[str, ...]) -> Path:
    import hashlib

    digest = hashlib.sha256(json.dumps([SPEC_VERSION, *key[1:]]).encode()).hexdigest()[:24]
    return config.cache_dir() / "task-spec" / f"{digest}.json"


def _read_disk(path: Path | None) -> dict[str, Any] | None:
    """A cached contract (checked again by `task_spec` like a fresh one), or None."""
    try:
        data = json.loads(path.read_text()) if path is not None else None
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) and {"args", "shapes", "shape_args"} <= set(data) else None


def _hash(source: bytes) -> str:
    import hashlib

    return hashlib.sha256(source).hexdigest()[:16]


class _Transient(TaskError):
    """A failure that may not repeat (a timeout, a SIGKILL from outside): not cached."""


def check_task_file(task: Task) -> bytes:
    """The task file's bytes, once it is plausibly a KernelBench task: UTF-8 Python of sane size
    defining `Model`, `get_inputs` and `get_init_inputs` (read, never run). A kernel file given as
    a task is refused here with a message saying so."""
    path = Path(task.path)
    try:
        size = path.stat().st_size
        if size > MAX_TASK_BYTES:
            raise TaskError(f"task {task.id}: {path.name} is {size} bytes, over {MAX_TASK_BYTES} (not a task file)")
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except OSError as exc:
        raise TaskError(f"task {task.id}: cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise TaskError(f"task {task.id}: {path.name} is not UTF-8 text (byte {exc.start}): not a task file") from None
    try:
        tree = parse_python(text, filename=path.name)
    except SyntaxError as exc:
        raise TaskError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise TaskError(f"task {task.id}: {path.name} cannot be parsed: {type(exc).__name__}") from None
    names, star = _top_level_names(tree.body)
    missing = [n for n in REQUIRED if n not in names]
    if missing and not star:
        hint = "; it defines `kernel`: is it a kernel file?" if "kernel" in names else ""
        raise TaskError(f"task {task.id}: {path.name} is not a KernelBench task: no {', '.join(missing)}{hint}")
    return raw


def _top_level_names(body: list[ast.stmt]) -> tuple[set[str], bool]:
    """Names a module body binds (definitions, assignments, imports, also under if/try/with), and
    whether it star-imports (then anything may be defined)."""
    names: set[str] = set()
    star = False
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            star |= any(a.name == "*" for a in node.names)
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        for block in ("body", "orelse", "finalbody", "handlers"):
            if isinstance(node, (ast.If, ast.Try, ast.With)) and getattr(node, block, None):
                inner, inner_star = _top_level_names(getattr(node, block))
                names |= inner
                star |= inner_star
        if isinstance(node, ast.ExceptHandler):
            inner, inner_star = _top_level_names(node.body)
            names |= inner
            star |= inner_star
    return names, star


def _run(task: Task, handler: str, params: dict[str, Any], limits: TaskLimits) -> dict[str, Any]:
    """One sandboxed child running `handler`; its scratch directory is removed afterwards."""
    # The kernels' child runner: stdlib only, below every layer though it lives in targets (see
    # tests/test_layers.py); imported here, not at the top, since hawk.targets imports this module.
    from hawk.targets.sandbox import run_child

    workdir = config.new_scratch_dir("task-" + re.sub(r"[^\w.-]+", "_", task.id)[:60])
    try:
        request = {"handler": handler, "params": params, "task_id": task.id, "task_file": str(Path(task.path).resolve()),
                   "shape": task.shape, "shapes": task.shapes, "atol": task.atol, "rtol": task.rtol}  # fmt: skip
        (workdir / "request.json").write_text(json.dumps(request))
        child = run_child(
            [sys.executable, "-m", "hawk.tasks.sandboxed", "request.json"], cwd=workdir, env=child_env(),
            timeout_s=limits.timeout_s, memory_limit_mb=limits.memory_mb, log_path=workdir / "task.log",
        )  # fmt: skip
        return _answer_of(task, child, workdir / "answer.json", limits)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def child_env() -> dict[str, str]:
    """This process's environment with Hawk importable (run_child leaves out the secrets)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_REPO_ROOT), env.get("PYTHONPATH", "")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _answer_of(task: Task, child: ChildResult, answer_path: Path, limits: TaskLimits) -> dict[str, Any]:
    who = f"task {task.id}"
    if child.timed_out:
        raise _Transient(f"{who}: no answer within {limits.timeout_s:.0f} s (the task file, get_inputs or the "
                         f"reference hangs, or is slow; HAWK_TASK_TIMEOUT_S raises the limit)")  # fmt: skip
    answer: Any = None
    try:
        if answer_path.stat().st_size <= MAX_RESULT_BYTES:
            answer = json.loads(answer_path.read_text())
    except (OSError, ValueError, RecursionError):  # a forged answer may be anything (nested 10^5 deep)
        pass
    if isinstance(answer, dict) and isinstance(answer.get("error"), str) and child.returncode == 0:
        raise TaskError((scrub(answer["error"]) or "")[:2000])
    if isinstance(answer, dict) and isinstance(answer.get("answer"), dict) and child.returncode == 0:
        return answer["answer"]
    if child.signal_name:
        how = f"was killed by {child.signal_name}"
    elif child.returncode:
        how = f"ended with exit code {child.returncode} (os._exit at import, or in get_inputs or forward?)"
    else:
        how = "ended without an answer (os._exit(0) in the task?)"
    error = _Transient if child.signal_name == "SIGKILL" else TaskError  # SIGKILL: maybe the OOM killer, not the task
    raise error(scrub(f"{who}: the task process {how}{_log_tail(child.log_path)}") or who)


def _log_tail(path: Path, lines: int = 4) -> str:
    try:
        text = path.read_text(errors="replace")[-4000:]
    except OSError:
        return ""
    tail = [ln for ln in text.splitlines() if ln.strip()][-lines:]
    return ("; last output: " + " | ".join(tail))[:1000] if tail else ""


def _arg_spec(data: Any) -> ArgSpec:
    """An ArgSpec from the child's JSON, checked field by field (fields added later pass through)."""
    if not isinstance(data, dict):
        raise TypeError("an argument is not an object")
    known = {f.name for f in fields(ArgSpec)}
    values = {k: v for k, v in data.items() if k in known}
    if not isinstance(values.get("name"), str) or values.get("role") not in ROLES:
        raise ValueError(f"bad argument {str(data)[:80]}")
    if not isinstance(values.get("dtype"), str) or not isinstance(values.get("shape"), list):
        raise ValueError(f"bad argument {values['name']}")
    values["shape"] = tuple(int(d) for d in values["shape"])
    return ArgSpec(**values)


# ---------------------------------------------------------------------------------------- child side
def spec_answer(task: Task) -> dict[str, Any]:
    """In the child: the contract at the task's shape, its shape set and the contract per shape."""
    from dataclasses import asdict

    from hawk.tasks.task import shape_set, signature

    shapes = shape_set(task)
    per_shape = [[asdict(a) for a in signature(task.variant(s))] for s in shapes] if len(shapes) > 1 else []
    return {"args": [asdict(a) for a in signature(task)], "shapes": shapes, "shape_args": per_shape}


def _answer(request: dict[str, Any]) -> dict[str, Any]:
    """In the child: the request's handler run on its task (the handler imports the task file)."""
    module, _, name = str(request["handler"]).partition(":")
    if not module.startswith("hawk.") or not name:
        raise TaskError(f"not a Hawk handler: {request['handler']!r}")
    task = Task(id=request["task_id"], path=Path(request["task_file"]), shapes=request["shapes"],
                shape=request["shape"] or {}, atol=request["atol"], rtol=request["rtol"])  # fmt: skip
    answer = getattr(importlib.import_module(module), name)(task, **request["params"])
    if not isinstance(answer, dict):
        raise TaskError(f"handler {request['handler']} gave {type(answer).__name__}, not a dict")
    return answer


def main(argv: list[str]) -> int:
    """The child's entry point: `python -m hawk.tasks.sandboxed request.json` (in its scratch
    directory). Whatever the task raises, SystemExit included, becomes the answer's `error`."""
    request = json.loads(Path(argv[0]).read_text())
    answer_path = Path("answer.json").resolve()  # before the task runs: it may change directory
    try:
        out: dict[str, Any] = {"answer": _answer(request)}
    except TaskError as exc:
        out = {"error": str(exc)}
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt are the task's too
        out = {"error": f"task {request['task_id']}: {type(exc).__name__}: {exc}"[:2000]}
    answer_path.write_text(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
