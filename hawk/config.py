"""User-level configuration: where Hawk keeps caches and stores. The only global state Hawk has."""

from __future__ import annotations

import os
import shutil
import time
import uuid
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


SCRATCH_KEEP = 300  # evaluation directories kept (~15 MB each with a simulation); HAWK_SCRATCH_KEEP overrides
_SCRATCH_MIN_AGE_S = 3600  # never prune a directory touched in the last hour: it may be in use


def new_scratch_dir(name: str) -> Path:
    """A fresh evaluation directory `<scratch_root>/<name>-<time>-<random>`.

    Creating one prunes the oldest beyond the newest HAWK_SCRATCH_KEEP, so benchmark runs with
    thousands of evaluations do not fill the disk; verdicts keep their figures, and a run that
    needs its traces should copy them (or set HAWK_SCRATCH_KEEP=0 to keep everything)."""
    root = scratch_root()
    path = root / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    path.mkdir(parents=True)
    keep = int(os.environ.get("HAWK_SCRATCH_KEEP", SCRATCH_KEEP))
    if keep > 0:
        _prune_scratch(root, keep)
    return path


def _prune_scratch(root: Path, keep: int) -> None:
    entries = []
    for entry in os.scandir(root):
        try:
            if entry.is_dir(follow_symlinks=False):
                entries.append((entry.stat().st_mtime, entry.path))
        except OSError:
            continue  # pruned by another process meanwhile
    entries.sort(reverse=True)
    cutoff = time.time() - _SCRATCH_MIN_AGE_S
    for mtime, path in entries[keep:]:
        if mtime < cutoff:
            shutil.rmtree(path, ignore_errors=True)
