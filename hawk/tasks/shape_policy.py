"""The shape policy: which shape a task runs at when its tensors are too large for the simulator, and why.

Never silent: every decision is recorded on the task (`task.extra["shape_policy"]`) and reaches the
verdict's `shape_policy`, `hawk tasks --dir` and the bench report.

The rule (measured on a 2-core x86 box, pypto 0.2.0 simulator, `benchmarks/shape_budget.py`):
a task whose tensors (inputs, parameters and outputs together) hold more than `BUDGET_ELEMENTS`
(2^22, 4.2 M) elements runs at a reduced shape. One seed of an fp32 ReLU took 13.5 s at 2^22
elements and 28 s at 2^24; at 2^26 the simulator reported no AICore time at all after 90 s. An
fp32 1024^3 matmul (3.1 M elements) took 12 s; 2048^3 (12.6 M) again gave no profile after 54 s.
Reduction halves, one step at a time, the largest *reducible* module constant (batch, spatial,
sequence and matrix sizes: see `reducible`), never below 8 (batch: 1), until the task fits; a step
after which the reference no longer runs (a kernel larger than the image, say) is undone and that
constant kept. Channels, kernel sizes, strides, padding, dilation, groups, ranks and dtypes never
change, so a convolution stays the same convolution on a smaller batch and image.

Sizes are found on PyTorch's meta device (shapes without data), so measuring a 1 GB task costs
nothing. A per-task override file (TOML; `[task id]` tables of `CONSTANT = value`, optional
`reason = "..."`, or `original = true` to keep the file's shape) replaces the rule for its tasks.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hawk.tasks.task import Task, TaskError, load_module

BUDGET_ELEMENTS = 1 << 22
MIN_SIZE, MIN_BATCH = 8, 1
CHECKOUT_OVERRIDES = "hawk-shapes.toml"  # in the root of the user's checkout (next to level1/)
SHIPPED_OVERRIDES = Path(__file__).parent / "kernelbench_shapes.toml"  # Hawk's data: KernelBench task ids

_BATCH = re.compile(r"^(batch|batch_size|bs|n_batch|num_batches)$", re.IGNORECASE)
_SIZE = re.compile(r"(height|width|depth|length|seq|dim|size|tokens|rows|cols|^[a-z]\d?$)", re.IGNORECASE)
_KEEP = re.compile(r"(channel|kernel|stride|pad|dilation|group|feature|class|head|axis|hidden|input_size|embed|vocab)",
                   re.IGNORECASE)  # fmt: skip


@dataclass
class ShapeDecision:
    """What the verdict's `shape_policy` holds: the shapes as written, the shapes run, and why."""

    rule: str  # "original" (fits), "reduced" (the budget rule), "override" (a file), "unmeasured"
    reason: str
    constants: dict[str, list[int]] = field(default_factory=dict)  # name -> [as written, as run]
    original: dict[str, list[int]] = field(default_factory=dict)  # argument -> shape as written
    run: dict[str, list[int]] = field(default_factory=dict)  # argument -> shape run
    elements_original: int = 0
    elements_run: int = 0
    budget_elements: int = BUDGET_ELEMENTS

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def shape_summary(decision: dict[str, Any] | None) -> str:
    """One line for listings, from a decision's dict: `original`, `reduced: batch_size 16->4, height 256->64`."""
    if not decision:
        return "as written"
    if not decision.get("constants"):
        return decision["rule"]
    return f"{decision['rule']}: " + ", ".join(f"{k} {a}->{b}" for k, (a, b) in decision["constants"].items())


