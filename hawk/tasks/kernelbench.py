"""A KernelBench (or MultiKernelBench) checkout, or any folder of KernelBench-format files, as a suite.

Layout: level folders `level1/`, `level2/`, ... holding `<number>_<Name>.py` files, either directly
under the given folder or under its `KernelBench/` subfolder (a git checkout of
ScalingIntelligence/KernelBench); a folder with no level folders is read as one level (1). A
MultiKernelBench checkout (`reference/<category>/<op>.py`) is read as level 1, one category per folder.

Task ids: `kb<level>_<file stem>`, with every character that is not a letter, digit or `_`
replaced by `_`: `level1/19_ReLU.py` -> `kb1_19_ReLU`; MultiKernelBench `mkb_<category>_<op>`
(`reference/activation/relu.py` -> `mkb_activation_relu`). Files are never copied: the tasks point at
the user's checkout, and each is run at the shape the shape policy chooses (hawk/tasks/shape_policy.py).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

from hawk.tasks.suite import Suite
from hawk.tasks.task import Task, TaskError

_LEVEL_DIR = re.compile(r"^level(\d+)$")

# Category by the words of the file name (`54_conv_standard_3D_...` -> conv), first rule whose words
# all occur wins; a word also matches as a prefix or suffix (`argmax`, `logsoftmax`, `mseloss`); used for sampling, reports
# and knowledge, never for judging.
_CATEGORIES: list[tuple[tuple[str, ...], str]] = [
    (("conv", "transposed"), "conv_transposed"),
    (("conv", "depthwise"), "conv_depthwise"),
    (("conv", "pointwise"), "conv_pointwise"),
    (("conv",), "conv"),
    (("pooling",), "pooling"),
    (("cum",), "scan"),
    (("loss",), "loss"),
    (("argm",), "argreduce"),
    (("reduction",), "reduction"),
    (("softmax",), "softmax"),
    (("norm",), "norm"),
    (("scalar",), "elementwise"),
    (("matmul",), "matmul"),
    (("matrix",), "matmul"),
    (("multiplication",), "matmul"),
]
_ACTIVATIONS = ("relu", "leakyrelu", "sigmoid", "tanh", "gelu", "mingptnewgelu", "swish", "softplus", "softsign",
                "elu", "selu", "hardsigmoid", "hardtanh")  # fmt: skip


@dataclass(frozen=True)
class KernelBenchFile:
    level: int
    path: Path
    group: str | None = None  # MultiKernelBench: the category folder (`reference/activation/`)

    @property
    def task_id(self) -> str:
        if self.group:
            return f"mkb_{_word(self.group)}_{_word(self.path.stem)}"
        return task_id(self.level, self.path)

    @property
    def category(self) -> str:
        return self.group or category_of(self.path)


def _word(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_]", "_", text)


def task_id(level: int, path: Path) -> str:
    """`kb<level>_<stem>` with non-word characters as `_` (`level1/19_ReLU.py` -> `kb1_19_ReLU`)."""
    return f"kb{level}_{_word(Path(path).stem)}"


def category_of(path: Path) -> str:
    """`conv_transposed`, `pooling`, `matmul`, `activation`, ... from the file name's words."""
    words = [w for w in re.split(r"[^a-z0-9]+", Path(path).stem.lower()) if w and not w.isdigit()]
    for keys, category in _CATEGORIES:
        if all(any(w.startswith(k) or w.endswith(k) for w in words) for k in keys):
            return category
    if any(w in _ACTIVATIONS for w in words):
        return "activation"
    return "uncategorized"


def levels_root(folder: Path) -> Path:
    """The folder that holds the level folders: FOLDER itself, or FOLDER/KernelBench (a checkout)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TaskError(f"not a folder: {folder}")
    for root in (folder, folder / "KernelBench"):
        if root.is_dir() and any(_LEVEL_DIR.match(d.name) for d in root.iterdir() if d.is_dir()):
            return root
    return folder


def _number(path: Path) -> tuple[int, str]:
    head = path.stem.split("_", 1)[0]
    return (int(head) if head.isdigit() else 1 << 30, path.stem)


def _category_dirs(folder: Path) -> list[Path]:
    """MultiKernelBench's layout: `reference/<category>/<op>.py` (FOLDER is the checkout or `reference/`)."""
    base = folder / "reference" if (folder / "reference").is_dir() else folder
    if any(p.suffix == ".py" for p in base.iterdir()):
        return []
    return sorted(d for d in base.iterdir() if d.is_dir() and not d.name.startswith((".", "_")) and any(d.glob("*.py")))


