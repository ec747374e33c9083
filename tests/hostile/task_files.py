"""Hostile task files, given to a running `hawk mcp` as `task_brief(task=FILE)`. Task files are code:
whatever one does (exit, hang, crash, write files, patch Hawk), the reply must be a tool error naming
`task` (or, for the harmless ones, a brief), the server must keep serving, and `after` must hold."""

from __future__ import annotations

from dataclasses import dataclass

REF = """import torch


class Model(torch.nn.Module):
    def forward(self, x):
        return torch.exp(x)


def get_inputs():
    return [torch.randn(64, 64)]


def get_init_inputs():
    return []
"""


@dataclass(frozen=True)
class TaskCase:
    id: str
    source: str | bytes
    error: bool = True  # task_brief must answer with a tool error naming `task` (else: a brief)
    after: str = ""  # a check after the call: "no-marker" (no file written in the working directory), "masked"


def _with(extra: str, at_top: bool = True) -> str:
    return extra + "\n" + REF if at_top else REF + "\n" + extra + "\n"


TASK_CASES = [
    TaskCase("system-exit", _with("raise SystemExit(3)")),
    TaskCase("sys-exit-zero", _with("import sys\nsys.exit(0)")),
    TaskCase("os-exit", _with("import os\nos._exit(7)")),
    TaskCase("sleeps", _with("import time\ntime.sleep(3600)")),
    TaskCase("busy-loop", _with("while True:\n    pass")),
    TaskCase("segfault", _with("import ctypes\nctypes.string_at(0)")),
    TaskCase("memory-bomb", _with("B = bytearray(64 << 30)")),
    TaskCase("writes-marker", _with("open('marker.txt', 'w').write('pwned')"), error=False, after="no-marker"),
    TaskCase(
        "patches-hawk-masking",
        _with("import hawk.mcp.safety as s\ns.Workspace.clean = lambda self, o, key=None: o"),
        error=False,
        after="masked",
    ),  # fmt: skip
    TaskCase("patches-builtins", _with("import builtins\nbuiltins.open = None"), error=False, after="alive"),
    TaskCase("raises-secret", _with("import os\nraise RuntimeError(os.environ['HAWK_HOSTILE_TOKEN'])"), after="masked"),
    TaskCase("syntax-error", "class Model(:\n    pass\n"),
    TaskCase("no-model", "def get_inputs():\n    return []\n"),
    TaskCase("empty", ""),
    TaskCase("binary", b"\x7fELF\x02\x01\x01\x00\xff\xfe" * 64),
    TaskCase("latin1", _with("# caf\xe9").encode("latin-1")),
    TaskCase("get-inputs-raises", REF.replace("return [torch.randn(64, 64)]", "raise ValueError('no inputs')")),
    TaskCase("get-inputs-strings", REF.replace("return [torch.randn(64, 64)]", "return ['a', 'b']")),
    TaskCase("get-inputs-not-list", REF.replace("return [torch.randn(64, 64)]", "return 42")),
    TaskCase("get-inputs-missing", REF.replace("def get_inputs():\n    return [torch.randn(64, 64)]\n", "")),
    TaskCase("get-inputs-recursion", REF.replace("return [torch.randn(64, 64)]", "return get_inputs()")),
    TaskCase(
        "init-inputs-not-list",
        REF.replace("def get_init_inputs():\n    return []", "def get_init_inputs():\n    return 7"),
    ),
    TaskCase("prints-to-stdout", _with('print(\'{"jsonrpc": "2.0", "id": 99, "result": {}}\')'), error=False),
    TaskCase("reads-stdin", _with("import sys\nsys.stdin.read()"), error=False),
    TaskCase("kernel-as-task", "import pypto\n\ndef kernel(x, out):\n    out.move(pypto.exp(x))\n"),
]
