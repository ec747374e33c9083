"""ascend-pypto's eager kernels: tiling rules and the PyPTO source of each op's single kernel.

See eager.py's docstring (step 3, "Tile") for the rules and why they are fair to eager.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hawk.targets.ascend_pypto.eager_ops import BINARY, UNARY
from hawk.targets.ascend_pypto.eager_pool_scan import cumsum_lines, flip_lines, pool_lines
from hawk.targets.ascend_pypto.eager_tiling import collapse_axes, cube_tiles, pad, tile_sizes, vec_tile
from hawk.targets.judging import DTYPE_BYTES
from hawk.targets.tracing import EagerOp

PYPTO_DT = {"float32": "DT_FP32", "float16": "DT_FP16", "bfloat16": "DT_BF16", "int8": "DT_INT8",
            "int16": "DT_INT16", "int32": "DT_INT32", "int64": "DT_INT64", "uint8": "DT_UINT8",
            "bool": "DT_BOOL"}  # fmt: skip


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


def _ann(shape: list[int], dtype: str) -> str:
    return f"pypto.Tensor({list(shape)}, pypto.{PYPTO_DT[dtype]})"


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
            uniq.setdefault(anonymous(k), k)
        cand = [k for k in kernels[: len(cands)] if uniq[anonymous(k)] is k]
        fall = [k for k in kernels[len(cands) :] if uniq[anonymous(k)] is k]
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
        vk.arg(f"a{i}", pad([h], rank), t.dtype)
        w = _cast(b, f"a{i}", t.dtype, "float32")
        y = b.let(f"pypto.mul({y}, {w})" if i == 1 and op.consts.get("affine_weight") else f"pypto.add({y}, {w})")
    y = _cast(b, y, "float32", out.dtype)
    vk.arg("o0", shape, out.dtype)
    vk.tail = [f"o0.move({y})"]
    return vk.plan(name)


def _group_norm_plan(op: EagerOp, name: str) -> Plan:
    """GroupNorm as one kernel: statistics over rows [N * G, C / G * spatial] (a free view), then the
    per-channel affine over rows [N * C, spatial]. PyPTO broadcasts one axis per operand, so weight
    and bias go in as [N * C, 1] columns (N copies of C values, a few KiB: the timing is unchanged)."""
    x, out = op.inputs[0], op.outputs[0]
    n, c, groups = x.shape[0], x.shape[1], op.consts["groups"]
    spatial = max(1, x.numel // (n * c))
    rows, length = n * groups, x.numel // (n * groups)
    cands, falls = tile_sizes(x.numel, 12)  # fp32 inside; mul(xc, xc) holds three full tiles
    params, args = [f"a0: {_ann([rows, length], x.dtype)}"], [([rows, length], x.dtype)]
    b = _Body()
    v = _cast(b, "a0", x.dtype, "float32")
    mean = b.let(f"pypto.mul(pypto.sum({v}, -1, True), {1.0 / length!r})")
    xc = b.let(f"pypto.sub({v}, {mean})")
    var = b.let(f"pypto.mul(pypto.sum(pypto.mul({xc}, {xc}), -1, True), {1.0 / length!r})")
    y = b.let(f"pypto.mul({xc}, pypto.rsqrt(pypto.add({var}, {_lit(op.consts['eps'])})))")
    y = b.let(f"pypto.reshape({y}, [{n * c}, {spatial}])")
    z = y  # the affine part runs under the second tile shape: its ops are written into the tail
    for i, t in enumerate(op.inputs[1:], start=1):
        params.append(f"a{i}: {_ann([n * c, 1], t.dtype)}")
        args.append(([n * c, 1], t.dtype))
        w = f"a{i}" if t.dtype == "float32" else f"pypto.cast(a{i}, pypto.DT_FP32)"
        z = f"pypto.mul({z}, {w})" if i == 1 and op.consts["affine_weight"] else f"pypto.add({z}, {w})"
    if out.dtype != "float32":
        z = f"pypto.cast({z}, pypto.{PYPTO_DT[out.dtype]})"
    params.append(f"o0: {_ann([n * c, spatial], out.dtype)}")
    args.append(([n * c, spatial], out.dtype))
    kernels = []
    for i, elems in enumerate(cands + falls):
        tile = vec_tile([rows, length], elems, 4, (1,))
        per_row = c // groups if tile[1] == length else 1  # channel rows in one tile's rows
        second = [max(1, tile[0] * per_row), min(spatial, tile[1])]
        tail = [f"pypto.set_vec_tile_shapes({', '.join(map(str, second))})", f"o0.move({z})"]
        kernels.append(_kernel(f"{name}_v{i}", params, args, tile, b.lines, tail))
    return Plan(kernels[: len(cands)], kernels[len(cands) :])


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


def _depthwise_plan(op: EagerOp, name: str) -> Plan:
    """Depthwise conv (see eager_ops._depthwise): sum over taps of a [rows, 1] weight column times a
    shifted [rows, length] view of the flat padded input; bf16 computes in fp32."""
    x, w, out = op.inputs[0], op.inputs[1], op.outputs[0]
    rows, length = out.shape
    compute = "float32" if x.dtype == "bfloat16" else x.dtype
    c = DTYPE_BYTES[compute]
    vk = _VecKernel([rows, length], 3 * c, c)  # a window, the running sum and the new sum
    vk.arg("a0", list(x.shape), x.dtype)
    vk.arg("a1", list(w.shape), w.dtype)
    b = vk.body
    acc = None
    for t, off in enumerate(op.consts["offsets"]):
        win = _cast(b, b.let(f"pypto.view(a0, [{rows}, {length}], [0, {off}])"), x.dtype, compute)
        term = b.let(f"pypto.mul({win}, {_cast(b, f'pypto.view(a1, [{rows}, 1], [0, {t}])', w.dtype, compute)})")
        acc = term if acc is None else b.let(f"pypto.add({acc}, {term})")
    vk.arg("o0", [rows, length], out.dtype)
    vk.tail = [f"o0.move({_cast(b, acc, compute, out.dtype)})"]
    return vk.plan(name)


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
    if [anonymous(k) for k in flat.candidates] == [anonymous(k) for k in two.candidates]:
        return two  # already two or more axes: the same kernels
    return Plan(flat.candidates, two.candidates[:2] + flat.fallbacks)


def _pool_scan_plan(op: EagerOp, name: str) -> Plan:
    """The candidate kernels (two tile sizes each) of a pooling, cumsum or flip op (their bodies:
    eager_pool_scan)."""
    x, out = op.inputs[0], op.outputs[0]
    x_shape, out_shape = list(x.shape), list(out.shape)
    if op.kind == "cumsum":
        tiles = ((8, 1024), (16, 512))  # rows x scan length per tile
        x_shape = out_shape = cumsum_lines(op, *tiles[0])[0]
        bodies = [(f"vec [{r}, {n}] scan", cumsum_lines(op, r, n)[1]) for r, n in tiles]
    elif op.kind == "flip":
        bodies = [(f"vec ~{e} elems", flip_lines(op, e)) for e in (8192, 2048)]
    else:
        bodies = [(f"vec ~{e} elems", pool_lines(op, e)) for e in (8192, 2048)]
    params = [f"a0: {_ann(x_shape, x.dtype)}", f"o0: {_ann(out_shape, out.dtype)}"]
    args = [(x_shape, x.dtype), (out_shape, out.dtype)]
    kernels = []
    for i, (tile, body) in enumerate(bodies):
        k = _kernel(f"{name}_v{i}", params, args, None, body, [])
        k.tile = tile
        kernels.append(k)
    return Plan(kernels, [])


def kernel_plan(op: EagerOp, cube_cores: int = 24) -> Plan | None:
    """The kernels that time one op (candidate tilings, then fallbacks); None without a PyPTO mapping."""
    if not op.launches_kernel or op.target_op is None:
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
        if k == "depthwise_conv":
            return _depthwise_plan(op, name)
        if k in ("sum", "mean", "amax", "amin"):
            return _reduce_plan(op, name)
        if k in ("softmax", "log_softmax"):
            return _softmax_plan(op, name)
        if k in ("layer_norm", "rms_norm"):
            return _norm_plan(op, name)
        if k == "group_norm":
            return _group_norm_plan(op, name)
        if k in ("matmul", "linear"):
            return _matmul_plan(op, name, cube_cores)
        if k == "cat":
            return _cat_plan(op, name)
        if k == "topk":
            return _topk_plan(op, name)
        if k == "transpose_copy":
            return _transpose_plan(op, name)
        if k in ("max_pool", "avg_pool", "cumsum", "flip"):
            return _pool_scan_plan(op, name)
    except (KeyError, ValueError, StopIteration, IndexError, TypeError):
        return None
    return None


def anonymous(k: Kernel) -> str:
    return k.source.replace(f"def {k.name}(", "def _(", 1)
