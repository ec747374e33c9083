"""ascend-pypto's eager mapping: each traced PyTorch call -> the single PyPTO kernel eager runs.

See eager.py's docstring (step 2, "Map") for the rules; tracing itself is target-neutral
(hawk/targets/tracing.py).
"""

from __future__ import annotations

import math
from typing import Any

from hawk.targets.ascend_pypto.eager_pool_scan import classify_pool_scan
from hawk.targets.tracing import VIEWS, Call, EagerOp, TensorArg, TensorInfo, is_contiguous, trace_calls
from hawk.targets.tracing import tensors as _tensors
from hawk.tasks.task import Task

FLOATS = ("float32", "float16", "bfloat16")


def trace_ops(task: Task) -> list[EagerOp]:
    """The reference model's ops as eager PyTorch runs them, each mapped to PyPTO where possible."""
    ops, _ = map_ops(task)
    return ops


def map_ops(task: Task) -> tuple[list[EagerOp], str]:
    calls, how = trace_calls(task)
    ops = []
    for call in calls:
        op = _classify(call, len(ops))
        if op is not None:
            ops.append(op)
    return ops, how


UNARY = {"exp", "log", "sqrt", "rsqrt", "abs", "relu", "reciprocal", "neg", "sigmoid", "silu", "tanh", "gelu",
         "erf", "sin", "cos", "square", "pow", "clamp", "clamp_min", "clamp_max", "sign", "floor", "ceil",
         "exp2", "log2", "log1p", "expm1", "logical_not", "round"}  # fmt: skip
BINARY = {"add", "sub", "mul", "div", "rsub", "maximum", "minimum", "gt", "lt", "ge", "le", "eq", "ne",
          "logical_and", "logical_or"}  # fmt: skip
REDUCE = {"sum", "mean", "amax", "amin", "max", "min"}
CAST_TO = {"float": "float32", "half": "float16", "bfloat16": "bfloat16", "double": "float64", "int": "int32",
           "long": "int64", "bool": "bool"}  # fmt: skip
PYPTO_NAME = {"square": "pypto.mul(x, x)", "silu": "pypto.mul(x, pypto.sigmoid(x))",
              "tanh": "1 - 2 / (pypto.exp(2x) + 1)", "erf": "A&S 7.1.26 polynomial (pypto.exp, pypto.mul, ...)",
              "rsub": "pypto.sub", "clamp_min": "pypto.maximum", "clamp_max": "pypto.minimum",
              "clamp": "pypto.maximum/minimum"}  # fmt: skip


def _arg(call: Call, i: int, name: str, default: Any = None) -> Any:
    if name in call.kwargs:
        return call.kwargs[name]
    return call.args[i] if i < len(call.args) else default


def _classify(call: Call, index: int) -> EagerOp | None:
    kind = call.kind
    ins = _tensors(call.args) + _tensors(call.kwargs)
    if not call.outputs:  # no tensor result (sizes, asserts): nothing runs on the device
        return None
    op = EagerOp(index, call.node, call.torch_op, kind, None, [t.info for t in ins], list(call.outputs))
    if kind in ("to", "type", "type_as", "contiguous", "clone", "reshape", "flatten", "reshape_as") or (
        kind in CAST_TO or kind in VIEWS
    ):
        return _classify_view(op, call)
    if kind in UNARY or kind in BINARY or kind in ("where", "masked_fill"):
        return _classify_elementwise(op, call)
    if kind in REDUCE:
        return _classify_reduce(op, call)
    if kind in CONV or kind in CONV_TRANSPOSED:
        return _classify_conv(op, call)
    if kind in ("softmax", "log_softmax", "layer_norm", "rms_norm"):
        return _classify_norm(op, call)
    if kind == "group_norm":
        return _classify_group_norm(op, call)
    if kind in ("matmul", "mm", "bmm", "linear", "addmm"):
        return _classify_matmul(op, call)
    if kind in ("cat", "topk"):
        return _classify_cat_topk(op, call)
    family = classify_pool_scan(op, call)  # pooling, cumsum, flip
    if family is not None:
        return family
    if kind == "sdpa" and len(ins) >= 3:  # fused attention: its roofline counts the two matrix products
        q, k = ins[0].info, ins[1].info
        op.consts = {"flops": 4 * math.prod(q.shape[:-1]) * k.shape[-2] * q.shape[-1]}
    return _unmapped_op(op, f"no PyPTO mapping for '{kind}': estimated")


