#!/usr/bin/env bash
# One A/B unit: hawk generate through the exchange provider, then DONE for the helper model.
# usage: unit.sh NAME TASKFILE EXTRA_ARGS...
set -u
name=$1; task=$2; shift 2
cd "$(dirname "$0")/../.."
ex=runs/ab/ex/$name; out=runs/ab/out/$name
mkdir -p "$ex" runs/ab
.venv/bin/hawk generate --task "$task" --method feedback --iterations 4 --provider exchange \
  --exchange-dir "$ex" --model helper-via-exchange --no-cache --out "$out" "$@" > runs/ab/$name.log 2>&1
touch "$ex/DONE"
