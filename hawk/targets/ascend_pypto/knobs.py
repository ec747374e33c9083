"""The tuner's view of a PyPTO kernel: its knobs, the rules that make a point illegal, and the
source of any point.

Knobs are the numbers that change how the work is tiled and scheduled, not what it computes:
- literal arguments of `pypto.set_vec_tile_shapes` / `pypto.set_cube_tile_shapes`;
- module-level integer constants used only in those calls (a constant that also sets a shape,
  a loop bound or a reshape is left alone: changing it would change the program);
- the scheduling pass options of pass_options.py (`{-1: N}` merge counts), on the kernel's
  `@pypto.frontend.jit(pass_options=...)` decorator (added when absent).
An argument that is an expression (`ROWS * 2`) is not tuned, and the space says so in its notes.

Rules (from the spec, checked before anything runs; the compiler still has the last word, and a
point it rejects for capacity prunes every larger point, see hawk/tune/search.py):
- vector tile: no larger than its axis; the tail axis in whole 32-byte blocks unless it spans
  the axis; the tile in its widest dtype must fit UB, an fp32<->fp16 cast needs both widths
  (6 B per element) and a reduction half a tile of scratch more (the guide's accounting; it is a
  lower bound, because elementwise chains run in place and may need no more than that);
- cube tile: sizes in multiples of 16, L1 tiles multiples of the L0 tiles (kL0 divides kL1),
  L0A m0*k0, L0B k0*n0 (operand bytes) and L0C m0*n0*4 within their buffers, A and B's L1 slabs
  (m1*k1 + k1*n1) within L1.
"""

from __future__ import annotations

import ast
import bisect
import io
import math
import tokenize
from dataclasses import dataclass, field
from typing import Any

from hawk.syntax import parse_python
from hawk.targets.ascend_pypto import pass_options
from hawk.targets.ascend_pypto.constants import int_value, module_constants
from hawk.targets.base import HardwareSpec
from hawk.targets.tuning import Knob, Point

DT_BYTES = {"DT_FP32": 4, "DT_FP16": 2, "DT_BF16": 2, "DT_INT8": 1, "DT_UINT8": 1, "DT_INT16": 2,
            "DT_INT32": 4, "DT_INT64": 8, "DT_BOOL": 1}  # fmt: skip
REDUCTIONS = {"sum", "amax", "amin", "prod", "mean"}
_NOT_VECTOR_WORK = {"Tensor", "move", "reshape", "view", "matmul", "jit", "set_cube_tile_shapes", "set_vec_tile_shapes"}
CUBE_SLOTS = ("mL0", "mL1", "kL0", "kL1", "nL0", "nL1")
# Tile counts the value lists are built from: every count up to 16, then counts around multiples
# of the core counts (24 cube, 48 vector: a count just under a multiple leaves a wave short), and
# powers of two.
_COUNTS = sorted(set(range(1, 17)) | {24 * k + d for k in range(1, 25) for d in (-1, 0, 1)} | {2**i for i in range(13)})
# More tiles than this are never worth simulating: each tile is a task with ~200 cycles of start-up
# cost (SiLU with 4,096 tiles: 74.7 us, against 5.8 us tuned), the simulator needs tens of seconds to
# minutes for such programs (a 65,536-tile cast: over 3 minutes), and at 4,096 tasks of a 2-D tiling
# it printed no End-to-End time at all.
MAX_TILES = 2048
_PASS_VALUES = {
    "vec_nbuffer_setting": (None, 1, 2, 3, 4, 6, 8),
    "cube_nbuffer_setting": (None, 1, 2, 4),
    "cube_l1_reuse_setting": (None, 2, 4),
}


@dataclass
class Slot:
    """One size argument of a tile call: a knob's name, or a fixed value."""

    knob: str | None
    value: int | None  # the value in the source (None: not evaluable)
    bound: int | None = None  # the axis it tiles, when known


@dataclass
class TileCall:
    kind: str  # "vec" | "cube"
    line: int
    slots: list[Slot]
    bytes_per_elem: float = 4.0  # vec: lower bound of UB bytes per tile element
    operand_bytes: int = 2  # cube: bytes of a matmul operand


