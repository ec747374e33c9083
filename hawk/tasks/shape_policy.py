"""The shape policy: which shape a task runs at when its tensors are too large for the simulator, and why.

Never silent: every decision is recorded on the task (`task.extra["shape_policy"]`) and reaches the
verdict's `shape_policy`, `hawk tasks --dir` and the bench report.

The rule (measured on a 2-core x86 box, pypto 0.2.0 simulator, `benchmarks/shape_budget.py`):
a task whose tensors (inputs, parameters and outputs together) hold more than `BUDGET_ELEMENTS`
(2^22, 4.2 M) elements runs at a reduced shape. One seed of an fp32 ReLU took 13.5 s at 2^22
elements and 28 s at 2^24; at 2^26 the simulator reported no AICore time at all after 90 s. An
fp32 1024^3 matmul (3.1 M elements) took 12 s; 2048^3 (12.6 M) again gave no profile after 54 s.
Reduction halves *reducible* module constants (batch, spatial, sequence and matrix sizes: see
`reducible`), in three steps, each only while the task is still over the budget: (1) the batch,
down to 2; (2) the largest sizes together, a round at a time (every size at least half the largest
one is halved, so a square image stays square and a 2:1 one keeps its aspect), never below 8;
(3) the batch down to 1. A halving after which the reference no longer runs (an image smaller
than the kernel, say) is undone and that constant kept. Channels, kernel sizes, strides, padding,
dilation, groups, ranks and dtypes never change, so a convolution stays the same convolution on a
smaller batch and image; a large-K matmul keeps K the largest axis.

Sizes are found on PyTorch's meta device (shapes without data), so measuring a 1 GB task costs
nothing, in a sandboxed child (hawk/tasks/sandboxed.py: task files are untrusted code; `measure`,
`int_constants` and `decide` run there, and the decision comes back as JSON, checked). A per-task
override file (TOML; `[task id]` tables of `CONSTANT = value`, optional `reason = "..."`, or
`original = true` to keep the file's shape) replaces the rule for its tasks.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hawk import config
from hawk.fileio import atomic_write_json
from hawk.tasks.task import Task, TaskError, load_module

BUDGET_ELEMENTS = 1 << 22
POLICY_VERSION = 1  # bump when the rule changes: cached decisions are keyed by it
MIN_SIZE, MIN_BATCH_FIRST, MIN_BATCH = 8, 2, 1
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
    halving steps that bring it within the budget."""
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
    reduction = _Reduction(task, {k: v for k, v in int_constants(task).items() if reducible(k, v)}, written, budget)
    reduction.run()
    return _reduced(decision, task, reduction.shape, reduction.sizes, budget)


