"""pypto pass options a kernel may set: the ones that change how tiles are merged and scheduled,
never what is computed.

A kernel sets them PyPTO-gym style, on its own decorator:

    @pypto.frontend.jit(pass_options={"vec_nbuffer_setting": {-1: 2}})
    def kernel(...): ...

Hawk applies `jit` itself (its run mode and verifier), so it reads these options from the source
and passes them on; every other decorator argument stays ignored. `{-1: N}` merges N
same-shaped vector (or cube) subgraphs into one task by default: fewer, longer tasks, which the
simulator rewards when tasks outnumber cores (the fp32->fp16 cast: 11.9 -> 5.7 us with N = 4).
The counts may be module integer constants (`NBUF = 3` ... `{-1: NBUF}`): as static as literals.
"""

from __future__ import annotations

import ast
from typing import Any

from hawk.targets.ascend_pypto.constants import Constants, int_value

# key -> why it is safe: each merges or reuses subgraphs of identical structure (pypto's
# NBufferMerge / L1ReuseMerge passes), so it changes tasks and data movement, not the result.
ALLOWED = {
    "vec_nbuffer_setting": "merge count of same-shaped vector (AIV) subgraphs, {-1: N} for all",
    "cube_nbuffer_setting": "merge count of same-shaped cube (AIC) subgraphs, {-1: N} for all",
    "cube_l1_reuse_setting": "merge count of cube subgraphs that re-load the same GM data into L1",
}


def jit_decorator(fn: ast.FunctionDef) -> ast.Call | None:
    """The `@pypto.frontend.jit(...)` / `@jit(...)` call on `fn`, if it has one with arguments."""
    for dec in fn.decorator_list:
        if isinstance(dec, ast.Call):
            name = dec.func.attr if isinstance(dec.func, ast.Attribute) else getattr(dec.func, "id", "")
            if name == "jit":
                return dec
    return None


def _static_value(node: ast.AST, consts: Constants) -> Any:
    """A literal, or a dict of them, where integers may be module constants; ValueError otherwise."""
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {_static_value(k, consts): _static_value(v, consts) for k, v in zip(node.keys, node.values, strict=True)}
    value = int_value(node, consts)
    return value if value is not None else ast.literal_eval(node)


def read(fn: ast.FunctionDef, consts: Constants | None = None) -> dict[str, Any] | str:
    """The kernel's pass options ({} when none), or a message saying what is wrong with them.
    `consts`: the module's integer constants (constants.module_constants), usable as counts."""
    dec = jit_decorator(fn)
    if dec is None:
        return {}
    node = next((kw.value for kw in dec.keywords if kw.arg == "pass_options"), None)
    if node is None:
        return {}
    try:
        options = _static_value(node, consts or {})
    except (ValueError, TypeError, SyntaxError):
        return (
            "pass_options must be a literal dict whose numbers are literals or module integer constants "
            "(e.g. {'vec_nbuffer_setting': {-1: 2}}, or NBUF = 2 at module level and {-1: NBUF})"
        )
    if not isinstance(options, dict):
        return "pass_options must be a dict"
    for key, value in options.items():
        if key not in ALLOWED:
            return (
                f"pass option '{key}' is not allowed; a kernel may set only "
                + ", ".join(sorted(ALLOWED))
                + " (they change scheduling, not results)"
            )
        ok = isinstance(value, dict) and all(
            isinstance(k, int) and isinstance(v, int) and v >= 1 for k, v in value.items()
        )
        if not ok:
            return f"pass option '{key}' must map ints to positive ints, e.g. {{-1: 2}}"
    return options
