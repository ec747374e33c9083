"""A worker that dies without recording an outcome: the verdict says what its log last said."""

from __future__ import annotations

from hawk.targets.judging import child_failure, last_words
from hawk.targets.verdict import Status

# The tail of a real worker log (a 5-D `where` in a KernelBench max-pool kernel, pypto 0.2.0 simulator).
NATIVE = """[INFO] compiling kernel
Caught exception: 'Errcode: F0EE4A!
exceed dimension limit!, func NormalizeShape, file codegen_utils.cpp, line 29
libtile_fwk_codegen.so(npu::tile_fwk::NormalizeShape(std::vector<long> const&, unsigned int)+0x3eb) [0x7fd469aca6eb]
libtile_fwk_codegen.so(npu::tile_fwk::CodeGenOpCloudNPU::PrepareWhereParam() const+0x9a) [0x7fd469a6031a]
libtile_fwk_codegen.so(npu::tile_fwk::CodeGenOpCloudNPU::GenWhereOp() const+0x2e) [0x7fd469a63d9e]
libtile_fwk_codegen.so(npu::tile_fwk::CodeGenCloudNPU::GenFuncBody(npu::tile_fwk::Function&) const+0x709) [0x7f]
'
"""


class _Child:
    timed_out = False
    signal_name = None
    returncode = 1
    wall_s = 3.0


def test_a_native_error_names_its_code_and_the_op_whose_code_generation_raised_it():
    words = last_words(NATIVE)
    assert words.startswith("Errcode: F0EE4A! exceed dimension limit!") and words.endswith("op WHERE)")
    status, kind, message = child_failure(_Child(), "compile", NATIVE)
    assert status == Status.COMPILE_ERROR and kind == "crash"
    assert message.startswith("the evaluation process died with exit code 1 during compile: Errcode: F0EE4A!")


def test_a_python_error_is_its_last_line_and_an_empty_log_adds_nothing():
    log = 'Traceback (most recent call last):\n  File "w.py", line 3, in <module>\nValueError: bad tile\n'
    assert last_words(log) == "ValueError: bad tile"
    assert child_failure(_Child(), "run", "")[2] == "the evaluation process died with exit code 1 during run"