def _view(op: EagerOp, note: str = "view: no kernel in eager") -> EagerOp:
    op.launches_kernel, op.note = False, note
    return op


def _classify_view(op: EagerOp, call: Call) -> EagerOp:
    """Casts, copies and views: a cast or transpose kernel where eager launches one, else no kernel."""
    kind, x, out = call.kind, call.args[0] if call.args else None, call.outputs[0]
    if kind in ("to", "type", "type_as") or kind in CAST_TO:
        src = x.info if isinstance(x, TensorArg) else None
        if src is None or src.dtype == out.dtype:  # .to() of the same dtype returns the tensor itself
            return _view(op, "no-op: same dtype")
        op.kind, op.target_op, op.inputs = "cast", "pypto.cast", [src]
        op.consts = {"dtype": out.dtype}
        return op
    if kind in ("contiguous", "clone", "reshape", "flatten", "reshape_as"):
        if isinstance(x, TensorArg) and not x.info.contiguous:
            return _copy(op, x)
        if kind == "clone":
            op.inputs = [x.info] if isinstance(x, TensorArg) else op.inputs
            return _unmapped_op(op, "copy of a contiguous tensor (no PyPTO copy kernel): estimated")
        return _view(op)
    index = call.args[1] if kind == "getitem" and len(call.args) > 1 else None
    if isinstance(x, TensorArg) and any(
        isinstance(i, TensorArg) for i in (index if isinstance(index, (list, tuple)) else [index])
    ):
        return _unmapped_op(op, "advanced indexing (gather): estimated")
    return _view(op)


def _classify_norm(op: EagerOp, call: Call) -> EagerOp:
    """Softmax and the fused norms torch_npu runs as one kernel each."""
    kind, x = call.kind, call.args[0] if call.args else None
    if kind in ("softmax", "log_softmax"):
        if not isinstance(x, TensorArg):
            return _unmapped_op(op, "softmax of a non-tensor")
        dim = _arg(call, 1, "dim", -1)
        op.inputs, op.target_op = [x.info], "pypto.softmax" if kind == "softmax" else "softmax + pypto.log"
        op.consts = {"dim": int(dim) % len(x.info.shape)}
        return op
    if kind == "layer_norm":
        w, b, eps = _arg(call, 2, "weight"), _arg(call, 3, "bias"), _arg(call, 4, "eps", 1e-5)
        nshape = list(_arg(call, 1, "normalized_shape"))
        if len(nshape) != 1:
            return _unmapped_op(op, "layer_norm over several axes: estimated")
        op.inputs = [x.info] + [t.info for t in (w, b) if isinstance(t, TensorArg)]
        op.consts = {
            "eps": float(eps),
            "affine_weight": isinstance(w, TensorArg),
            "affine_bias": isinstance(b, TensorArg),
        }
        op.target_op, op.note = "fused (sum, sub, mul, rsqrt, ...)", "one fused LayerNorm kernel, as torch_npu runs it"
        return op
    w, eps = _arg(call, 2, "weight"), _arg(call, 3, "eps", None)  # rms_norm
    if len(list(_arg(call, 1, "normalized_shape"))) != 1:
        return _unmapped_op(op, "rms_norm over several axes: estimated")
    op.inputs = [x.info] + ([w.info] if isinstance(w, TensorArg) else [])
    op.consts = {"eps": float(eps) if eps is not None else 1e-6, "affine_weight": isinstance(w, TensorArg)}
    op.target_op, op.note = "fused (mul, sum, rsqrt, mul)", "one fused RmsNorm kernel, as torch_npu runs it"
    return op


def _classify_cat_topk(op: EagerOp, call: Call) -> EagerOp:
    x, out = call.args[0] if call.args else None, call.outputs[0]
    if call.kind == "cat":
        dim = _arg(call, 1, "dim", 0)
        op.inputs = [t.info for t in _tensors(call.args[0])]
        op.target_op, op.consts = "pypto.concat", {"dim": int(dim) % len(out.shape)}
        return op
    k, dim = _arg(call, 1, "k"), _arg(call, 2, "dim", -1)
    largest = _arg(call, 3, "largest", True)
    op.inputs, op.target_op = [x.info], "pypto.topk"
    op.consts = {"k": int(k), "dim": int(dim) % len(x.info.shape), "largest": bool(largest)}
    if op.consts["dim"] != len(x.info.shape) - 1:
        return _unmapped_op(op, "topk over a non-last axis: estimated")
    return op


