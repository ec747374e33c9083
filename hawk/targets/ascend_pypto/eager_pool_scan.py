"""ascend-pypto's eager kernels for pooling, cumsum and flip (see eager.py for the method).

torch_npu runs each of these ops as ONE kernel (MaxPool / AvgPool, Cumsum, ReverseV2); each is
modelled as one PyPTO kernel written the way these ops can be written in pypto 0.2.0 (measured on
the simulator, see the language guide's "Pooling" and "Scans" sections):

- max/avg pooling, 1-D to 3-D, with kernel size, stride, padding, dilation, ceil_mode and
  count_include_pad: pypto slices take no step, so each spatial axis is pooled on a free
  [A, L, B] view reshaped to [A, L / stride, stride * B], where every window tap is one shifted
  contiguous slice; output rows with the same valid taps (the borders) are computed apart and
  concatenated. The last spatial axis is first transposed into the middle and back. Max is
  where(a > b, a, b) (pypto.maximum is ~5x slower on multi-axis tiles here); avg multiplies the
  tap sum by 1 / (window count) of each border run.
- cumsum over the last axis: `pypto.cumsum` on tiles of at most 1024 along the scan axis (its
  in-UB transpose needs a 16-row scratch of the tile's length) and up to 8 rows.
- flip of one axis: `pypto.index_select` with a reversed `arange` index.
Everything else about these ops (cumsum over another axis, flips of several axes, divisor_override,
adaptive pooling) stays estimated.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from hawk.targets.tracing import Call, EagerOp, TensorArg

POOL_KIND = re.compile(r"^_?(?P<op>max|avg)_?pool(?P<d>[123])d$")
# The op kinds that cached baselines from before this mapping list as estimated ("maxpool2d" from
# nn.MaxPool2d, "max_pool2d" from F.max_pool2d, ...): such a cache entry is stale and recomputed.
ESTIMATED_BEFORE = frozenset(
    [f"{op}{sep}pool{d}d" for op in ("max", "avg") for sep in ("", "_") for d in (1, 2, 3)] + ["cumsum", "flip"]
)


# ---------------------------------------------------------------------------------- classification
def classify_pool_scan(op: EagerOp, call: Call) -> EagerOp | None:
    """The EagerOp of a pooling, cumsum or flip call; None when `call` is none of them."""
    m = POOL_KIND.match(call.kind)
    if m:
        return _classify_pool(op, call, m["op"], int(m["d"]))
    if call.kind == "cumsum":
        return _classify_cumsum(op, call)
    if call.kind == "flip":
        return _classify_flip(op, call)
    return None


def _arg(call: Call, i: int, name: str, default: Any = None) -> Any:
    if name in call.kwargs:
        return call.kwargs[name]
    return call.args[i] if i < len(call.args) else default


def _unmapped(op: EagerOp, note: str) -> EagerOp:
    op.target_op, op.note = None, note
    return op


def _per_axis(value: Any, d: int) -> list[int]:
    if isinstance(value, (list, tuple)):
        vals = [int(v) for v in value]
        return vals * d if len(vals) == 1 else vals
    return [int(value)] * d


def _classify_pool(op: EagerOp, call: Call, kind: str, d: int) -> EagerOp:
    x = call.args[0] if call.args else call.kwargs.get("input")
    if not isinstance(x, TensorArg) or x.info.dtype not in ("float32", "float16", "bfloat16"):
        return _unmapped(op, "pooling of a non-float tensor: estimated")
    ksize = _per_axis(_arg(call, 1, "kernel_size"), d)
    stride_arg = _arg(call, 2, "stride")
    stride = _per_axis(stride_arg if stride_arg not in (None, [], ()) else ksize, d)
    pad = _per_axis(_arg(call, 3, "padding", 0), d)
    if kind == "max":
        dilation = _per_axis(_arg(call, 4, "dilation", 1), d)
        if _arg(call, 6, "return_indices", False):
            return _unmapped(op, "max pooling with indices: estimated")
        include_pad = True
    else:
        dilation = [1] * d
        include_pad = bool(_arg(call, 5, "count_include_pad", True))
        if _arg(call, 6, "divisor_override") is not None:
            return _unmapped(op, "avg pooling with divisor_override: estimated")
    if len(x.info.shape) > 5 or len(x.info.shape) < d + 1:
        return _unmapped(op, "pooling input rank not supported: estimated")
    op.kind, op.inputs, op.outputs = f"{kind}_pool", [x.info], op.outputs[:1]
    op.consts = {"d": d, "kernel": ksize, "stride": stride, "pad": pad, "dilation": dilation,
                 "include_pad": include_pad}  # fmt: skip
    op.target_op = "strided views + where(gt) / add (one pooling kernel)"
    return op


def _classify_cumsum(op: EagerOp, call: Call) -> EagerOp:
    x = call.args[0] if call.args else call.kwargs.get("input")
    if not isinstance(x, TensorArg) or x.info.dtype not in ("float32", "float16"):
        return _unmapped(op, "cumsum of a non-float32/float16 tensor: estimated")
    dim = int(_arg(call, 1, "dim")) % len(x.info.shape)
    if dim != len(x.info.shape) - 1:
        return _unmapped(op, "cumsum over a non-last axis: estimated")
    if call.kwargs.get("dtype") is not None:
        return _unmapped(op, "cumsum with dtype=: estimated")
    op.inputs, op.target_op = [x.info], "pypto.cumsum"
    return op


def _classify_flip(op: EagerOp, call: Call) -> EagerOp:
    x = call.args[0] if call.args else call.kwargs.get("input")
    dims = _arg(call, 1, "dims")
    dims = [dims] if isinstance(dims, int) else list(dims or [])
    if not isinstance(x, TensorArg) or len(dims) != 1 or len(x.info.shape) > 4:
        return _unmapped(op, "flip of several axes or of rank > 4: estimated")
    op.inputs, op.target_op = [x.info], "pypto.index_select (reversed arange)"
    op.consts = {"dim": int(dims[0]) % len(x.info.shape)}
    return op


# ---------------------------------------------------------------------------------- pooling kernels
@dataclass
class _Axis:
    """One spatial axis of a pooling: input length, output length and the window."""

    length: int
    out: int
    kernel: int
    stride: int
    pad: int
    dilation: int
    include_pad: bool

    def runs(self) -> list[tuple[int, int, tuple[int, ...], int]]:
        """Output positions grouped into runs (lo, hi, valid taps, window count) of equal windows."""
        runs: list[list[Any]] = []
        for i in range(self.out):
            start = self.stride * i - self.pad
            taps = tuple(k for k in range(self.kernel) if 0 <= start + self.dilation * k < self.length)
            count = min(start + self.kernel, self.length + self.pad) - start if self.include_pad else len(taps)
            if runs and runs[-1][2:] == [taps, count]:
                runs[-1][1] = i + 1
            else:
                runs.append([i, i + 1, taps, count])
        return [(lo, hi, taps, count) for lo, hi, taps, count in runs]


def _tile3(a: int, length: int, b: int, elems: int) -> str:
    """A tile of about `elems` fp32 over [a, length, b]; its last axis in whole 32-byte blocks (pypto
    rejects others: `lastDimBytes % BLOCK_SIZE == 0`), rounded up past an odd tensor width."""
    b = -(-b // 8) * 8
    if b >= elems:
        return f"1, 1, {max(8, elems - elems % 8)}"
    return f"{min(a, max(1, elems // (length * b)))}, {min(length, max(1, elems // b))}, {b}"


def _pool_axis(lines: list[str], cur: str, a: int, axis: _Axis, b: int, is_max: bool, elems: int, n: list[int]) -> str:
    """Emit the pooling of axis 1 of the [a, axis.length, b] tensor `cur`; returns the result's name."""

    def let(expr: str) -> str:
        n[0] += 1
        lines.append(f"t{n[0]} = {expr}")
        return f"t{n[0]}"

    s = axis.stride
    padded = -(-axis.length // s) * s
    lines.append(f"pypto.set_vec_tile_shapes({_tile3(a, axis.length, b, elems)})")
    view = let(f"pypto.reshape({cur}, [{a}, {axis.length}, {b}])")
    if padded != axis.length:  # rows past the input are never read (windows skip them): any value
        view = let(f"pypto.pad({view}, [0, 0, 0, {padded - axis.length}], 'constant', 0.0)")
    groups = let(f"pypto.reshape({view}, [{a}, {padded // s}, {s * b}])")
    pieces = []
    for lo, hi, taps, count in axis.runs():
        acc = None
        for k in taps:
            q, r = divmod(axis.dilation * k - axis.pad, s)
            tap = f"{groups}[:, {lo + q}:{hi + q}, {r * b}:{(r + 1) * b}]"
            if acc is None:
                acc = let(tap) if len(taps) == 1 else tap
            elif is_max:
                acc = let(f"pypto.where(pypto.gt({acc}, {tap}), {acc}, {tap})")
            else:
                acc = let(f"pypto.add({acc}, {tap})")
        if not is_max and count != 1:
            acc = let(f"pypto.mul({acc}, {1.0 / count!r})")
        pieces.append(acc)
    return pieces[0] if len(pieces) == 1 else let(f"pypto.concat([{', '.join(pieces)}], 1)")


def pool_lines(op: EagerOp, elems: int) -> list[str]:
    """Body of one pooling kernel (input a0, output o0) for vector tiles of about `elems` elements."""
    x, out = op.inputs[0], op.outputs[0]
    c = op.consts
    d = c["d"]
    lead = math.prod(x.shape[:-d])
    sizes = list(x.shape[-d:])
    axes = [_Axis(sizes[j], out.shape[-d + j], c["kernel"][j], c["stride"][j], c["pad"][j], c["dilation"][j],
                  c["include_pad"]) for j in range(d)]  # fmt: skip
    lines: list[str] = []
    n = [0]
    cur = "a0" if x.dtype == "float32" else "xf"
    if x.dtype != "float32":
        lines.append("xf = pypto.cast(a0, pypto.DT_FP32)")
    is_max = op.kind == "max_pool"
    for j, axis in enumerate(axes):
        if axis.kernel == 1 and axis.stride == 1 and axis.pad == 0:
            continue
        a = lead * math.prod(sizes[:j])
        if j < d - 1:
            cur = _pool_axis(lines, cur, a, axis, math.prod(sizes[j + 1 :]), is_max, elems, n)
        else:  # the last axis, transposed into the middle of a [p, q, L] view and back
            p, q = (a // sizes[j - 1], sizes[j - 1]) if j > 0 else (1, a)
            lines.append(f"pypto.set_vec_tile_shapes({_tile3(p, q, axis.length, elems)})")
            lines.append(f"tt = pypto.transpose(pypto.reshape({cur}, [{p}, {q}, {axis.length}]), 1, 2)")
            pooled = _pool_axis(lines, "tt", p, axis, q, is_max, elems, n)
            lines.append(f"pypto.set_vec_tile_shapes({_tile3(p, axis.out, q, elems)})")
            lines.append(f"tb = pypto.transpose({pooled}, 1, 2)")
            cur = "tb"
        sizes[j] = axis.out
    res = f"pypto.reshape({cur}, {list(out.shape)})"
    if out.dtype != "float32":
        res = f"pypto.cast({res}, pypto.{'DT_FP16' if out.dtype == 'float16' else 'DT_BF16'})"
    return lines + [f"o0.move({res})"]


# ---------------------------------------------------------------------------------- scan kernels
def cumsum_lines(op: EagerOp, rows_tile: int, len_tile: int) -> tuple[list[int], list[str]]:
    """A cumsum over the last axis on the [rows, L] view: (kernel shape, body)."""
    x = op.inputs[0]
    length = x.shape[-1]
    rows = max(1, x.numel // length)
    body = [f"pypto.set_vec_tile_shapes({min(rows, rows_tile)}, {min(length, len_tile)})",
            "o0.move(pypto.cumsum(a0, 1))"]  # fmt: skip
    return [rows, length], body


def flip_lines(op: EagerOp, elems: int) -> list[str]:
    x = op.inputs[0]
    dim = op.consts["dim"]
    length = x.shape[dim]
    tile = [1] * len(x.shape)
    tile[-1] = min(x.shape[-1], max(8, elems))
    if len(x.shape) > 1:
        tile[-2] = min(x.shape[-2], max(1, elems // tile[-1]))
    return [
        f"pypto.set_vec_tile_shapes({', '.join(str(t) for t in tile)})",
        f"idx = pypto.cast(pypto.arange({length - 1}, -1, -1), pypto.DT_INT32)",
        f"o0.move(pypto.index_select(a0, {dim}, idx))",
    ]