def cached_decision(task: Task, budget: int = BUDGET_ELEMENTS) -> ShapeDecision:
    """`decide`, remembered per task file content and budget under the cache directory (listing a
    100-task checkout measures each file once: ~25 s on 2 cores the first time)."""
    path = config.cache_dir() / "shape_policy" / f"{task.source_hash}-b{budget}-v{POLICY_VERSION}.json"
    try:
        return ShapeDecision(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        pass
    decision = decision_in_child(task, {"budget": budget})
    if decision.rule != "unmeasured":  # a file that failed to import may be fixed without changing the hash
        atomic_write_json(path, decision.to_dict())
    return decision


@dataclass
class _Reduction:
    """The halving steps of the budget rule (module docstring), each checked on the meta device."""

    task: Task
    current: dict[str, int]  # reducible constant -> its value now
    sizes: dict[str, list[int]]
    budget: int
    shape: dict[str, int] = field(default_factory=dict)  # the constants changed so far
    frozen: set[str] = field(default_factory=set)  # halving these broke the reference

    def over(self) -> bool:
        return elements(self.sizes) > self.budget

    def run(self) -> None:
        batch = [k for k in self.current if _BATCH.match(k)]
        others = [k for k in self.current if k not in batch]
        self._rounds(batch, MIN_BATCH_FIRST)  # 1. batch, down to 2
        while self.over():  # 2. the largest sizes together (each at least half the largest), down to 8
            open_ = [k for k in others if k not in self.frozen and self.current[k] // 2 >= MIN_SIZE]
            if not open_:
                break
            top = max(self.current[k] for k in open_)
            for name in [k for k in open_ if 2 * self.current[k] >= top]:
                self._halve(name, MIN_SIZE)
        self._rounds(batch, MIN_BATCH)  # 3. batch down to 1, only if still over

    def _rounds(self, names: list[str], floor: int) -> None:
        while self.over() and any(self._halve(k, floor) for k in list(names)):
            pass

    def _halve(self, name: str, floor: int) -> bool:
        """Halve `name` if that keeps it >= `floor` and the reference valid; whether it did."""
        value = self.current[name] // 2
        if name in self.frozen or value < floor:
            return False
        trial = {**self.shape, name: value}
        try:
            sizes = measure(self.task, trial)
        except Exception:  # e.g. the image got smaller than the kernel: keep this constant
            sizes = None
        if sizes is None or any(0 in s for s in sizes.values()):
            self.frozen.add(name)
            return False
        self.shape, self.sizes, self.current[name] = trial, sizes, value
        return True


def decision_in_child(task: Task, params: dict[str, Any]) -> ShapeDecision:
    """`decision_answer(task, **params)` from a sandboxed child; a task that does not import (or
    kills its child) is "unmeasured" here, and its evaluation reports why."""
    from hawk.tasks.sandboxed import ask

    try:
        return checked_decision(ask(task, "hawk.tasks.shape_policy:decision_answer", params))
    except TaskError as exc:
        if params.get("override") is not None:  # a broken override file must be named, not run as written
            raise
        return ShapeDecision("unmeasured", f"the task file does not import: {exc}")


def decision_answer(
    task: Task, budget: int, override: dict[str, Any] | None = None, source: str = ""
) -> dict[str, Any]:
    """In the child: the budget rule's decision, or the override's, as JSON."""
    if override is None:
        return decide(task, budget).to_dict()
    return (
        ShapePolicy(overrides={task.id: override}, sources={task.id: source}, budget=budget)
        ._override(task, override)
        .to_dict()
    )


def checked_decision(data: dict[str, Any]) -> ShapeDecision:
    """A decision from a child's JSON, field by field (it comes from the task's process)."""
    try:
        shapes = {k: {str(a): [int(d) for d in v] for a, v in data[k].items()} for k in ("original", "run")}
        decision = ShapeDecision(
            rule=str(data["rule"]), reason=str(data["reason"])[:1000],
            constants={str(k): [int(v[0]), int(v[1])] for k, v in data["constants"].items()}, **shapes,
            elements_original=int(data["elements_original"]), elements_run=int(data["elements_run"]),
            budget_elements=int(data["budget_elements"]),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise TaskError(f"the task process gave a malformed shape decision ({exc})"[:300]) from None
    if decision.rule not in ("original", "reduced", "override", "unmeasured"):
        raise TaskError(f"the task process gave an unknown shape rule {decision.rule!r}"[:300])
    return decision


def _reduced(decision: ShapeDecision, task: Task, shape: dict[str, int], sizes: dict, budget: int) -> ShapeDecision:
    written = int_constants(task)
    decision.rule = "reduced"
    decision.constants = {k: [written[k], v] for k, v in shape.items()}
    decision.run, decision.elements_run = sizes, elements(sizes)
    over = decision.elements_run > budget
    decision.reason = (
        f"{decision.elements_original} elements as written, over the budget of {budget}: "
        + ("batch and size constants halved (batch first, then the largest sizes together)" if shape
           else "no batch or size constant to reduce")
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
            return cached_decision(task, self.budget)
        params = {"budget": self.budget, "override": entry, "source": self.sources.get(task.id, "?")}
        return decision_in_child(task, params)

    def _override(self, task: Task, entry: dict[str, Any]) -> ShapeDecision:
        """In the child (it runs the task's code): the decision an override entry makes."""
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
