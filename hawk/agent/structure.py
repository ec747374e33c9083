"""A kernel's structure signature: what a rewrite must change to count as a different kernel.

The signature is a skeleton of the kernel's source: the ops in evaluation order (each call by its
last name, arguments before the call; tensor arithmetic `a * b` as `mul`), the loop nest and
branches around them (`for[loop_unroll]{...}`), and the tiling family (which tile-setting call, with
how many axes). Every number is left out, and so are variable names, comments, decorators (pass
options) and index arithmetic in lists, subscripts and loop headers: two kernels that differ only
in tile sizes or merge counts, which the tuner owns, have one signature.
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass

from hawk.syntax import parse_python

SHOWN_CHARS = 240  # of a skeleton, in a prompt
_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.FloorDiv: "floordiv",
           ast.Mod: "mod", ast.Pow: "pow", ast.MatMult: "matmul"}  # fmt: skip


@dataclass(frozen=True)
class Structure:
    key: str  # short hash of the skeleton
    skeleton: str  # readable: `tiles vec_tile/2 | amax sub exp sum div move`

    def shown(self) -> str:
        return self.skeleton if len(self.skeleton) <= SHOWN_CHARS else self.skeleton[: SHOWN_CHARS - 3] + "..."


def structure_of(source: str) -> Structure:
    """The structure signature of a kernel's source (a source that does not parse: its text without numbers)."""
    try:
        tree = parse_python(source)
    except SyntaxError:
        skeleton = "unparsed " + " ".join(re.sub(r"\d+", "N", re.sub(r"#.*", "", source)).split())
        return Structure(_digest(skeleton), skeleton[:SHOWN_CHARS])
    skeleton = _Skeleton(_scalar_names(tree)).module(tree)
    return Structure(_digest(skeleton), skeleton)


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def _scalar_names(tree: ast.Module) -> set[str]:
    """Module-level number constants: arithmetic over them and loop variables is index arithmetic."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and not any(
            isinstance(n, (ast.Call, ast.Attribute, ast.Subscript)) for n in ast.walk(node.value)
        ):
            names.update(n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


class _Skeleton:
    """Walks statements in source order and writes the skeleton."""

    def __init__(self, scalars: set[str]) -> None:
        self.scalars = set(scalars)
        self.local_functions: set[str] = set()

    def module(self, tree: ast.Module) -> str:
        self.local_functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        return " ".join(filter(None, (self.stmt(s) for s in tree.body)))

    def block(self, body: list[ast.stmt]) -> str:
        return " ".join(filter(None, (self.stmt(s) for s in body)))

    def stmt(self, node: ast.stmt) -> str:
        if isinstance(node, ast.FunctionDef):
            return f"def{{{self.block(node.body)}}}"
        if isinstance(node, (ast.For, ast.AsyncFor)):
            self.scalars.update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
            head = self.callee(node.iter.func) if isinstance(node.iter, ast.Call) else "iter"
            return f"for[{head}]{{{self.block(node.body)}}}"
        if isinstance(node, ast.While):
            return f"while{{{self.block(node.body)}}}"
        if isinstance(node, ast.If):
            orelse = f"else{{{self.block(node.orelse)}}}" if node.orelse else ""
            return f"if{{{self.block(node.body)}}}{orelse}"
        if isinstance(node, ast.With):
            heads = " ".join(self.expr(item.context_expr) for item in node.items)
            return f"with[{heads}]{{{self.block(node.body)}}}"
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return ""
        return " ".join(filter(None, (self.expr(child) for child in ast.iter_child_nodes(node))))

    def expr(self, node: ast.AST) -> str:
        """The ops of an expression, arguments first (evaluation order)."""
        if isinstance(node, (ast.List, ast.Tuple, ast.Subscript, ast.Slice, ast.Constant, ast.Name)):
            return ""  # shapes, offsets and indices: numbers the tuner or the task decides
        if isinstance(node, ast.Call):
            name = self.callee(node.func)
            if "tile" in name:
                return f"tiles {name}/{len(node.args)}"
            inner = [self.expr(a) for a in node.args] + [self.expr(k.value) for k in node.keywords]
            if isinstance(node.func, ast.Attribute):
                inner.insert(0, self.expr(node.func.value))
            return " ".join(filter(None, [*inner, name]))
        if isinstance(node, ast.BinOp):
            parts = [self.expr(node.left), self.expr(node.right)]
            op = "" if self.is_scalar(node) else _BINOPS.get(type(node.op), "binop")
            return " ".join(filter(None, [*parts, op]))
        return " ".join(filter(None, (self.expr(child) for child in ast.iter_child_nodes(node))))

    def callee(self, func: ast.expr) -> str:
        if isinstance(func, ast.Attribute):
            return func.attr
        if isinstance(func, ast.Name):
            return "fn" if func.id in self.local_functions else func.id
        return "call"

    def is_scalar(self, node: ast.expr) -> bool:
        """Arithmetic over numbers, module constants and loop variables only (index arithmetic)."""
        for leaf in ast.walk(node):
            if isinstance(leaf, ast.Name) and leaf.id not in self.scalars:
                return False
            if isinstance(leaf, (ast.Call, ast.Attribute, ast.Subscript)):
                return False
        return True
