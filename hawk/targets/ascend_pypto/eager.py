"""The eager baseline of `ascend-pypto`: the denominator of every speedup Hawk reports.

What it models
--------------
PyTorch eager on an NPU (torch_npu) runs a task's reference `Model` one kernel per PyTorch op:
every op reads its inputs from global memory (GM) and writes its result back to GM, where the next
op reads it again. Hawk rebuilds exactly that and times it with the same simulator that times the
candidate kernels:

1. **Trace** (`trace_ops`): the reference model is traced with `torch.fx.symbolic_trace` and
   `ShapeProp` on the task's own inputs (seed 0). When symbolic tracing fails (Python control flow
   on shapes, ...), `torch.export.export` is used instead; its ATen ops carry the same names and
   argument order as the torch functions. `nn.Module` calls map like their functional forms
   (`nn.Linear` -> linear, `nn.SiLU` -> silu, ...).
2. **Map** every op to one single-op PyPTO kernel (inputs and outputs in GM, one `out.move`):
   - views (`view`, `reshape`, `permute`, `transpose`, `unsqueeze`, `expand`, slicing, `contiguous`
     of an already contiguous tensor, `.float()` on fp32, `dropout` in eval ...) launch no kernel in
     eager and cost zero;
   - elementwise unary/binary ops and scalar ops (with torch broadcasting: an operand of lower rank
     or with size-1 axes is a GM tensor of its own size) -> the PyPTO op of that name; ops PyPTO
     has no primitive for are written as one kernel of primitives, the way the NPU's single eager
     kernel computes them: sigmoid (`pypto.sigmoid`), silu (x * sigmoid x), tanh
     (1 - 2 / (exp(2x) + 1)), gelu tanh (its formula), gelu erf and erf (Abramowitz-Stegun 7.1.26
     polynomial), `pow` by a constant (`pypto.pow`);
   - casts (`.to`, `.float()`, `.half()`, ...) -> `pypto.cast`;
   - reductions `sum`, `mean` (sum * 1/n in the same kernel), `amax`/`amin`/`max`/`min` over dims
     (for `max(x, dim)` only the values are computed; torch_npu's kernel also writes indices);
   - `softmax` and `log_softmax` -> one fused kernel (torch_npu runs one SoftmaxV2 kernel);
   - `layer_norm` / `nn.LayerNorm` -> ONE fused kernel (torch_npu runs one LayerNorm kernel), and
     `rms_norm` / `nn.RMSNorm` likewise. RMSNorm written out by hand (pow, mean, add, rsqrt, mul)
     stays five eager kernels, as it is in eager;
   - `matmul`, `mm`, `bmm`, `@`, `linear` / `nn.Linear` (bias fused, as addmm is one kernel),
     `addmm` -> `pypto.matmul`; an operand that is a transposed view is passed with `a_trans`/
     `b_trans` (no copy), as torch_npu's matmul does;
   - `where`, `masked_fill`, comparisons, `clamp`, `maximum`/`minimum`, `cat`, `topk` (values and
     indices), and `contiguous`/`clone` of a two-axis transposed view (-> `pypto.transpose`).
3. **Tile** each kernel by a simple rule, documented so anyone can check the baseline is fair.
   Elementwise kernels and casts see their tensors with adjacent axes merged where every operand
   spans or broadcasts them alike (a free view of contiguous GM, as eager elementwise kernels see
   it; PyPTO also broadcasts only one axis per operand), down to a flat 1-D buffer when nothing
   broadcasts (the simulator times 1-D tiles up to ~30% faster than the same elements as [1, n];
   the 2-D view is the fallback); norms and softmax fold leading axes into rows.
   A vector tile holds `T` elements, `T = UB (192 KiB) // B`, where `B` is the bytes per element
   that the kernel's largest primitive step keeps in UB (its full-size inputs and output at the
   compute width: 8 for an fp32 unary op, 12 for an fp32 binary op, 6 for an fp32->fp16 cast, 2x
   the input for a reduction, ...). Each op is simulated with the candidates `T`, the power of two
   below `T` (or `T/2`) and, for tensors under 16 tiles, `numel/16` (spreading small tensors over
   cores); the FASTEST counts, the way a tuned eager kernel would be chosen. Tiles fill axes from
   the last inward (a split last axis in whole 32-element blocks); a reduction over a non-last
   axis fills the reduced axis first, keeping >= 128 bytes of the last axis.
   Cube kernels try two tilings: L0 m0 = min(128, M), n0 = min(256, N), k0 = 64 KiB /
   (max(m0, n0) * operand bytes) (128 for fp16) with L1 k1 = 4 * k0 (A and B in at most 3/4 of
   L1); and the same with n0 then m0 halved (down to 64) while there are fewer output tiles than
   cube cores. Measured on the simulator, the per-tile cost dominates: in a sweep of tile shapes
   for fp32 exp/add from 256x512 to 4096x4096 the candidates include the fastest tile (large
   tensors then run at the ~620 GB/s GM bandwidth the simulator delivers), and for
   512x1024x2048 fp16 matmul the first tiling is the fastest of the seven tried. If no candidate compiles, fallbacks (T/2 and T/4 of the smallest
   candidate, fp32 compute for fp16 ops, smaller cube tiles) are tried one at a time.
4. **Simulate** all kernels on a `perf.SimPool` (one child process for many kernels), in
   SIM mode without pass verification (timing only), reading each kernel's
   `AICore End-to-End Time` from its own captured stdout. Identical kernels (same op, shapes,
   dtypes, constants) are simulated once and counted every time they occur. A failed compile
   leaves pypto's process state unusable, so after a failure the child exits and a new child goes
   on with the remaining kernels (safest candidates run first). pypto's two swimlane-drawing
   scripts (about 7 s per kernel; they draw pictures only) are skipped by a `python3` shim first
   on the child's PATH; the script that prints the End-to-End time still runs.
5. **Sum** the per-op times. An op with no PyPTO mapping, or none of whose variants compiled, is
   **estimated** by the memory roofline (bytes of its inputs and outputs / `spec.gm_bandwidth_gbps`;
   matrix products: at least their FLOPs at cube peak) and listed as `estimated`, with the reason.

The result is cached as JSON at `cache_dir/eager/<task source sha>-<sku>-pypto<version>.json`; a
cache hit traces and simulates nothing (a result from an older method version is recomputed).
The scratch directory (`workdir` in the result) keeps the generated kernels, each kernel's log
and the child's events; the simulator's own output folders are deleted once read.

Limits
------
- Kernel launch overhead and host-side dispatch between eager kernels are NOT modelled: the
  simulator times each kernel from its first to its last AICore task. The baseline is therefore a
  lower bound of real eager time (speedups against it are conservative).
- Estimated ops use a bandwidth lower bound that ignores the simulator's fixed per-kernel cost
  (about 3-4 us even for tiny kernels), again erring towards a faster baseline.
- The tiling is a small search over a fixed rule, not CANN's tuned tiling; the simulator's
  per-tile cost makes tiling matter (see the pypto-sim notes), so the rule was checked against
  alternatives (above).
- fp16 ops compute natively in fp16 (fp32 only as a fallback); bf16 ops compute in fp32. Integer
  elementwise ops and reductions are estimated.
- Elementwise ops reading a strided view (e.g. `x[..., :64]` of a wider tensor) are timed as if
  the view were contiguous; torch_npu may insert a copy kernel for them.
- Ops that produce new tensors from nothing (`zeros_like`, `arange`, ...), gathers/indexing,
  `cumsum`, `flip`, convolutions and other unlisted ops are estimated.
- Ops fusing more than torch_npu fuses are never created; ops that torch_npu fuses beyond the
  ones listed (e.g. its fused RoPE or attention kernels) are not recognised when written out as
  primitives, as eager PyTorch would not recognise them either.
- In SIM mode data values do not matter (only shapes); data-dependent control flow in the
  reference is captured for the seed-0 inputs only. Work on plain tensor attributes of the model
  (not registered as parameters or buffers) is folded into constants by torch.fx and not timed.
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
import re
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hawk import config
from hawk.targets.ascend_pypto.perf import PerfKernel, SimPool
from hawk.targets.base import HardwareSpec
from hawk.tasks.task import Task

METHOD_VERSION = 1
UB_BYTES = 196608  # the simulator's UB per vector core (A2A3.ini ub_size)
MIN_TILES = 16  # tensors smaller than this many tiles also try numel/16 elements per tile
TAIL_ALIGN = 32  # elements: a split last axis is cut in multiples of 32 elements (>= 32 bytes for any dtype)

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int8": 1, "uint8": 1, "int16": 2,
               "int32": 4, "int64": 8, "bool": 1}  # fmt: skip
PYPTO_DT = {"float32": "DT_FP32", "float16": "DT_FP16", "bfloat16": "DT_BF16", "int8": "DT_INT8",
            "int16": "DT_INT16", "int32": "DT_INT32", "int64": "DT_INT64", "uint8": "DT_UINT8",
            "bool": "DT_BOOL"}  # fmt: skip
FLOATS = ("float32", "float16", "bfloat16")


# ---------------------------------------------------------------------------------- data types
@dataclass
class TensorInfo:
    shape: list[int]
    dtype: str  # torch dtype name without "torch."
    stride: list[int] | None = None

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.numel * DTYPE_BYTES.get(self.dtype, 4)

    @property
    def contiguous(self) -> bool:
        return self.stride is None or _is_contiguous(self.shape, self.stride)

    def short(self) -> str:
        return f"{self.dtype}{list(self.shape)}"


@dataclass
class EagerOp:
    """One op of the reference model as eager PyTorch runs it."""

    index: int
    node: str  # name of the graph node
    torch_op: str  # what the reference calls: "torch.exp", "operator.mul", "Tensor.mean", "nn.Linear", "aten.mm"
    kind: str  # canonical op: "exp", "mul", "mean", "linear", "view", ...
    pypto_op: str | None  # the PyPTO op(s) its kernel uses; None: no kernel (view) or no mapping (estimated)
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    consts: dict[str, Any] = field(default_factory=dict)  # dim, keepdim, eps, scalar operand, ...
    launches_kernel: bool = True  # False for views and no-ops: zero time, as in eager
    note: str = ""  # why it is unmapped, or an approximation made

    def describe(self) -> str:
        ins = ", ".join(t.short() for t in self.inputs)
        outs = ", ".join(t.short() for t in self.outputs)
        return f"{self.torch_op}({ins}) -> {outs}"


@dataclass
class OpTime:
    index: int
    node: str
    torch_op: str
    kind: str
    pypto_op: str | None
    source: str  # "simulated" | "estimated" | "view"
    time_us: float
    inputs: list[str]
    outputs: list[str]
    detail: str = ""  # tile used, or why estimated


@dataclass
class EagerBaseline:
    task: str
    task_hash: str
    sku: str
    pypto_version: str
    time_us: float
    ops: list[OpTime]
    method: int = METHOD_VERSION
    trace: str = "fx"  # "fx" | "export"
    simulated: int = 0
    estimated: int = 0
    views: int = 0
    kernels_simulated: int = 0  # distinct kernels run (identical ops are simulated once)
    wall_s: float = 0.0
    workdir: str | None = None
    created: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EagerBaseline:
        data = dict(data)
        data["ops"] = [OpTime(**o) for o in data.get("ops", [])]
        return cls(**data)

    def table(self) -> str:
        lines = [f"eager baseline {self.task} on {self.sku} (pypto {self.pypto_version}): {self.time_us:.2f} us, "
                 f"{self.simulated} simulated, {self.estimated} estimated, {self.views} views"]  # fmt: skip
        for o in self.ops:
            lines.append(f"  {o.index:3d} {o.torch_op:28s} {o.source:9s} {o.time_us:9.2f} us  {o.detail}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------- tracing
def _is_contiguous(shape: list[int], stride: list[int]) -> bool:
    expect = 1
    for d, s in zip(reversed(shape), reversed(stride), strict=True):
        if d != 1 and s != expect:
            return False
        expect *= d
    return True


def _dtype_name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.")


def _info_from_tensor(t: Any) -> TensorInfo:
    return TensorInfo([int(d) for d in t.shape], _dtype_name(t.dtype), [int(s) for s in t.stride()])


def _infos(meta: Any) -> list[TensorInfo]:
    """Tensor infos of a node's result (ShapeProp TensorMetadata, FakeTensor, or tuples of them)."""
    if meta is None:
        return []
    if hasattr(meta, "shape") and hasattr(meta, "dtype"):
        stride = meta.stride() if callable(getattr(meta, "stride", None)) else getattr(meta, "stride", None)
        return [TensorInfo([int(d) for d in meta.shape], _dtype_name(meta.dtype),
                           [int(s) for s in stride] if stride is not None else None)]  # fmt: skip
    if isinstance(meta, (list, tuple)):
        out: list[TensorInfo] = []
        for m in meta:
            out.extend(_infos(m))
        return out
    return []