def reducible(name: str, value: Any, by_position: int | None = None) -> bool:
    """Whether module constant `name` is a size the policy may shrink: an int >= 16 named as a batch,
    spatial, sequence or matrix size (`batch_size`, `height`, `dim1`, a single letter such as `M` or
    `k`), and not as a channel
    count, kernel size, stride, padding, dilation, group count, feature count or axis."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 2 * MIN_SIZE:
        return False
    if _BATCH.match(name):
        return True
    return bool(_SIZE.search(name)) and not _KEEP.search(name)


def _floor(name: str) -> int:
    return MIN_BATCH if _BATCH.match(name) else MIN_SIZE


def measure(task: Task, shape: dict[str, int]) -> dict[str, list[int]]:
    """Argument name -> shape of every tensor of `task` at module constants `shape`, on the meta device
    (inputs by `forward`'s parameter names, parameters and buffers, outputs `out`/`out<i>`)."""
    import inspect

    import torch

    module = load_module(task.path)
    for name, value in shape.items():
        setattr(module, name, value)
    with torch.device("meta"), torch.no_grad():
        model = module.Model(*module.get_init_inputs())
        inputs = list(module.get_inputs())
        result = model(*inputs)
    try:
        names = list(inspect.signature(module.Model.forward).parameters)[1:]
    except (TypeError, ValueError):
        names = []
    sizes: dict[str, list[int]] = {}
    for i, x in enumerate(inputs):
        if isinstance(x, torch.Tensor):
            sizes[names[i] if i < len(names) else f"in{i}"] = list(x.shape)
    for pname, p in [*model.named_parameters(), *model.named_buffers()]:
        sizes[pname.replace(".", "_")] = list(p.shape)
    outs = list(result) if isinstance(result, (tuple, list)) else [result]
    for i, y in enumerate(outs):
        if not isinstance(y, torch.Tensor):
            raise TaskError(f"{task.path}: forward() output {i} is not a tensor")
        sizes["out" if len(outs) == 1 else f"out{i}"] = list(y.shape)
    return sizes


def elements(sizes: dict[str, list[int]]) -> int:
    return sum(math.prod(s) for s in sizes.values())


def int_constants(task: Task) -> dict[str, int]:
    """The task file's integer module constants, in file order (the knobs a reduction may turn)."""
    module = load_module(task.path)
    return {k: v for k, v in vars(module).items() if not k.startswith("_") and type(v) is int}


def decide(task: Task, budget: int = BUDGET_ELEMENTS) -> ShapeDecision:
    """The budget rule for `task` (module docstring): its shape as written when it fits, else the
    reduction that halves the largest reducible constant until it does."""
    try:
        if hasattr(load_module(task.path), "get_input_shapes"):
            return ShapeDecision("original", "the task declares its own shape set (get_input_shapes)")
    except TaskError as exc:  # the evaluation reports it where it belongs
        return ShapeDecision("unmeasured", f"the task file does not import: {exc}")
    try:
        written = measure(task, {})
    except Exception as exc:  # the reference cannot run on the meta device: say so, run it as written
        return ShapeDecision("unmeasured", f"sizes not measurable on the meta device ({type(exc).__name__}: "
                             f"{str(exc)[:200]}); run as written")  # fmt: skip
    total = elements(written)
    decision = ShapeDecision("original", f"{total} elements, within the budget of {budget}", original=written,
                             run=written, elements_original=total, elements_run=total, budget_elements=budget)  # fmt: skip
    if total <= budget:
        return decision
    current = {k: v for k, v in int_constants(task).items() if reducible(k, v)}
    shape: dict[str, int] = {}
    frozen: set[str] = set()
    sizes = written
    while elements(sizes) > budget:
        open_ = [k for k in current if k not in frozen and current[k] // 2 >= _floor(k)]
        if not open_:
            break
        name = max(open_, key=lambda k: current[k])  # the largest first; ties: file order
        trial = {**shape, name: current[name] // 2}
        try:
            trial_sizes = measure(task, trial)
        except Exception:  # e.g. the image got smaller than the kernel: keep this constant
            frozen.add(name)
            continue
        if any(0 in s for s in trial_sizes.values()):
            frozen.add(name)
            continue
        shape, sizes, current[name] = trial, trial_sizes, trial[name]
    return _reduced(decision, task, shape, sizes, budget)


def _reduced(decision: ShapeDecision, task: Task, shape: dict[str, int], sizes: dict, budget: int) -> ShapeDecision:
    written = int_constants(task)
    decision.rule = "reduced"
    decision.constants = {k: [written[k], v] for k, v in shape.items()}
    decision.run, decision.elements_run = sizes, elements(sizes)
    over = decision.elements_run > budget
    decision.reason = (
        f"{decision.elements_original} elements as written, over the budget of {budget}: "
        + ("halved the largest batch/spatial constants" if shape else "no batch or spatial constant to reduce")
        + (f"; still {decision.elements_run} elements (nothing more reducible)" if over else
           f" to {decision.elements_run} elements")
    )  # fmt: skip
    return decision


@dataclass
class ShapePolicy:
    """The rule plus per-task overrides (task id -> {constant: value, "reason": str, "original": bool})."""

    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # task id -> the file its override came from
    budget: int = BUDGET_ELEMENTS

    @classmethod
    def load(cls, checkout: Path | None = None, explicit: Path | None = None) -> ShapePolicy:
        """Overrides from `explicit` (a flag), else the checkout's `hawk-shapes.toml`, else Hawk's shipped
        file; a task named in several takes the first."""
        policy = cls()
        files = [explicit] if explicit else []
        if checkout is not None:
            files.append(Path(checkout) / CHECKOUT_OVERRIDES)
        files.append(SHIPPED_OVERRIDES)
        for path in files:
            if path == explicit and not Path(path).is_file():
                raise TaskError(f"shape override file not found: {path}")
            for tid, entry in read_overrides(Path(path)).items():
                if tid not in policy.overrides:
                    policy.overrides[tid], policy.sources[tid] = entry, str(path)
        return policy

    def apply(self, task: Task) -> Task:
        """`task` at the shape the policy picks, with the decision in `extra["shape_policy"]`."""
        decision = self.decide(task)
        shape = {k: run for k, (_, run) in decision.constants.items()}
        return dataclasses.replace(task, shape=shape, extra={**task.extra, "shape_policy": decision.to_dict()})

    def decide(self, task: Task) -> ShapeDecision:
        entry = self.overrides.get(task.id)
        if entry is None:
            return decide(task, self.budget)
        return self._override(task, entry)

    def _override(self, task: Task, entry: dict[str, Any]) -> ShapeDecision:
        source = self.sources.get(task.id, "?")
        written = int_constants(task)
        shape = {k: v for k, v in entry.items() if k not in ("reason", "original")}
        bad = [k for k, v in shape.items() if k not in written or type(v) is not int]
        if bad:
            raise TaskError(f"{source}: [{task.id}] sets {', '.join(bad)}: not integer module constants of "
                            f"{task.path.name} (its constants: {', '.join(written)})")  # fmt: skip
        if entry.get("original"):
            shape = {}
        try:
            original, run = measure(task, {}), measure(task, shape)
        except Exception as exc:
            raise TaskError(f"{source}: [{task.id}] the reference does not run at this shape: {exc}") from None
        why = entry.get("reason") or "per-task override"
        return ShapeDecision("override", f"{why} (from {source})",
                             constants={k: [written[k], v] for k, v in shape.items() if v != written[k]},
                             original=original, run=run, elements_original=elements(original),
                             elements_run=elements(run), budget_elements=self.budget)  # fmt: skip


def read_overrides(path: Path) -> dict[str, dict[str, Any]]:
    """A TOML override file's tables ({} when the file does not exist)."""
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TaskError(f"{path}: not a shape override file ({exc})") from None
    bad = [k for k, v in data.items() if not isinstance(v, dict)]
    if bad:
        raise TaskError(f"{path}: expected [task id] tables, found plain keys {', '.join(bad)}")
    return data
