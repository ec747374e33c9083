"""Parsing pypto's logs and reports (lines below were captured from real simulator runs)."""

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
