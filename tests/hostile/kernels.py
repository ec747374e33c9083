"""Hostile kernels for target ascend-pypto (and a few for ascend-triton), with the verdict each must
earn. Most are refused by the static check before anything runs (logic tier); the `sim` ones must run
on the simulator to be caught (input copying, caching across seeds, wrong shapes, resource bombs)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KernelCase:
    id: str
    source: str
    status: str  # the verdict status it must get ("invalid", "compile_error"); "not pass": any but pass
    needle: str = ""  # text the verdict's error message must contain
    target: str = "ascend-pypto"
    sim: bool = False  # must run on the simulator to be caught


HEAD = "import pypto\n\nM, N = 256, 512\n\n"
SIG = (
    "def kernel(\n    x: pypto.Tensor([M, N], pypto.DT_FP32),\n    y: pypto.Tensor([M, N], pypto.DT_FP32),\n"
    "    out: pypto.Tensor([M, N], pypto.DT_FP32),\n):\n"
)
BODY = "    pypto.set_vec_tile_shapes(16, 512)\n    out.move(pypto.add(pypto.mul(pypto.exp(x), y), x))\n"
GOOD = HEAD + SIG + BODY


def _in_body(line: str) -> str:
    return HEAD + SIG + f"    {line}\n" + BODY


def _at_top(line: str) -> str:
    return HEAD + line + "\n\n" + SIG + BODY


# Imports a kernel has no business with: the reference's own library, files, processes, the harness.
FORBIDDEN_MODULES = [
    "os", "sys", "subprocess", "ctypes", "importlib", "builtins", "socket", "pickle", "shutil", "pathlib",
    "threading", "multiprocessing", "signal", "inspect", "gc", "numpy", "jax", "io", "tempfile", "resource",
    "mmap", "marshal", "shelve", "urllib.request", "http.client", "asyncio", "code", "runpy", "pty",
    "fcntl", "atexit", "weakref", "copyreg", "types", "functools", "operator", "random", "time", "json",
]  # fmt: skip
TORCH_FORMS = [
    "import torch", "import torch.nn.functional as F", "from torch import exp", "import torch as pypto2",
    "from torch.nn import functional", "import torch_npu",
]  # fmt: skip
# Reflection and dynamic code: every route to a name the static check would refuse if spelled out.
REFLECTION = [
    ("getattr(pypto, 'exp')", "getattr()"), ("setattr(pypto, 'exp', None)", "setattr()"),
    ("delattr(pypto, 'exp')", "delattr()"), ("globals()['t'] = 1", "globals()"), ("locals()", "locals()"),
    ("vars(pypto)", "vars()"), ("eval('1+1')", "eval()"), ("exec('x = 1')", "exec()"),
    ("compile('1', 'f', 'eval')", "compile()"), ("__import__('os')", "__import__()"),
    ("breakpoint()", "breakpoint()"), ("open('/tmp/x', 'w').write('1')", "open()"), ("input()", "input()"),
    ("memoryview(b'x')", "memoryview()"), ("exit(0)", "exit()"), ("quit()", "quit()"),
    ("b = __builtins__", "__builtins__"), ("s = __spec__", "__spec__"), ("l = __loader__", "__loader__"),
    ("c = ().__class__.__bases__[0].__subclasses__()", "private attribute"),
    ("d = pypto.__dict__", "private attribute"), ("f = kernel.__globals__", "private attribute"),
    ("c = (lambda: 0).__code__", "private attribute"), ("m = type(x).__mro__", "private attribute"),
    ("g = x._impl", "private attribute"), ("t = pypto.Tensor.__init__", "private attribute"),
]  # fmt: skip
# The verifier and the harness: configuring, patching or deleting them.
TAMPERING = [
    ("pypto.set_verify_golden_data(goldens=[])", "configures the harness"),
    ("pypto.set_verify_options(enable_pass_verify=False)", "configures the harness"),
    ("pypto.set_options(x=1)", "configures the harness"), ("pypto.set_runtime_options(x=1)", "configures the harness"),
    ("pypto.set_debug_options(x=1)", "configures the harness"), ("pypto.set_host_options(x=1)", "configures the harness"),
    ("pypto.set_codegen_options(x=1)", "configures the harness"), ("r = pypto.runtime", "configures the harness"),
    ("t = pypto.from_torch(x)", "configures the harness"), ("pypto.exp = pypto.abs", "patches pypto.exp"),
    ("pypto.verify = None", "patches pypto.verify"), ("math.isclose = max", "patches math.isclose"),
    ("del pypto.exp", "patches pypto.exp"),
]  # fmt: skip
TAMPER_IMPORTS = [
    ("from pypto import set_verify_golden_data", "reaches into the harness"),
    ("from pypto.runtime import _pto_verify_datas", "reaches into the harness"),
    ("from pypto import *", "reaches into the harness"), ("from math import *", "reaches into the harness"),
    ("import pypto._C", "reaches into the harness"), ("from pypto import _utils", "reaches into the harness"),
    ("import pypto.runtime", "reaches into the harness"), ("from pypto import from_torch", "reaches into the harness"),
]  # fmt: skip
# State kept between calls (an output computed once and replayed for every seed) and writes outside outputs.
STATE = [
    ("global CACHE", "global"), ("nonlocal CACHE", "global"),
]  # fmt: skip


def _cases() -> list[KernelCase]:
    cases = [KernelCase(f"import-{m}", _at_top(f"import {m}"), "invalid", f"imports '{m}'") for m in FORBIDDEN_MODULES]
    cases += [KernelCase(f"import-{m}-in-body", _in_body(f"import {m}"), "invalid", "imports") for m in ("os", "sys")]
    cases += [KernelCase(f"torch-{i}", _at_top(form), "invalid", "import") for i, form in enumerate(TORCH_FORMS)]
    cases += [
        KernelCase(f"torch-in-body-{i}", _in_body(form), "invalid", "import") for i, form in enumerate(TORCH_FORMS[:3])
    ]
    cases += [
        KernelCase(f"reflection-{i}", _in_body(code), "invalid", needle) for i, (code, needle) in enumerate(REFLECTION)
    ]
    cases += [
        KernelCase(f"reflection-top-{i}", _at_top(code), "invalid", needle)
        for i, (code, needle) in enumerate(REFLECTION[:8])
    ]
    cases += [KernelCase(f"tamper-{i}", _at_top("import math\n" + code) if code.startswith("math") else _in_body(code),
                         "invalid", needle) for i, (code, needle) in enumerate(TAMPERING)]  # fmt: skip
    cases += [
        KernelCase(f"tamper-import-{i}", _at_top(code), "invalid", needle)
        for i, (code, needle) in enumerate(TAMPER_IMPORTS)
    ]
    cases += [
        KernelCase("global-cache", HEAD + "CACHE = {}\n\n" + SIG + "    global CACHE\n" + BODY, "invalid", "global")
    ]
    cases += [KernelCase("nonlocal-cache", HEAD + "def outer():\n    CACHE = 1\n    def f():\n        nonlocal CACHE\n"
                         "    return f\n\n" + SIG + BODY, "invalid", "global")]  # fmt: skip
    return cases + _broken() + _triton() + _sim()


def _broken() -> list[KernelCase]:
    """Not kernels at all: empty, binary, too deep for the parser, no entry point, syntax errors."""
    return [
        KernelCase("empty", "", "invalid", "empty"),
        KernelCase("blank", "\n\n   \n", "invalid", "empty"),
        KernelCase("null-bytes", GOOD + "\x00\x00", "compile_error", "null bytes"),
        KernelCase("binary-text", "\x7fELF\x02\x01\x01\x00" + "\ufffd" * 20, "compile_error"),
        KernelCase("deep-unary", "x = " + "-" * 100000 + "1\n" + GOOD, "invalid", "nested too deeply"),
        KernelCase("deep-parens", "x = " + "(" * 300 + "1" + ")" * 300 + "\n" + GOOD, "compile_error", "nested"),
        KernelCase("no-entry-point", HEAD + SIG.replace("def kernel", "def kernal") + BODY, "invalid", "kernel"),
        KernelCase("entry-is-class", HEAD + "class kernel:\n    pass\n", "invalid", "kernel"),
        KernelCase("entry-is-lambda", HEAD + "kernel = lambda x, y, out: None\n", "invalid", "kernel"),
        KernelCase("syntax-error", GOOD + "def oops(:\n", "compile_error", "syntax error"),
        KernelCase("indent-error", GOOD + "  x = 1\n", "compile_error", "syntax error"),
        KernelCase("tabs-mixed", HEAD + SIG + "\tpypto.set_vec_tile_shapes(16, 512)\n        out.move(x)\n", "compile_error"),
        KernelCase("markdown-fence", "```python\n" + GOOD + "```\n", "compile_error", "syntax error"),
        KernelCase("prose", "Here is the kernel you asked for. It is fast.\n", "compile_error", "syntax error"),
    ]  # fmt: skip


TRITON_HEAD = "import triton\nimport triton.language as tl\n\n"
TRITON_BODY = (
    "@triton.jit\ndef kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):\n    pid = tl.program_id(0)\n"
    "    offs = pid * BLOCK + tl.arange(0, BLOCK)\n    tl.store(out_ptr + offs, tl.load(x_ptr + offs), mask=offs < n)\n"
)


def _triton() -> list[KernelCase]:
    lines = ["import torch", "import os", "import subprocess", "getattr(tl, 'load')", "eval('1')", "open('x')",
             "import numpy", "__import__('os')"]  # fmt: skip
    return [KernelCase(f"triton-{i}", TRITON_HEAD + line + "\n\n" + TRITON_BODY, "invalid", "", target="ascend-triton")
            for i, line in enumerate(lines)]  # fmt: skip


def _sim() -> list[KernelCase]:
    """Cheats the static check cannot see: only running them shows they are wrong."""
    copy = HEAD + SIG + "    pypto.set_vec_tile_shapes(16, 512)\n    out.move(pypto.add(x, 0.0))\n"
    cache = (
        HEAD + "SEEN = {}\n\n" + SIG + "    pypto.set_vec_tile_shapes(16, 512)\n    if 'out' in SEEN:\n"
        "        out.move(SEEN['out'])\n        return\n    SEEN['out'] = pypto.add(x, 0.0)\n    out.move(SEEN['out'])\n"
    )
    wrong_shape = GOOD.replace("pypto.Tensor([M, N], pypto.DT_FP32),\n):", "pypto.Tensor([M, 8], pypto.DT_FP32),\n):")
    wrong_dtype = GOOD.replace("out: pypto.Tensor([M, N], pypto.DT_FP32)", "out: pypto.Tensor([M, N], pypto.DT_FP16)")
    return [
        KernelCase("copies-input", copy, "not pass", sim=True),
        KernelCase("caches-across-seeds", cache, "not pass", sim=True),
        KernelCase("wrong-output-shape", wrong_shape, "not pass", sim=True),
        KernelCase("wrong-output-dtype", wrong_dtype, "not pass", sim=True),
        KernelCase("endless-loop", HEAD + "while True:\n    pass\n" + SIG + BODY, "timeout", sim=True),
        KernelCase("memory-bomb", HEAD + "B = bytearray(64 << 30)\n" + SIG + BODY, "not pass", sim=True),
    ]


KERNEL_CASES = _cases()
