"""Checks on a Triton candidate's source before any of it runs: syntax, contract, cheating.

What a candidate may use (documented in guide.md and the README):
- imports: `triton`, `triton.language`, `math`, `typing`, and `torch` for the LAUNCHER's bookkeeping
  only: shapes (`x.shape`, `x.numel()`, `x.stride()`), dtypes, `torch.empty*`/`torch.zeros*` for
  scratch buffers, `.contiguous()`/`.view()`/`.reshape()` views. torch must not compute the result:
  no `torch.nn`, `torch.nn.functional`, `torch.matmul`, `torch.softmax`, ...; no tensor methods that
  compute (`.softmax`, `.exp`, `.sum`, `.copy_`, `.clone`, ...); no `@` on tensors. That leaves the
  @triton.jit kernels as the only place the result can come from.
- no files, processes or reflection (`open`, `exec`, `eval`, `getattr`, `globals`, dunder or private
  attributes, `os`, `subprocess`, `sys`), no module-level mutable state written from functions
  (`global`), so outputs cannot be cached across calls; the reference `Model` cannot be reached
  (the task module is never importable under a known name, and `Model`/`get_inputs` are forbidden
  names).
- the entry point is a top-level `def kernel(...)`.
The interpreter run adds the dynamic half: a call that launches no Triton kernel is `invalid`, and
outputs start as NaN each seed so nothing computed earlier can pass for today's inputs.
"""

from __future__ import annotations

import ast

from hawk.targets.common import Finding, invalid, parse_candidate

ENTRY_POINT = "kernel"
ALLOWED_IMPORTS = {"triton", "math", "typing", "torch", "__future__"}
FORBIDDEN_CALLS = {
    "open", "exec", "eval", "compile", "__import__", "getattr", "setattr", "delattr", "globals",
    "locals", "vars", "input", "breakpoint", "memoryview", "exit", "quit",
}  # fmt: skip
FORBIDDEN_NAMES = {"Model", "get_inputs", "get_init_inputs", "__builtins__", "__loader__", "__spec__"}
# torch attributes a launcher may touch: allocation, dtypes, shapes. Everything else computes.
TORCH_ALLOWED = {
    "empty", "empty_like", "zeros", "zeros_like", "empty_strided", "float32", "float16", "bfloat16",
    "int8", "int16", "int32", "int64", "uint8", "bool", "float64", "dtype", "Tensor", "Size", "device",
    "finfo", "iinfo",
}  # fmt: skip
# Tensor methods that compute a result (or copy one tensor into another).
TENSOR_COMPUTE_METHODS = {
    "softmax", "log_softmax", "exp", "log", "sum", "mean", "max", "min", "amax", "amin", "matmul", "mm", "bmm",
    "add", "add_", "sub", "sub_", "mul", "mul_", "div", "div_", "copy_", "clone", "sigmoid", "tanh", "relu",
    "gelu", "silu", "sqrt", "rsqrt", "pow", "norm", "var", "std", "cumsum", "prod", "abs", "neg", "reciprocal",
    "softplus", "layer_norm", "rms_norm", "addmm", "baddbmm", "einsum", "fill_", "zero_", "masked_fill",
    "masked_fill_", "where", "clamp", "clamp_", "erf", "argmax", "argmin", "topk", "sort", "to", "float",
    "half", "bfloat16", "type", "type_as", "t", "transpose", "permute", "T", "mT", "cpu", "numpy", "tolist",
    "item", "set_", "index_copy_", "scatter_", "gather", "index_select", "lerp", "square", "maximum", "minimum",
}  # fmt: skip


