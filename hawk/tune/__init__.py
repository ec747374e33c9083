"""Hardware-guided search over a kernel's tiling and scheduling knobs (no LLM), on the target's
performance-only simulation; the winner is verified on every seed. See search.py."""

from hawk.tune.records import PointRecord, TuneResult
from hawk.tune.search import TUNE_BUDGET, tune, write_outputs

__all__ = ["TUNE_BUDGET", "PointRecord", "TuneResult", "tune", "write_outputs"]
