#!/usr/bin/env bash
# Set up, then run Hawk's main job: list targets and tasks, and judge every expert reference kernel
# of the npu-workloads suite on the simulator (each prints its verdict).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/hawk targets
.venv/bin/hawk tasks --suite npu-workloads
.venv/bin/python benchmarks/eval_time.py --suite npu-workloads
