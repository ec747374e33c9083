#!/usr/bin/env bash
# Set up, then run Hawk's main job: list targets and tasks, run one full generation loop with a
# scripted model (`hawk demo`: method hawk on two tasks, no LLM is called), tune one expert kernel
# (`hawk tune`), and judge every expert reference kernel of the npu-workloads suite on the
# simulator, printing the time breakdown and speedups.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/hawk targets
.venv/bin/hawk tasks --suite npu-workloads
.venv/bin/hawk demo --out runs/demo
# The tuner (no LLM): the softmax expert's tile sizes and pass options searched on the simulator.
.venv/bin/hawk tune hawk/tasks/suites/npu_workloads/experts/l1_softmax_fp32.py --task l1_softmax_fp32 \
  --budget 30 --out runs/tune/l1_softmax_fp32
.venv/bin/python benchmarks/eval_time.py --suite npu-workloads
