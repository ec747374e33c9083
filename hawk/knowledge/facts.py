"""Facts of a query (a kernel, a task's reference) that knowledge items' preconditions are checked on.

A kernel's facts come from its code read with `ast`: the calls it makes (PyPTO API names, methods),
canonicalised into a shared op vocabulary, and the dtypes it names. A task's facts come from its
traced reference (hawk.targets.tracing): the op kinds eager PyTorch runs, the dtypes and shapes of
the tensors, the shape regime against the target's Unified Buffer, and the bottleneck the roofline
predicts. Both meet in one vocabulary so an item learned on PyPTO code can be checked against a
PyTorch reference before the first kernel exists (up-front retrieval).
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field
from typing import Any

from hawk.syntax import parse_python

# Canonical op classes: what a precondition names. A cube-tiling lesson needs "matmul" whatever the
# kernel calls it; a reduction lesson needs "reduce" whichever reduction it is.
# A convolution is a matrix product over (input channels x kernel window) as im2col or shifted
# matmuls write it; a depthwise one is not (no channel reduction: a per-channel stencil on the vector
# unit), so task_facts names it `conv_depthwise`, outside this set.
MATMUL_NAMES = {"matmul", "mm", "bmm", "addmm", "baddbmm", "linear", "a_mul_b", "sdpa", "einsum", "conv1d", "conv2d",
                "conv3d", "convtranspose1d", "convtranspose2d", "convtranspose3d", "conv_transpose1d",
                "conv_transpose2d", "conv_transpose3d"}  # fmt: skip
REDUCE_NAMES = {"sum", "amax", "amin", "max", "min", "mean", "softmax", "log_softmax", "layer_norm", "rms_norm",
                "var", "std", "argmax", "argmin", "logsumexp", "norm", "prod", "cumsum", "rowmax", "rowsum",
                "reduce_sum", "reduce_max", "group_norm", "batch_norm"}  # fmt: skip
# Data-dependent addressing: a fix for an index gather or scatter says nothing to a dense kernel.
GATHER_NAMES = {"gather", "scatter", "scatter_update", "index_select", "embedding", "index_add", "take_along_dim",
                "index", "scatter_add", "index_put"}  # fmt: skip
# Precision changes inside the kernel: a cast fix needs a kernel that converts.
CAST_NAMES = {"cast", "to", "_to_copy", "astype", "type_as", "half", "bfloat16"}  # not float(): a Python call
# Names in code that say "cube unit" without a matmul call on the same line (tile and buffer knobs).
CUBE_WORDS = re.compile(r"cube|matmul|l0a|l0b|l0c|\bkl1|k_l1|a_mul_b|\bmm\b", re.I)
_DTYPES = {"fp32": "float32", "float32": "float32", "dt_fp32": "float32", "float": "float32",
           "fp16": "float16", "float16": "float16", "dt_fp16": "float16", "half": "float16",
           "bf16": "bfloat16", "bfloat16": "bfloat16", "dt_bf16": "bfloat16",
           "int8": "int8", "dt_int8": "int8", "uint8": "uint8", "int32": "int32", "dt_int32": "int32",
           "int64": "int64", "dt_int64": "int64", "int16": "int16", "dt_int16": "int16"}  # fmt: skip
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")


@dataclass
class Facts:
    """What a query shows. `known` says which axes were observed at all: a precondition on an axis
    the query says nothing about is reported as unknown, not failed (a bare error-text search)."""

    ops: set[str] = field(default_factory=set)  # canonical names plus the classes "matmul" and "reduce"
    dtypes: set[str] = field(default_factory=set)
    regimes: set[str] = field(default_factory=set)  # "row_exceeds_ub", "tensor_exceeds_ub", "dynamic"
    known: set[str] = field(default_factory=set)  # subset of {"ops", "dtypes", "regimes"}
    bottleneck: str | None = None  # predicted (roofline) or profiled bottleneck label

    def merge(self, other: Facts) -> Facts:
        return Facts(self.ops | other.ops, self.dtypes | other.dtypes, self.regimes | other.regimes,
                     self.known | other.known, self.bottleneck or other.bottleneck)  # fmt: skip


def canonical_op(name: str) -> str:
    low = name.lower().removeprefix("pypto_").strip("_")
    if low in MATMUL_NAMES:
        return "matmul"
    return low


def op_classes(names: set[str]) -> set[str]:
    """Canonical names plus the classes they belong to ("matmul", "reduce")."""
    out = {canonical_op(n) for n in names}
    if out & REDUCE_NAMES:
        out.add("reduce")
    if out & GATHER_NAMES:
        out.add("gather")
    if out & CAST_NAMES:
        out.add("cast")
    return out


def kernel_class(facts: Facts) -> str | None:
    """ "cube" for a kernel with a matrix product, "vector" for one without; None when ops are unknown.

    What a performance fix is about depends on it: growing a vector tile helps a norm, whose time is
    the vector pipe's, and says nothing to an attention or FFN kernel, whose time is the cube's."""
    if "ops" not in facts.known:
        return None
    return "cube" if "matmul" in facts.ops else "vector"


def calls_in(source: str) -> set[str]:
    """Names the code calls (`pypto.exp(x)` -> exp, `x.amax()` -> amax); a regex when it does not parse
    (a diff's lines, a fragment)."""
    try:
        tree = parse_python(source or "")
    except SyntaxError:
        return {m.group(1) for m in _CALL.finditer(source or "")}
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute):
                names.add(f.attr)
            elif isinstance(f, ast.Name):
                names.add(f.id)
    return names


