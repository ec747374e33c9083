"""Prompts: task + target knowledge + contract + earlier attempts -> chat messages.

The three kinds of request share one builder: `generate` (first attempt), `repair` (the last
candidate failed: show its structured error, hardware reason first) and `optimize` (the best
correct kernel so far, with its profile and bottleneck). Expert reference kernels never appear.
"""

from __future__ import annotations

from hawk.llm import Message
from hawk.targets.base import Target
from hawk.targets.evidence import evidence_section
from hawk.targets.verdict import Verdict
from hawk.tasks.task import ArgSpec, Task

SYSTEM = (
    "You are an expert NPU kernel engineer. You write correct, fast kernels for the target described "
    "below. Reply with one complete Python file in a single ```python code block, then nothing else."
)
SYSTEM_VARIANTS = (  # an optimize request asking for several kernels in one reply (Budget.variants)
    "You are an expert NPU kernel engineer. You write correct, fast kernels for the target described "
    "below. Reply with the number of complete Python files asked for, each in its own ```python code "
    "block, then nothing else."
)


def contract_text(specs: list[ArgSpec], shapes: list[dict[str, int]] | None = None,
                  dynamic: dict[str, list[int]] | None = None) -> str:  # fmt: skip
    """The argument list; for a task with a shape set, which axes are pypto.DYNAMIC and the shapes."""
    dynamic = dynamic or {}
    lines = ["The entry point `kernel` takes these arguments, in this order:"]
    for s in specs:
        if s.role == "scalar":  # a Python number in get_inputs(): after every tensor (pypto's jit wants it there)
            lines.append(
                f"  {s.name}: scalar input, a Python {s.dtype} (annotate it `{s.dtype}`; given the task's value)"
            )
            continue
        dims = ["pypto.DYNAMIC" if a in dynamic.get(s.name, []) else str(d) for a, d in enumerate(s.shape)]
        lines.append(f"  {s.name}: {s.role}, shape [{', '.join(dims)}], dtype {s.dtype}")
    if shapes:
        sets = "; ".join(", ".join(f"{k}={v}" for k, v in sh.items()) for sh in shapes)
        lines.append(f"The kernel is judged on every one of these shapes: {sets}. Annotate the DYNAMIC axes "
                     "pypto.DYNAMIC, read their size from x.shape, walk them with pypto.loop_unroll and write "
                     "each piece with pypto.assemble (the last piece may be ragged).")  # fmt: skip
    lines.append("It is also checked on value-stress inputs (seed 0's inputs x16, x1/16, or shifted by +100 "
                 "where the reference is shift-invariant): keep it numerically safe (e.g. subtract the row max "
                 "before exp).")  # fmt: skip
    return "\n".join(lines)


def verdict_text(v: Verdict) -> str:
    """The structured verdict, written for the model: hardware reason first, then the code lines."""
    out = [f"Status: {v.status.value}"]
    if v.error:
        e = v.error
        out.append(f"Error ({e.kind}): {e.message}")
        if e.hardware_reason:
            out.append(f"Hardware reason: {e.hardware_reason}")
        if e.constraint:
            sizes = ""
            if e.requested_bytes and e.available_bytes:
                sizes = f" (needs {e.requested_bytes} bytes, {e.available_bytes} available)"
            out.append(f"Violated constraint: {e.constraint}{sizes}")
        for ln in e.lines:
            out.append(f"  offending line {ln.lineno}: {ln.text.strip()}")
    if v.correctness and not v.correctness.passed:
        c = v.correctness
        out.append(f"Correctness: max abs diff {c.max_abs_diff}, error ratio {c.error_ratio} (atol {c.atol})")
        for s in c.stress:
            out.append(f"  stress input '{s.name}': {'pass' if s.passed else 'FAILED ' + s.detail}")
    for r in v.shapes:
        times = f", {r.time_us} us, speedup {r.speedup}x" if r.time_us else ""
        out.append(f"  shape {', '.join(f'{k}={x}' for k, x in r.shape.items())}: {r.status.value}{times}")
    if v.perf and v.perf.time_us:
        p = v.perf
        out.append(
            f"Performance: {p.time_us} us simulated"
            + (f", eager baseline {p.eager_time_us} us (speedup {p.speedup}x)" if p.eager_time_us else "")
            + (f", roofline bound {p.roofline_us} us" if p.roofline_us else "")
            + (f" ({p.roofline_ratio}x the bound)" if p.roofline_ratio else "")
        )
        out.append(
            f"Bottleneck: {p.bottleneck}; pipes busy %: " + ", ".join(f"{k} {x:.1f}" for k, x in p.pipes.items())
        )
    return "\n".join(out)


