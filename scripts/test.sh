#!/usr/bin/env bash
# Set up, lint, and run the whole test suite (real simulator; ~10 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check hawk tests benchmarks && .venv/bin/ruff format --check hawk tests benchmarks
.venv/bin/python -m pytest -q "$@"
