"""Roofline against calibrated bound for a sample of the npu-workloads experts.

Judges each expert kernel on the simulator (1 seed, no stress inputs, no eager baseline) and
prints its time, the nominal roofline (`roofline_us`, 750 GB/s per direction and the datasheet
cube peak) and the calibrated bound (`bound_us`: fixed cost + max(streaming, cube) as measured on
the simulator; hawk/targets/bound.py), with both ratios. A calibrated ratio below 1 would mean the
bound is not a floor for that kernel: it is printed as it is. docs/bound.md holds the table.

    python benchmarks/bound.py [--tasks id,id,...] [--evidence TASK]
"""

from __future__ import annotations

import argparse
import sys
import time

from hawk import targets
from hawk.targets.ascend_pypto.calibrate import calibration
from hawk.targets.base import EvalOptions
from hawk.targets.evidence import evidence_text
from hawk.tasks import resolve_task
from hawk.tasks.suite import expert_for

# One or two per category: activation, norm, reduction, softmax, GEMM, fused epilogue, attention, optimizer.
SAMPLE = ("l1_relu_fp16", "l1_layernorm_fp32", "l1_rowsum_fp32", "l1_softmax_fp32", "l1_matmul_fp16",
          "l2_linear_bias_gelu_fp16", "l3_attention_prefill_fp16", "l2_adamw_update_fp32")  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default=",".join(SAMPLE))
    ap.add_argument("--evidence", default="", help="print the optimize prompt's evidence block for this task")
    args = ap.parse_args()
    target = targets.get("ascend-pypto")
    started = time.perf_counter()
    print(calibration(target.spec()).describe(), f"({time.perf_counter() - started:.1f} s to load or measure)")
    header = ("task", "expert us", "roofline us", "expert/roofline", "bound us", "expert/bound", "fixed us", "status")
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for task_id in args.tasks.split(","):
        task = resolve_task(task_id, "npu-workloads")
        expert = expert_for(task, target.name)
        if expert is None:
            print(f"| {task_id} | no expert |")
            continue
        v = target.evaluate(expert.read_text(), task, EvalOptions(seeds=1, stress=False, with_eager_baseline=False))
        p = v.perf
        if p is None or not p.time_us:
            print(f"| {task_id} | - | - | - | - | - | - | {v.status.value} |")
            continue
        fixed = p.bound_parts.get("fixed_us", float("nan"))
        print(f"| {task_id} | {p.time_us:.2f} | {p.roofline_us} | {p.roofline_ratio} | {p.bound_us} | "
              f"{p.bound_ratio} | {fixed:.2f} | {v.status.value} |", flush=True)  # fmt: skip
        if task_id == args.evidence:
            print(evidence_text(p), "\n", v.artifacts.trace, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
