"""Candidate source is checked before anything runs: syntax, entry point, and cheating."""

import pytest

from hawk.targets.ascend_pypto.static_check import check_source, kernel_pass_options
from hawk.targets.verdict import Status

GOOD = """import pypto

def kernel(x: pypto.Tensor([8, 8], pypto.DT_FP32), out: pypto.Tensor([8, 8], pypto.DT_FP32)):
    out.move(pypto.exp(x))
"""


def test_good_source_passes():
    assert check_source(GOOD) is None


def test_syntax_error_names_line():
    finding = check_source("import pypto\n\ndef kernel(x:\n    pass\n")
    assert finding.status == Status.COMPILE_ERROR
    assert finding.error.kind == "syntax"
    assert "line 3" in finding.error.message


@pytest.mark.parametrize(
    ("snippet", "needle"),
    [
        ("import torch\n", "imports torch"),
        ("from torch import nn\n", "imports torch"),
        ("import os\n", "imports 'os'"),
        ("import subprocess\n", "imports 'subprocess'"),
        ("x = open('/tmp/golden.bin').read()\n", "open()"),
        ("f = getattr(pypto, 'exp')\n", "getattr()"),
        ("pypto.exp = lambda t: t\n", "patches pypto.exp"),
        ("pypto.set_verify_golden_data(goldens=[])\n", "configures the harness"),
        ("m = pypto._utils\n", "private attribute"),
        ("CACHE = {}\ndef f():\n    global CACHE\n", "global"),
        ("from pypto import set_verify_golden_data as g\n", "reaches into the harness"),
        ("from pypto.runtime import _pto_verify_datas\n", "reaches into the harness"),
        ("from pypto import *\n", "reaches into the harness"),
    ],
)
def test_cheating_is_invalid(snippet, needle):
    finding = check_source(GOOD + snippet)
    assert finding is not None and finding.status == Status.INVALID
    assert needle in finding.error.message


def test_missing_entry_point_is_invalid():
    finding = check_source("import pypto\n\ndef compute(x):\n    return x\n")
    assert finding.status == Status.INVALID
    assert "kernel" in finding.error.message


def test_empty_source_is_invalid():
    assert check_source("   \n").status == Status.INVALID


# ---------------------------------------------------------------- pass options and module constants
NBUF_KERNEL = """import pypto

NBUF = 3
ROWS, COLS = 8, 8


@pypto.frontend.jit(pass_options={"vec_nbuffer_setting": {-1: NBUF}, "cube_nbuffer_setting": {-1: NBUF - 1}})
def kernel(x: pypto.Tensor([ROWS, COLS], pypto.DT_FP32), out: pypto.Tensor([ROWS, COLS], pypto.DT_FP32)):
    out.move(pypto.exp(x))
"""


def test_module_integer_constants_are_accepted_as_pass_option_counts():
    assert check_source(NBUF_KERNEL) is None
    assert kernel_pass_options(NBUF_KERNEL) == {"vec_nbuffer_setting": {-1: 3}, "cube_nbuffer_setting": {-1: 2}}


def test_a_pass_option_count_that_is_not_static_is_still_refused():
    source = NBUF_KERNEL.replace("{-1: NBUF}", "{-1: UNKNOWN}")
    finding = check_source(source)
    assert finding.status == Status.INVALID
    assert "module integer constants" in finding.error.message and "NBUF = 2" in finding.error.message


# ---------------------------------------------------------------- what pypto's frontend cannot compile
def kernel_with(body: str) -> str:
    """A kernel of the demo task's shape (256 x 512) whose body is `body` (4-space indented)."""
    return (
        "import pypto\n\nM, N = 256, 512\nCI = 64\nSPANS = [(0, 128), (128, 256)]\n\n\n"
        "def kernel(x: pypto.Tensor([M, N], pypto.DT_FP32), out: pypto.Tensor([M, N], pypto.DT_FP32)):\n"
        "    pypto.set_vec_tile_shapes(8, 512)\n" + body
    )


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        # measured on the simulator: "name 'pypto' is not defined" / "name 'CI' is not defined"
        ("    parts = [pypto.exp(x[r * 64 : r * 64 + 64, :]) for r in range(4)]\n",
         ["a list comprehension", "reads pypto, x", "parts.append"]),
        ("    starts = [r * CI for r in range(4)]\n", ["a list comprehension", "reads CI", "name 'CI' is not defined"]),
        ("    total = sum(pypto.exp(x) for _ in range(2))\n", ["a generator expression", "reads pypto, x"]),
        ("    f = lambda t: pypto.exp(t)\n", ["a lambda", "reads pypto"]),
        # measured: "Cannot unpack 4 values into 2 targets"
        ("    for lo, hi in [(0, 64), (64, 128), (128, 192), (192, 256)]:\n        out.move(x)\n",
         ["`for lo, hi in ...`", "4 items", "Cannot unpack 4 values into 2 targets", "for k in range(len(SEQ))"]),
        ("    spans = [(0, 64), (64, 128), (128, 256)]\n    for lo, hi in spans:\n        out.move(x)\n",
         ["3 items", "lo, hi = spans[k]"]),
    ],
)  # fmt: skip
def test_constructs_the_frontend_cannot_compile_are_named_with_the_way_to_write_them(body, needles):
    finding = check_source(kernel_with(body))
    assert finding is not None and finding.status == Status.COMPILE_ERROR and finding.error.kind == "frontend"
    for needle in needles:
        assert needle in finding.error.message
    assert finding.error.lines  # the offending line is shown