class _T:
    """A tensor argument of a call (its info), as opposed to a Python constant."""

    def __init__(self, info: TensorInfo, name: str):
        self.info, self.name = info, name

    def __repr__(self) -> str:
        return f"<{self.name} {self.info.short()}>"


@dataclass
class _Call:
    node: str
    torch_op: str
    kind: str
    args: list[Any]
    kwargs: dict[str, Any]
    outputs: list[TensorInfo]


_OPERATOR_KIND = {operator.add: "add", operator.iadd: "add", operator.sub: "sub", operator.isub: "sub",
                  operator.mul: "mul", operator.imul: "mul", operator.truediv: "div", operator.itruediv: "div",
                  operator.neg: "neg", operator.pow: "pow", operator.matmul: "matmul", operator.getitem: "getitem",
                  operator.gt: "gt", operator.lt: "lt", operator.ge: "ge", operator.le: "le", operator.eq: "eq",
                  operator.ne: "ne", operator.floordiv: "floor_divide", operator.mod: "remainder",
                  operator.and_: "logical_and", operator.or_: "logical_or", operator.invert: "logical_not",
                  operator.abs: "abs"}  # fmt: skip
_ALIASES = {"truediv": "div", "true_divide": "div", "divide": "div", "multiply": "mul", "subtract": "sub",
            "negative": "neg", "concat": "cat", "concatenate": "cat", "_softmax": "softmax",
            "_log_softmax": "log_softmax", "_to_copy": "to", "greater": "gt", "less": "lt", "greater_equal": "ge",
            "less_equal": "le", "not_equal": "ne", "clip": "clamp", "absolute": "abs", "_unsafe_view": "view",
            "swapaxes": "transpose", "swapdims": "transpose", "expit": "sigmoid", "special_expit": "sigmoid",
            "fill": "full_like", "square": "square", "arctan": "atan", "lift_fresh_copy": "clone",
            "scaled_dot_product_attention": "sdpa", "native_layer_norm": "layer_norm"}  # fmt: skip
_SKIP_TARGETS = {"_assert_tensor_metadata", "sym_size", "size", "dim", "numel", "_assert_scalar",
                 "sym_constrain_range_for_size", "_assert_async"}  # fmt: skip


def _canonical(name: str) -> str:
    name = _ALIASES.get(name, name)
    if name.endswith("_") and not name.startswith("_") and len(name) > 1:  # in-place: add_ -> add
        name = _ALIASES.get(name[:-1], name[:-1])
    return name


def _module_call(mod: Any, node: str, args: list[Any], kwargs: dict[str, Any], outs: list[TensorInfo]) -> _Call:
    import torch.nn as nn

    cls = type(mod).__name__
    disp = f"nn.{cls}"

    def param(p: Any, name: str) -> Any:
        return _T(_info_from_tensor(p.detach()), f"{node}.{name}") if p is not None else None

    x = args[0] if args else kwargs.get("input")
    if isinstance(mod, nn.Linear):
        return _Call(node, disp, "linear", [x, param(mod.weight, "weight"), param(mod.bias, "bias")], {}, outs)
    if isinstance(mod, nn.LayerNorm):
        return _Call(node, disp, "layer_norm", [x, list(mod.normalized_shape), param(mod.weight, "weight"),
                                                param(mod.bias, "bias"), mod.eps], {}, outs)  # fmt: skip
    if cls == "RMSNorm":
        return _Call(node, disp, "rms_norm", [x, list(mod.normalized_shape), param(mod.weight, "weight"), mod.eps],
                     {}, outs)  # fmt: skip
    simple = {nn.SiLU: "silu", nn.ReLU: "relu", nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.Identity: "identity",
              nn.Dropout: "dropout", nn.Flatten: "flatten", nn.Softplus: "softplus", nn.Mish: "mish",
              nn.Hardswish: "hardswish", nn.LeakyReLU: "leaky_relu", nn.ELU: "elu"}  # fmt: skip
    for klass, kind in simple.items():
        if isinstance(mod, klass):
            return _Call(node, disp, kind, [x], {}, outs)
    if isinstance(mod, nn.GELU):
        return _Call(node, disp, "gelu", [x], {"approximate": mod.approximate}, outs)
    if isinstance(mod, (nn.Softmax, nn.LogSoftmax)):
        return _Call(node, disp, "softmax" if isinstance(mod, nn.Softmax) else "log_softmax", [x, mod.dim], {}, outs)
    params = [param(p, n) for n, p in mod.named_parameters(recurse=False)]
    return _Call(node, disp, cls.lower(), [a for a in args] + params, kwargs, outs)


