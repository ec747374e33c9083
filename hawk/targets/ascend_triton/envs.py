"""The two side environments `ascend-triton` evaluates in, created and checked by Hawk itself.

triton-ascend and upstream triton both install the `triton` module, so they cannot share Hawk's
environment nor each other's:

- `<cache>/envs/triton-ascend`: triton-ascend (its frontend, `triton-adapter-opt`) and ascendnpu-ir
  (`bishengir-compile`), the real compile pipeline. `pybind11` is needed but undeclared by
  triton-ascend, and its interpreter needs numpy < 2. torch is not installed here: the compile
  worker appends the interpreter env's site-packages to the END of sys.path, so a candidate's
  `import torch` works while `triton` and `numpy` still resolve to this env's own copies.
- `<cache>/envs/triton-interp`: upstream triton with TRITON_INTERPRET=1 runs kernels on the CPU,
  plus torch pinned to exactly the version of Hawk's own environment (the CPU build on these
  machines: an unpinned torch would pull a multi-GB CUDA build), so goldens match Hawk's.

`ensure()` is idempotent: a stamp file holds the requirements it was built for, and a matching
stamp makes it a no-op (milliseconds). Creation takes about a minute on a fresh cache (pip reuses
its wheel cache and any local wheel directory pip is configured with). A file lock serialises
concurrent creators.
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from hawk import config

TRITON_ASCEND = "triton-ascend"
TRITON_INTERP = "triton-interp"
STAMP = ".hawk-env.json"


@dataclass(frozen=True)
class EnvSpec:
    name: str
    requirements: tuple[str, ...]
    checks: tuple[str, ...]  # Python statements that must run in the env after install
    purpose: str


def _torch_pin() -> str:
    """torch exactly as in Hawk's environment (e.g. 2.13.0+cpu), so goldens are computed alike."""
    try:
        return f"torch=={importlib.metadata.version('torch')}"
    except importlib.metadata.PackageNotFoundError:
        return "torch==2.13.0"


def specs() -> dict[str, EnvSpec]:
    return {
        TRITON_ASCEND: EnvSpec(
            TRITON_ASCEND,
            ("triton-ascend==3.2.0", "ascendnpu-ir==1.2.0", "pybind11", "numpy<2"),
            (
                "import triton, os; assert triton.__version__ == '3.2.0', triton.__version__",
                "import triton.backends.ascend.compiler as c, os; "
                "assert os.access(os.path.join(os.path.dirname(c.__file__), 'triton-adapter-opt'), os.X_OK)",
                "import ascendnpuir, os, glob; "
                "assert glob.glob(os.path.join(os.path.dirname(ascendnpuir.__file__), 'bin', 'bishengir-compile'))",
            ),
            "real compile: triton-ascend frontend + triton-adapter-opt + bishengir-compile",
        ),
        TRITON_INTERP: EnvSpec(
            TRITON_INTERP,
            ("triton==3.9.0", _torch_pin(), "numpy"),
            ("import triton, torch; assert triton.__version__ == '3.9.0', triton.__version__",),
            "numerics: upstream triton's interpreter (TRITON_INTERPRET=1) on the CPU",
        ),
    }


def envs_root() -> Path:
    return config.cache_dir() / "envs"


def env_dir(name: str) -> Path:
    return envs_root() / name


def python(name: str) -> Path:
    return env_dir(name) / "bin" / "python"


def site_packages(name: str) -> Path:
    return env_dir(name) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


def _stamp_matches(spec: EnvSpec) -> bool:
    stamp = env_dir(spec.name) / STAMP
    try:
        data = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    return data.get("requirements") == list(spec.requirements) and python(spec.name).exists()


def missing() -> list[str]:
    """Envs that are not ready (cheap: stamp files only, no subprocess)."""
    return [name for name, spec in specs().items() if not _stamp_matches(spec)]


class EnvError(RuntimeError):
    """An environment could not be created or failed its checks; the message says which and why."""


def _run(cmd: list[str], what: str, timeout_s: float = 1800) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
        raise EnvError(f"{what} failed (exit {proc.returncode}):\n" + "\n".join(tail))


def check(name: str) -> None:
    """Run the env's checks in the env itself; raises EnvError with the failing check."""
    spec = specs()[name]
    for stmt in spec.checks:
        _run([str(python(name)), "-c", stmt], f"check of env {name} ({stmt[:60]}...)", timeout_s=120)


def _create(spec: EnvSpec, log: Callable[[str], None]) -> None:
    root = env_dir(spec.name)
    if root.exists():
        shutil.rmtree(root)  # a half-built or outdated env: start clean rather than patch it
    log(f"creating {root} ({spec.purpose})")
    # The base interpreter of Hawk's own Python (same version, so the same wheels apply).
    base = getattr(sys, "_base_executable", None) or sys.executable
    _run([base, "-m", "venv", str(root)], f"python -m venv {root}")
    pip = [str(python(spec.name)), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    _run(pip + list(spec.requirements), f"pip install {' '.join(spec.requirements)} into {root}")
    check(spec.name)
    (root / STAMP).write_text(
        json.dumps({"requirements": list(spec.requirements), "created": time.strftime("%Y-%m-%d %H:%M:%S")})
    )


def ensure(log: Callable[[str], None] = lambda m: None, force: bool = False) -> dict[str, float]:
    """Create every env that is missing or outdated; returns seconds spent per env (0 when ready)."""
    envs_root().mkdir(parents=True, exist_ok=True)

    def one(spec: EnvSpec) -> float:
        t = time.perf_counter()
        if force or not _stamp_matches(spec):
            _create(spec, log)
        else:
            log(f"{env_dir(spec.name)} is ready ({' '.join(spec.requirements)})")
        return round(time.perf_counter() - t, 1)

    with open(envs_root() / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be creating the same env right now
        # The envs are independent and their set-up is mostly download and unpack: build them side by side.
        with ThreadPoolExecutor(max_workers=len(specs())) as pool:
            futures = {name: pool.submit(one, spec) for name, spec in specs().items()}
            return {name: f.result() for name, f in futures.items()}
