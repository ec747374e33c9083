"""Module-level integer constants of a kernel's source, read without running it.

`N = 1024`, `A, B = 1, 2`, `M = K = 1024` and integer expressions over earlier constants
(`TILE = N // 4`) are as static as literals: the tuner rewrites them and the static check accepts
them where a literal is required (pass options).
"""

from __future__ import annotations

import ast

# name -> (value, the value's node in the source)
Constants = dict[str, tuple[int, ast.AST]]


def int_value(node: ast.AST, consts: Constants) -> int | None:
    """An integer expression over literals and module constants, or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name) and node.id in consts:
        return consts[node.id][0]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = int_value(node.operand, consts)
        return -v if v is not None else None
    if isinstance(node, ast.BinOp):
        a, b = int_value(node.left, consts), int_value(node.right, consts)
        if a is None or b is None:
            return None
        ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
               ast.FloorDiv: lambda: a // b if b else None, ast.Mod: lambda: a % b if b else None,
               ast.Pow: lambda: a**b if 0 <= b < 64 else None}  # fmt: skip
        fn = ops.get(type(node.op))
        return fn() if fn else None
    return None


def module_constants(tree: ast.Module) -> Constants:
    """Module-level `NAME = <int expression>` (tuples `A, B = 1, 2` too): name -> (value, value node)."""
    consts: Constants = {}
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
            continue
        target, value = stmt.targets[0], stmt.value
        pairs = []
        if isinstance(target, ast.Name):
            pairs = [(target, value)]
        elif isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
            pairs = list(zip(target.elts, value.elts, strict=True))
        for t, v in pairs:
            if isinstance(t, ast.Name):
                val = int_value(v, consts)
                if val is not None:
                    consts[t.id] = (val, v)
    # `M = K = N = 1024`: chained assignment
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) > 1:
            val = int_value(stmt.value, consts)
            if val is not None:
                for t in stmt.targets:
                    if isinstance(t, ast.Name):
                        consts[t.id] = (val, stmt.value)
    return consts
