#!/usr/bin/env bash
# Set up, lint, and run the whole test suite (real simulator). Tests run in one pytest-xdist worker
# per core, a test file per worker (module fixtures such as a learned knowledge store stay shared);
# pass -n 0 to run serially.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check hawk tests benchmarks && .venv/bin/ruff format --check hawk tests benchmarks
.venv/bin/python -m pytest -q -n auto --dist loadfile "$@"