def build_messages(
    kind: str,
    task: Task,
    target: Target,
    contract: str,
    *,
    candidate: str | None = None,
    verdict: Verdict | None = None,
    exemplar: str | None = None,
    knowledge: str | None = None,
    note: str | None = None,
    history: list[str] | None = None,
    tuning: str | None = None,
    structures: list[str] | None = None,
    variants: int = 1,
) -> list[Message]:
    """The chat for one request; `variants` > 1 asks an optimize step for that many kernels in one
    reply (the shown kernel refined, the others structurally different: one prompt, several tries)."""
    parts = [
        f"# Target: {target.name}\n{target.spec().describe()}",
        f"# Language guide\n{target.language_guide()}",
        f"# Task `{task.id}`: the PyTorch reference to implement\n```python\n{task.source}\n```" + _shape_run(task),
        f"# Kernel contract\n{contract}",
    ]
    if exemplar:
        parts.append(
            "# A kernel written for a similar task\nAdapt it to this task (shapes, ops and tiling must fit):\n"
            f"```python\n{exemplar}\n```"
        )
    if knowledge:
        parts.append(f"# Hardware knowledge learned from earlier runs\n{knowledge}")
    if history:
        parts.append("# Earlier attempts in this run\n" + "\n".join(history))
    if kind == "generate":
        parts.append((f"Your previous reply was not usable: {note}.\n" if note else "") + "Write the kernel.")
    elif kind == "repair":
        assert candidate is not None and verdict is not None
        parts.append(
            f"# Your previous kernel\n```python\n{candidate}\n```\n# What the target said\n{verdict_text(verdict)}\n"
            "Fix the kernel so that it compiles, fits the hardware and matches the reference. " + WHY_LINE
        )
    elif kind == "optimize":
        assert candidate is not None and verdict is not None
        tuned = f"# What Hawk's tuner already did\n{tuning}\n" if tuning else ""
        title = "The kernel to rewrite (correct; one of the structures kept below)" if structures else (
            "Your current best kernel (correct)")  # fmt: skip
        parts.append(
            f"# {title}\n```python\n{candidate}\n```\n# Its profile\n{verdict_text(verdict)}\n"
            + evidence_section(verdict)
            + tuned
            + _optimize_request(structures or [], variants, bool(knowledge))
            + " "
            + WHY_LINE
        )
    else:
        raise ValueError(f"unknown prompt kind {kind!r}")
    system = SYSTEM_VARIANTS if kind == "optimize" and variants > 1 else SYSTEM
    return [Message("system", system), Message("user", "\n\n".join(parts))]


WHY_LINE = ("Begin each kernel file with one comment line `# why: <one sentence: what this version changes and why "
            "it works on this hardware>`.")  # fmt: skip
"""Asked of every kernel that changes one: method hawk keeps the sentence as a learned item's rationale
(hawk.knowledge.synthesis.kernel_rationale), so it need not ask the model a separate question."""

DIFFERENT = ("e.g. fuse passes over global memory, split a long reduction across tiles (partial results combined), "
             "change the data layout or views, change the pipeline depth (how tiles overlap). A kernel that differs "
             "only in numbers is not new.")  # fmt: skip


def _optimize_request(structures: list[str], variants: int, knowledge: bool) -> str:
    if variants > 1:
        return (structures_list(structures) + "\n" if structures else "") + variants_request(
            variants, bool(structures), knowledge
        )
    if structures:
        return structures_section(structures)
    return (
        "Make it faster on this hardware while keeping it correct: attack the bottleneck (tiling, fusion, core usage)."
    )


def variants_request(variants: int, kept: bool, knowledge: bool = False) -> str:
    """Several kernels in one reply: one refinement of the kernel shown (exploit) and `variants` - 1
    structurally different ones (explore), for the price of one prompt. With knowledge in the prompt,
    a different kernel is where an item is tried: judged beside the refinement, an item that does
    not fit this task costs no step (method hawk's items misled whole steps when they were the step)."""
    others = "the kept structures above, from the kernel shown" if kept else "the kernel shown"
    tried = (" Where a knowledge item above fits this kernel, build a different one on it and cite it in a comment "
             "(`# knowledge item 2`).") if knowledge else ""  # fmt: skip
    return (
        f"Write {variants} kernels, each a complete Python file in its own ```python block, in this order:\n"
        "  1. the kernel shown, refined: the same structure, faster (attack the bottleneck and the gap to the "
        "bound above);\n"
        f"  2{'-' + str(variants) if variants > 2 else ''}. structurally different from {others} and from each "
        f"other, and faster: {DIFFERENT}{tried}\n"
        "Hawk judges every one on the target and keeps the fastest correct kernel (the tuner then searches its "
        "numbers). Keep each one correct."
    )


def structures_list(structures: list[str]) -> str:
    lines = "\n".join(f"  {i}. {s}" for i, s in enumerate(structures, 1))
    return (
        f"# Structures Hawk keeps for this task ({len(structures)})\nCorrect kernels of different structure found so "
        "far (a structure: the ops in evaluation order, the loop nest, the tiling family; tile sizes and pass "
        f"options are not structure, the tuner searches them):\n{lines}"
    )


def structures_section(structures: list[str]) -> str:
    """Population search: the kept structures, and the request for a structurally different variant."""
    n = len(structures)
    return (
        structures_list(structures) + "\n"
        f"Rewrite the kernel shown into a variant that is structurally different from all {n} of these and "
        f"faster, attacking the bottleneck and the gap to the bound above: {DIFFERENT} Keep it correct."
    )


def _shape_run(task: Task) -> str:
    """For a task the shape policy reduced: the module constants it runs at (the file shows others)."""
    if not task.shape or not (task.extra.get("shape_policy") or {}).get("constants"):
        return ""
    return (f"\nThis task runs at a smaller shape than the file sets (too large for the simulator): "
            f"{task.shape_label}. The kernel contract below has the shapes that run.")  # fmt: skip


def task_contract(task: Task) -> str:
    """The kernel contract of `task` as the prompt states it (the same for every step of a run)."""
    from hawk.tasks.sandboxed import task_spec

    return contract_text(list(task_spec(task).args), *shape_contract(task))


def shape_contract(task: Task) -> tuple[list[dict[str, int]], dict[str, list[int]]]:
    from hawk.tasks.sandboxed import task_spec

    spec = task_spec(task)
    return [dict(s) for s in spec.shapes], spec.dynamic_axes()