def _copy(op: EagerOp, x: TensorArg) -> EagerOp:
    """A copy that makes a permuted view contiguous: a transpose kernel when two axes are swapped."""
    info = x.info
    rank = len(info.shape)
    order = sorted(range(rank), key=lambda i: (-info.stride[i], i)) if info.stride else list(range(rank))
    base_shape = [info.shape[i] for i in order]
    swapped = [i for i in range(rank) if order[i] != i]
    op.kind = "transpose_copy"
    op.inputs = [TensorInfo(base_shape, info.dtype)]
    if len(swapped) == 2 and is_contiguous(base_shape, [info.stride[i] for i in order]):
        op.target_op, op.consts = "pypto.transpose", {"dim0": swapped[0], "dim1": swapped[1]}
        return op
    op.target_op, op.note = None, "copy of a non-contiguous view that is not a two-axis transpose: estimated"
    return op


def _classify_elementwise(op: EagerOp, call: Call) -> EagerOp:
    out = call.outputs[0]
    found = _elementwise_operands(call)
    if isinstance(found, str):
        return _unmapped_op(op, found)
    kind, operands, consts = found
    if not any(isinstance(o, TensorArg) for o in operands):
        return _unmapped_op(op, "no tensor operand")
    for o in operands:
        if not isinstance(o, (TensorArg, int, float)):
            return _unmapped_op(op, f"operand {o!r} is not a tensor or a number: estimated")
    if len(out.shape) > 4:
        return _unmapped_op(op, "elementwise op of rank > 4: estimated")
    if out.dtype not in FLOATS and out.dtype != "bool":
        return _unmapped_op(op, f"integer elementwise ({out.dtype}): estimated")
    op.kind = kind
    op.inputs = [o.info for o in operands if isinstance(o, TensorArg)]
    op.consts = dict(consts)
    op.consts["operands"] = ["T" if isinstance(o, TensorArg) else float(o) for o in operands]
    op.target_op = PYPTO_NAME.get(kind, f"pypto.{kind}") if kind != "gelu" else f"gelu({consts['approximate']})"
    if kind == "where":
        op.target_op = "pypto.where"
    return op


def _elementwise_operands(call: Call) -> tuple[str, list[Any], dict[str, Any]] | str:
    """(kind, operands in formula order (TensorArg or a Python number), constants) of an elementwise
    call, its kind normalized (rsub -> sub, masked_fill -> where); or why it stays estimated."""
    kind = call.kind
    consts: dict[str, Any] = {}
    if kind in UNARY:
        operands = [call.args[0]]
        if kind == "pow":
            exp_ = _arg(call, 1, "exponent")
            if isinstance(exp_, TensorArg):
                kind = "pow_tensor"
                operands.append(exp_)
            elif isinstance(call.args[0], TensorArg):
                consts["exponent"] = float(exp_)
            else:
                return "scalar ** tensor: estimated"
        elif kind == "gelu":
            consts["approximate"] = str(_arg(call, 1, "approximate", "none"))
        elif kind in ("clamp", "clamp_min", "clamp_max"):
            lo = _arg(call, 1, "min") if kind != "clamp_max" else None
            hi = _arg(call, 2, "max") if kind == "clamp" else (_arg(call, 1, "max") if kind == "clamp_max" else None)
            if isinstance(lo, TensorArg) or isinstance(hi, TensorArg):
                return "clamp by tensors: estimated"
            consts.update(min=lo, max=hi)
        return kind, operands, consts
    if kind in ("where", "masked_fill"):
        if kind == "where":
            operands = [call.args[0], _arg(call, 1, "input"), _arg(call, 2, "other")]
        else:
            operands = [call.args[1] if len(call.args) > 1 else call.kwargs.get("mask"), _arg(call, 2, "value"),
                        call.args[0]]  # fmt: skip
        if any(o is None for o in operands):
            return "where with a missing operand: estimated"
        return "where", operands, consts
    a, b = call.args[0], _arg(call, 1, "other")
    if kind in ("add", "sub"):
        alpha = call.kwargs.get("alpha", 1)
        if alpha != 1:
            consts["alpha"] = float(alpha)
    if kind == "rsub":
        a, b, kind = b, a, "sub"
    if kind == "div" and call.kwargs.get("rounding_mode"):
        return "div with rounding_mode: estimated"
    return kind, [a, b], consts


