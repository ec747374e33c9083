"""Child process that times kernels on the simulator without verification (performance only).

Usage: python -m hawk.targets.ascend_pypto.perf_child request.json

The request names the results file, the logs folder and the per-kernel timeout; the kernels come
one JSON line at a time on stdin (a pool of these children serves a whole tuning run), and the
child ends when stdin closes.

Each kernel line names a module file, the function in it, argument shapes and dtypes and pypto
pass options. It is compiled and simulated on zero-filled arguments (the simulated profile does
not depend on the data), its stdout/stderr captured to its own log, and a `start` and a `done`
event are appended to the results file. A failed compile leaves pypto's state unusable, so the
child exits after the first failure and the parent (perf.SimPool) starts a new one for the rest.
Used by the eager baseline (one kernel per PyTorch op) and by the tuner (one kernel per point).
"""

from __future__ import annotations

import faulthandler
import importlib.util
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_SKIP = re.compile(r"^Errcode: FFFFFF!?$|\(\+?0x[0-9a-f]+\)|\[0x[0-9a-f]+\]")


def first_line(text: str) -> str:
    """The first informative line of a pypto exception (no error-code banner, no backtrace)."""
    for line in _ANSI.sub("", text).splitlines():
        line = line.strip()
        if line and not _SKIP.search(line):
            return line[:300]
    return text.strip()[:300]


def int_keys(options: dict[str, Any]) -> dict[str, Any]:
    """JSON turns the int keys of pass-option maps ({-1: 2}) into strings; pypto needs ints back."""
    out: dict[str, Any] = {}
    for key, value in options.items():
        out[key] = {int(k): int(v) for k, v in value.items()} if isinstance(value, dict) else value
    return out


def _load(path: str, cache: dict[str, Any]) -> Any:
    if path not in cache:
        name = f"hawk_perf_{len(cache)}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        cache[path] = module
    return cache[path]


def main(argv: list[str]) -> int:
    request = json.loads(Path(argv[1]).read_text())
    results = open(request["results"], "a", buffering=1)  # noqa: SIM115 - line-buffered event log

    def emit(**ev: Any) -> None:
        results.write(json.dumps(ev) + "\n")
        results.flush()
        os.fsync(results.fileno())

    import torch
    from pypto.frontend import jit
    from pypto.frontend.parser.entry import JitCallableWrapper, RunMode

    modules: dict[str, Any] = {}
    while line := sys.stdin.readline():
        if not line.strip():
            continue
        item = json.loads(line)
        name = item["name"]
        emit(event="start", name=name)
        log = os.open(os.path.join(request["logs"], f"{name}.log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(log, 1)
        os.dup2(log, 2)
        faulthandler.dump_traceback_later(float(request["kernel_timeout_s"]), exit=True)
        error = None
        t0 = time.perf_counter()
        try:
            fn = getattr(_load(item["module"], modules), item["function"])
            if isinstance(fn, JitCallableWrapper):  # a kernel's own @jit: its options come from the request
                fn = fn._original_func
            args = [torch.zeros(*shape, dtype=getattr(torch, dtype)) for shape, dtype in item["args"]]
            options = int_keys(item.get("pass_options") or {})
            extra = {"pass_options": options} if options else {}
            jit(fn, runtime_options={"run_mode": RunMode.SIM}, use_cache=False, **extra)(*args)
        except Exception as exc:  # noqa: BLE001 - any failure of this kernel is recorded
            error = f"{type(exc).__name__}: {first_line(str(exc))}"
        finally:
            faulthandler.cancel_dump_traceback_later()
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in (*saved, log):
                os.close(fd)
        emit(event="done", name=name, ok=error is None, error=error, wall_s=round(time.perf_counter() - t0, 3))
        if error is not None:  # pypto's state is unusable after a failed compile: let a new child go on
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
