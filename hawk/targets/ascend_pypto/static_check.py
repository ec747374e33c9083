"""Checks on candidate source before any of it runs: syntax, the contract's shape, and cheating.

Candidate kernels are untrusted. A PyPTO kernel needs nothing but `pypto` (and `math` for
constants); anything else (torch, files, processes, reflection, patching the verifier) is either
the PyTorch reference sneaking back in or an attempt on the harness, and makes it `invalid`.
"""

from __future__ import annotations

import ast

from hawk.syntax import parse_python
from hawk.targets.ascend_pypto import pass_options
from hawk.targets.ascend_pypto.constants import module_constants
from hawk.targets.ascend_pypto.frontend_check import check_kernel_body
from hawk.targets.common import Finding, invalid, parse_candidate

ENTRY_POINT = "kernel"
ALLOWED_IMPORTS = {"pypto", "math", "typing", "__future__"}
FORBIDDEN_CALLS = {
    "open", "exec", "eval", "compile", "__import__", "getattr", "setattr", "delattr", "globals",
    "locals", "vars", "input", "breakpoint", "memoryview", "exit", "quit",
}  # fmt: skip
# pypto functions that configure the harness's own runtime or verifier; a kernel has no business here.
FORBIDDEN_PYPTO = {
    "set_verify_golden_data", "set_verify_options", "set_options", "set_runtime_options",
    "set_debug_options", "set_host_options", "set_codegen_options", "from_torch", "runtime",
}  # fmt: skip


def check_source(source: str, filename: str = "kernel.py") -> Finding | None:
    """None when the source may be run; otherwise the verdict it earns without running."""
    tree = parse_candidate(source, filename)
    if isinstance(tree, Finding):
        return tree

    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            names = [a.name for a in node.names] if isinstance(node, ast.ImportFrom) else []
            parts = [p for m in mods for p in m.split(".")[1:]] + names
            sneaky = [p for p in parts if p.startswith("_") or p in FORBIDDEN_PYPTO or p == "*"]
            if sneaky and mods != ["__future__"]:
                return invalid(
                    "cheating", f"the kernel imports '{sneaky[0]}', which reaches into the harness", source, node
                )
            for mod in mods:
                root = mod.split(".")[0]
                if root == "torch":
                    return invalid(
                        "cheating", "the kernel imports torch: the computation must be written in PyPTO",
                        source, node,
                    )  # fmt: skip
                if root not in ALLOWED_IMPORTS:
                    return invalid(
                        "cheating",
                        f"the kernel imports '{mod}'; only {', '.join(sorted(ALLOWED_IMPORTS - {'__future__'}))}"
                        " may be imported",
                        source,
                        node,
                    )
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
            return invalid("cheating", _forbidden_call_message(node), source, node)
        elif isinstance(node, ast.Name) and node.id in {"__builtins__", "__loader__", "__spec__"}:
            return invalid("cheating", f"the kernel touches {node.id}", source, node)
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("_"):
                return invalid("cheating", f"the kernel reaches into private attribute '.{node.attr}'", source, node)
            if node.attr in FORBIDDEN_PYPTO:
                return invalid(
                    "cheating", f"the kernel calls pypto.{node.attr}, which configures the harness", source, node
                )
            if isinstance(node.ctx, ast.Store | ast.Del) and isinstance(node.value, ast.Name):
                if node.value.id in {"pypto", "math"}:
                    return invalid("cheating", f"the kernel patches {node.value.id}.{node.attr}", source, node)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            return invalid(
                "cheating", "the kernel uses global/nonlocal state (outputs may not be cached)", source, node
            )

    entry = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == ENTRY_POINT]
    if not entry:
        return invalid(
            "contract", f"no top-level function named '{ENTRY_POINT}' (the kernel entry point)", source, None
        )
    options = pass_options.read(entry[0], module_constants(tree))
    if isinstance(options, str):
        return invalid("contract", options, source, pass_options.jit_decorator(entry[0]))
    return check_kernel_body(entry[0], tree, source)


def _forbidden_call_message(call: ast.Call) -> str:
    name = call.func.id
    if name == "getattr" and len(call.args) >= 2 and isinstance(call.args[1], ast.Constant):
        obj, attr = ast.unparse(call.args[0]), call.args[1].value
        return (f"the kernel calls getattr(), which a kernel never needs: write {obj}.{attr} instead of "
                f"getattr({obj}, {attr!r}) (shapes and dtypes are also fixed by the kernel's own annotations)")  # fmt: skip
    if name == "getattr":
        return ("the kernel calls getattr(), which a kernel never needs: write the attribute directly (t.shape, "
                "t.dtype) or use the kernel's annotated shapes and dtypes, which are fixed")  # fmt: skip
    return f"the kernel calls {name}(), which a kernel never needs"


def kernel_pass_options(source: str) -> dict:
    """The pass options of a kernel that passed `check_source` (see pass_options.py)."""
    tree = parse_python(source)
    entry = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == ENTRY_POINT)
    options = pass_options.read(entry, module_constants(tree))
    return options if isinstance(options, dict) else {}