def _fx_calls(model: Any, inputs: list[Any]) -> list[_Call]:
    import torch.fx as fx
    from torch.fx.passes.shape_prop import ShapeProp

    # Buffers must be traced too: plain symbolic_trace folds work on them (an int8 weight's
    # dequantization, ...) into a constant computed at trace time, hiding eager kernels.
    tracer = fx.Tracer()
    tracer.proxy_buffer_attributes = True
    graph = tracer.trace(model)
    gm = fx.GraphModule(tracer.root, graph)
    ShapeProp(gm).propagate(*inputs)
    modules = dict(gm.named_modules())
    calls: list[_Call] = []

    def conv(a: Any) -> Any:
        if isinstance(a, fx.Node):
            meta = a.meta.get("tensor_meta")
            infos = _infos(meta)
            if hasattr(meta, "shape") and infos:
                return _T(infos[0], a.name)
            if infos:
                return [_T(i, a.name) for i in infos]
            return None  # a non-tensor value (a size, ...): its value is unknown here
        if isinstance(a, (list, tuple)):
            return [conv(x) for x in a]
        if isinstance(a, slice):
            return slice(conv(a.start), conv(a.stop), conv(a.step))
        return a

    for node in gm.graph.nodes:
        if node.op not in ("call_function", "call_method", "call_module"):
            continue
        outs = _infos(node.meta.get("tensor_meta"))
        args = [conv(a) for a in node.args]
        kwargs = {k: conv(v) for k, v in node.kwargs.items()}
        if node.op == "call_module":
            calls.append(_module_call(modules[node.target], node.name, args, kwargs, outs))
            continue
        if node.op == "call_method":
            name, disp = node.target, f"Tensor.{node.target}"
        elif node.target in _OPERATOR_KIND:
            name, disp = _OPERATOR_KIND[node.target], f"operator.{node.target.__name__}"
        else:
            name = getattr(node.target, "__name__", str(node.target))
            mod = getattr(node.target, "__module__", "") or ""
            prefix = "F" if "functional" in mod else ("torch" if mod.startswith("torch") or not mod else mod)
            disp = f"{prefix}.{name}"
        if name in _SKIP_TARGETS:
            continue
        calls.append(_Call(node.name, disp, _canonical(name), args, kwargs, outs))
    return calls


def _export_calls(model: Any, inputs: list[Any]) -> list[_Call]:
    import torch
    import torch.fx as fx

    ep = torch.export.export(model, tuple(inputs))
    calls: list[_Call] = []

    def conv(a: Any) -> Any:
        if isinstance(a, fx.Node):
            val = a.meta.get("val")
            infos = _infos(val)
            if hasattr(val, "shape") and infos:
                return _T(infos[0], a.name)
            if infos:
                return [_T(i, a.name) for i in infos]
            return None
        if isinstance(a, (list, tuple)):
            return [conv(x) for x in a]
        return a

    for node in ep.graph_module.graph.nodes:
        if node.op != "call_function":
            continue
        target = node.target
        if target is operator.getitem:
            name, disp = "getitem", "operator.getitem"
        else:
            name = getattr(target, "_opname", None) or getattr(target, "__name__", str(target))
            disp = f"aten.{name}"
        if name in _SKIP_TARGETS:
            continue
        outs = _infos(node.meta.get("val"))
        calls.append(_Call(node.name, disp, _canonical(name), [conv(a) for a in node.args],
                           {k: conv(v) for k, v in node.kwargs.items()}, outs))  # fmt: skip
    return calls


def trace_ops(task: Task) -> list[EagerOp]:
    """The reference model's ops as eager PyTorch runs them, each mapped to PyPTO where possible."""
    ops, _ = _trace(task)
    return ops


def _trace(task: Task) -> tuple[list[EagerOp], str]:
    import torch

    from hawk.tasks.task import instantiate

    inst = instantiate(task, seed=0)
    with torch.no_grad():
        try:
            calls, how = _fx_calls(inst.model, inst.inputs), "fx"
        except Exception as fx_exc:  # symbolic tracing cannot follow this model: use torch.export's ATen graph
            try:
                calls, how = _export_calls(inst.model, inst.inputs), "export"
            except Exception as exp_exc:
                raise RuntimeError(
                    f"cannot trace task {task.id} for the eager baseline: torch.fx: {type(fx_exc).__name__}: "
                    f"{fx_exc}; torch.export: {type(exp_exc).__name__}: {exp_exc}"
                ) from exp_exc
    ops = []
    for call in calls:
        op = _classify(call, len(ops))
        if op is not None:
            ops.append(op)
    return ops, how


# ---------------------------------------------------------------------------------- classification
UNARY = {"exp", "log", "sqrt", "rsqrt", "abs", "relu", "reciprocal", "neg", "sigmoid", "silu", "tanh", "gelu",
         "erf", "sin", "cos", "square", "pow", "clamp", "clamp_min", "clamp_max", "sign", "floor", "ceil",
         "exp2", "log2", "log1p", "expm1", "logical_not", "round"}  # fmt: skip
BINARY = {"add", "sub", "mul", "div", "rsub", "maximum", "minimum", "gt", "lt", "ge", "le", "eq", "ne",
          "logical_and", "logical_or"}  # fmt: skip
REDUCE = {"sum", "mean", "amax", "amin", "max", "min"}
VIEWS = {"view", "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "expand", "expand_as", "view_as",
         "reshape_as", "permute", "transpose", "t", "getitem", "split", "chunk", "unbind", "narrow", "select",
         "slice", "alias", "detach", "identity", "dropout", "contiguous", "getattr", "to", "float", "half", "bfloat16",
         "type", "type_as", "double", "int", "long", "bool", "movedim", "split_with_sizes", "numpy_T", "mT",
         "clone"}  # fmt: skip
CAST_TO = {"float": "float32", "half": "float16", "bfloat16": "bfloat16", "double": "float64", "int": "int32",
           "long": "int64", "bool": "bool"}  # fmt: skip
PYPTO_NAME = {"square": "pypto.mul(x, x)", "silu": "pypto.mul(x, pypto.sigmoid(x))",
              "tanh": "1 - 2 / (pypto.exp(2x) + 1)", "erf": "A&S 7.1.26 polynomial (pypto.exp, pypto.mul, ...)",
              "rsub": "pypto.sub", "clamp_min": "pypto.maximum", "clamp_max": "pypto.minimum",
              "clamp": "pypto.maximum/minimum"}  # fmt: skip


def _tensors(x: Any) -> list[_T]:
    if isinstance(x, _T):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for a in x for t in _tensors(a)]
    if isinstance(x, dict):
        return [t for a in x.values() for t in _tensors(a)]
    return []


def _arg(call: _Call, i: int, name: str, default: Any = None) -> Any:
    if name in call.kwargs:
        return call.kwargs[name]
    return call.args[i] if i < len(call.args) else default


def _classify(call: _Call, index: int) -> EagerOp | None:
    kind = call.kind
    ins = _tensors(call.args) + _tensors(call.kwargs)
    if not call.outputs:  # no tensor result (sizes, asserts): nothing runs on the device
        return None
    op = EagerOp(index, call.node, call.torch_op, kind, None, [t.info for t in ins], list(call.outputs))

    def view(note: str = "view: no kernel in eager") -> EagerOp:
        op.launches_kernel, op.note = False, note
        return op

    def unmapped(note: str) -> EagerOp:
        op.pypto_op, op.note = None, note
        return op

    x = call.args[0] if call.args else None
    out = call.outputs[0]

    # ---- casts and views
    if kind in ("to", "type", "type_as") or kind in CAST_TO:
        src = x.info if isinstance(x, _T) else None
        if src is None or src.dtype == out.dtype:  # .to() of the same dtype returns the tensor itself
            return view("no-op: same dtype")
        op.kind, op.pypto_op, op.inputs = "cast", "pypto.cast", [src]
        op.consts = {"dtype": out.dtype}
        return op
    if kind in ("contiguous", "clone", "reshape", "flatten", "reshape_as"):
        if isinstance(x, _T) and not x.info.contiguous:
            return _copy(op, x)
        if kind == "clone":
            op.inputs = [x.info] if isinstance(x, _T) else op.inputs
            return unmapped("copy of a contiguous tensor (no PyPTO copy kernel): estimated")
        return view()
    if kind in VIEWS:
        if (
            kind == "getitem"
            and isinstance(x, _T)
            and any(
                isinstance(i, _T) for i in (call.args[1] if isinstance(call.args[1], (list, tuple)) else [call.args[1]])
            )
        ):
            return unmapped("advanced indexing (gather): estimated")
        return view()

    # ---- elementwise
    if kind in UNARY or kind in BINARY or kind in ("where", "masked_fill"):
        return _classify_elementwise(op, call)
    if kind in REDUCE:
        return _classify_reduce(op, call)
    if kind in ("softmax", "log_softmax"):
        if not isinstance(x, _T):
            return unmapped("softmax of a non-tensor")
        dim = _arg(call, 1, "dim", -1)
        op.inputs, op.pypto_op = [x.info], "pypto.softmax" if kind == "softmax" else "softmax + pypto.log"
        op.consts = {"dim": int(dim) % len(x.info.shape)}
        return op
    if kind == "layer_norm":
        w, b, eps = _arg(call, 2, "weight"), _arg(call, 3, "bias"), _arg(call, 4, "eps", 1e-5)
        nshape = list(_arg(call, 1, "normalized_shape"))
        if len(nshape) != 1:
            return unmapped("layer_norm over several axes: estimated")
        op.inputs = [x.info] + [t.info for t in (w, b) if isinstance(t, _T)]
        op.consts = {"eps": float(eps), "affine_weight": isinstance(w, _T), "affine_bias": isinstance(b, _T)}
        op.pypto_op, op.note = "fused (sum, sub, mul, rsqrt, ...)", "one fused LayerNorm kernel, as torch_npu runs it"
        return op
    if kind == "rms_norm":
        w, eps = _arg(call, 2, "weight"), _arg(call, 3, "eps", None)
        if len(list(_arg(call, 1, "normalized_shape"))) != 1:
            return unmapped("rms_norm over several axes: estimated")
        op.inputs = [x.info] + ([w.info] if isinstance(w, _T) else [])
        op.consts = {"eps": float(eps) if eps is not None else 1e-6, "affine_weight": isinstance(w, _T)}
        op.pypto_op, op.note = "fused (mul, sum, rsqrt, mul)", "one fused RmsNorm kernel, as torch_npu runs it"
        return op
    if kind in ("matmul", "mm", "bmm", "linear", "addmm"):
        return _classify_matmul(op, call)
    if kind == "cat":
        tensors = _tensors(call.args[0])
        dim = _arg(call, 1, "dim", 0)
        op.inputs = [t.info for t in tensors]
        op.pypto_op, op.consts = "pypto.concat", {"dim": int(dim) % len(out.shape)}
        return op
    if kind == "topk":
        k, dim = _arg(call, 1, "k"), _arg(call, 2, "dim", -1)
        largest = _arg(call, 3, "largest", True)
        op.inputs, op.pypto_op = [x.info], "pypto.topk"
        op.consts = {"k": int(k), "dim": int(dim) % len(x.info.shape), "largest": bool(largest)}
        if op.consts["dim"] != len(x.info.shape) - 1:
            return unmapped("topk over a non-last axis: estimated")
        return op
    if kind == "sdpa" and len(ins) >= 3:  # fused attention: its roofline counts the two matrix products
        q, k = ins[0].info, ins[1].info
        op.consts = {"flops": 4 * math.prod(q.shape[:-1]) * k.shape[-2] * q.shape[-1]}
    return unmapped(f"no PyPTO mapping for '{kind}': estimated")