def _jit_functions(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                if isinstance(target, ast.Attribute) and target.attr in ("jit", "autotune", "heuristics"):
                    names.add(node.name)
                elif isinstance(target, ast.Name) and target.id in ("jit", "autotune", "heuristics"):
                    names.add(node.name)
    return names


def check_source(source: str, filename: str = "kernel.py") -> Finding | None:
    """None when the source may be run; otherwise the verdict it earns without running."""
    tree = parse_candidate(source, filename)
    if isinstance(tree, Finding):
        return tree

    torch_aliases: set[str] = set()  # filled as the walk meets `import torch [as t]`
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            finding = _import_finding(node, source, torch_aliases)
        else:
            finding = _use_finding(node, tree, source, torch_aliases)
        if finding is not None:
            return finding
    return _contract_finding(tree, source)


def _import_finding(node: ast.Import | ast.ImportFrom, source: str, torch_aliases: set[str]) -> Finding | None:
    """An import a kernel may not make (the aliases of `torch` are added to `torch_aliases`)."""
    mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
    for mod in mods:
        root = mod.split(".")[0]
        if root not in ALLOWED_IMPORTS:
            return invalid("cheating", f"the kernel imports '{mod}'; only triton, triton.language, math, "
                            "typing and torch (launcher bookkeeping) may be imported", source, node)  # fmt: skip
        if root == "torch" and mod != "torch":
            return invalid("cheating", f"the kernel imports '{mod}': torch may be imported only as `torch`, "
                            "for allocation and shapes; the computation must be written in Triton",
                            source, node)  # fmt: skip
    if isinstance(node, ast.ImportFrom):
        if (node.module or "").split(".")[0] == "torch":
            return invalid("cheating", "`from torch import ...` is not allowed: use torch.<name> for "
                            "allocation only", source, node)  # fmt: skip
        if any(a.name == "*" or a.name.startswith("_") for a in node.names):
            return invalid("cheating", "star or private imports reach into the harness", source, node)
    if isinstance(node, ast.Import):
        torch_aliases |= {a.asname or a.name for a in node.names if a.name == "torch"}
    return None


def _use_finding(node: ast.AST, tree: ast.Module, source: str, torch_aliases: set[str]) -> Finding | None:
    """A call, name, attribute or statement outside what a kernel may use."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
        return invalid("cheating", f"the kernel calls {node.func.id}(), which a kernel never needs", source, node)
    elif isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
        return invalid("cheating", f"the kernel refers to {node.id}: the reference may not be used", source, node)
    elif isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            return invalid("cheating", f"the kernel reaches into private attribute '.{node.attr}'", source, node)
        if isinstance(node.value, ast.Name) and node.value.id in torch_aliases:
            if node.attr not in TORCH_ALLOWED:
                return invalid("cheating", f"the kernel uses torch.{node.attr}: torch may only allocate "
                                f"({', '.join(sorted(TORCH_ALLOWED)[:6])}, ...) and describe tensors; "
                                "the result must be computed by @triton.jit kernels", source, node)  # fmt: skip
        elif node.attr in TENSOR_COMPUTE_METHODS and isinstance(node.ctx, ast.Load):
            parent_is_call = any(isinstance(p, ast.Call) and p.func is node for p in ast.walk(tree))
            if parent_is_call and not _inside_jit(tree, node):
                return invalid("cheating", f"the launcher calls .{node.attr}() on a tensor: tensor methods that "
                                "compute are not allowed outside @triton.jit kernels", source, node)  # fmt: skip
        if isinstance(node.ctx, ast.Store | ast.Del) and isinstance(node.value, ast.Name):
            if node.value.id in {"triton", "tl", "math"} | torch_aliases:
                return invalid("cheating", f"the kernel patches {node.value.id}.{node.attr}", source, node)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult) and not _inside_jit(tree, node):
        return invalid("cheating", "the launcher multiplies tensors with @: the product must be computed by "
                        "a @triton.jit kernel (tl.dot)", source, node)  # fmt: skip
    elif isinstance(node, ast.Assign | ast.AugAssign) and not _inside_jit(tree, node):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if any(isinstance(t, ast.Subscript) for t in targets):
            return invalid("cheating", "the launcher writes into a tensor (x[...] = ...): outputs must be written "
                            "by @triton.jit kernels", source, node)  # fmt: skip
    elif isinstance(node, ast.Global | ast.Nonlocal):
        return invalid("cheating", "the kernel uses global/nonlocal state (outputs may not be cached)",
                        source, node)  # fmt: skip
    return None


def _contract_finding(tree: ast.Module, source: str) -> Finding | None:
    """A launcher `kernel` that is plain Python, beside at least one @triton.jit kernel."""
    entry = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == ENTRY_POINT]
    if not entry:
        return invalid("contract", f"no top-level function named '{ENTRY_POINT}' (the launcher)", source, None)
    if ENTRY_POINT in _jit_functions(tree):
        return invalid("contract", "`kernel` must be a plain Python launcher that calls @triton.jit kernels "
                        "(kernel_fn[grid](...)), not a @triton.jit function itself", source, entry[0])  # fmt: skip
    if not _jit_functions(tree):
        return invalid("contract", "the candidate defines no @triton.jit kernel", source, None)
    return None


def _inside_jit(tree: ast.Module, target: ast.AST) -> bool:
    for fn in tree.body:
        if isinstance(fn, ast.FunctionDef) and fn.name in _jit_functions(tree):
            if any(n is target for n in ast.walk(fn)):
                return True
    return False
