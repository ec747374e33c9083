"""Read what pypto's compiler, simulator and verifier left behind, into structured facts.

The Python exception of a failed compile says only "Run pass failed"; the hardware reason is in
the plog (ASCEND_PROCESS_LOG_PATH/debug/plog/*.log). Simulated time and utilization are printed
to stdout; per-pipe usage, bubbles and traces are files under output/*/CostModelSimulationOutput.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hawk.targets.base import HardwareSpec

_PLOG_PREFIX = re.compile(r"^\[ERROR\] \S+:\S+ \S+ \[[^\]]*\]\[[^\]]*\]:(?:\[[^\]]*\]:)?\s*")
_MEM_EXCEED = re.compile(
    r"OP (?P<op>\w+)\[(?P<magic>\d+)\] in/output total size \[(?P<req>\d+)\] exceeds MEM_(?P<mem>\w+) size \[(?P<avail>\d+)\]"
)
_ALLOC_EXCEED = re.compile(
    r"Alloc tensor \[\d+\] size \[(?P<req>\d+)\] exceeds MEM_(?P<mem>\w+) size \[(?P<avail>\d+)\]"
)
# An "Alloc tensor" overflow names only a tensor id; the next lines name the op that produced it:
# "Tensor [40] producer info:" then "op: TRANSPOSE_VNCHWCONV[10008] | inputs: { RawTensor [30] <4 x 4096
# x DT_FP32> ... } | outputs: { ... }". The number in brackets is the op's id ("magic") in the graph.
_PRODUCER = re.compile(
    r"op: (?P<op>[A-Z][A-Z_0-9]*)\[(?P<magic>\d+)\] \| inputs: \{(?P<ins>[^}]*)\} \| outputs: \{(?P<outs>[^}]*)\}"
)
# Lines pypto logs on paths that also pass (F7A001) or when the verifier meets a half-built graph
# (FB4001): never the reason a kernel failed.
_NOISE = re.compile(r"F7A001|idx < size_|FB4001|tensor_graph Verify")
_MEM_LABEL = {"UB": "ub_capacity", "L1": "l1_capacity", "L0A": "l0a_capacity", "L0B": "l0b_capacity",
              "L0C": "l0c_capacity"}  # fmt: skip


@dataclass
class HardwareReason:
    reason: str
    op: str | None = None
    constraint: str | None = None
    requested_bytes: int | None = None
    available_bytes: int | None = None
    all_errors: list[str] = field(default_factory=list)
    op_magic: int | None = None  # the op's id in pypto's graph dumps (see op_location)
    line: int | None = None  # the kernel line that created the op, once located


def plog_errors(log_root: Path) -> list[str]:
    errors: list[str] = []
    for path in sorted((log_root / "debug" / "plog").glob("*.log")):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("[ERROR]"):
                msg = _PLOG_PREFIX.sub("", line).strip()
                if msg and msg not in errors:
                    errors.append(msg)
    return errors


def hardware_reason(log_root: Path) -> HardwareReason | None:
    errors = [e for e in plog_errors(log_root) if not _NOISE.search(e)]
    if not errors:
        return None
    for i, msg in enumerate(errors):
        m = _MEM_EXCEED.search(msg) or _ALLOC_EXCEED.search(msg)
        if m:
            mem = m["mem"]
            op, magic = m.groupdict().get("op"), m.groupdict().get("magic")
            producer = next((p for p in map(_PRODUCER.search, errors[i + 1 : i + 4]) if p), None)
            if producer is not None:
                op, magic = op or producer["op"], magic or producer["magic"]
                msg = f"{msg} (allocated by op {producer['op']}: {_shapes(producer['ins'])} -> {_shapes(producer['outs'])})"
            return HardwareReason(
                reason=msg,
                op=op,
                constraint=_MEM_LABEL.get(mem, f"{mem.lower()}_capacity"),
                requested_bytes=int(m["req"]),
                available_bytes=int(m["avail"]),
                all_errors=errors,
                op_magic=int(magic) if magic else None,
            )
    # No known pattern: the first error is the most specific (later ones are the pass unwinding).
    op = re.search(r"\bOP (\w+)\[", errors[0]) or re.search(r"\b([A-Z][A-Z_0-9]{2,})\[\d+\]", errors[0])
    return HardwareReason(reason=errors[0], op=op.group(1) if op else None, all_errors=errors)


def _shapes(operands: str) -> str:
    """'RawTensor [30] <4 x 4096 x DT_FP32> @30"..."' -> '[4 x 4096 DT_FP32]' (each operand)."""
    found = [re.sub(r" x (DT_\w+)$", r" \1", t) for t in re.findall(r"<([^>]*)>", operands)]
    return ", ".join(f"[{t}]" for t in found) or "?"


def op_location(output_root: Path, magic: int) -> tuple[int, list[int]] | None:
    """The kernel line (and vector tile) of the op with id `magic`, from pypto's graph dumps.

    pypto writes per-pass graph dumps (output/output_*/Pass_*/*.json) only when compiled with
    debug_options={"compile_debug_mode": 1}; their operations carry the "file" and "line" of the
    kernel statement that created them, also for ops that a pypto call expands into (e.g. the
    TRANSPOSE_VNCHWCONV inside pypto.cumsum). The latest pass that holds the op is read first.
    """
    dumps = sorted(output_root.glob("output_*/Pass_*/*.json"), key=_pass_number, reverse=True)
    for path in dumps:
        try:
            graph = json.loads(path.read_text(errors="replace"))
        except (OSError, ValueError):
            continue
        for function in graph.get("functions", []) if isinstance(graph, dict) else []:
            for op in function.get("operations", []):
                if op.get("opmagic") == magic and int(op.get("line") or 0) > 0:
                    tile = (op.get("tile") or {}).get("vec") or []
                    return int(op["line"]), [int(t) for t in tile]
    return None


def _pass_number(path: Path) -> int:
    m = re.match(r"Pass_(\d+)", path.parent.name)
    return int(m.group(1)) if m else -1


_TIME = re.compile(r"AICore End-to-End Time:\s*([0-9.]+)")
_UTIL = re.compile(r"AICore Utilization:\s*([0-9.]+)%")


def sim_summary(stdout: str) -> tuple[float | None, float | None]:
    t = _TIME.findall(stdout)
    u = _UTIL.findall(stdout)
    return (float(t[0]) if t else None, float(u[0]) if u else None)


@dataclass
class SimReport:
    total_cycles: int | None
    pipes: dict[str, float]  # percent of total cycles each pipe is busy, averaged over used pipes
    pipes_used: dict[str, int]  # how many cores used each pipe
    bubbles: dict[str, float]
    trace: str | None
    swimlane: str | None


def sim_output_dir(workdir: Path) -> Path | None:
    dirs = sorted(workdir.glob("output/output_*/CostModelSimulationOutput"))
    return dirs[0] if dirs else None


def sim_report(out_dir: Path) -> SimReport:
    text = (out_dir / "_simulate.stat.report.txt").read_text(errors="replace")
    cycles = re.search(r"Total Cycles\.+:\s*(\d+)", text)
    pipes: dict[str, float] = {}
    used: dict[str, int] = {}
    for name, key in (("Cube", "cube"), ("Vector", "vector"), ("MTE_IN", "mte_in"), ("MTE1", "mte1"),
                      ("MTE_OUT", "mte_out")):  # fmt: skip
        m = re.search(rf"Average {name} Usage\.+:\s*[0-9.]+\s+([0-9.]+)%", text)
        n = re.search(rf"Used {name} Pipe Number\.+:\s*(\d+)", text)
        pipes[key] = float(m.group(1)) if m else 0.0
        used[key] = int(n.group(1)) if n else 0
    return SimReport(
        total_cycles=int(cycles.group(1)) if cycles else None,
        pipes=pipes,
        pipes_used=used,
        bubbles=bubble_summary(out_dir / "bubble_analysis.log"),
        trace=_first(out_dir, "*pefetto.trace.json") or _first(out_dir, "merged_swimlane.json"),
        swimlane=_first(out_dir.parent, "**/*swimlane*.png") or _first(out_dir, "*swimlane*.html"),
    )


def _first(root: Path, pattern: str) -> str | None:
    hits = sorted(root.glob(pattern))
    return str(hits[0]) if hits else None


def bubble_summary(path: Path) -> dict[str, float]:
    """Totals over the cores that ran tasks: work, waiting for the scheduler, waiting for inputs."""
    if not path.exists():
        return {}
    work = wait = wait_sched = wait_pred = 0.0
    cores = 0
    for block in path.read_text(errors="replace").split("\n[")[1:]:
        m = re.search(r"Execute task num:(\d+)", block)
        if not m or int(m.group(1)) == 0:
            continue
        cores += 1
        work += _num(block, "Core Total Work Time")
        wait += _num(block, "Total Wait Time")
        wait_sched += _num(block, "Wait Schedule Time")
        wait_pred += _num(block, "Wait Predecessor Time")
    busy = work + wait
    return {
        "cores_used": float(cores),
        "work": work,
        "wait": wait,
        "wait_schedule": wait_sched,
        "wait_predecessor": wait_pred,
        "bubble_ratio": wait / busy if busy else 0.0,
    }


def _num(block: str, label: str) -> float:
    m = re.search(rf"{label}:\s*([0-9.eE+-]+)", block)
    return float(m.group(1)) if m else 0.0


_NP_DTYPES = {"DT_FP32": "float32", "DT_FP16": "float16", "DT_INT8": "int8", "DT_INT32": "int32", "DT_INT64": "int64",
              "DT_UINT8": "uint8", "DT_INT16": "int16", "DT_BOOL": "bool", "DT_BF16": "bfloat16"}  # fmt: skip


@dataclass
class VerifyRow:
    """The final program-vs-golden check for one output (passName == tensor_graph)."""

    arg_index: int  # position of the output among the kernel's arguments ("output3" -> 3)
    verifier_passed: bool  # pypto's own verdict, at the (loosest) tolerance it was given
    program: object | None  # numpy array the calculator computed, when the tensor file is there
    golden: object | None


def _load(path: Path, dtype: str, shape: list[int]):
    import numpy as np

    if not path.exists():
        return None
    if dtype == "bfloat16":  # numpy has no bf16: widen the 16 stored bits into float32's top half
        raw = np.fromfile(path, dtype=np.uint16).astype(np.uint32) << 16
        arr = raw.view(np.float32)
    else:
        arr = np.fromfile(path, dtype=np.dtype(dtype))
    n = 1
    for d in shape:
        n *= d
    return arr[:n].reshape(shape) if arr.size >= n else None


def verify_rows(verify_dir: Path) -> list[VerifyRow]:
    rows: list[VerifyRow] = []
    for path in sorted(verify_dir.glob("verify_*/verify_result_brief.csv")):
        with path.open(newline="") as fh:
            for row in csv.DictReader(fh):
                if row.get("passName") != "tensor_graph":
                    continue
                shape = [int(x) for x in re.findall(r"\d+", row["outputShape"])]
                dtype = _NP_DTYPES.get(row["outputDtype"], "float32")
                tensors = path.parent / "tensor_graph"
                rows.append(
                    VerifyRow(
                        arg_index=int(re.sub(r"\D", "", row.get("ioflag", "")) or -1),
                        verifier_passed=row["verifyResult"].strip() == "PASS",
                        program=_load(tensors / row["outputTensor"], dtype, shape),
                        golden=_load(tensors / row["goldenTensor"], dtype, shape),
                    )
                )
    return rows


_RECORD_FAILED = re.compile(r"Record function \S+ failed: (?:\w+: )?(.*)\n(.*)")
_OP_FRAME = re.compile(r"npu::tile_fwk::([A-Z][A-Za-z0-9]*)\((?:npu::tile_fwk::)?Tensor const&")
_BACKTRACE = re.compile(r"\[0x[0-9a-f]+\]|\(\+0x[0-9a-f]+\)")


@dataclass
class FrontendCause:
    """The first error pypto raised while recording the kernel (before its later, derived errors)."""

    message: str  # e.g. "Errcode: FC0000! shape not support binary operation, func CheckBinOpOperandsValid, ..."
    op: str | None  # the public pypto op whose C++ frame raised it, e.g. "SUB"


def frontend_cause(worker_log: str) -> FrontendCause | None:
    """pypto logs the original cause ("Record function kernel failed: ...") and then raises a
    different, derived error (often "tile shape not set" for a copy it inserted); the first is the
    one a kernel writer needs. The op comes from the first C++ frame named like a pypto op."""
    match = _RECORD_FAILED.search(worker_log)
    if not match:
        return None
    first, second = match.group(1).strip(), match.group(2).strip()
    message = first if not second or _BACKTRACE.search(second) else f"{first} {second}"
    tail = worker_log[match.end() : match.end() + 4000]
    frame = next((m.group(1) for m in _OP_FRAME.finditer(tail) if m.group(1) not in ("Tensor", "Function")), None)
    return FrontendCause(message=message, op=frame.upper() if frame else None)


def bottleneck(report: SimReport, spec: HardwareSpec) -> str:
    """One label from the taxonomy: the busiest pipe, unless idle cores or bubbles dominate."""
    used = max(report.pipes_used.get("vector", 0), report.pipes_used.get("cube", 0))
    cores = spec.vector_cores if report.pipes_used.get("cube", 0) == 0 else spec.cube_cores
    busiest = max(report.pipes, key=lambda k: report.pipes[k]) if report.pipes else None
    if report.bubbles.get("bubble_ratio", 0.0) > 0.5:
        return "scheduling_bubbles"
    if used and used < cores / 2:
        return "core_underuse"
    return f"{busiest}_bound" if busiest else "unknown"