@pytest.mark.parametrize(
    "body",
    [
        # each of these passed on the simulator (pypto 0.2.0), so the check must let them through
        "    starts = [r * 64 for r in range(4)]\n",  # names only its own variable and builtins
        "    for lo, hi in [(0, 128), (128, 256)]:\n        out.move(x)\n",  # as many items as names
        "    for lo, hi in SPANS:\n        out.move(x)\n",  # the same through a module constant
        "    for k, lo in enumerate([0, 64, 128, 192]):\n        out.move(x)\n",
        "    for lo, hi in zip([0, 64], [64, 128]):\n        out.move(x)\n",
        "    lo, hi = 0, 256\n    out.move(x[lo:hi, :])\n",
        "    parts = []\n    for r in range(4):\n        parts.append(pypto.exp(x[r * CI : r * CI + CI, :]))\n",
    ],
)
def test_what_the_frontend_compiles_is_not_refused(body):
    assert check_source(kernel_with(body + "    out.move(x)\n")) is None


def test_helper_functions_may_use_comprehensions():
    # a helper the kernel calls runs as ordinary Python (measured: passes on the simulator)
    helper = "\n\ndef rows(t, r):\n    return [t[r * CI : r * CI + CI, :] for _ in range(1)][0]\n"
    assert check_source(kernel_with("    out.move(x)\n") + helper) is None


def test_getattr_message_says_what_to_write_instead():
    finding = check_source(GOOD + "def f(t):\n    return getattr(t, 'dtype')\n")
    assert finding.status == Status.INVALID
    assert "write t.dtype instead of getattr(t, 'dtype')" in finding.error.message


@pytest.mark.sim
@pytest.mark.parametrize(
    ("body", "simulator_says"),
    [
        ("    parts = [pypto.exp(x[r * CI : r * CI + CI, :]) for r in range(4)]\n    out.move(x)\n",
         "is not defined"),
        ("    for lo, hi in [(0, 64), (64, 192), (192, 256)]:\n"
         "        pypto.assemble(pypto.exp(x[lo:hi, :]), [lo, 0], out)\n", "Cannot unpack 3 values into 2 targets"),
    ],
)  # fmt: skip
def test_what_the_check_refuses_breaks_on_the_simulator(body, simulator_says, monkeypatch):
    # Run past the static check: pypto's frontend fails these kernels the way the check says.
    from hawk import targets
    from hawk.targets.ascend_pypto.target import AscendPyptoTarget
    from hawk.targets.base import EvalOptions
    from hawk.tasks.task import task_from_file

    from .conftest import EXP_TASK_FILE

    source = kernel_with(body).replace(
        "out: pypto.Tensor([M, N], pypto.DT_FP32)):",
        "y: pypto.Tensor([M, N], pypto.DT_FP32), out: pypto.Tensor([M, N], pypto.DT_FP32)):",
    )
    finding = check_source(source)
    assert finding is not None and finding.status == Status.COMPILE_ERROR
    monkeypatch.setattr(AscendPyptoTarget, "static_check", lambda self, src: None)
    verdict = targets.get("ascend-pypto").evaluate(
        source, task_from_file(EXP_TASK_FILE), EvalOptions(seeds=1, with_eager_baseline=False, stress=False)
    )
    assert verdict.status == Status.COMPILE_ERROR and simulator_says in verdict.error.message
    assert finding.error.message not in verdict.error.message and verdict.artifacts.workdir  # it ran
