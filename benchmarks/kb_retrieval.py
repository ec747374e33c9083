"""Retrieval latency and store size for a knowledge base of N items (default 10,000).

Fills a fresh store with synthetic but realistically shaped items (UB/L0C/alignment errors and
perf items over varied ops, tilings and shapes), then times 2D retrieval: the first (cold) query
embeds every item once (the vectors are cached in the store), later (warm) queries do not.
Last, distillation's near-duplicate search over all items is timed.
A benchmark: it prints figures and asserts nothing.

    python benchmarks/kb_retrieval.py [--items 10000] [--queries 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from hawk.knowledge import KnowledgeItem, KnowledgeStore, Trigger, normalize_error, retrieve
from hawk.knowledge.distill import find_duplicates

OPS = ["EXP", "MUL", "ADD", "SUB", "DIV", "CAST", "ROWSUM_SINGLE", "ROWMAX_SINGLE", "RECIPROCAL", "SQRT", "MATMUL"]
PYPTO = ["exp", "mul", "add", "sub", "div", "cast", "sum", "amax", "reciprocal", "sqrt", "matmul", "rsqrt", "where"]


def make_item(i: int, rng: random.Random) -> KnowledgeItem:
    op = rng.choice(OPS)
    kind = rng.choice(["ub", "l0c", "perf"])
    rows, cols = rng.choice([8, 16, 32, 64, 128]), rng.choice([256, 512, 1024, 2048])
    calls = " ".join(f"t{j} = pypto.{rng.choice(PYPTO)}(x, y)\n    " for j in range(rng.randint(2, 6)))
    before = f"import pypto\n\ndef kernel(x, y, out):\n    pypto.set_vec_tile_shapes({rows}, {cols})\n    {calls}out.move(t0)\n"
    after = before.replace(f"({rows}, {cols})", f"({max(1, rows // 2)}, {cols})")
    if kind == "ub":
        reason = f"OP {op}[{10000 + i}] in/output total size [{rows * cols * 8}] exceeds MEM_UB size [196608]!"
        trig, labels = Trigger(signature=normalize_error(reason), hardware_reason=reason, op=op), ["ub_capacity"]
    elif kind == "l0c":
        reason = f"Alloc tensor [{i}] size [{rows * cols * 16}] exceeds MEM_L0C size [131072]!"
        trig, labels = Trigger(signature=normalize_error(reason), hardware_reason=reason, op="MATMUL"), ["l0c_capacity"]
    else:
        trig = Trigger(bottleneck=rng.choice(["mte_in_bound", "vector_bound", "core_underuse"]),
                       pipes={"vector": rng.random() * 100})  # fmt: skip
        labels = [{"mte_in_bound": "mte_in_bound", "vector_bound": "vector_bound",
                   "core_underuse": "core_count_load_balance"}[trig.bottleneck]]  # fmt: skip
    proof = {"status": "pass", "task": f"task{i % 97}", "perf": {"time_us": rng.random() * 50}}
    return KnowledgeItem(trigger=trig, labels=labels, rationale=f"{op} {kind} item {i}", before_code=before,
                         after_code=after + f"# variant {i}\n", proof_verdict=proof,
                         provenance={"task": f"task{i % 97}", "source": "run"})  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=10000)
    ap.add_argument("--queries", type=int, default=5)
    args = ap.parse_args()
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "kb.db"
        store = KnowledgeStore(db)
        t = time.perf_counter()
        for i in range(args.items):
            store.add(make_item(i, rng))
        fill_s = time.perf_counter() - t
        size = sum(p.stat().st_size for p in Path(tmp).glob("kb.db*"))
        query_code = "import pypto\n\ndef kernel(x, out):\n    pypto.set_vec_tile_shapes(64, 1024)\n    out.move(pypto.mul(x, x))\n"
        reason = "OP MUL[10089] in/output total size [270336] exceeds MEM_UB size [196608]!"
        t = time.perf_counter()
        hits = retrieve(store, query_code, reason, None, k=5, record=False)
        cold = time.perf_counter() - t
        warm = []
        for _ in range(args.queries):
            t = time.perf_counter()
            hits = retrieve(store, query_code, reason, None, k=5, record=False)
            warm.append(time.perf_counter() - t)
        size_after = sum(p.stat().st_size for p in Path(tmp).glob("kb.db*"))
        print(f"items: {args.items}; fill {fill_s:.1f} s ({1000 * fill_s / args.items:.2f} ms/item)")
        print(f"store on disk: {size / 2**20:.1f} MiB, {size_after / 2**20:.1f} MiB with cached embeddings "
              f"({size_after / args.items / 1024:.1f} KiB/item)")  # fmt: skip
        print(f"retrieval: cold {cold:.2f} s (embeds every item once), warm median "
              f"{statistics.median(warm) * 1000:.0f} ms over {args.queries} queries")  # fmt: skip
        print(f"top hit: {hits[0].item.labels} score {hits[0].score:.2f}")
        t = time.perf_counter()
        clusters = find_duplicates(store.list("active"), store)
        dup_s = time.perf_counter() - t
        print(f"distillation's near-duplicate search: {dup_s:.1f} s, {len(clusters)} clusters "
              f"(largest {max((len(c) for c in clusters), default=0)} shown to the arbiter)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