def _unmapped_op(op: EagerOp, note: str) -> EagerOp:
    op.target_op, op.note = None, note
    return op


def _classify_reduce(op: EagerOp, call: Call) -> EagerOp:
    x = call.args[0]
    if not isinstance(x, TensorArg):
        return _unmapped_op(op, "reduction of a non-tensor")
    rank = len(x.info.shape)
    dim = _arg(call, 1, "dim", None)
    keepdim = bool(_arg(call, 2, "keepdim", False))
    kind = call.kind
    if isinstance(dim, TensorArg):  # torch.max(a, b) is elementwise
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
    op.target_op = {"sum": "pypto.sum", "mean": "pypto.sum * 1/n", "amax": "pypto.amax", "amin": "pypto.amin"}[op.kind]
    if kind in ("max", "min") and dim is not None:
        op.note = "values only (torch_npu's kernel also writes the indices)"
    return op


def _classify_group_norm(op: EagerOp, call: Call) -> EagerOp:
    """`group_norm` / `nn.GroupNorm` -> ONE fused kernel, as torch_npu runs GroupNormV2."""
    x = call.args[0] if call.args else None
    groups = _arg(call, 1, "num_groups")
    w, b, eps = _arg(call, 2, "weight"), _arg(call, 3, "bias"), _arg(call, 4, "eps", 1e-5)
    if not isinstance(x, TensorArg) or not isinstance(groups, int) or len(x.info.shape) < 2:
        return _unmapped_op(op, "group_norm of an unknown group count: estimated")
    channels = x.info.shape[1]
    if groups <= 0 or channels % groups or x.info.dtype not in FLOATS:
        return _unmapped_op(op, f"group_norm with {groups} groups of {channels} channels: estimated")
    op.inputs = [x.info] + [t.info for t in (w, b) if isinstance(t, TensorArg)]
    op.consts = {"groups": groups, "eps": float(eps), "affine_weight": isinstance(w, TensorArg),
                 "affine_bias": isinstance(b, TensorArg)}  # fmt: skip
    op.target_op = "fused (sum, sub, mul, rsqrt, ...)"
    op.note = "one fused GroupNorm kernel, as torch_npu runs it"
    return op


def _classify_matmul(op: EagerOp, call: Call) -> EagerOp:
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
    if not (isinstance(a, TensorArg) and isinstance(b, TensorArg)):
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
    if isinstance(bias, TensorArg):
        if bias.info.numel != n:
            return _unmapped_op(op, "addmm with a full bias matrix: estimated")
        op.inputs.append(TensorInfo([1, n], bias.info.dtype))
    op.outputs = [TensorInfo(out_shape, out.dtype)]
    batch = math.prod(out_shape[:-2]) if len(out_shape) > 2 else 1
    op.consts = {"a_trans": a_trans, "b_trans": b_trans, "bias": isinstance(bias, TensorArg), "m": m, "k": k, "n": n,
                 "flops": 2 * batch * m * n * k}  # fmt: skip
    op.target_op = "pypto.matmul" + (" + bias" if isinstance(bias, TensorArg) else "")
    return op


CONV = {"conv1d", "conv2d", "conv3d"}  # F.conv*d and nn.Conv*d (module calls carry x, weight, bias)
CONV_TRANSPOSED = {"conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "convtranspose1d", "convtranspose2d",
                   "convtranspose3d"}  # fmt: skip


