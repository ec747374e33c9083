"""User-level configuration: where Hawk keeps caches and stores. The only global state Hawk has."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Root of Hawk's caches (built simulator libraries, eager baselines). HAWK_CACHE_DIR overrides."""
    root = os.environ.get("HAWK_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "hawk"
    )
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def scratch_root() -> Path:
    """Where each evaluation gets its own scratch directory. HAWK_SCRATCH_DIR overrides."""
    root = Path(os.environ.get("HAWK_SCRATCH_DIR") or cache_dir() / "scratch")
    root.mkdir(parents=True, exist_ok=True)
    return root
