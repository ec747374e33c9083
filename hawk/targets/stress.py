"""Value-stress inputs: the same task at input magnitudes its seeds never reach.

Three random seeds of one input distribution cannot catch a kernel that trades numerical safety
for speed (a softmax that drops the row-max subtraction passes on randn x 4 and overflows fp32's
exp at 88). So every evaluation also checks the kernel on inputs derived from seed 0's:
- `inputs x16` and `inputs x1/16`: every floating input scaled (overflow, underflow, saturation);
- `inputs +100`: every floating input shifted, kept only for references that are shift-invariant
  (softmax, layer norm, ...: the golden is the same as without the shift), where a kernel without
  the max subtraction overflows.
A case is kept only where the reference stays finite on it; its absolute tolerance grows with
the outputs' magnitude (`atol_scale`: the reference's largest output there over seed 0's), since
a case is about overflow and lost precision, not the rounding of a 256x larger number; at most `MAX_CASES` are run (shift
first, then x16, then x1/16). A task may declare its own (`get_stress_inputs()` in its file:
name -> list of inputs) or opt out with a reason (`no_stress = "why"` in suite.toml). The cases
are chosen by running the reference in a sandboxed child (hawk/tasks/sandboxed.py: task files
are untrusted code) and cached on disk; each target's worker builds them with `worker_kit`.
"""

from __future__ import annotations

import json
from typing import Any

from hawk import config
from hawk.fileio import atomic_write_json
from hawk.tasks.task import Task, TaskError, instantiate, load_task_module, tensor_args

STRESS_VERSION = 2  # 2: cases carry atol_scale
MAX_CASES = 2
DERIVED = [{"name": "inputs +100", "shift": 100.0}, {"name": "inputs x16", "scale": 16.0},
           {"name": "inputs x1/16", "scale": 1.0 / 16}]  # fmt: skip


def transform_inputs(inputs: list[Any], case: dict[str, Any]) -> list[Any]:
    """Seed 0's inputs under a derived case (floating tensors only; integer inputs are indices)."""
    out = []
    for x in inputs:
        if hasattr(x, "is_floating_point") and x.is_floating_point():
            x = x * case["scale"] if "scale" in case else x + case["shift"]
        out.append(x)
    return out


def stress_cases(task: Task) -> tuple[list[dict[str, Any]], str]:
    """The stress cases to run for `task`, and a note on what was left out and why (cached)."""
    if task.extra.get("no_stress"):
        return [], f"stress inputs off for this task: {task.extra['no_stress']}"
    path = config.cache_dir() / "stress" / f"{task.source_hash}-v{STRESS_VERSION}.json"
    try:
        cached = json.loads(path.read_text())
        return cached["cases"], cached["note"]
    except (OSError, ValueError, KeyError):
        pass
    from hawk.tasks.sandboxed import ask

    cases, note = _checked(task, ask(task, "hawk.targets.stress:stress_answer"))
    atomic_write_json(path, {"cases": cases, "note": note})
    return cases, note


def stress_answer(task: Task) -> dict[str, Any]:
    """In a sandboxed child (hawk.tasks.sandboxed: it runs the task's code): `choose_here` as JSON."""
    cases, note = choose_here(task)
    return {"cases": cases, "note": note}


def _checked(task: Task, data: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """The child's answer, field by field (it comes from the task's process)."""
    cases, note = data.get("cases"), data.get("note")
    allowed = {"name": str, "declared": bool, "scale": float, "shift": float, "atol_scale": float}
    ok = isinstance(cases, list) and isinstance(note, str) and all(
        isinstance(c, dict) and isinstance(c.get("name"), str)
        and all(k in allowed and isinstance(v, (allowed[k], int)) for k, v in c.items()) for c in cases
    )  # fmt: skip
    if not ok:
        raise TaskError(f"task {task.id}: the task process gave malformed stress cases")
    return cases, note


def choose_here(task: Task) -> tuple[list[dict[str, Any]], str]:
    """In a sandboxed child (it runs the task's code): the cases the reference supports."""
    import torch

    module = load_task_module(task)
    if hasattr(module, "get_stress_inputs"):
        names = list(module.get_stress_inputs())
        return [{"name": n, "declared": True} for n in names], "the task's own stress inputs"
    inst = instantiate(task, 0)
    if not any(getattr(x, "is_floating_point", lambda: False)() for x in inst.inputs):
        return [], "no floating-point inputs to stress"
    kept, dropped = [], []
    for case in DERIVED:
        inputs = transform_inputs(inst.inputs, case)
        if not all(torch.isfinite(x).all() for x in tensor_args(inputs) if x.is_floating_point()):
            dropped.append(f"{case['name']}: the inputs overflow their dtype")
            continue
        with torch.no_grad():
            result = inst.model(*inputs)
        outs = list(result) if isinstance(result, (tuple, list)) else [result]
        if not all(torch.isfinite(y.float()).all() for y in outs if y.is_floating_point()):
            dropped.append(f"{case['name']}: the reference is not finite there")
            continue
        if "shift" in case and not all(_close(task, a, b) for a, b in zip(outs, inst.outputs, strict=True)):
            dropped.append(f"{case['name']}: the reference is not shift-invariant")
            continue
        scale = max(_peak(a) / max(_peak(b), 1e-30) for a, b in zip(outs, inst.outputs, strict=True))
        kept.append({**case, "atol_scale": round(max(1.0, scale), 4)})
    note = "; ".join(dropped) if dropped else ""
    if len(kept) > MAX_CASES:
        note = "; ".join(
            filter(None, [note, f"{', '.join(c['name'] for c in kept[MAX_CASES:])}: not run (at most {MAX_CASES})"])
        )
    return kept[:MAX_CASES], note


def _peak(t: Any) -> float:
    return float(t.detach().double().abs().max()) if t.numel() else 0.0


def scaled(outputs: list[dict[str, Any]], case: dict[str, Any]) -> list[dict[str, Any]]:
    """The outputs' tolerances for a stress case (absolute tolerance scaled with the outputs)."""
    k = float(case.get("atol_scale", 1.0))
    return [{**o, "atol": o["atol"] * k} for o in outputs]


def _close(task: Task, a: Any, b: Any) -> bool:
    import torch

    atol, rtol = task.tolerance(str(b.dtype).removeprefix("torch."))
    return bool(torch.allclose(a.double(), b.double(), atol=atol, rtol=rtol))


def stress_instances(task: Task, cases: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """In the worker: (name, Instance) per case, goldens from the reference (built before any
    candidate code is imported, like the seeds')."""
    import torch

    from hawk.tasks.task import Instance

    if not cases:
        return []
    inst = instantiate(task, 0)
    declared = {}
    if any(c.get("declared") for c in cases):
        torch.manual_seed(0)
        declared = load_task_module(task).get_stress_inputs()
    out = []
    for case in cases:
        if case.get("declared") and case["name"] not in declared:
            raise TaskError(f"{task.path}: get_stress_inputs() has no case {case['name']!r}")
        inputs = list(declared[case["name"]]) if case.get("declared") else transform_inputs(inst.inputs, case)
        with torch.no_grad():
            result = inst.model(*inputs)
        outs = list(result) if isinstance(result, (tuple, list)) else [result]
        out.append((case["name"], Instance(model=inst.model, inputs=inputs, params=inst.params, outputs=outs)))
    return out
