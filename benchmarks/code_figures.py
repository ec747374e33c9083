"""The code's shape in figures: longest functions, widest signatures, circles of imports.

    python benchmarks/code_figures.py [ROOT]     # ROOT: a checkout (default: this one)

Functions are counted in lines (decorators excluded), parameters without self/cls; suite data
(hawk/tasks/suites) is left out. An import circle is a strongly connected set of modules in the
graph of `import hawk...` / `from hawk... import` statements anywhere in a file (function-level and
TYPE_CHECKING imports included); `from package import name` counts as an edge to the package.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def scan(root: Path) -> tuple[list[tuple[int, int, str]], dict[str, set[str]]]:
    functions: list[tuple[int, int, str]] = []
    imports: dict[str, set[str]] = {}
    for path in sorted((root / "hawk").rglob("*.py")):
        rel = path.relative_to(root)
        if "suites" in rel.parts:
            continue
        module = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        imports[module] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                a = node.args
                params = [*a.posonlyargs, *a.args, *a.kwonlyargs] + [p for p in (a.vararg, a.kwarg) if p]
                n = len([p for p in params if p.arg not in ("self", "cls")])
                functions.append((node.end_lineno - node.lineno + 1, n, f"{rel}:{node.lineno}:{node.name}"))
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hawk"):
                imports[module] |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                imports[module] |= {a.name for a in node.names if a.name.startswith("hawk")}
    return functions, {m: {d for d in deps if d in imports and d != m} for m, deps in imports.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative enough for this size)."""
    sys.setrecursionlimit(10000)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    functions, graph = scan(root)
    longest = sorted(functions, reverse=True)
    print("longest functions:", ", ".join(f"{f[2]} ({f[0]} lines)" for f in longest[:3]))
    print(f"functions over 60 lines: {sum(f[0] > 60 for f in functions)}, over 80: {sum(f[0] > 80 for f in functions)}")
    widest = sorted(functions, key=lambda f: -f[1])
    print("widest signatures:", ", ".join(f"{f[2]} ({f[1]} parameters)" for f in widest[:3]))
    found = circles(graph)
    print(f"import circles: {len(found)}")
    for c in found:
        print("  " + " <-> ".join(c))


if __name__ == "__main__":
    main()
