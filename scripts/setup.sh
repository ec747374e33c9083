#!/usr/bin/env bash
# Creates .venv and installs Hawk with its pinned dependencies (idempotent; quick when done).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cmake >/dev/null && command -v c++ >/dev/null || {
  # pypto builds its CPU calculator with cmake and a C++ compiler.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq cmake g++ >/dev/null
  else
    echo "setup: cmake and a C++ compiler are needed (pypto builds its calculator with them)" >&2; exit 1
  fi
}
command -v chromium >/dev/null || {
  # tests/test_report.py renders the benchmark report in headless Chromium (Debian's package).
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: chromium is needed by tests/test_report.py (Debian: apt-get install chromium)" >&2; exit 1
  fi
}
[ -x .venv/bin/python ] || python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
stamp=.venv/.hawk-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e '.[dev]'
  touch "$stamp"
fi
# Side environments of the ascend-triton target (triton-ascend + bishengir; upstream triton + torch).
# A stamp makes this a no-op once done; on a fresh cache it takes about a minute.
.venv/bin/hawk setup ascend-triton >/dev/null
# The calibrated bound of ascend-pypto (fixed cost, streaming bandwidth, peaks): measured once on the
# simulator (~1.5 min) and cached per SKU and pypto version; a no-op once the cache holds it.
# Not fatal: verdicts then carry the roofline only (and say why) until `hawk setup ascend-pypto --force` succeeds.
.venv/bin/hawk setup ascend-pypto >/dev/null || echo "setup: calibrating ascend-pypto's bound failed (verdicts keep the roofline only; retry: hawk setup ascend-pypto --force)" >&2
