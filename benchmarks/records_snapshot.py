"""A scripted `hawk bench` run on the fake target, reduced to what must not change under a refactor.

    python benchmarks/records_snapshot.py OUT.json            # run and write the snapshot
    python benchmarks/records_snapshot.py OUT.json --compare OLD.json   # ... and diff it against OLD

Every method (oneshot, feedback, transplant, hawk) on two tasks with a scripted model: a UB
overflow that is repaired, a tuned kernel, two candidates per step, knowledge learned on one task
and injected into the other. The snapshot keeps the records (trajectory steps, summaries, best
verdicts, unit records, knowledge markers and the store's items) with what varies between runs left
out: wall times, scratch paths, timestamps, process ids and the run directory. Exit code 1 when
`--compare` finds a difference (the differing paths are printed).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hawk.agent.demo import TASK_FILE  # noqa: E402
from hawk.agent.loop import Budget  # noqa: E402
from hawk.bench import BenchConfig, run_bench  # noqa: E402
from hawk.llm import LLMSettings  # noqa: E402
from hawk.targets.base import EvalOptions  # noqa: E402

VOLATILE = re.compile(
    r"(_s$|^wall|^started|^finished|pid$|rss_kb$|^created|^updated|^last_|^timings$|^artifacts$|^at$)"
)
RATIONALE = "Smaller TILE keeps the exp tiles inside the Unified Buffer."


def fake_kernel(tile: int) -> str:
    return (
        f"TILE = {tile}\n# fake-time-us: 1000 / TILE + 10\n# fake-knobs: TILE in 8, 16, 32, 64, 128, 256\n"
        "# fake-overflow: TILE > 128\n\n\ndef kernel(x, out):\n    out.move(x.exp())  # exp over TILE rows\n"
    )


def fenced(code: str) -> str:
    return f"Here is the kernel.\n```python\n{code}```"


def make_suite(base: Path) -> Path:
    suite = base / "suite"
    (suite / "tasks").mkdir(parents=True)
    shutil.copy(TASK_FILE, suite / "tasks" / "exp_mul_add.py")
    shutil.copy(ROOT / "tests" / "data" / "tasks" / "row_center.py", suite / "tasks" / "row_center.py")
    (suite / "suite.toml").write_text(
        '[suite]\nname = "snap"\n\n[[task]]\nid = "exp_mul_add"\n\n[[task]]\nid = "row_center"\n'
    )
    corpus = base / "corpus"
    corpus.mkdir()
    (corpus / "tiled.py").write_text(fake_kernel(32))
    return suite


def run(base: Path) -> Path:
    suite = make_suite(base)
    out = base / "run"
    replies = {  # per task: overflow -> small tile -> larger tile, then rationales for synthesis
        "exp_mul_add": [fenced(fake_kernel(256)), fenced(fake_kernel(16)), fenced(fake_kernel(64))] + [RATIONALE] * 4,
        "row_center": [fenced(fake_kernel(256)), fenced(fake_kernel(32)), fenced(fake_kernel(8))] + [RATIONALE] * 4,
    }
    budget = Budget(iterations=3, tune_budget=4, tune_workers=1, roofline_stop=None)
    config = BenchConfig(suite=str(suite), methods=["oneshot", "feedback", "transplant", "hawk"], out=out,
                         target="fake", budget=budget, eval_options=EvalOptions(seeds=2), corpus=base / "corpus",
                         experts=False)  # fmt: skip
    run_bench(config, LLMSettings(provider="scripted"), workers=1, scripted_replies=replies, log=lambda m: None)
    # Two candidates per step (the same reply twice: samples are drawn in parallel, in no fixed order).
    twice = {"*": [fenced(fake_kernel(256))] * 2 + [fenced(fake_kernel(16))] * 2}
    budget2 = Budget(iterations=2, tune_budget=0, candidates=2, roofline_stop=None)
    config2 = BenchConfig(
        suite=str(suite),
        methods=["feedback"],
        out=out / "candidates",
        target="fake",
        budget=budget2,
        eval_options=EvalOptions(seeds=1),
        tasks=["row_center"],
        experts=False,
    )
    run_bench(config2, LLMSettings(provider="scripted"), workers=1, scripted_replies=twice, log=lambda m: None)
    return out


def scrub(value: Any, base: str) -> Any:
    """The value with volatile keys dropped and the run directory replaced by a fixed name."""
    if isinstance(value, dict):
        return {k: scrub(v, base) for k, v in sorted(value.items()) if not VOLATILE.search(k)}
    if isinstance(value, list):
        return [scrub(v, base) for v in value]
    if isinstance(value, str):
        return re.sub(r"/[^\s'\"]*/hawk/scratch/[^\s'\"]*", "<scratch>", value.replace(base, "<run>"))
    return value


def snapshot(out: Path) -> dict[str, Any]:
    snap: dict[str, Any] = {}
    for path in sorted(out.rglob("*")):
        rel = str(path.relative_to(out))
        if path.suffix == ".jsonl":
            snap[rel] = [json.loads(line) for line in path.read_text().splitlines()]
        elif path.suffix == ".json" and path.name != "run.json":
            snap[rel] = json.loads(path.read_text())
        elif path.suffix == ".py":
            snap[rel] = path.read_text()
    with sqlite3.connect(out / "knowledge.sqlite") as db:
        rows = db.execute("SELECT data FROM items ORDER BY json_extract(data, '$.after_code')").fetchall()
    snap["knowledge.sqlite:items"] = [json.loads(r[0]) for r in rows]
    text = json.dumps(scrub(snap, str(out.parent)), sort_keys=True, default=str)
    for k, item in enumerate(snap["knowledge.sqlite:items"]):  # ids are random: name them by their order
        text = text.replace(item["id"], f"item{k}")
    return json.loads(text)


def canonical(value: Any) -> Any:
    """Lists of item names sorted: runs sort them by their random ids, so their order is noise."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [canonical(v) for v in value]
        if items and all(isinstance(v, str) and re.fullmatch(r"item\d+", v) for v in items):
            return sorted(items)
        return items
    return value


def differences(a: Any, b: Any, where: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{where}/{k}: only in one" for k in sorted(set(a) ^ set(b))]
        return out + [d for k in sorted(set(a) & set(b)) for d in differences(a[k], b[k], f"{where}/{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{where}[{i}]")]
    return [] if a == b else [f"{where}: {str(a)[:120]!r} != {str(b)[:120]!r}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--compare", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        snap = snapshot(run(Path(tmp)))
    args.out.write_text(json.dumps(snap, indent=1, sort_keys=True, default=str))
    print(f"{args.out}: {len(snap)} records")
    if args.compare is None:
        return 0
    old, new = (canonical(json.loads(p.read_text())) for p in (args.compare, args.out))
    diffs = differences(old, new)
    print("\n".join(diffs[:60]) or "same records")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
