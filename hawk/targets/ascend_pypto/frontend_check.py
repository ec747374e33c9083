"""Python inside a kernel body that pypto's frontend cannot compile, found before anything runs.

pypto's jit parser walks the kernel's statements itself and evaluates each expression with
`eval(expr, {}, kernel_variables)` (pypto/frontend/parser/evaluator.py). Two constructs break
under that, measured on the simulator (pypto 0.2.0):
- a comprehension, generator expression or lambda gets its own scope, which sees neither the
  kernel's variables nor the module's names: `[pypto.mul(x, r) for r in range(4)]` fails with
  "name 'pypto' is not defined", `[r * CI for r in range(4)]` with "name 'CI' is not defined".
  One that names only its own loop variables and builtins (`[r * 64 for r in range(4)]`) works.
- a tuple-unpacking `for` over a Python list or tuple is unrolled only when the list has as many
  items as there are names to unpack (`for lo, hi in [(0, 64), (64, 128), (128, 192)]`: "Cannot
  unpack 3 values into 2 targets"). Over zip(...), enumerate(...) or pypto.loop_unroll(...) it works.
Helper functions the kernel calls run as ordinary Python, so only the kernel's own body is checked.
"""

from __future__ import annotations

import ast
import builtins

from hawk.targets.common import Finding, source_line
from hawk.targets.verdict import ErrorContext, Status

_SCOPED = {
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Lambda: "a lambda",
}
_BUILTINS = set(dir(builtins))


def check_kernel_body(kernel: ast.FunctionDef, module: ast.Module, source: str) -> Finding | None:
    """The first construct in `kernel`'s body that pypto's frontend cannot compile, or None."""
    lists = _list_lengths(module.body) | _list_lengths(kernel.body)
    for node in ast.walk(kernel):
        if node is kernel:
            continue
        if type(node) in _SCOPED:
            free = sorted(_free_names(node))
            if free:
                return _finding(_scope_message(_SCOPED[type(node)], free), source, node)
        elif isinstance(node, ast.For) and isinstance(node.target, ast.Tuple | ast.List):
            message = _unpack_message(node, lists)
            if message:
                return _finding(message, source, node)
    return None


def _finding(message: str, source: str, node: ast.AST) -> Finding:
    # compile_error, as the simulator would report it, without spending a run on it
    return Finding(Status.COMPILE_ERROR, ErrorContext(kind="frontend", message=message,
                                                      lines=source_line(source, node.lineno)))  # fmt: skip


def _free_names(node: ast.AST) -> set[str]:
    """Names `node` reads from outside its own scope. Its outermost iterable is left out: Python
    evaluates that one in the enclosing scope, where the kernel's names are visible."""
    comprehension = isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp)
    skip = {id(n) for n in ast.walk(node.generators[0].iter)} if comprehension else set()
    bound: set[str] = set()
    loaded: set[str] = set()
    for sub in ast.walk(node):
        if id(sub) in skip:
            continue
        if isinstance(sub, ast.arg):
            bound.add(sub.arg)
        elif isinstance(sub, ast.Name):
            (bound if isinstance(sub.ctx, ast.Store) else loaded).add(sub.id)
    return loaded - bound - _BUILTINS


def _scope_message(what: str, free: list[str]) -> str:
    names = ", ".join(free[:4])
    return (
        f"{what} inside the kernel reads {names}, which pypto's frontend cannot see there (it evaluates "
        f"{what.split(' ', 1)[1]}s in a scope of their own: \"name '{free[0]}' is not defined\"). Build the "
        "values with a for loop instead (`parts = []`, then `for r in range(4): parts.append(...)`), or "
        "compute plain numbers at module level"
    )


def _list_lengths(body: list[ast.stmt]) -> dict[str, int]:
    """Names assigned a list or tuple display in `body` (module or kernel level): name -> length."""
    lengths = {}
    for stmt in body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.List | ast.Tuple):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    lengths[target.id] = len(stmt.value.elts)
    return lengths


def _unpack_message(loop: ast.For, lists: dict[str, int]) -> str | None:
    """Why a tuple-unpacking loop breaks, when the length of what it loops over is known."""
    it = loop.iter
    items = len(it.elts) if isinstance(it, ast.List | ast.Tuple) else lists.get(getattr(it, "id", ""))
    names = len(loop.target.elts)
    if items is None or items == names:
        return None
    target = ", ".join(ast.unparse(t) for t in loop.target.elts)
    seq = ast.unparse(it) if isinstance(it, ast.Name) else "SEQ"
    return (
        f"`for {target} in ...` over a Python list of {items} items: pypto's frontend unrolls a list with "
        f"tuple unpacking only when it has as many items as names ('Cannot unpack {items} values into "
        f"{names} targets'). Loop over an index and unpack inside: `for k in range(len({seq})): "
        f"{target} = {seq}[k]` (or loop over zip(...) / enumerate(...))"
    )