@dataclass
class PyptoSpace:
    """Knobs of one kernel and how to check and render points (hawk.targets.base.TuningSpace)."""

    source: str
    spec: HardwareSpec
    knobs: list[Knob] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    calls: list[TileCall] = field(default_factory=list)
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # knob -> byte spans to rewrite
    options: dict[str, Any] = field(default_factory=dict)  # the kernel's pass options as written

    def original(self) -> Point:
        return {k.name: k.original for k in self.knobs}

    # ------------------------------------------------------------------ rules
    def illegal(self, point: Point) -> str | None:
        """Why `point` cannot work on this hardware, or None."""
        for call in self.calls:
            dims = [point.get(s.knob, s.value) if s.knob else s.value for s in call.slots]
            if any(d is None for d in dims):
                continue
            why = self._vec_rule(call, dims) if call.kind == "vec" else self._cube_rule(call, dims)
            if why:
                return f"line {call.line}: {why}"
        return None

    def _vec_rule(self, call: TileCall, dims: list[int]) -> str | None:
        ub = self.spec.memory("UB").capacity_bytes
        for i, (d, slot) in enumerate(zip(dims, call.slots, strict=True)):
            if d < 1:
                return f"tile size {d} on axis {i}"
            if slot.bound and d > slot.bound:
                return f"tile {d} is larger than axis {i} ({slot.bound})"
        tiles = math.prod(-(-s.bound // d) for d, s in zip(dims, call.slots, strict=True) if s.bound)
        if tiles > MAX_TILES:
            return f"{tiles} tiles: more than {MAX_TILES} tasks (per-task cost; the simulator takes minutes)"
        need = math.prod(dims) * call.bytes_per_elem
        if need > ub:
            return f"UB: {math.prod(dims)} elements x {call.bytes_per_elem:g} B = {need:.0f} B > {ub} B"
        return None

    def _cube_rule(self, call: TileCall, dims: list[int]) -> str | None:
        m0, m1, k0, k1, n0, n1 = dims
        if any(d % 16 for d in dims):
            return "cube tile sizes must be multiples of 16 (the 16 x 16 x 16 fractal)"
        for lo, hi, axis in ((m0, m1, "m"), (k0, k1, "k"), (n0, n1, "n")):
            if hi % lo:
                return f"{axis}L1 {hi} is not a multiple of {axis}L0 {lo}"
        b = call.operand_bytes
        for name, need in (
            ("L0A", m0 * k0 * b),
            ("L0B", k0 * n0 * b),
            ("L0C", m0 * n0 * 4),
            ("L1", (m1 + n1) * k1 * b),
        ):
            cap = self.spec.memory(name).capacity_bytes
            if need > cap:
                return f"{name}: {need} B > {cap} B"
        return None

    # ------------------------------------------------------------------ rendering
    def render(self, point: Point) -> str:
        """The kernel's source with `point`'s values written in (layout kept). A changed line's
        trailing comment becomes `# tuned (was ...)`: one written for the old value may now lie."""
        data = self.source.encode()
        edits: list[tuple[int, int, str]] = []
        for knob in self.knobs:
            if knob.kind == "pass_option":
                continue
            for start, end in self.spans.get(knob.name, []):
                edits.append((start, end, str(int(point.get(knob.name, knob.original)))))
        edits += self._option_edits(point)
        edits = [e for e in edits if data[e[0] : e[1]].decode() != e[2]]  # an unchanged value is no edit
        edits += _comment_edits(self.source, data, edits)
        for start, end, text in sorted(edits, reverse=True):
            data = data[:start] + text.encode() + data[end:]
        return data.decode()

    def _option_edits(self, point: Point) -> list[tuple[int, int, str]]:
        tuned = [k for k in self.knobs if k.kind == "pass_option"]
        if not tuned:
            return []
        new = dict(self.options)
        for knob in tuned:
            value = point.get(knob.name, knob.original)
            if value is None:
                new.pop(knob.name, None)
            else:
                new[knob.name] = {-1: int(value)}
        if new == self.options:
            return []
        text = repr(new)
        tree = parse_python(self.source)
        fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "kernel")
        offsets = _line_offsets(self.source)
        dec = pass_options.jit_decorator(fn)
        if dec is not None:
            kw = next((k for k in dec.keywords if k.arg == "pass_options"), None)
            if kw is not None:
                return [(*_span(kw.value, offsets), text)]
            end = _span(dec, offsets)[1] - 1  # before the closing parenthesis
            sep = ", " if dec.args or dec.keywords else ""
            return [(end, end, f"{sep}pass_options={text}")]
        for d in fn.decorator_list:  # a bare @jit / @pypto.frontend.jit
            name = d.attr if isinstance(d, ast.Attribute) else getattr(d, "id", "")
            if name == "jit":
                start, end = _span(d, offsets)
                return [(end, end, f"(pass_options={text})")]
        line_start = offsets[fn.lineno - 1] if not fn.decorator_list else offsets[fn.decorator_list[0].lineno - 1]
        return [(line_start, line_start, f"@pypto.frontend.jit(pass_options={text})\n")]


def _comment_edits(source: str, data: bytes, edits: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Edits that mark each line a value edit changes with `# tuned (was <old values>)`: its trailing
    comment is replaced (one written for the old value may now lie), or the mark is appended, saying
    so when a comment block right above the line may describe the old value."""
    offsets = _line_offsets(source)
    lines = source.splitlines(keepends=True)
    was: dict[int, list[str]] = {}  # 1-based line -> the old texts changed on it
    for start, end, text in edits:
        if start == end and text.endswith("\n"):
            continue  # a whole new line (an added decorator): nothing of the source changed there
        line = bisect.bisect_right(offsets, max(start, end - 1))  # the line of the value's last byte
        was.setdefault(line, []).append(data[start:end].decode() or "pass_options unset")
    comments = {
        t.start[0]: t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type == tokenize.COMMENT
    }
    out = []
    for line, old in sorted(was.items()):
        mark = f"# tuned (was {', '.join(old)})"
        tok = comments.get(line)
        if tok is not None:
            start = offsets[line - 1] + len(lines[line - 1][: tok.start[1]].encode())
            if not any(s <= start < e for s, e, _ in edits):  # else it sits inside a rewritten value
                out.append((start, start + len(tok.string.encode()), mark))
            continue
        code = lines[line - 1].rstrip("\r\n")
        if code.endswith("\\"):
            continue  # a comment after a line continuation would break the source
        above = line > 1 and lines[line - 2].lstrip().startswith("#")
        end = offsets[line - 1] + len(code.encode())
        out.append((end, end, f"  {mark}" + ("; the comment above was written for the old value" if above else "")))
    return out


# ---------------------------------------------------------------------- finding the knobs
def find_space(source: str, spec: HardwareSpec) -> PyptoSpace:
    """The knobs of `source` (a kernel that passed the static check) and their rules."""
    space = PyptoSpace(source=source, spec=spec)
    tree = parse_python(source)
    fn = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "kernel"), None)
    if fn is None:
        space.notes.append("no top-level `kernel` function")
        return space
    consts = module_constants(tree)
    shapes = _shapes(fn, consts)
    dtypes = [DT_BYTES[n.attr] for n in ast.walk(fn) if isinstance(n, ast.Attribute) and n.attr in DT_BYTES]
    widest, narrowest = (max(dtypes), min(dtypes)) if dtypes else (4, 4)
    ops = {n.func.attr for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    per_elem = float(widest)
    if "cast" in ops and narrowest < widest:
        per_elem = float(widest + narrowest)
    if ops & REDUCTIONS:
        per_elem = max(per_elem, 1.5 * widest)

    tile_calls = sorted(
        (n for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
         and n.func.attr in ("set_vec_tile_shapes", "set_cube_tile_shapes")),
        key=lambda n: (n.lineno, n.col_offset),
    )  # fmt: skip
    in_tile_args = {id(x) for call in tile_calls for a in call.args for x in ast.walk(a)}
    slots = _Slots(space, consts, _line_offsets(source), _constant_uses_outside(tree, consts, in_tile_args))
    for call in tile_calls:
        if call.func.attr == "set_vec_tile_shapes":
            _vec_call(call, slots, shapes, narrowest, per_elem)
        else:
            _cube_call(call, slots, fn, shapes, consts)
    for name, vals in slots.domains.items():
        original = next(s.value for c in space.calls for s in c.slots if s.knob == name)
        space.knobs.append(Knob(name, slots.kinds[name], original, vals, slots.lines[name]))
    _pass_option_knobs(space, fn, consts, ops)
    if not space.calls:
        space.notes.append("no set_vec_tile_shapes / set_cube_tile_shapes call with tunable arguments")
    return space


@dataclass
class _Slots:
    """Tile arguments as knobs: a literal is a knob of its own, a module constant one knob wherever it
    is used (the values that fit every use); an expression, or a constant also used outside tiling,
    is not tuned (the note says why)."""

    space: PyptoSpace
    consts: dict[str, Any]
    offsets: list[int]
    used_elsewhere: dict[str, int]
    domains: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def slot(self, node: ast.expr, call_line: int, position: str, kind: str, values_for: Any) -> Slot:
        space, consts = self.space, self.consts
        value = int_value(node, consts)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            name = f"{kind}@{call_line}[{position}]"
            space.spans[name] = [_span(node, self.offsets)]
        elif isinstance(node, ast.Name) and node.id in consts:
            if node.id in self.used_elsewhere:
                space.notes.append(
                    f"line {call_line}: {node.id} is also used outside tiling (line {self.used_elsewhere[node.id]}): not tuned"
                )
                return Slot(None, value)
            name = node.id
            space.spans[name] = [_span(consts[node.id][1], self.offsets)]
        else:
            what = ast.unparse(node)
            space.notes.append(f"line {call_line}: tile argument `{what}` is an expression, not a literal: not tuned")
            return Slot(None, value)
        bound, vals = values_for(value)
        if name in self.domains:  # a constant used in several places: keep the values that fit all
            vals = tuple(v for v in self.domains[name] if v in set(vals)) or self.domains[name]
        self.domains[name], self.kinds[name], self.lines[name] = (
            vals,
            ("constant" if name == node_id(node) else f"{kind}_tile"),
            call_line,
        )
        return Slot(name, value, bound)


def _vec_call(call: ast.Call, slots: _Slots, shapes: Any, narrowest: int, per_elem: float) -> None:
    """A set_vec_tile_shapes call: one slot per axis, aligned to 32 bytes on the last one."""
    rank = len(call.args)
    out = []
    for j, arg in enumerate(call.args):
        bound = _axis_bound(shapes, rank, j)
        align = max(1, 32 // narrowest) if j == rank - 1 else 1

        def values(v, bound=bound, align=align):
            b = bound or (4 * v if v else None)
            return bound, (_axis_values(b, align, v) if b else ((v,) if v else ()))

        out.append(slots.slot(arg, call.lineno, str(j), "vec", values))
    slots.space.calls.append(TileCall("vec", call.lineno, out, bytes_per_elem=per_elem))


def _cube_call(call: ast.Call, slots: _Slots, fn: ast.FunctionDef, shapes: Any, consts: dict[str, Any]) -> None:
    """A set_cube_tile_shapes call: six slots ([L0, L1] of m, k, n), bounded by the matmul's dims."""
    line = call.lineno
    elts = [e for a in call.args[:3] if isinstance(a, ast.List | ast.Tuple) for e in a.elts]
    if len(elts) != 6:
        slots.space.notes.append(f"line {line}: set_cube_tile_shapes without three [L0, L1] lists: not tuned")
        return
    m, k, n, operand_bytes = _matmul_dims(fn, shapes, consts)
    out = []
    for name, node in zip(CUBE_SLOTS, elts, strict=True):
        axis = {"m": m, "k": k, "n": n}[name[0]]
        level0 = name.endswith("L0")

        def values(v, axis=axis, level0=level0):
            return axis, _cube_values(axis, v, level0)

        out.append(slots.slot(node, line, name, "cube", values))
    slots.space.calls.append(TileCall("cube", line, out, operand_bytes=operand_bytes))


def _pass_option_knobs(space: PyptoSpace, fn: ast.FunctionDef, consts: dict[str, Any], ops: set[str]) -> None:
    """The kernel's pass options of the form {-1: N} (and the absent ones) as knobs, where the kernel
    has the work they schedule (vector or cube)."""
    options = pass_options.read(fn, consts)
    space.options = options if isinstance(options, dict) else {}
    kinds_present = {c.kind for c in space.calls}
    has_vector = "vec" in kinds_present or bool(ops - _NOT_VECTOR_WORK)
    for key, values in _PASS_VALUES.items():
        if (key.startswith("vec") and not has_vector) or (key.startswith("cube") and "cube" not in kinds_present):
            continue
        current = space.options.get(key)
        if current is not None and set(current) != {-1}:
            space.notes.append(f"pass option {key}={current!r} is not of the form {{-1: N}}: not tuned")
            continue
        original = current[-1] if current else None
        vals = values if original in values else (*values, original)
        space.knobs.append(Knob(key, "pass_option", original, vals, fn.lineno, size_like=False))


def node_id(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


def _line_offsets(source: str) -> list[int]:
    """Byte offset of each line's start (ast columns are UTF-8 byte offsets)."""
    offsets, total = [], 0
    for line in source.encode().splitlines(keepends=True):
        offsets.append(total)
        total += len(line)
    offsets.append(total)
    return offsets


def _span(node: ast.AST, offsets: list[int]) -> tuple[int, int]:
    return offsets[node.lineno - 1] + node.col_offset, offsets[node.end_lineno - 1] + node.end_col_offset


def _constant_uses_outside(tree: ast.Module, consts: dict, in_tile_args: set[int]) -> dict[str, int]:
    """Constants read anywhere but in a tile call's arguments -> a line where that happens.

    A chained `M = K = N = 1024` shares one value node, so changing one would change all: such
    names count as used elsewhere."""
    out: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in consts:
            if id(node) not in in_tile_args:
                out.setdefault(node.id, node.lineno)
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) > 1:
            for t in stmt.targets:
                if isinstance(t, ast.Name):
                    out.setdefault(t.id, stmt.lineno)
        if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Tuple):
            for t in stmt.targets[0].elts:
                if isinstance(t, ast.Name):
                    out.setdefault(t.id, stmt.lineno)  # a shared line: rewriting one value is fiddly
    return out


def _shapes(fn: ast.FunctionDef, consts: dict) -> list[list[int]]:
    """Shapes the kernel names: argument annotations and literal reshape/view targets."""
    shapes = []
    for node in ast.walk(fn):
        lists = []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "Tensor" and node.args:
                lists.append(node.args[0])
            elif node.func.attr in ("reshape", "view") and len(node.args) > 1:
                lists.append(node.args[1])
        for lst in lists:
            if isinstance(lst, ast.List | ast.Tuple):
                dims = [int_value(e, consts) for e in lst.elts]
                if dims and all(isinstance(d, int) and d > 0 for d in dims):
                    shapes.append(dims)
    return shapes


def _axis_bound(shapes: list[list[int]], rank: int, j: int) -> int | None:
    dims = [s[j] for s in shapes if len(s) == rank]
    return max(dims) if dims else None


def _align_up(v: int, a: int) -> int:
    return -(-v // a) * a


def _axis_values(bound: int, align: int, original: int | None) -> tuple[int, ...]:
    """Tile sizes for an axis of `bound` elements: one per tile count (see _COUNTS), aligned."""
    vals = {bound}
    for t in _COUNTS:
        if t > bound:
            break
        v = _align_up(-(-bound // t), align)
        if v <= bound and (v >= align or bound < align):
            vals.add(v)
    p = align
    while p <= bound:
        if -(-bound // p) <= MAX_TILES:
            vals.add(p)
        p *= 2
    if original:
        vals.add(original)
    return tuple(sorted(vals))


def _cube_values(axis: int | None, original: int | None, level0: bool) -> tuple[int, ...]:
    top = 256 if level0 else 2048
    limit = _align_up(axis, 16) if axis else top
    vals = {v for v in (16, 32, 64, 128, 256, 512, 1024, 2048) if v <= min(top, limit)}
    if original:
        vals.add(original)
    return tuple(sorted(vals))


def _matmul_dims(
    fn: ast.FunctionDef, shapes: list[list[int]], consts: dict
) -> tuple[int | None, int | None, int | None, int]:
    """(M, K, N, operand bytes) of the kernel's first matmul when its operands are annotated arguments."""
    ann: dict[str, tuple[list[int], int]] = {}
    for a in fn.args.args:
        if isinstance(a.annotation, ast.Call) and a.annotation.args:
            lst = a.annotation.args[0]
            dims = [int_value(e, consts) for e in lst.elts] if isinstance(lst, ast.List | ast.Tuple) else []
            dt = next(
                (n.attr for n in ast.walk(a.annotation) if isinstance(n, ast.Attribute) and n.attr in DT_BYTES), None
            )
            if dims and all(isinstance(d, int) for d in dims):
                ann[a.arg] = (dims, DT_BYTES.get(dt or "", 2))
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "matmul":
            if len(node.args) >= 2 and all(isinstance(x, ast.Name) and x.id in ann for x in node.args[:2]):
                (a, ab), (b, _) = ann[node.args[0].id], ann[node.args[1].id]
                flags = {kw.arg: getattr(kw.value, "value", False) for kw in node.keywords}
                m, k = (a[-1], a[-2]) if flags.get("a_trans") else (a[-2], a[-1])
                n = b[-2] if flags.get("b_trans") else b[-1]
                return m, k, n, min(ab, 2) if ab in (1, 2) else ab
    biggest = max((max(s) for s in shapes if len(s) >= 2), default=None)
    return biggest, biggest, biggest, 2