def dtypes_in(source: str) -> set[str]:
    return {_DTYPES[w.lower()] for w in _WORD.findall(source or "") if w.lower() in _DTYPES}


def code_facts(source: str) -> Facts:
    """Facts of a kernel's code; nothing is known of an empty query."""
    if not (source or "").strip():
        return Facts()
    dtypes = dtypes_in(source)  # a kernel that names no dtype (fp32 by default) says nothing about dtypes
    regimes = {"dynamic"} if "DYNAMIC" in source else set()
    return Facts(ops=op_classes(calls_in(source)), dtypes=dtypes, regimes=regimes,
                 known={"ops"} | ({"dtypes"} if dtypes else set()))  # fmt: skip


def _ub_bytes(spec: Any) -> int | None:
    try:
        return int(spec.memory("UB").capacity_bytes)
    except (KeyError, AttributeError):
        return None


def predicted_bottleneck(read_bytes: int, matmul_flops: int, spec: Any) -> str:
    """The roofline's side: compute-bound ("cube_bound") when the matrix products take longer at cube
    peak than the data takes at the global-memory bandwidth, else memory-bound ("mte_in_bound")."""
    memory_us = read_bytes / (spec.gm_bandwidth_gbps * 1e9) * 1e6
    cube_us = matmul_flops / (spec.cube_peak_tflops * 1e12) * 1e6
    return "cube_bound" if matmul_flops and cube_us > memory_us else "mte_in_bound"


def task_facts(task: Any, spec: Any) -> Facts:
    """Facts of a task's reference: traced op kinds, dtypes, shape regimes and the predicted bottleneck.

    A reference that cannot be traced gives no facts (retrieval then runs on what is known)."""
    from hawk.targets.tracing import launches_kernel, tensors, trace_calls
    from hawk.tasks.sandboxed import task_spec

    try:
        calls, _ = trace_calls(task)
        contract = task_spec(task)
        specs, dynamic = contract.args, len(contract.shapes) > 1
    except Exception:  # an untraceable reference must not stop the run: up-front knowledge is optional
        return Facts()
    kind_of = [_kind(c) for c in calls]
    kinds = {k for k, c in zip(kind_of, calls, strict=True) if launches_kernel(c)}
    dtypes = {s.dtype.removeprefix("torch.") for s in specs}
    flops = 0
    for kind, c in zip(kind_of, calls, strict=True):
        if canonical_op(kind) == "matmul":
            ins = tensors(c.args) + tensors(list(c.kwargs.values()))
            k = ins[0].info.shape[-1] if ins and ins[0].info.shape else 1
            flops += 2 * k * sum(o.numel for o in c.outputs)
    read = sum(math.prod(s.shape) * _elem_bytes(s.dtype) for s in specs if s.role != "output")
    regimes: set[str] = {"dynamic"} if dynamic else set()
    ub = _ub_bytes(spec)
    if ub:
        for s in specs:
            if not s.shape:
                continue
            size = _elem_bytes(s.dtype)
            if s.shape[-1] * size > ub:
                regimes.add("row_exceeds_ub")
            if math.prod(s.shape) * size > ub:
                regimes.add("tensor_exceeds_ub")
    return Facts(ops=op_classes(kinds), dtypes={_DTYPES.get(d, d) for d in dtypes}, regimes=regimes,
                 known={"ops", "dtypes", "regimes"}, bottleneck=predicted_bottleneck(read, flops, spec))  # fmt: skip


def _kind(call: Any) -> str:
    """The traced op's kind, with a depthwise convolution (one input channel per group, several
    channels) told apart from a convolution that reduces over channels."""
    from hawk.targets.tracing import tensors

    if call.kind in ("conv1d", "conv2d", "conv3d"):
        ins = tensors(call.args) + tensors(list(call.kwargs.values()))
        if len(ins) >= 2 and len(ins[0].info.shape) >= 3 and len(ins[1].info.shape) >= 3:
            if ins[1].info.shape[1] == 1 and ins[0].info.shape[1] > 1:
                return "conv_depthwise"
    return call.kind


def _elem_bytes(dtype: str) -> int:
    from hawk.targets.judging import dtype_bytes

    return dtype_bytes(dtype.removeprefix("torch."))


def query_text_of(facts: Facts) -> str:
    """A code-token query for the syntactic axis from a task's facts (op names, dtypes)."""
    return " ".join(sorted(facts.ops - {"reduce"}) + sorted(facts.dtypes))