def find_files(folder: Path, levels: list[int] | None = None) -> list[KernelBenchFile]:
    """Every task file under FOLDER's level folders (or FOLDER itself), by level then task number;
    for a MultiKernelBench checkout, every file of its category folders (all level 1)."""
    root = levels_root(folder)
    if not any(_LEVEL_DIR.match(d.name) for d in root.iterdir() if d.is_dir()) and (groups := _category_dirs(root)):
        if levels and 1 not in levels:
            return []
        return [KernelBenchFile(1, p.resolve(), d.name) for d in groups for p in sorted(d.glob("*.py"))
                if not p.name.startswith("_")]  # fmt: skip
    level_dirs = sorted(
        ((int(m.group(1)), d) for d in root.iterdir() if d.is_dir() and (m := _LEVEL_DIR.match(d.name))),
        key=lambda pair: pair[0],
    )
    if not level_dirs:  # a flat folder: one level, numbered by its own name when it is `levelN`
        own = _LEVEL_DIR.match(root.name)
        level_dirs = [(int(own.group(1)) if own else 1, root)]
    files = []
    for level, d in level_dirs:
        if levels and level not in levels:
            continue
        for path in sorted(d.glob("*.py"), key=_number):
            if not path.name.startswith("_"):
                files.append(KernelBenchFile(level, path.resolve()))
    return files


def matches(task: str, patterns: list[str]) -> bool:
    """Whether task id `task` matches any of `patterns`: a shell pattern on the id (case-insensitive,
    e.g. `*conv*`, `kb1_4?_*`), or a bare number N for task N of any level (`19` -> `kb1_19_ReLU`)."""
    low = task.lower()
    for p in patterns:
        if p.isdigit() and re.match(rf"^kb\d+_{p}_", low):
            return True
        if fnmatch.fnmatchcase(low, p.lower()) or low == p.lower():
            return True
    return False


def load_file(path: Path) -> Task | None:
    """A loose file that sits in a KernelBench checkout's level folder (`.../level1/19_ReLU.py`) as the
    task `hawk tasks --dir` would list (`kb1_19_ReLU`, its category, the checkout's shape overrides);
    None for a file anywhere else."""
    path = Path(path).resolve()
    own = _LEVEL_DIR.match(path.parent.name)
    if own is None or not path.is_file():
        return None
    level = int(own.group(1))
    if not any(f.path == path for f in find_files(path.parent.parent, [level])):
        return None  # e.g. `_helpers.py` beside the tasks
    # A broken override file in the checkout is an error to show, not a reason to drop the overrides.
    suite = load_dir(path.parent.parent, levels=[level], only=[task_id(level, path)])
    return next(t for t in suite.tasks if Path(t.path).resolve() == path)


def load_dir(
    folder: Path,
    levels: list[int] | None = None,
    only: list[str] | None = None,
    overrides: Path | None = None,
    apply_policy: bool = True,
) -> Suite:
    """FOLDER's KernelBench-format files as a suite named `kernelbench:<folder name>`; each task at
    the shape the shape policy picks (`overrides`: a TOML file of per-task shapes, else the
    checkout's own `hawk-shapes.toml`, else Hawk's shipped KernelBench overrides)."""
    from hawk.tasks.shape_policy import ShapePolicy

    files = find_files(folder, levels)
    if only:
        files = [f for f in files if matches(f.task_id, only)]
    if not files:
        what = f" matching {', '.join(only)}" if only else ""
        lv = f" in level(s) {', '.join(map(str, levels))}" if levels else ""
        raise TaskError(f"no KernelBench-format task files{what}{lv} under {folder}")
    root = levels_root(folder)
    name = f"kernelbench:{Path(folder).resolve().name}"
    policy = ShapePolicy.load(root, overrides) if apply_policy else None
    tasks = []
    for f in files:
        where = f"{f.group}/{f.path.name}" if f.group else f"level{f.level}/{f.path.name}"
        task = Task(id=f.task_id, path=f.path, level=f.level, category=f.category, suite=name,
                    description=f"{root.name}/{where}")  # fmt: skip
        tasks.append(policy.apply(task) if policy else task)
    return Suite(name=name, description=f"KernelBench-format files under {root}", root=root, tasks=tasks)