def _copy(op: EagerOp, x: _T) -> EagerOp:
    """A copy that makes a permuted view contiguous: a transpose kernel when two axes are swapped."""
    info = x.info
    rank = len(info.shape)
    order = sorted(range(rank), key=lambda i: (-info.stride[i], i)) if info.stride else list(range(rank))
    base_shape = [info.shape[i] for i in order]
    swapped = [i for i in range(rank) if order[i] != i]
    op.kind = "transpose_copy"
    op.inputs = [TensorInfo(base_shape, info.dtype)]
    if len(swapped) == 2 and _is_contiguous(base_shape, [info.stride[i] for i in order]):
        op.pypto_op, op.consts = "pypto.transpose", {"dim0": swapped[0], "dim1": swapped[1]}
        return op
    op.pypto_op, op.note = None, "copy of a non-contiguous view that is not a two-axis transpose: estimated"
    return op


def _classify_elementwise(op: EagerOp, call: _Call) -> EagerOp:
    kind = call.kind
    out = call.outputs[0]
    operands: list[Any] = []  # _T or python scalar, in formula order
    consts: dict[str, Any] = {}
    if kind in UNARY:
        operands = [call.args[0]]
        if kind == "pow":
            exp_ = _arg(call, 1, "exponent")
            if isinstance(exp_, _T):
                kind = "pow_tensor"
                operands.append(exp_)
            elif isinstance(call.args[0], _T):
                consts["exponent"] = float(exp_)
            else:
                return _unmapped_op(op, "scalar ** tensor: estimated")
        elif kind == "gelu":
            consts["approximate"] = str(_arg(call, 1, "approximate", "none"))
        elif kind in ("clamp", "clamp_min", "clamp_max"):
            lo = _arg(call, 1, "min") if kind != "clamp_max" else None
            hi = _arg(call, 2, "max") if kind == "clamp" else (_arg(call, 1, "max") if kind == "clamp_max" else None)
            if isinstance(lo, _T) or isinstance(hi, _T):
                return _unmapped_op(op, "clamp by tensors: estimated")
            consts.update(min=lo, max=hi)
    elif kind in ("where", "masked_fill"):
        if kind == "where":
            operands = [call.args[0], _arg(call, 1, "input"), _arg(call, 2, "other")]
        else:
            operands = [call.args[1] if len(call.args) > 1 else call.kwargs.get("mask"), _arg(call, 2, "value"),
                        call.args[0]]  # fmt: skip
            kind = "where"
        if any(o is None for o in operands):
            return _unmapped_op(op, "where with a missing operand: estimated")
    else:
        a, b = call.args[0], _arg(call, 1, "other")
        if kind in ("add", "sub"):
            alpha = call.kwargs.get("alpha", 1)
            if alpha != 1:
                consts["alpha"] = float(alpha)
        if kind == "rsub":
            a, b, kind = b, a, "sub"
        if kind == "div" and call.kwargs.get("rounding_mode"):
            return _unmapped_op(op, "div with rounding_mode: estimated")
        operands = [a, b]
    if not any(isinstance(o, _T) for o in operands):
        return _unmapped_op(op, "no tensor operand")
    for o in operands:
        if not isinstance(o, (_T, int, float)):
            return _unmapped_op(op, f"operand {o!r} is not a tensor or a number: estimated")
    if len(out.shape) > 4:
        return _unmapped_op(op, "elementwise op of rank > 4: estimated")
    if out.dtype not in FLOATS and out.dtype != "bool":
        return _unmapped_op(op, f"integer elementwise ({out.dtype}): estimated")
    op.kind = kind
    op.inputs = [o.info for o in operands if isinstance(o, _T)]
    op.consts = dict(consts)
    op.consts["operands"] = ["T" if isinstance(o, _T) else float(o) for o in operands]
    op.pypto_op = PYPTO_NAME.get(kind, f"pypto.{kind}") if kind != "gelu" else f"gelu({consts['approximate']})"
    if kind == "where":
        op.pypto_op = "pypto.where"
    return op


def _unmapped_op(op: EagerOp, note: str) -> EagerOp:
    op.pypto_op, op.note = None, note
    return op


def _classify_reduce(op: EagerOp, call: _Call) -> EagerOp:
    x = call.args[0]
    if not isinstance(x, _T):
        return _unmapped_op(op, "reduction of a non-tensor")
    rank = len(x.info.shape)
    dim = _arg(call, 1, "dim", None)
    keepdim = bool(_arg(call, 2, "keepdim", False))
    kind = call.kind
    if isinstance(dim, _T):  # torch.max(a, b) is elementwise
        op.kind = "maximum" if kind == "max" else "minimum"
        call.kind = op.kind
        return _classify_elementwise(op, call)
    if kind in ("sum", "mean") and call.kwargs.get("dtype") is not None:
        return _unmapped_op(op, "reduction with dtype=: estimated")
    dims = list(range(rank)) if dim is None or dim == [] else ([dim] if isinstance(dim, int) else list(dim))
    dims = sorted({int(d) % rank for d in dims})
    if rank > 4:
        return _unmapped_op(op, "reduction of rank > 4: estimated")
    if x.info.dtype not in FLOATS:
        return _unmapped_op(op, f"integer reduction ({x.info.dtype}): estimated")
    op.kind = {"max": "amax", "min": "amin"}.get(kind, kind)
    op.inputs = [x.info]
    op.outputs = op.outputs[:1]
    op.consts = {"dims": dims, "keepdim": keepdim}
    op.pypto_op = {"sum": "pypto.sum", "mean": "pypto.sum * 1/n", "amax": "pypto.amax", "amin": "pypto.amin"}[op.kind]
    if kind in ("max", "min") and dim is not None:
        op.note = "values only (torch_npu's kernel also writes the indices)"
    return op


def _classify_matmul(op: EagerOp, call: _Call) -> EagerOp:
    kind = call.kind
    bias = None
    if kind == "linear":
        a, b, bias = call.args[0], _arg(call, 1, "weight"), _arg(call, 2, "bias")
        b_trans = True
    elif kind == "addmm":
        bias, a, b = call.args[0], call.args[1], call.args[2]
        b_trans = False
        if call.kwargs.get("beta", 1) != 1 or call.kwargs.get("alpha", 1) != 1:
            return _unmapped_op(op, "addmm with alpha/beta: estimated")
    else:
        a, b = call.args[0], _arg(call, 1, "other", _arg(call, 1, "mat2"))
        b_trans = False
    if not (isinstance(a, _T) and isinstance(b, _T)):
        return _unmapped_op(op, "matmul of non-tensors")
    ai, bi = a.info, b.info
    out = call.outputs[0]
    if ai.dtype != bi.dtype or ai.dtype not in FLOATS:
        return _unmapped_op(op, f"matmul of {ai.dtype} x {bi.dtype}: estimated")
    if len(ai.shape) < 2 or len(bi.shape) < 2:
        return _unmapped_op(op, "matrix-vector product: estimated")
    a_shape, b_shape, a_trans = list(ai.shape), list(bi.shape), False
    # A transposed view (last two axes swapped on contiguous memory) goes in untouched with a_trans/b_trans.
    if not ai.contiguous and _last_two_swapped(ai):
        a_shape[-1], a_shape[-2], a_trans = a_shape[-2], a_shape[-1], True
    if not bi.contiguous and _last_two_swapped(bi):
        b_shape[-1], b_shape[-2], b_trans = b_shape[-2], b_shape[-1], not b_trans
    k = ai.shape[-1]
    n = out.shape[-1]
    m = ai.shape[-2]
    batch_a, batch_b = a_shape[:-2], b_shape[:-2]
    if batch_b == [] and batch_a and not a_trans:  # [.., M, K] @ [K, N]: rows fold into M (a free view)
        m = math.prod(a_shape[:-1])
        a_shape = [m, k]
        out_shape = [m, n]
    elif batch_a == batch_b or (not batch_a and not batch_b):
        out_shape = batch_a + [m, n]
    else:
        return _unmapped_op(op, "broadcast batch matmul: estimated")
    if len(a_shape) > 4 or len(b_shape) > 4:
        return _unmapped_op(op, "matmul of rank > 4: estimated")
    op.kind = "linear" if kind in ("linear", "addmm") else "matmul"
    op.inputs = [TensorInfo(a_shape, ai.dtype), TensorInfo(b_shape, bi.dtype)]
    if isinstance(bias, _T):
        if bias.info.numel != n:
            return _unmapped_op(op, "addmm with a full bias matrix: estimated")
        op.inputs.append(TensorInfo([1, n], bias.info.dtype))
    op.outputs = [TensorInfo(out_shape, out.dtype)]
    batch = math.prod(out_shape[:-2]) if len(out_shape) > 2 else 1
    op.consts = {"a_trans": a_trans, "b_trans": b_trans, "bias": isinstance(bias, _T), "m": m, "k": k, "n": n,
                 "flops": 2 * batch * m * n * k}  # fmt: skip
    op.pypto_op = "pypto.matmul" + (" + bias" if isinstance(bias, _T) else "")
    return op