def _classify_conv(op: EagerOp, call: Call) -> EagerOp:
    """A convolution -> ONE cube kernel: the implicit GEMM that torch_npu's Conv kernel runs.

    Ascend's conv kernels feed the cube with an im2col done on chip (load3d from L1), so eager is
    one matmul, spatial positions x output channels: M = batch * output pixels, K = Cin/groups *
    kernel taps, N = Cout/groups (conv); a transposed conv is the GEMM of its col2im form: M = batch
    * input pixels, K = Cin/groups, N = Cout/groups * kernel taps (the overlap-add of col2im is not
    charged). Groups are a batched matmul (batch = groups). The simulated kernel reads the
    [M, K] operand from GM, as an explicit-im2col GEMM would; stride, padding and dilation only
    change M. pypto.conv itself cannot be timed here (the cost model has no pipe for its
    L1_COPY_IN_CONV)."""
    ts = [t.info for t in _tensors(call.args) + _tensors(call.kwargs)]
    if len(ts) < 2 or len(ts[0].shape) not in (3, 4, 5) or len(ts[1].shape) != len(ts[0].shape):
        return _unmapped_op(op, "convolution without input and weight tensors: estimated")
    x, w, out = ts[0], ts[1], call.outputs[0]
    if x.dtype != w.dtype or x.dtype not in FLOATS:
        return _unmapped_op(op, f"convolution of {x.dtype} x {w.dtype}: estimated")
    taps = math.prod(w.shape[2:])
    if call.kind in CONV and x.shape[1] == w.shape[0] == x.shape[1] * w.shape[1] and x.shape[1] > 1:
        return _depthwise(op, x, w, out)
    if call.kind in CONV:
        groups = max(1, x.shape[1] // w.shape[1])
        m, k, n = out.numel // out.shape[1], w.shape[1] * taps, w.shape[0] // groups
    else:
        groups = max(1, out.shape[1] // w.shape[1])
        m, k, n = x.numel // x.shape[1], w.shape[0] // groups, w.shape[1] * taps
    bias = ts[2] if len(ts) > 2 and groups == 1 else None
    lead = [groups] if groups > 1 else []
    op.kind = "linear" if bias is not None else "matmul"
    op.inputs = [TensorInfo(lead + [m, k], x.dtype), TensorInfo(lead + [n, k], w.dtype)]
    if bias is not None:
        op.inputs.append(TensorInfo([1, n], bias.dtype))
    op.outputs = [TensorInfo(lead + [m, n], out.dtype)]
    op.consts = {"a_trans": False, "b_trans": True, "bias": bias is not None, "m": m, "k": k, "n": n,
                 "flops": 2 * groups * m * n * k}  # fmt: skip
    op.target_op = "pypto.matmul (implicit GEMM of the conv)" + (" + bias" if bias is not None else "")
    op.note = f"conv as one GEMM: {groups} x [{m} x {k}] @ [{k} x {n}]" + (
        " (bias not charged)" if groups > 1 and len(ts) > 2 else ""
    )
    return op


def _depthwise(op: EagerOp, x: TensorInfo, w: TensorInfo, out: TensorInfo) -> EagerOp:
    """A depthwise conv (groups = channels, one filter each) -> ONE vector kernel (the batched GEMM
    form, [pixels x taps] @ [taps x 1] per channel, does not simulate here): per (image, channel)
    row, the sum over taps of a weight times a shifted window. The kernel reads the zero-padded map as one flat row per
    channel (pitch of the padded axes), so every tap is a contiguous view at a fixed offset; the
    outputs are computed over the padded row pitch (a few junk columns, as on chip). Geometry
    from the shapes: stride 1 and dilation 1 are assumed (an approximation for strided ones)."""
    out_sp, k_sp = list(out.shape[2:]), list(w.shape[2:])
    padded = [o + k - 1 for o, k in zip(out_sp, k_sp, strict=True)]
    pitch = [math.prod(padded[i + 1 :]) for i in range(len(padded))]
    offsets = [sum(t * p for t, p in zip(tap, pitch, strict=True)) for tap in _taps(k_sp)]
    rows, length = out.shape[0] * out.shape[1], out_sp[0] * pitch[0]
    flat = length + max(offsets)
    op.kind = "depthwise_conv"
    op.inputs = [TensorInfo([rows, flat], x.dtype), TensorInfo([rows, len(offsets)], w.dtype)]
    op.outputs = [TensorInfo([rows, length], out.dtype)]
    op.consts = {"offsets": offsets, "length": length}
    op.target_op = "pypto.mul/add over shifted views (depthwise)"
    op.note = f"depthwise conv as one vector kernel: {len(offsets)} taps on [{rows} x {length}]"
    return op


def _taps(kernel: list[int]) -> list[tuple[int, ...]]:
    """Every kernel position, row-major: (0, 0), (0, 1), ... for a [kh, kw] kernel."""
    taps: list[tuple[int, ...]] = [()]
    for k in kernel:
        taps = [t + (i,) for t in taps for i in range(k)]
    return taps


def _last_two_swapped(info: TensorInfo) -> bool:
    if not info.stride or len(info.shape) < 2:
        return False
    shape, stride = list(info.shape), list(info.stride)
    shape[-1], shape[-2] = shape[-2], shape[-1]
    stride[-1], stride[-2] = stride[-2], stride[-1]
    return is_contiguous(shape, stride)
