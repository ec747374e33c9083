"""Candidate source is checked before anything runs: syntax, entry point, and cheating."""

import pytest

from hawk.targets.ascend_pypto.static_check import check_source
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