def _last_two_swapped(info: TensorInfo) -> bool:
    if not info.stride or len(info.shape) < 2:
        return False
    shape, stride = list(info.shape), list(info.stride)
    shape[-1], shape[-2] = shape[-2], shape[-1]
    stride[-1], stride[-2] = stride[-2], stride[-1]
    return _is_contiguous(shape, stride)


# ---------------------------------------------------------------------------------- kernel generation
@dataclass
class Kernel:
    """One compilable single-op PyPTO kernel: one tiling (and compute width) of an op."""

    name: str
    source: str
    args: list[tuple[list[int], str]]  # the torch tensors the child allocates, in argument order
    tile: str


@dataclass
class Plan:
    """How one op is simulated: every candidate runs and the fastest counts; fallbacks only if all fail."""

    candidates: list[Kernel]
    fallbacks: list[Kernel]


def _pad(shape: list[int], rank: int) -> list[int]:
    return [1] * (rank - len(shape)) + list(shape)


def _ann(shape: list[int], dtype: str) -> str:
    return f"pypto.Tensor({list(shape)}, pypto.{PYPTO_DT[dtype]})"


def _pow2_floor(n: int) -> int:
    return 1 << (max(1, n).bit_length() - 1)


def tile_sizes(numel: int, bytes_per_elem: int) -> tuple[list[int], list[int]]:
    """Elements per vector tile: (candidates, fallbacks).

    `bytes_per_elem` is what the kernel's largest primitive step keeps in UB per element (its
    full-size inputs and output). T = UB // bytes_per_elem is the largest tile that fits; the
    candidates are T and the power of two below it (or T/2), plus numel/16 for small tensors
    (spreading them over cores); the fallbacks halve the smallest candidate twice.
    """
    t_max = max(32, UB_BYTES // max(1, bytes_per_elem))
    t_pow2 = _pow2_floor(t_max)
    second = t_pow2 if t_pow2 < t_max else t_max // 2
    cands = [min(numel, second), min(numel, t_max)]
    if numel < MIN_TILES * second:
        cands.insert(0, min(numel, max(1024, _pow2_floor(numel // MIN_TILES))))
    cands = list(dict.fromkeys(c for c in cands if c >= 1))
    low = min(cands)
    fallbacks = [t for t in (low // 2, low // 4) if t >= 32]
    return cands, fallbacks


def vec_tile(shape: list[int], elems: int, elem_bytes: int, reduce_dims: tuple[int, ...] = ()) -> list[int]:
    """Tile shape over `shape` with about `elems` elements; reduced non-last axes are filled first."""
    rank = len(shape)
    tile = [1] * rank
    if rank == 0:
        return tile
    last = rank - 1
    inner = [d for d in reduce_dims if d != last]
    if inner:
        min_last = max(1, 128 // elem_bytes)
        per_row = math.prod(shape[d] for d in inner)
        tile[last] = min(shape[last], max(min_last, elems // max(1, per_row)))
        left = max(1, elems // tile[last])
        for d in sorted(inner, reverse=True):
            tile[d] = min(shape[d], left)
            left = max(1, left // tile[d])
        rest = [d for d in range(rank - 1) if d not in inner]
    else:
        tile[last] = min(shape[last], elems)
        if tile[last] < shape[last] and tile[last] > TAIL_ALIGN:  # a split tail axis: whole 32-byte blocks
            tile[last] -= tile[last] % TAIL_ALIGN
        left = max(1, elems // tile[last])
        rest = list(range(rank - 1))
    for d in reversed(rest):
        tile[d] = min(shape[d], left)
        left = max(1, left // tile[d])
    block = max(1, 32 // elem_bytes)
    if last in reduce_dims and tile[last] % block:  # PyPTO: a reduced last axis is tiled in 32-byte blocks
        tile[last] += block - tile[last] % block
    return tile


def collapse_axes(
    out: list[int], operands: list[list[int]], keep: tuple[int, ...] = (), min_rank: int = 2
) -> tuple[list[int], list[list[int]]]:
    """Merge adjacent axes that every operand either spans fully or broadcasts, and drop size-1 axes.

    A contiguous GM tensor viewed with fewer axes is the same memory (eager elementwise kernels see
    it this way too), and PyPTO broadcasts only one expanded axis per operand: out [4, 64, 512]
    times weight [1, 1, 512] becomes [256, 512] times [1, 512]. Axes in `keep` (a reduction axis)
    are never merged or dropped. The result has at least `min_rank` axes (leading 1s).
    """
    rank = len(out)
    ops = [_pad(o, rank) for o in operands]
    groups: list[list[int]] = []
    for ax in range(rank):
        if out[ax] == 1 and ax not in keep:
            continue
        if groups and ax not in keep and groups[-1][-1] not in keep:
            prev = groups[-1][-1]
            if all((o[prev] == 1) == (o[ax] == 1) and (o[prev] == 1 or o[prev] == out[prev]) and
                   (o[ax] == 1 or o[ax] == out[ax]) for o in ops):  # fmt: skip
                groups[-1].append(ax)
                continue
        groups.append([ax])
    new_out = [math.prod(out[a] for a in g) for g in groups]
    new_ops = [[math.prod(o[a] for a in g) for g in groups] for o in ops]
    while len(new_out) < max(1, min_rank):  # several PyPTO ops (round, ...) take 2-4 axes only
        new_out.insert(0, 1)
        new_ops = [[1] + o for o in new_ops]
    return new_out, new_ops


def _promote(dtypes: list[str]) -> str:
    for d in ("float32", "bfloat16", "float16"):
        if d in dtypes:
            return d
    return dtypes[0] if dtypes else "float32"


class _Body:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.n = 0

    def let(self, expr: str) -> str:
        self.n += 1
        var = f"t{self.n}"
        self.lines.append(f"{var} = {expr}")
        return var


def _lit(c: Any) -> str:
    """A Python literal for a scalar operand; infinities become the largest finite fp32 (timing is the same)."""
    c = float(c)
    if math.isnan(c):
        return "0.0"
    if math.isinf(c):
        return "3.0e38" if c > 0 else "-3.0e38"
    return repr(c)


def _cast(body: _Body, var: str, src: str, dst: str) -> str:
    return var if src == dst else body.let(f"pypto.cast({var}, pypto.{PYPTO_DT[dst]})")


def _erf(b: _Body, z: str) -> str:
    """erf(z) by Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7): one kernel of primitives."""
    az = b.let(f"pypto.abs({z})")
    t = b.let(f"pypto.reciprocal(pypto.add(pypto.mul({az}, 0.3275911), 1.0))")
    poly = b.let(f"pypto.add(pypto.mul({t}, 1.061405429), -1.453152027)")
    for c in (1.421413741, -0.284496736, 0.254829592):
        poly = b.let(f"pypto.add(pypto.mul({poly}, {t}), {c})")
    poly = b.let(f"pypto.mul({poly}, {t})")
    e = b.let(f"pypto.exp(pypto.mul(pypto.mul({az}, {az}), -1.0))")
    y = b.let(f"pypto.add(pypto.mul(pypto.mul({poly}, {e}), -1.0), 1.0)")
    return b.let(f"pypto.mul({y}, pypto.sign({z}))")


def _tanh(b: _Body, x: str) -> str:
    e = b.let(f"pypto.exp(pypto.mul({x}, 2.0))")
    return b.let(f"pypto.add(pypto.mul(pypto.reciprocal(pypto.add({e}, 1.0)), -2.0), 1.0)")


_DIRECT_UNARY = {"exp", "log", "sqrt", "rsqrt", "abs", "relu", "reciprocal", "neg", "sigmoid", "sin", "cos", "sign",
                 "floor", "ceil", "exp2", "log2", "log1p", "expm1", "logical_not", "round"}  # fmt: skip
_COMPOSITE_UNARY = {"gelu", "tanh", "erf", "square"}  # binary steps between full-size temporaries


def _unary(b: _Body, kind: str, x: str, consts: dict[str, Any]) -> str:
    if kind in _DIRECT_UNARY:
        return b.let(f"pypto.{kind}({x})")
    if kind == "square":
        return b.let(f"pypto.mul({x}, {x})")
    if kind == "pow":
        return b.let(f"pypto.pow({x}, {_lit(consts['exponent'])})")
    if kind == "silu":
        return b.let(f"pypto.mul({x}, pypto.sigmoid({x}))")
    if kind == "tanh":
        return _tanh(b, x)
    if kind == "erf":
        return _erf(b, x)
    if kind == "gelu":
        if consts.get("approximate") == "tanh":
            x3 = b.let(f"pypto.mul(pypto.mul({x}, {x}), {x})")
            u = b.let(f"pypto.mul(pypto.add(pypto.mul({x3}, 0.044715), {x}), {math.sqrt(2 / math.pi)!r})")
            th = _tanh(b, u)
        else:
            th = _erf(b, b.let(f"pypto.mul({x}, {1 / math.sqrt(2)!r})"))
        return b.let(f"pypto.mul(pypto.mul({x}, pypto.add({th}, 1.0)), 0.5)")
    if kind in ("clamp", "clamp_min", "clamp_max"):
        lo, hi = consts.get("min"), consts.get("max")
        y = x
        if lo is not None:
            y = b.let(f"pypto.maximum({y}, {_lit(lo)})")
        if hi is not None:
            y = b.let(f"pypto.minimum({y}, {_lit(hi)})")
        return y
    raise KeyError(kind)


def _binary(b: _Body, kind: str, xs: list[str], consts: dict[str, Any], operands: list[Any]) -> str:
    p, q = xs
    if kind in ("add", "sub") and "alpha" in consts:
        q = b.let(f"pypto.mul({q}, {consts['alpha']!r})")
    if operands[0] != "T":  # scalar first: c - x, c / x, c + x, c * x
        c = _lit(operands[0])
        if kind == "sub":
            return b.let(f"pypto.add(pypto.mul({q}, -1.0), {c})")
        if kind == "div":
            return b.let(f"pypto.mul(pypto.reciprocal({q}), {c})")
        p, q = q, p
    if kind == "pow_tensor":
        return b.let(f"pypto.pow({p}, {q})")
    return b.let(f"pypto.{kind}({p}, {q})")


def _kernel(name: str, params: list[str], args: list, tile: list[int] | None, lines: list[str], tail: list[str],
            cube: str | None = None) -> Kernel:  # fmt: skip
    src = [f"def {name}({', '.join(params)}):"]
    if tile is not None:
        src.append(f"    pypto.set_vec_tile_shapes({', '.join(str(t) for t in tile)})")
    if cube is not None:
        src.append(f"    pypto.set_cube_tile_shapes({cube})")
    src += [f"    {ln}" for ln in lines + tail]
    return Kernel(name, "\n".join(src) + "\n", args, f"vec {tile}" if tile is not None else f"cube {cube}")


class _VecKernel:
    """A vector kernel's body, arguments and UB footprint, instantiated once per tile size."""

    def __init__(self, shape: list[int], bytes_per_elem: int, elem_bytes: int, reduce_dims: tuple[int, ...] = ()):
        self.params: list[str] = []
        self.args: list[tuple[list[int], str]] = []
        self.body = _Body()
        self.tail: list[str] = []
        self.shape, self.bpe, self.elem_bytes, self.reduce_dims = shape, bytes_per_elem, elem_bytes, reduce_dims

    def arg(self, name: str, shape: list[int], dtype: str) -> str:
        self.params.append(f"{name}: {_ann(shape, dtype)}")
        self.args.append((list(shape), dtype))
        return name

    def plan(self, name: str) -> Plan:
        numel = math.prod(self.shape)
        cands, falls = tile_sizes(numel, self.bpe)

        def make(elems: int, i: int) -> Kernel:
            tile = vec_tile(self.shape, elems, self.elem_bytes, self.reduce_dims)
            return _kernel(f"{name}_v{i}", self.params, self.args, tile, self.body.lines, self.tail)

        kernels = [make(e, i) for i, e in enumerate(cands + falls)]
        uniq: dict[str, Kernel] = {}
        for k in kernels:
            uniq.setdefault(_anonymous(k), k)
        cand = [k for k in kernels[: len(cands)] if uniq[_anonymous(k)] is k]
        fall = [k for k in kernels[len(cands) :] if uniq[_anonymous(k)] is k]
        return Plan(cand, fall)


def _elementwise_plan(op: EagerOp, name: str, fp32_compute: bool = False, min_rank: int = 1) -> Plan:
    out = op.outputs[0]
    out_shape, in_shapes = collapse_axes(list(out.shape) or [1], [list(t.shape) for t in op.inputs], (), min_rank)
    kind = op.kind
    operands = op.consts["operands"]
    if out.dtype == "bool":  # comparisons: compare at the promoted input width
        compute = _promote([t.dtype for t in op.inputs if t.dtype != "bool"])
    else:
        compute = out.dtype
    if compute == "bfloat16" or fp32_compute:
        compute = "float32"
    c = DTYPE_BYTES[compute]
    full = [t for t in op.inputs if t.numel == out.numel]
    if kind in ("sigmoid", "silu"):  # pypto.sigmoid works in fp32 inside
        bpe = max(8, 3 * c)
    elif kind in _COMPOSITE_UNARY:
        bpe = 3 * c
    else:
        bpe = (len([t for t in full if t.dtype != "bool"]) + 1) * c + sum(1 for t in full if t.dtype == "bool")
    bpe = max([bpe] + [DTYPE_BYTES.get(t.dtype, 4) + c for t in full] + [c + DTYPE_BYTES.get(out.dtype, 4)])
    vk = _VecKernel(out_shape, bpe, c)
    names = [vk.arg(f"a{i}", in_shapes[i], t.dtype) for i, t in enumerate(op.inputs)]
    b = vk.body
    xs: list[str] = []  # operands in formula order, tensors cast to the compute width (not a where condition)
    it = iter(range(len(names)))
    for pos, o in enumerate(operands):
        if o != "T":
            xs.append(_lit(o))
            continue
        i = next(it)
        xs.append(names[i] if kind == "where" and pos == 0 else _cast(b, names[i], op.inputs[i].dtype, compute))
    if kind == "where":
        res = b.let(f"pypto.where({xs[0]}, {xs[1]}, {xs[2]})")
    elif len(operands) == 1:
        res = _unary(b, kind, xs[0], op.consts)
    else:
        res = _binary(b, kind, xs, op.consts, operands)
    if out.dtype != "bool":
        res = _cast(b, res, compute, out.dtype)
    vk.arg("o0", out_shape, out.dtype)
    vk.tail = [f"o0.move({res})"]
    return vk.plan(name)


def _cast_plan(op: EagerOp, name: str, min_rank: int = 1) -> Plan:
    x, out = op.inputs[0], op.outputs[0]
    shape, (in_shape,) = collapse_axes(list(out.shape) or [1], [list(x.shape)], (), min_rank)
    bpe = DTYPE_BYTES.get(x.dtype, 4) + DTYPE_BYTES.get(out.dtype, 4)
    vk = _VecKernel(shape, bpe, max(DTYPE_BYTES.get(x.dtype, 4), DTYPE_BYTES.get(out.dtype, 4)))
    vk.arg("a0", in_shape, x.dtype)
    vk.arg("o0", shape, out.dtype)
    vk.tail = [f"o0.move(pypto.cast(a0, pypto.{PYPTO_DT[out.dtype]}))"]
    return vk.plan(name)


def _reduce_plan(op: EagerOp, name: str) -> Plan:
    x, out = op.inputs[0], op.outputs[0]
    dims = op.consts["dims"]
    keep_shape = [1 if i in dims else d for i, d in enumerate(x.shape)]
    compute = "float32" if x.dtype == "bfloat16" else x.dtype
    c = DTYPE_BYTES[compute]
    # A reduction keeps its input and a same-size intermediate in UB (measured: 24 x 1024 fp32 fits, 32 x 1024 not).
    vk = _VecKernel(list(x.shape), max(2 * c, DTYPE_BYTES[x.dtype] + c), c, tuple(dims))
    vk.arg("a0", list(x.shape), x.dtype)
    b = vk.body
    v = _cast(b, "a0", x.dtype, compute)
    fn = {"sum": "sum", "mean": "sum", "amax": "amax", "amin": "amin"}[op.kind]
    for d in sorted(dims, reverse=True):
        v = b.let(f"pypto.{fn}({v}, {d}, True)")
    if op.kind == "mean":
        v = b.let(f"pypto.mul({v}, {1.0 / math.prod(x.shape[d] for d in dims)!r})")
    v = _cast(b, v, compute, out.dtype)
    vk.arg("o0", keep_shape, out.dtype)
    vk.tail = [f"o0.move({v})"]
    return vk.plan(name)


def _softmax_plan(op: EagerOp, name: str) -> Plan:
    x, out = op.inputs[0], op.outputs[0]
    shape, dim = list(x.shape), op.consts["dim"]
    if dim == len(shape) - 1:  # over the last axis: leading axes fold into rows (a free view)
        shape, _ = collapse_axes(shape, [], keep=(dim,))
        dim = len(shape) - 1
    vk = _VecKernel(shape, 8, 4, (dim,))  # fp32 inside; each step: one full-size input and output
    vk.arg("a0", shape, x.dtype)
    b = vk.body
    v = _cast(b, "a0", x.dtype, "float32")
    if op.kind == "softmax":
        r = b.let(f"pypto.softmax({v}, {dim})")
    else:
        mx = b.let(f"pypto.amax({v}, {dim}, True)")
        sh = b.let(f"pypto.sub({v}, {mx})")
        lse = b.let(f"pypto.log(pypto.sum(pypto.exp({sh}), {dim}, True))")
        r = b.let(f"pypto.sub({sh}, {lse})")
    r = _cast(b, r, "float32", out.dtype)
    vk.arg("o0", shape, out.dtype)
    vk.tail = [f"o0.move({r})"]
    return vk.plan(name)


def _norm_plan(op: EagerOp, name: str) -> Plan:
    x, out = op.inputs[0], op.outputs[0]
    h = x.shape[-1]
    shape = [max(1, x.numel // h), h]  # leading axes fold into rows (a free view)
    rank = 2
    vk = _VecKernel(shape, 12, 4, (1,))  # fp32 inside; mul(xc, xc) holds three full tiles
    vk.arg("a0", shape, x.dtype)
    b = vk.body
    v = _cast(b, "a0", x.dtype, "float32")
    if op.kind == "layer_norm":
        mean = b.let(f"pypto.mul(pypto.sum({v}, -1, True), {1.0 / h!r})")
        xc = b.let(f"pypto.sub({v}, {mean})")
    else:
        xc = v
    var = b.let(f"pypto.mul(pypto.sum(pypto.mul({xc}, {xc}), -1, True), {1.0 / h!r})")
    y = b.let(f"pypto.mul({xc}, pypto.rsqrt(pypto.add({var}, {_lit(op.consts['eps'])})))")
    for i, t in enumerate(op.inputs[1:], start=1):
        vk.arg(f"a{i}", _pad([h], rank), t.dtype)
        w = _cast(b, f"a{i}", t.dtype, "float32")
        y = b.let(f"pypto.mul({y}, {w})" if i == 1 and op.consts.get("affine_weight") else f"pypto.add({y}, {w})")
    y = _cast(b, y, "float32", out.dtype)
    vk.arg("o0", shape, out.dtype)
    vk.tail = [f"o0.move({y})"]
    return vk.plan(name)


def _cat_plan(op: EagerOp, name: str) -> Plan:
    out = op.outputs[0]
    d = DTYPE_BYTES[out.dtype]
    vk = _VecKernel(list(out.shape), 3 * d, d)
    xs = []
    for i, t in enumerate(op.inputs):
        vk.arg(f"a{i}", list(t.shape), t.dtype)
        xs.append(_cast(vk.body, f"a{i}", t.dtype, out.dtype))
    vk.arg("o0", list(out.shape), out.dtype)
    vk.tail = [f"o0.move(pypto.concat([{', '.join(xs)}], {op.consts['dim']}))"]
    return vk.plan(name)


def _topk_plan(op: EagerOp, name: str) -> Plan:
    x, vals = op.inputs[0], op.outputs[0]
    c = op.consts
    # The sort keeps values, indices and merge buffers in UB (16 x 1024 fp32 needs 200 KiB): 48 B per element.
    vk = _VecKernel(list(x.shape), 48, 4, (c["dim"],))
    vk.arg("a0", list(x.shape), x.dtype)
    vk.arg("o0", list(vals.shape), vals.dtype)
    vk.arg("o1", list(vals.shape), "int32")
    vk.body.lines.append(f"v, i = pypto.topk(a0, {c['k']}, {c['dim']}, {c['largest']})")
    vk.tail = ["o0.move(v)", "o1.move(i)"]
    return vk.plan(name)


def _transpose_plan(op: EagerOp, name: str) -> Plan:
    x, out = op.inputs[0], op.outputs[0]
    d = DTYPE_BYTES[x.dtype]
    vk = _VecKernel(list(x.shape), 3 * d, d)
    vk.arg("a0", list(x.shape), x.dtype)
    vk.arg("o0", list(out.shape), out.dtype)
    vk.tail = [f"o0.move(pypto.transpose(a0, {op.consts['dim0']}, {op.consts['dim1']}))"]
    return vk.plan(name)


def cube_tiles(m: int, k: int, n: int, in_bytes: int, batch: int = 1, cores: int = 0, shrink: int = 1) -> str:
    """L0/L1 tiles: m0 <= 128, n0 <= 256, k0 fills L0A/L0B (64 KiB), k1 = 4 * k0 (A and B fit L1).

    With `cores`, n0 then m0 are halved (down to 64) while there are fewer output tiles than cube cores.
    """

    def up16(v: int) -> int:
        return max(16, -(-v // 16) * 16)

    m0 = min(128 // shrink, up16(m))
    n0 = min(256 // shrink, up16(n))
    if cores:
        while n0 > 64 and batch * -(-m // m0) * -(-n // n0) < cores:
            n0 //= 2
        while m0 > 64 and batch * -(-m // m0) * -(-n // n0) < cores:
            m0 //= 2
    k0 = min(up16(k), max(16, _pow2_floor(65536 // (max(m0, n0) * in_bytes))))
    l1_steps = max(1, (3 * 131072) // ((m0 + n0) * k0 * in_bytes))  # A and B L1 tiles within 3/4 of L1
    k1 = min(-(-k // k0) * k0, k0 * min(4 // shrink if shrink > 1 else 4, l1_steps))
    return f"[{m0}, {m0}], [{k0}, {k1}], [{n0}, {n0}]"


def _matmul_plan(op: EagerOp, name: str, cube_cores: int) -> Plan:
    a, bm = op.inputs[0], op.inputs[1]
    out = op.outputs[0]
    c = op.consts
    params = [f"a0: {_ann(a.shape, a.dtype)}", f"a1: {_ann(bm.shape, bm.dtype)}"]
    args: list = [(a.shape, a.dtype), (bm.shape, bm.dtype)]
    extra = [e for e, on in (("a_trans=True", c["a_trans"]), ("b_trans=True", c["b_trans"])) if on]
    if c["bias"]:
        bias = op.inputs[2]
        params.append(f"a2: {_ann(bias.shape, bias.dtype)}")
        args.append((bias.shape, bias.dtype))
        extra.append('extend_params={"bias_tensor": a2}')
    params.append(f"o0: {_ann(out.shape, out.dtype)}")
    args.append((out.shape, out.dtype))
    call = f"pypto.matmul(a0, a1, pypto.{PYPTO_DT[out.dtype]}{''.join(', ' + e for e in extra)})"
    batch = math.prod(out.shape[:-2]) if len(out.shape) > 2 else 1
    ib = DTYPE_BYTES[a.dtype]
    tilings = [cube_tiles(c["m"], c["k"], c["n"], ib), cube_tiles(c["m"], c["k"], c["n"], ib, batch, cube_cores)]
    falls = [cube_tiles(c["m"], c["k"], c["n"], ib, shrink=2), cube_tiles(c["m"], c["k"], c["n"], ib, shrink=4)]
    tilings = list(dict.fromkeys(tilings))
    falls = [t for t in dict.fromkeys(falls) if t not in tilings]
    kernels = [_kernel(f"{name}_v{i}", params, args, None, [], [f"o0.move({call})"], cube=t)
               for i, t in enumerate(tilings + falls)]  # fmt: skip
    return Plan(kernels[: len(tilings)], kernels[len(tilings) :])


NEEDS_2D = {"round"}  # PyPTO ops that reject one-axis tensors


def _flat_first(op: EagerOp, name: str, make: Any) -> Plan:
    """Elementwise kernels on the flat (1-D) view first, as eager kernels see a contiguous buffer.

    The simulator times a 1-D tile up to ~30% faster than the same elements as a [1, n] tile, so the
    flat view is the stronger (more conservative) baseline; when the op cannot take one axis, the
    2-D view ([1, n] or the collapsed shape) follows as fallback.
    """
    two = make(op, f"{name}d", min_rank=2)
    if op.kind in NEEDS_2D:
        return two
    flat = make(op, name, min_rank=1)
    if [_anonymous(k) for k in flat.candidates] == [_anonymous(k) for k in two.candidates]:
        return two  # already two or more axes: the same kernels
    return Plan(flat.candidates, two.candidates[:2] + flat.fallbacks)


def kernel_plan(op: EagerOp, cube_cores: int = 24) -> Plan | None:
    """The kernels that time one op (candidate tilings, then fallbacks); None without a PyPTO mapping."""
    if not op.launches_kernel or op.pypto_op is None:
        return None
    k = op.kind
    name = f"op{op.index}"
    try:
        if k in UNARY or k in BINARY or k in ("where", "pow_tensor"):
            plan = _flat_first(op, name, _elementwise_plan)
            if any(t.dtype == "float16" for t in op.inputs + op.outputs):  # last resort: compute in fp32
                extra = _elementwise_plan(op, f"{name}f", fp32_compute=True, min_rank=2)
                plan.fallbacks += extra.candidates[:1]
            return plan
        if k == "cast":
            return _flat_first(op, name, _cast_plan)
        if k in ("sum", "mean", "amax", "amin"):
            return _reduce_plan(op, name)
        if k in ("softmax", "log_softmax"):
            return _softmax_plan(op, name)
        if k in ("layer_norm", "rms_norm"):
            return _norm_plan(op, name)
        if k in ("matmul", "linear"):
            return _matmul_plan(op, name, cube_cores)
        if k == "cat":
            return _cat_plan(op, name)
        if k == "topk":
            return _topk_plan(op, name)
        if k == "transpose_copy":
            return _transpose_plan(op, name)
    except (KeyError, ValueError, StopIteration, IndexError, TypeError):
        return None
    return None


def _anonymous(k: Kernel) -> str:
    return k.source.replace(f"def {k.name}(", "def _(", 1)


# ---------------------------------------------------------------------------------- estimation
def roofline_us(op: EagerOp, spec: HardwareSpec) -> float:
    """Lower bound for an op that is not simulated: its GM traffic at streaming bandwidth (and cube peak)."""
    nbytes = sum(t.nbytes for t in op.inputs) + sum(t.nbytes for t in op.outputs)
    mem = nbytes / (spec.gm_bandwidth_gbps * 1e9) * 1e6
    flops = op.consts.get("flops", 0) if isinstance(op.consts, dict) else 0
    cube = flops / (spec.cube_peak_tflops * 1e12) * 1e6
    return round(max(mem, cube), 4)


# ---------------------------------------------------------------------------------- the baseline
def _pypto_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pypto")
    except PackageNotFoundError:
        return "none"


# Bump when the op mapping or the tiling search changes: cached baselines of an older model are
# then recomputed instead of silently reused.
EAGER_MODEL_VERSION = 2  # 2: each op's best tiling also tried with the scheduling pass options


def cache_path(task: Task, spec: HardwareSpec, cache_dir: Path) -> Path:
    name = f"{task.source_hash}-{spec.sku}-pypto{_pypto_version()}-eager{EAGER_MODEL_VERSION}.json"
    return Path(cache_dir) / "eager" / name


def load_cached(task: Task, spec: HardwareSpec, cache_dir: Path) -> EagerBaseline | None:
    path = cache_path(task, spec, cache_dir)
    try:
        data = json.loads(path.read_text())
        if data.get("method") != METHOD_VERSION:
            return None
        return EagerBaseline.from_dict(data)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def eager_baseline(task: Task, spec: HardwareSpec, cache_dir: Path | None = None,
                   timeout_s: float | None = None) -> EagerBaseline:  # fmt: skip
    """The task's eager time on `spec`, cached per (task source, SKU, pypto version).

    A cache hit neither traces nor simulates. Otherwise the reference is traced, each op's
    kernels are simulated in one child process (see `simulate`), and the result is written to
    `cache_path(...)` before it is returned. `timeout_s` bounds all simulation (default: 120 s
    plus 60 s per distinct op).
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else config.cache_dir()
    hit = load_cached(task, spec, cache_dir)
    if hit is not None:
        return hit
    started = time.perf_counter()
    ops, how = _trace(task)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", task.id)[:50]
    workdir = config.scratch_root() / f"eager-{slug}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    workdir.mkdir(parents=True)

    # Identical ops (same op, shapes, dtypes, constants) share one plan and are simulated once.
    plans: dict[str, Plan] = {}
    op_plan: dict[int, str] = {}
    for op in ops:
        plan = kernel_plan(op, spec.cube_cores)
        if plan is None or not (plan.candidates or plan.fallbacks):
            continue
        sig = hashlib.sha1("\n".join(_anonymous(k) for k in plan.candidates + plan.fallbacks).encode()).hexdigest()
        op_plan[op.index] = sig[:16]
        plans.setdefault(sig[:16], plan)
    results = simulate(plans, workdir, timeout_s=timeout_s) if plans else {}
    shutil.rmtree(workdir / "output", ignore_errors=True)  # the simulator's bulky per-kernel folders (~5 MB each)

    times: list[OpTime] = []
    for op in ops:
        base = dict(index=op.index, node=op.node, torch_op=op.torch_op, kind=op.kind, pypto_op=op.pypto_op,
                    inputs=[t.short() for t in op.inputs], outputs=[t.short() for t in op.outputs])  # fmt: skip
        if not op.launches_kernel:
            times.append(OpTime(**base, source="view", time_us=0.0, detail=op.note))
            continue
        res = results.get(op_plan.get(op.index, ""))
        if res is not None and res.time_us:
            detail = res.tile + (f"; {op.note}" if op.note else "")
            times.append(OpTime(**base, source="simulated", time_us=res.time_us, detail=detail))
            continue
        why = op.note if op.pypto_op is None else f"no kernel variant simulated: {res.error if res else 'not run'}"
        times.append(OpTime(**base, source="estimated", time_us=roofline_us(op, spec), detail=why))
    baseline = EagerBaseline(
        task=task.id,
        task_hash=task.source_hash,
        sku=spec.sku,
        pypto_version=_pypto_version(),
        time_us=round(sum(t.time_us for t in times), 4),
        ops=times,
        trace=how,
        simulated=sum(t.source == "simulated" for t in times),
        estimated=sum(t.source == "estimated" for t in times),
        views=sum(t.source == "view" for t in times),
        kernels_simulated=sum(r.runs for r in results.values()),
        wall_s=round(time.perf_counter() - started, 2),
        workdir=str(workdir),
        created=time.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    path = cache_path(task, spec, cache_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{uuid.uuid4().hex[:6]}.tmp")
    tmp.write_text(json.dumps(baseline.to_dict(), indent=1))
    tmp.replace(path)
    return baseline


# ---------------------------------------------------------------------------------- simulation
@dataclass
class PlanResult:
    time_us: float | None = None  # the fastest simulated variant
    tile: str = ""
    error: str = "not run"
    runs: int = 0  # variants that simulated
    tried: dict[str, float | None] = field(default_factory=dict)  # tile -> time (None: failed)


# Eager runs each op as its own kernel, tuned as well as Hawk tunes candidates: every op's fastest
# tiling is tried again with the merge counts the tuner searches (pass_options.py), so a speedup
# never comes from a baseline that was denied the same scheduling options.
EAGER_MERGES = {"vec_nbuffer_setting": (2, 4), "cube_nbuffer_setting": (2,)}


def simulate(plans: dict[str, Plan], workdir: Path, timeout_s: float | None = None) -> dict[str, PlanResult]:
    """Simulate every plan's kernels (performance only, see perf.py); each plan's result is its fastest kernel.

    Order: every plan's first candidate, then every second candidate, ... (the safest tilings
    first), then one fallback at a time for plans with no success; last, each plan's fastest
    kernel with each merge count of EAGER_MERGES.
    """
    module = workdir / "eager_kernels.py"
    src = ["import pypto", ""]
    where: dict[str, str] = {}  # kernel name -> plan
    for sig, plan in plans.items():
        for k in plan.candidates + plan.fallbacks:
            src.append(k.source)
            where[k.name] = sig
    module.write_text("\n".join(src))
    kernels = {k.name: k for p in plans.values() for k in p.candidates + p.fallbacks}

    results = {sig: PlanResult() for sig in plans}
    width = max(len(p.candidates) for p in plans.values())
    todo = [PerfKernel(p.candidates[i].name, str(module), p.candidates[i].name, p.candidates[i].args)
            for i in range(width) for p in plans.values() if i < len(p.candidates)]  # fmt: skip
    falls = {sig: list(p.fallbacks) for sig, p in plans.items()}
    deadline = time.perf_counter() + (timeout_s if timeout_s is not None else 120 + 60 * len(plans))
    merged = False
    with SimPool(workdir / "sim", workers=1) as pool:  # one child for every round while nothing fails
        while todo and time.perf_counter() < deadline:
            timed = pool.run(todo, timeout_s=deadline - time.perf_counter())
            _record_round(todo, timed, kernels, where, results)
            if any((t.error or "").startswith("the simulation child failed to start") for t in timed.values()):
                break  # nothing more will work
            # Candidates done: the next fallback of each plan that has no time yet.
            todo = [PerfKernel(f.name, str(module), f.name, f.args)
                    for f in (falls[sig].pop(0) for sig in plans if results[sig].time_us is None and falls[sig])]  # fmt: skip
            if not todo and not merged:  # last round: each plan's fastest kernel with the merge counts
                merged = True
                for sig, res in results.items():
                    if res.time_us:
                        best = next(k for n, k in kernels.items() if where[n] == sig and k.tile == res.tile)
                        todo += _merged_variants(best, module)
    return results


def _record_round(todo, timed, kernels, where, results) -> None:
    """Each timed kernel into its plan's result: every variant in `tried`, the fastest as the result."""
    for k in todo:
        t = timed[k.name]
        res = results[where[k.function]]
        label = kernels[k.function].tile + "".join(f" +{key}={v[-1]}" for key, v in k.pass_options.items())
        res.tried[label] = t.time_us
        if t.time_us:
            res.runs += 1
            if res.time_us is None or t.time_us < res.time_us:
                res.time_us, res.tile, res.error = t.time_us, label, ""
        elif res.time_us is None:
            res.error = (t.error or "failed")[:400]


def _merged_variants(k: Kernel, module: Path) -> list[PerfKernel]:
    """`k` with each merge count of EAGER_MERGES that applies to it (vector or cube)."""
    cube = "set_cube_tile_shapes" in k.source
    return [
        PerfKernel(f"{k.name}_{key.split('_')[0]}{n}", str(module), k.name, k.args, {key: {-1: n}})
        for key, counts in EAGER_MERGES.items()
        if key.startswith("cube") == cube
        for n in counts
    ]
