"""Tracing a task's PyTorch reference into the ops eager PyTorch runs (target-neutral).

`trace_calls` follows the reference `Model` with `torch.fx.symbolic_trace` + `ShapeProp` on the
task's own inputs (seed 0), falling back to `torch.export.export` (ATen ops carry the same names
and argument order) when symbolic tracing cannot follow it; `nn.Module` calls map like their
functional forms (`nn.Linear` -> linear, ...). Each target's eager baseline maps these calls onto
its own kernels (ascend_pypto/eager_ops.py); `eager_kernels` is the plain reading every target can
use: which calls launch a kernel in eager at all (views and no-ops do not).
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass, field
from typing import Any

from hawk.targets.judging import DTYPE_BYTES
from hawk.tasks.task import Task

TRACE_VERSION = 1  # bump when tracing changes what a reference yields (eager caches key on it)


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
        return self.stride is None or is_contiguous(self.shape, self.stride)

    def short(self) -> str:
        return f"{self.dtype}{list(self.shape)}"


@dataclass
class EagerOp:
    """One op of the reference model as eager PyTorch runs it."""

    index: int
    node: str  # name of the graph node
    torch_op: str  # what the reference calls: "torch.exp", "operator.mul", "Tensor.mean", "nn.Linear", "aten.mm"
    kind: str  # canonical op: "exp", "mul", "mean", "linear", "view", ...
    target_op: str | None  # the PyPTO op(s) its kernel uses; None: no kernel (view) or no mapping (estimated)
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    consts: dict[str, Any] = field(default_factory=dict)  # dim, keepdim, eps, scalar operand, ...
    launches_kernel: bool = True  # False for views and no-ops: zero time, as in eager
    note: str = ""  # why it is unmapped, or an approximation made

    def describe(self) -> str:
        ins = ", ".join(t.short() for t in self.inputs)
        outs = ", ".join(t.short() for t in self.outputs)
        return f"{self.torch_op}({ins}) -> {outs}"


def is_contiguous(shape: list[int], stride: list[int]) -> bool:
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


class TensorArg:
    """A tensor argument of a call (its info), as opposed to a Python constant."""

    def __init__(self, info: TensorInfo, name: str):
        self.info, self.name = info, name

    def __repr__(self) -> str:
        return f"<{self.name} {self.info.short()}>"


@dataclass
class Call:
    node: str
    torch_op: str
    kind: str
    args: list[Any]
    kwargs: dict[str, Any]
    outputs: list[TensorInfo]


def calls_to_json(calls: list[Call]) -> list[dict[str, Any]]:
    """Calls as JSON data (a sandboxed child sends them; anything unusual becomes its text)."""
    return [{"node": c.node, "torch_op": c.torch_op, "kind": c.kind, "args": _to_json(c.args),
             "kwargs": _to_json(c.kwargs), "outputs": [_info_json(o) for o in c.outputs]} for c in calls]  # fmt: skip


def calls_from_json(data: list[dict[str, Any]]) -> list[Call]:
    """`calls_to_json`'s data back as Calls, every field type-checked (it comes from a task's child)."""
    return [Call(_text(c["node"]), _text(c["torch_op"]), _text(c["kind"]), list(_from_json(c["args"])),
                 dict(_from_json(c["kwargs"])), [_info_from_json(o) for o in c["outputs"]]) for c in data]  # fmt: skip


def _info_json(info: TensorInfo) -> dict[str, Any]:
    return {"shape": list(info.shape), "dtype": info.dtype, "stride": info.stride}


def _info_from_json(d: dict[str, Any]) -> TensorInfo:
    stride = d["stride"]
    return TensorInfo(
        [int(x) for x in d["shape"]], _text(d["dtype"]), None if stride is None else [int(x) for x in stride]
    )


def _text(x: Any) -> str:
    if not isinstance(x, str):
        raise TypeError(f"expected text, got {type(x).__name__}")
    return x


def _to_json(x: Any) -> Any:
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if isinstance(x, TensorArg):
        return {"$tensor": x.name, "info": _info_json(x.info)}
    if isinstance(x, (list, tuple)):
        return [_to_json(v) for v in x]
    if isinstance(x, dict):
        return {"$dict": {str(k): _to_json(v) for k, v in x.items()}}
    if isinstance(x, slice):
        return {"$slice": [_to_json(x.start), _to_json(x.stop), _to_json(x.step)]}
    if x is Ellipsis:
        return {"$ellipsis": True}
    return {"$repr": str(x)}  # a dtype, a device, a memory format: its name is all a consumer reads


def _from_json(x: Any) -> Any:
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if isinstance(x, list):
        return [_from_json(v) for v in x]
    if not isinstance(x, dict) or len(x) > 2:
        raise TypeError(f"unexpected value {str(x)[:60]}")
    if "$tensor" in x:
        return TensorArg(_info_from_json(x["info"]), _text(x["$tensor"]))
    if "$dict" in x:
        return {_text(k): _from_json(v) for k, v in x["$dict"].items()}
    if "$slice" in x:
        return slice(*[_from_json(v) for v in x["$slice"][:3]])
    if "$ellipsis" in x:
        return Ellipsis
    return _text(x["$repr"])


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


def _module_call(mod: Any, node: str, args: list[Any], kwargs: dict[str, Any], outs: list[TensorInfo]) -> Call:
    import torch.nn as nn

    cls = type(mod).__name__
    disp = f"nn.{cls}"

    def param(p: Any, name: str) -> Any:
        return TensorArg(_info_from_tensor(p.detach()), f"{node}.{name}") if p is not None else None

    x = args[0] if args else kwargs.get("input")
    if isinstance(mod, nn.Linear):
        return Call(node, disp, "linear", [x, param(mod.weight, "weight"), param(mod.bias, "bias")], {}, outs)
    if isinstance(mod, nn.LayerNorm):
        return Call(node, disp, "layer_norm", [x, list(mod.normalized_shape), param(mod.weight, "weight"),
                                                param(mod.bias, "bias"), mod.eps], {}, outs)  # fmt: skip
    if isinstance(mod, nn.GroupNorm):
        return Call(node, disp, "group_norm", [x, mod.num_groups, param(mod.weight, "weight"), param(mod.bias, "bias"),
                                                mod.eps], {}, outs)  # fmt: skip
    if cls == "RMSNorm":
        return Call(node, disp, "rms_norm", [x, list(mod.normalized_shape), param(mod.weight, "weight"), mod.eps],
                     {}, outs)  # fmt: skip
    simple = {nn.SiLU: "silu", nn.ReLU: "relu", nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.Identity: "identity",
              nn.Dropout: "dropout", nn.Flatten: "flatten", nn.Softplus: "softplus", nn.Mish: "mish",
              nn.Hardswish: "hardswish", nn.LeakyReLU: "leaky_relu", nn.ELU: "elu"}  # fmt: skip
    for klass, kind in simple.items():
        if isinstance(mod, klass):
            return Call(node, disp, kind, [x], {}, outs)
    if isinstance(mod, nn.GELU):
        return Call(node, disp, "gelu", [x], {"approximate": mod.approximate}, outs)
    pool = _pool_module_call(mod, node, disp, x, outs)
    if pool is not None:
        return pool
    if isinstance(mod, (nn.Softmax, nn.LogSoftmax)):
        return Call(node, disp, "softmax" if isinstance(mod, nn.Softmax) else "log_softmax", [x, mod.dim], {}, outs)
    params = [param(p, n) for n, p in mod.named_parameters(recurse=False)]
    return Call(node, disp, cls.lower(), [a for a in args] + params, kwargs, outs)


def _pool_module_call(mod: Any, node: str, disp: str, x: Any, outs: list[TensorInfo]) -> Call | None:
    """nn.MaxPool1d..3d / nn.AvgPool1d..3d as their functional call (max_pool2d(x, kernel_size, ...))."""
    m = re.match(r"^(Max|Avg)Pool([123])d$", type(mod).__name__)
    if m is None:
        return None
    names = ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices", "count_include_pad",
             "divisor_override")  # fmt: skip
    kwargs = {k: getattr(mod, k) for k in names if hasattr(mod, k)}
    return Call(node, disp, f"{m[1].lower()}_pool{m[2]}d", [x], kwargs, outs)


def _fx_calls(model: Any, inputs: list[Any]) -> list[Call]:
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
    calls: list[Call] = []

    def conv(a: Any) -> Any:
        if isinstance(a, fx.Node):
            meta = a.meta.get("tensor_meta")
            infos = _infos(meta)
            if hasattr(meta, "shape") and infos:
                return TensorArg(infos[0], a.name)
            if infos:
                return [TensorArg(i, a.name) for i in infos]
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
        calls.append(Call(node.name, disp, _canonical(name), args, kwargs, outs))
    return calls


def _export_calls(model: Any, inputs: list[Any]) -> list[Call]:
    import torch
    import torch.fx as fx

    ep = torch.export.export(model, tuple(inputs))
    calls: list[Call] = []

    def conv(a: Any) -> Any:
        if isinstance(a, fx.Node):
            val = a.meta.get("val")
            infos = _infos(val)
            if hasattr(val, "shape") and infos:
                return TensorArg(infos[0], a.name)
            if infos:
                return [TensorArg(i, a.name) for i in infos]
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
        calls.append(Call(node.name, disp, _canonical(name), [conv(a) for a in node.args],
                           {k: conv(v) for k, v in node.kwargs.items()}, outs))  # fmt: skip
    return calls


def trace_calls(task: Task) -> tuple[list[Call], str]:
    """The reference's calls on seed 0's inputs, and how they were traced ("fx" or "export"),
    traced in a sandboxed child (task files are untrusted code: hawk/tasks/sandboxed.py)."""
    from hawk.tasks.sandboxed import ask
    from hawk.tasks.task import TaskError

    data = ask(task, "hawk.targets.tracing:trace_answer")
    try:
        return calls_from_json(data["calls"]), str(data["how"])
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise TaskError(f"task {task.id}: the task process gave a malformed trace ({exc})"[:500]) from None


def trace_answer(task: Task) -> dict[str, Any]:
    """In a sandboxed child (hawk.tasks.sandboxed): `trace_here` as JSON."""
    calls, how = trace_here(task)
    return {"calls": calls_to_json(calls), "how": how}


def trace_here(task: Task) -> tuple[list[Call], str]:
    """`trace_calls` in this process (a sandboxed child: it runs the task's code)."""
    import torch

    from hawk.tasks.task import instantiate

    inst = instantiate(task, seed=0)
    with torch.no_grad():
        try:
            return _fx_calls(inst.model, inst.inputs), "fx"
        except Exception as fx_exc:  # symbolic tracing cannot follow this model: use torch.export's ATen graph
            try:
                return _export_calls(inst.model, inst.inputs), "export"
            except Exception as exp_exc:
                raise RuntimeError(
                    f"cannot trace task {task.id} for the eager baseline: torch.fx: {type(fx_exc).__name__}: "
                    f"{fx_exc}; torch.export: {type(exp_exc).__name__}: {exp_exc}"
                ) from exp_exc


# Calls that launch no kernel in eager (views, metadata, dropout in eval, same-dtype casts).
VIEWS = {"view", "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "expand", "expand_as", "view_as",
         "reshape_as", "permute", "transpose", "t", "getitem", "split", "chunk", "unbind", "narrow", "select",
         "slice", "alias", "detach", "identity", "dropout", "contiguous", "getattr", "to", "float", "half", "bfloat16",
         "type", "type_as", "double", "int", "long", "bool", "movedim", "split_with_sizes", "numpy_T", "mT",
         "clone"}  # fmt: skip
CASTS = {"to", "type", "type_as", "float", "half", "bfloat16", "double", "int", "long", "bool"}


def tensors(x: Any) -> list[TensorArg]:
    """The tensor arguments inside a call's (nested) arguments."""
    if isinstance(x, TensorArg):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for a in x for t in tensors(a)]
    if isinstance(x, dict):
        return [t for a in x.values() for t in tensors(a)]
    return []


def launches_kernel(call: Call) -> bool:
    """Whether eager PyTorch runs a device kernel for `call`: not for views and no-ops, but for a
    cast that changes the dtype and a copy of a non-contiguous view."""
    if not call.outputs:
        return False
    x = call.args[0] if call.args else None
    if call.kind in CASTS:
        return isinstance(x, TensorArg) and x.info.dtype != call.outputs[0].dtype
    if call.kind in ("contiguous", "clone", "reshape", "flatten", "reshape_as"):
        return isinstance(x, TensorArg) and not x.info.contiguous
    return call.kind not in VIEWS


def eager_kernels(task: Task) -> list[EagerOp]:
    """The reference's calls that launch a kernel in eager, as target-neutral ops (no mapping)."""
    calls, _ = trace_calls(task)
    ops = []
    for call in calls:
        if launches_kernel(call):
            ins = [t.info for t in tensors(call.args) + tensors(call.kwargs)]
            ops.append(EagerOp(len(ops), call.node, call.torch_op, call.kind, None, ins, list(call.outputs)))
    return ops
