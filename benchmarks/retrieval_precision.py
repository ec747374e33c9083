"""Retrieval precision on labelled (task, item) pairs: the first prompt's retrieval, gated vs ungated.

The store is one learned by real-model runs (e.g. the base store, learned by method hawk over suite
tasks); the queries are tasks the store never saw. For each task, the up-front retrieval that the
hawk method makes for its first prompt (the task's traced ops, dtypes, regimes and predicted
bottleneck; hawk.agent.knowledge.upfront_retrieve) runs twice: with structural gating (the
loop's retrieval today) and without it (the retrieval before gating). Nothing is recorded in the store.

Two steps, because the labels come from a reader, not from this code:

    python benchmarks/retrieval_precision.py pairs --kb STORE --tasks-file TASKS.txt --out pairs.jsonl
        every (task, item) either arm retrieves, with what a labeller needs: the task's reference
        source and the item as a prompt shows it. Which arm retrieved it is kept out of the text.
    python benchmarks/retrieval_precision.py score --retrieved pairs.retrieved.json --labels labels.jsonl
        labels.jsonl: {"task": ID, "item": ID, "relevant": true|false, "why": "..."} per pair (the
        labeller's {"pair": N, ...} lines are turned into these with `ids --pairs P --labels L`).
        Prints, per arm: prompts with any item, items injected, precision (relevant / injected), and
        relevant items lost by gating (recall of the gated arm against the ungated one).

TASKS.txt: one task reference per line (a suite id or a task file path).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hawk import targets
from hawk.agent.knowledge import upfront_retrieve
from hawk.knowledge.facts import task_facts
from hawk.knowledge.inject import item_block
from hawk.knowledge.store import KnowledgeStore
from hawk.tasks import resolve_task

ARMS = {"gated": True, "ungated": False}
SOURCE_CHARS = 2500  # enough of a reference for a reader to see its ops and shapes


def make_pairs(kb: Path, refs: list[str], target_name: str, base: bool) -> tuple[list[dict], dict]:
    target = targets.get(target_name)
    pairs: list[dict] = []
    retrieved: dict[str, dict[str, list[str]]] = {}
    with KnowledgeStore(kb, base=base) as store:
        for ref in refs:
            task = resolve_task(ref)
            facts = task_facts(task, target.spec())
            arms = {
                arm: upfront_retrieve(store, facts, target_name, gate=gate, record=False) for arm, gate in ARMS.items()
            }
            retrieved[task.id] = {arm: [h.item.id for h in hits] for arm, hits in arms.items()}
            seen: dict[str, object] = {}
            for hits in arms.values():
                for h in hits:
                    seen.setdefault(h.item.id, h)
            source = Path(task.path).read_text()[:SOURCE_CHARS]
            for item_id, hit in seen.items():
                pairs.append({"pair": len(pairs), "task": task.id, "item": item_id, "task_source": source,
                              "task_shape": (task.extra.get("shape_policy") or {}).get("run"),
                              "item_text": item_block(1, hit)})  # fmt: skip
    return pairs, retrieved


def score(relevant: dict[tuple[str, str], bool], retrieved: dict) -> dict:
    out = {}
    for arm in ARMS:
        injected = [(t, i) for t, per in retrieved.items() for i in per[arm]]
        known = [k for k in injected if k in relevant]
        hits = sum(relevant[k] for k in known)
        out[arm] = {"tasks": len(retrieved), "prompts_with_items": sum(bool(per[arm]) for per in retrieved.values()),
                    "injected": len(injected), "labelled": len(known), "relevant": hits,
                    "precision": round(hits / len(known), 3) if known else None}  # fmt: skip
    lost = [k for k, rel in relevant.items() if rel and k[1] in retrieved[k[0]]["ungated"]
            and k[1] not in retrieved[k[0]]["gated"]]  # fmt: skip
    kept = sum(1 for k, rel in relevant.items() if rel and k[1] in retrieved[k[0]]["gated"]
               and k[1] in retrieved[k[0]]["ungated"])  # fmt: skip
    out["relevant_lost_by_gating"] = len(lost)
    out["relevant_kept_by_gating"] = kept
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pairs")
    p.add_argument("--kb", type=Path, required=True)
    p.add_argument("--tasks-file", type=Path, required=True)
    p.add_argument("--target", default="ascend-pypto")
    p.add_argument("--base", action="store_true", help="open the store with Hawk's shipped base layer")
    p.add_argument("--out", type=Path, required=True)
    s = sub.add_parser("score")
    s.add_argument("--retrieved", type=Path, required=True)
    s.add_argument("--labels", type=Path, required=True)
    i = sub.add_parser("ids", help="the labeller's pair numbers as (task, item) ids, to keep without sources")
    i.add_argument("--pairs", type=Path, required=True)
    i.add_argument("--labels", type=Path, required=True)
    args = ap.parse_args()
    if args.cmd == "pairs":
        refs = [x.strip() for x in args.tasks_file.read_text().splitlines() if x.strip() and not x.startswith("#")]
        pairs, retrieved = make_pairs(args.kb, refs, args.target, args.base)
        args.out.write_text("".join(json.dumps(p) + "\n" for p in pairs))
        args.out.with_suffix(".retrieved.json").write_text(json.dumps(retrieved, indent=1))
        print(
            f"{len(pairs)} pairs from {len(refs)} tasks -> {args.out} (arms in {args.out.with_suffix('.retrieved.json')})"
        )
    elif args.cmd == "ids":
        pairs = {p["pair"]: p for p in _jsonl(args.pairs)}
        for d in _jsonl(args.labels):
            p = pairs[int(d["pair"])]
            print(
                json.dumps({"task": p["task"], "item": p["item"], "relevant": bool(d["relevant"]), "why": d.get("why")})
            )
    else:
        relevant = {(d["task"], d["item"]): bool(d["relevant"]) for d in _jsonl(args.labels)}
        print(json.dumps(score(relevant, json.loads(args.retrieved.read_text())), indent=1))


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


if __name__ == "__main__":
    main()
