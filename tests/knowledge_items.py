"""Hand-built knowledge items and verdict dicts (the shape target verdicts have), shared by the
knowledge and `hawk kb` tests."""

from __future__ import annotations

from hawk.knowledge import KnowledgeItem, Trigger, labels_for, normalize_error

UB_EXP = "OP EXP[10009] in/output total size [262144] exceeds MEM_UB size [196608]!"
UB_MUL = "OP MUL[10089] in/output total size [270336] exceeds MEM_UB size [196608]!"
L0C_MM = "OP A_MUL_B[20011] in/output total size [262144] exceeds MEM_L0C size [131072]!"

UB_BEFORE = """
import pypto
def softmax_kernel(x, out):
    pypto.set_vec_tile_shapes(128, 512)
    for i in pypto.loop(0, 8):
        t = pypto.view(x, [128, 512], [i * 128, 0])
        e = pypto.exp(t)
        s = pypto.sum(e, dim=-1)
        pypto.assemble(e / s, [i * 128, 0], out)
"""
UB_AFTER = UB_BEFORE.replace("set_vec_tile_shapes(128, 512)", "set_vec_tile_shapes(32, 512)")
L0C_BEFORE = """
import pypto
def matmul_kernel(a, b, c):
    pypto.set_cube_tile_shapes([256, 256], [256, 512], [256, 256])
    c[:] = pypto.matmul(a, b, pypto.DT_FP32)
"""
L0C_AFTER = L0C_BEFORE.replace("[256, 256], [256, 512], [256, 256]", "[128, 128], [128, 256], [128, 128]")
PERF_BEFORE = """
import pypto
def add_kernel(x, y, out):
    pypto.set_vec_tile_shapes(16, 64)
    for i in pypto.loop(0, 1024):
        pypto.assemble(pypto.add(pypto.view(x, [16, 64], [i * 16, 0]), pypto.view(y, [16, 64], [i * 16, 0])),
                       [i * 16, 0], out)
"""
PERF_AFTER = PERF_BEFORE.replace("(16, 64)", "(256, 512)")
QUERY_CODE = """
import pypto
def gelu_mul_kernel(a, b, out):
    pypto.set_vec_tile_shapes(256, 1024)
    prod = pypto.mul(a, b)
    out[:] = prod * pypto.sigmoid(prod * 1.702)
"""


def error_verdict(reason: str, constraint: str, op: str, task: str = "t") -> dict:
    return {
        "status": "compile_error", "task": task, "target": "ascend-pypto", "mode": "sim",
        "error": {"kind": "ub_overflow" if constraint == "ub_capacity" else "pass", "message": "Run pass failed",
                  "hardware_reason": reason, "op": op, "constraint": constraint, "requested_bytes": 262144,
                  "available_bytes": 196608, "lines": []},
        "correctness": None, "perf": None, "artifacts": {}, "timings": {},
    }  # fmt: skip


def pass_verdict(task: str = "t", bottleneck: str | None = None, pipes: dict | None = None) -> dict:
    perf = {"time_us": 12.5, "pipes": pipes or {}, "bubbles": {}, "bottleneck": bottleneck}
    return {"status": "pass", "task": task, "target": "ascend-pypto", "mode": "sim", "error": None,
            "correctness": {"seeds": [0], "passed": True, "atol": 1e-3, "rtol": 1e-3, "per_seed": []},
            "perf": perf, "artifacts": {}, "timings": {}}  # fmt: skip


def ub_item(proof: dict | None = None, task: str = "softmax") -> KnowledgeItem:
    v = error_verdict(UB_EXP, "ub_capacity", "EXP")
    return KnowledgeItem(
        trigger=Trigger(signature=normalize_error(UB_EXP), hardware_reason=UB_EXP, op="EXP",
                        code_pattern="set_vec_tile_shapes"),
        labels=labels_for(v),
        rationale="The UB holds every input and output tile of a vector op at once; shrink the vec tile rows.",
        before_code=UB_BEFORE, after_code=UB_AFTER, proof_verdict=proof,
        provenance={"task": task, "run_id": "r1", "tool_versions": {"pypto": "0.2.0"}, "source": "run"},
    )  # fmt: skip


def l0c_item() -> KnowledgeItem:
    v = error_verdict(L0C_MM, "l0c_capacity", "A_MUL_B")
    return KnowledgeItem(
        trigger=Trigger(signature=normalize_error(L0C_MM), hardware_reason=L0C_MM, op="A_MUL_B"),
        labels=labels_for(v),
        rationale="L0C holds the fp32 accumulator tile m*n; halve the cube tile m and n.",
        before_code=L0C_BEFORE, after_code=L0C_AFTER, proof_verdict=pass_verdict("matmul"),
        provenance={"task": "matmul", "source": "run"},
    )  # fmt: skip


def perf_item() -> KnowledgeItem:
    pipes = {"mte_in": 78.0, "vector": 12.0, "mte_out": 30.0, "cube": 0.0}
    v = pass_verdict("add", "mte_in_bound", pipes)
    return KnowledgeItem(
        trigger=Trigger(bottleneck="mte_in_bound", pipes=pipes),
        labels=labels_for(v),
        rationale="Tiny tiles make many small MTE2 transfers; larger vec tiles amortise the move latency.",
        before_code=PERF_BEFORE, after_code=PERF_AFTER, proof_verdict=pass_verdict("add", "vector_bound"),
        provenance={"task": "add", "source": "run"},
    )  # fmt: skip
