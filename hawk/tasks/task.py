"""Tasks in the KernelBench format (`Model`, `get_inputs`, `get_init_inputs`), plus Hawk metadata.

A task file is loaded unchanged; Hawk's metadata (id, level, category, tolerance) lives beside it
in the suite manifest, or is derived from the file name for a loose task file.

A task file is untrusted code. The functions here that import it (`load_module`, `load_task_module`,
`shape_set`, `instantiate`, `signature`) run only in sandboxed children: the targets' workers and
hawk/tasks/sandboxed.py, through which Hawk's own process asks (`task_spec`, ...).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import inspect
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

# Documented tolerances by dtype (absolute, relative): |out - golden| <= atol + rtol * |golden|.
# fp32 follows KernelBench's 1e-4..1e-3 band (the simulator's transcendental ops need 1e-3);
# half types follow the field's 1e-2 band, bf16 a little wider for its 8-bit mantissa.
TOLERANCES: dict[str, tuple[float, float]] = {
    "float32": (1e-3, 1e-3),
    "float16": (1e-2, 1e-2),
    "bfloat16": (2e-2, 2e-2),
    "int8": (1.0, 0.0),  # quantized outputs may differ by one step of rounding
    "int32": (0.0, 0.0),
    "int64": (0.0, 0.0),  # indices (argmax, argmin): exact
}


class TaskError(Exception):
    """A task file or manifest that cannot be used; the message names what is wrong."""


@dataclass(frozen=True)
class ArgSpec:
    """One kernel argument in the contract: inputs, then model parameters, then outputs."""

    name: str
    role: str  # "input" | "param" | "output" | "scalar" (a Python number in get_inputs: last, after the outputs)
    shape: tuple[int, ...]
    dtype: str  # torch dtype name without the "torch." prefix


@dataclass
class Task:
    id: str
    path: Path
    level: int = 1
    category: str = "uncategorized"
    suite: str | None = None
    description: str = ""
    atol: float | None = None
    rtol: float | None = None
    expert_kernel: Path | None = None  # never shown to a generating model
    extra: dict[str, Any] = field(default_factory=dict)
    # Shape sets: `shapes` lists the module-constant settings the kernel is judged on (suite.toml
    # `shapes`, else the task file's `get_input_shapes()`); `shape` is the one this variant runs.
    shapes: list[dict[str, int]] | None = None
    shape: dict[str, int] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return self.path.read_text()

    @property
    def source_hash(self) -> str:
        digest = hashlib.sha256(self.path.read_bytes())
        if self.shape:  # a shape variant is another reference as far as caches are concerned
            digest.update(repr(sorted(self.shape.items())).encode())
        return digest.hexdigest()[:16]

    @property
    def shape_label(self) -> str:
        """`BATCH=16` for a shape variant, "" for the task as written."""
        return ", ".join(f"{k}={v}" for k, v in self.shape.items())

    def variant(self, shape: dict[str, int]) -> Task:
        """This task with its module constants set to `shape` (one member of its shape set)."""
        return dataclasses.replace(self, shape=dict(shape), shapes=None)

    def tolerance(self, out_dtype: str) -> tuple[float, float]:
        default = TOLERANCES.get(out_dtype, TOLERANCES["float32"])
        return (self.atol if self.atol is not None else default[0], self.rtol if self.rtol is not None else default[1])


def load_module(path: Path, prefix: str = "hawk_task", what: str = "task") -> ModuleType:
    """Import a Python file by path under a safe module name (file names like `1_ReLU.py` break imports).
    `what` names the file in errors ("task", "candidate kernel"); a candidate is named by its file
    name only (its folder is a scratch directory, noise to the reader)."""
    path = Path(path)
    shown = path if what == "task" else path.name
    if not path.is_file():
        raise TaskError(f"{what} file not found: {shown}")
    safe = re.sub(r"\W", "_", path.stem)
    name = f"{prefix}_{safe}_{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise TaskError(f"cannot import {shown}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise TaskError(f"{shown}:{exc.lineno}: syntax error: {exc.msg}") from None
    except MemoryError:
        raise TaskError(f"{shown}: importing the {what} failed: MemoryError (over the memory limit)") from None
    except Exception as exc:
        raise TaskError(f"{shown}: importing the {what} failed: {type(exc).__name__}: {exc}") from None
    return module


def load_task_module(task: Task) -> ModuleType:
    """The task's module (a fresh copy) with the variant's shape constants written in: functions
    defined there read module globals at call time, so `get_inputs` and `forward` see them."""
    module = load_module(task.path)
    for name, value in task.shape.items():
        if not isinstance(getattr(module, name, None), int):
            raise TaskError(f"{task.path}: shape constant {name} is not an integer module constant of the task")
        setattr(module, name, value)
    return module


def shape_set(task: Task) -> list[dict[str, int]]:
    """The shapes `task` is judged on: suite.toml's `shapes`, else the file's `get_input_shapes()`,
    else [] (the task as written, one shape)."""
    if task.shapes is not None:
        return [dict(s) for s in task.shapes]
    module = load_module(task.path)
    fn = getattr(module, "get_input_shapes", None)
    if fn is None:
        return []
    shapes = fn()
    if not isinstance(shapes, list) or not all(isinstance(s, dict) and s for s in shapes):
        raise TaskError(f"{task.path}: get_input_shapes() must return a list of non-empty dicts (constant -> size)")
    return [{str(k): int(v) for k, v in s.items()} for s in shapes]


def task_from_file(path: Path) -> Task:
    """A loose KernelBench-format file, outside any suite."""
    path = Path(path)
    if not path.is_file():
        raise TaskError(f"task file not found: {path}")
    return Task(id=path.stem, path=path.resolve())


@dataclass
class Instance:
    """One concrete draw of a task: the model, its inputs for a seed, and the golden outputs."""

    model: Any
    inputs: list[Any]
    params: list[tuple[str, Any]]
    outputs: list[Any]


def instantiate(task: Task, seed: int) -> Instance:
    """Build the reference model and inputs for `seed` and run the PyTorch reference (the golden)."""
    import torch

    module = load_task_module(task)
    for attr in ("Model", "get_inputs", "get_init_inputs"):
        if not hasattr(module, attr):
            raise TaskError(f"{task.path}: not a KernelBench task, `{attr}` is missing")
    torch.manual_seed(seed)
    model = module.Model(*module.get_init_inputs())
    model.eval()
    torch.manual_seed(seed)
    inputs = list(module.get_inputs())
    with torch.no_grad():
        result = model(*inputs)
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    params = [(name, p.detach()) for name, p in model.named_parameters()]
    params += [(name, b) for name, b in model.named_buffers()]
    return Instance(model=model, inputs=inputs, params=params, outputs=outputs)


def _dtype_name(t: Any) -> str:
    return str(t.dtype).removeprefix("torch.")


def signature(task: Task, instance: Instance | None = None) -> list[ArgSpec]:
    """The kernel contract for `task`: argument names, roles, shapes and dtypes, in order."""
    import torch

    inst = instance or instantiate(task, seed=0)
    module = load_task_module(task)
    try:
        fwd_params = list(inspect.signature(module.Model.forward).parameters)[1:]
    except (TypeError, ValueError):
        fwd_params = []
    specs: list[ArgSpec] = []
    scalars: list[ArgSpec] = []
    for i, x in enumerate(inst.inputs):
        name = fwd_params[i] if i < len(fwd_params) else f"in{i}"
        if not isinstance(x, torch.Tensor):
            scalars.append(scalar_spec(task, i, name, x))
            continue
        specs.append(ArgSpec(name, "input", kernel_shape(x), _dtype_name(x)))
    for pname, p in inst.params:
        specs.append(ArgSpec(pname.replace(".", "_"), "param", kernel_shape(p), _dtype_name(p)))
    for i, y in enumerate(inst.outputs):
        if not isinstance(y, torch.Tensor):
            raise TaskError(f"{task.path}: forward() output {i} is not a tensor")
        name = "out" if len(inst.outputs) == 1 else f"out{i}"
        specs.append(ArgSpec(name, "output", kernel_shape(y), _dtype_name(y)))
    return specs + scalars


def kernel_shape(t: Any) -> tuple[int, ...]:
    """A tensor's shape in the kernel contract: a 0-d tensor (a loss, a norm) is a 1-element [1]
    tensor, because pypto's verifier cannot take 0-d goldens (its `ori_shape` is None there)."""
    return tuple(t.shape) or (1,)


def as_kernel_tensor(t: Any) -> Any:
    """`t` as the kernel receives it (see `kernel_shape`)."""
    return t.reshape(1) if t.dim() == 0 else t


def scalar_spec(task: Task, index: int, name: str, value: Any) -> ArgSpec:
    """A Python number in `get_inputs()` (KernelBench's matrix-scalar task passes `s = 3.14`): a scalar
    kernel argument, placed after every tensor argument (pypto's jit takes non-tensor parameters only
    there) with dtype `float` or `int` and shape ()."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TaskError(f"{task.path}: get_inputs()[{index}] is a {type(value).__name__}: inputs must be tensors "
                        "or Python numbers")  # fmt: skip
    return ArgSpec(name, "scalar", (), type(value).__name__)


def tensor_args(values: list[Any]) -> list[Any]:
    """The tensors among a task's inputs, in order (scalar inputs go to the end of the kernel's arguments)."""
    return [v for v in values if hasattr(v, "contiguous")]


def scalar_args(values: list[Any]) -> list[Any]:
    """The Python numbers among a task's inputs, in order: the kernel's last arguments."""
    return [v for v in values if not hasattr(v, "contiguous")]
