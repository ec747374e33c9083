"""Parsing pypto's logs and reports (lines below were captured from real simulator runs)."""

import json
from pathlib import Path

from hawk.targets.ascend_pypto import harvest

PLOG = """\
[ERROR] PYPTO(3756):2026-11-24 14:37:28.696 [schedule_base.h:358][PASS]:[OoOScheduleBase.Operation]:OP EXP[10009] in/output total size [262144] exceeds MEM_UB size [196608]!
[ERROR] PYPTO(3756):2026-11-24 14:37:28.696 [schedule_base.h:423][PASS]:[OoOScheduleBase.Operation]:EXP[10009] checkOpBufferSize failed! [FuncMagic:8][OpMagic:10009][Backtrace]:.
[ERROR] PYPTO(3756):2026-11-24 14:37:28.696 [pass.cpp:79][PASS]:[Pass.Function]:Run pass [OoOSchedule] failed.
"""


def _plog(tmp_path: Path, text: str) -> Path:
    d = tmp_path / "debug" / "plog"
    d.mkdir(parents=True)
    (d / "pypto-log-1_1.log").write_text(text)
    return tmp_path


def test_ub_overflow_reason(tmp_path):
    hw = harvest.hardware_reason(_plog(tmp_path, PLOG))
    assert hw.constraint == "ub_capacity"
    assert hw.op == "EXP"
    assert (hw.requested_bytes, hw.available_bytes) == (262144, 196608)
    assert "exceeds MEM_UB size [196608]" in hw.reason
    assert len(hw.all_errors) == 3


def test_unknown_error_keeps_first_message(tmp_path):
    hw = harvest.hardware_reason(_plog(tmp_path, PLOG.splitlines()[2] + "\n"))
    assert hw.constraint is None
    assert hw.reason == "Run pass [OoOSchedule] failed."


def test_no_plog_means_no_reason(tmp_path):
    assert harvest.hardware_reason(tmp_path) is None


def test_sim_summary():
    out = "-------- AICORE Prof Summary --------\nAICore End-to-End Time: 5.07\nAICore Utilization:     11.79%\n"
    assert harvest.sim_summary(out) == (5.07, 11.79)
    assert harvest.sim_summary("nothing") == (None, None)


ALLOC_PLOG = """\
[ERROR] PYPTO(11836):2026-12-06 08:35:21.669 [schedule_base.h:347][PASS]:[OoOScheduleBase.Operation]:Alloc tensor [40] size [262144] exceeds MEM_UB size [196608]! 
[ERROR] PYPTO(11836):2026-12-06 08:35:21.669 [schedule_base.h:348][PASS]:[OoOScheduleBase.Operation]:Tensor [40] producer info:
[ERROR] PYPTO(11836):2026-12-06 08:35:21.669 [schedule_base.h:353][PASS]:[OoOScheduleBase.Operation]:      op: TRANSPOSE_VNCHWCONV[10008] | inputs: { RawTensor [30] <4 x 4096 x DT_FP32> @30"View_INCAST_LOCAL_BUF0" } | outputs: { RawTensor [125] <4096 x 8 x DT_FP32> @125, RawTensor [29] <16 x 4096 x DT_FP32> @29} .
[ERROR] PYPTO(11836):2026-12-06 08:35:21.669 [schedule_base.h:423][PASS]:[OoOScheduleBase.Operation]:UB_ALLOC[10187] checkOpBufferSize failed! 
"""


def test_alloc_overflow_names_the_producing_op(tmp_path):
    hw = harvest.hardware_reason(_plog(tmp_path, ALLOC_PLOG))
    assert hw.constraint == "ub_capacity" and hw.requested_bytes == 262144
    assert hw.op == "TRANSPOSE_VNCHWCONV" and hw.op_magic == 10008
    assert "allocated by op TRANSPOSE_VNCHWCONV: [4 x 4096 DT_FP32] -> [4096 x 8 DT_FP32], [16 x 4096 DT_FP32]" in (
        hw.reason
    )


def test_op_location_reads_the_latest_graph_dump(tmp_path):
    def dump(pass_dir: str, line: int) -> None:
        folder = tmp_path / "output_1" / pass_dir
        folder.mkdir(parents=True)
        ops = [{"opmagic": 10007, "line": 3}, {"opmagic": 10008, "line": line, "tile": {"vec": [4, 4096]}}]
        (folder / "g.json").write_text(json.dumps({"functions": [{"operations": ops}]}))

    dump("Pass_04_ExpandFunction", 9)
    dump("Pass_31_OoOSchedule", 5)
    assert harvest.op_location(tmp_path, 10008) == (5, [4, 4096])
    assert harvest.op_location(tmp_path, 99999) is None
