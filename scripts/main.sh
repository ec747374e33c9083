#!/usr/bin/env bash
# Set up, then Hawk's main job in a few minutes (no LLM, no NPU): the targets and tasks; one
# generation loop with a SCRIPTED model (`hawk demo`: method hawk on two tasks, a UB overflow
# repaired and the lesson reused, written as a benchmark run with its report); a verdict with a
# hardware reason; and an expert kernel tuned on the simulator with a small budget.
# Judging every expert kernel of the suite is a benchmark: python benchmarks/eval_time.py.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
step() { printf '\n== %s  [%d s so far]\n' "$1" "$SECONDS"; }
step "targets and tasks"
.venv/bin/hawk targets
.venv/bin/hawk tasks --suite npu-workloads
step "the generation loop, scripted model (hawk demo), and its report"
.venv/bin/hawk demo --out runs/demo
step "a verdict with a hardware reason: a kernel whose tiles overflow the Unified Buffer"
if .venv/bin/hawk eval examples/ub_overflow.py --task hawk/agent/demo_task.py --seeds 1 --no-stress; then
  echo "error: examples/ub_overflow.py was expected to fail" >&2
  exit 1
fi
step "the tuner (no LLM): the softmax expert's tile sizes and pass options, 8 points on the simulator"
.venv/bin/hawk tune hawk/tasks/suites/npu_workloads/experts/l1_softmax_fp32.py --task l1_softmax_fp32 \
  --budget 8 --out runs/tune/l1_softmax_fp32
step "done"
echo "report of the demo run: runs/demo/report.html; tuned kernel: runs/tune/l1_softmax_fp32/"
