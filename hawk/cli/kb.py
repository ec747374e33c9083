"""`hawk kb`: inspect and manage the knowledge store (SQLite at ~/.cache/hawk/knowledge.db, or --kb)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hawk.cli import options as opt
from hawk.cli.tables import fit, print_records

app = typer.Typer(add_completion=False, no_args_is_help=True, help="The knowledge store.")
console = Console(soft_wrap=True)  # a message is one line at any width; tables fit the width
err = Console(stderr=True, soft_wrap=True)
LayerOption = Annotated[str | None, typer.Option("--layer", help="base (shipped with Hawk) or user; default both")]


def _store(path: Path | None):
    from hawk.knowledge.store import KnowledgeStore, StoreError

    try:
        return KnowledgeStore(path, base=True)
    except StoreError as exc:
        _fail(str(exc))


def _fail(message: str) -> None:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(2)


@app.command("stats")
def stats(kb: opt.Kb = None, as_json: opt.AsJson = False) -> None:
    """Items by status and by label, the store's size on disk, and the injections' effect."""
    summary = _stats(_store(kb))
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    console.print(f"{summary['store']}: {summary['items']} items ({summary['by_status']}), "
                  f"{summary['size_kib']} KiB on disk", highlight=False)  # fmt: skip
    for layer, n in summary["layers"].items():
        what = "shipped with Hawk, read-only" if layer == "base" else "learned by your runs"
        console.print(f"  layer {layer}: {n['items']} items, {n['proven']} proven ({what})")
    for label, n in summary["active_by_label"].items():
        console.print(f"  {label}: {n} active")
    e = summary["effect"]
    if e["not_applied"]:
        console.print(f"not applied: {e['not_applied']} injections the step's change ignored "
                      f"({e['not_applied_passes']} passed anyway); they credit nothing")  # fmt: skip
    if e["withheld"]:
        console.print(f"ablation: {e['withheld']} retrievals withheld, {e['withheld_passes']} of those steps "
                      "helped anyway")  # fmt: skip
    if summary["general"]:
        console.print(f"general: {summary['general']} proven items passed on two or more tasks")
    if e["items_injected"]:
        console.print(f"effect: {e['injected']} injections of {e['items_injected']} items, {e['passes_after']} "
                      "followed by a pass or speed-up (applied injections: the step's change touched what the "
                      "item's change touched)")  # fmt: skip
        for i in summary["most_helpful"]:  # one line each, cut to the terminal's width
            line = f"  {i['id']} [{i['status']}] helped {i['passes_after']} of {i['injected']}: {i['rationale']}"
            console.print(fit(line, console.width), highlight=False, markup=False)


def _stats(store) -> dict:
    items = store.list()
    size = sum(p.stat().st_size for p in store.path.parent.glob(store.path.name + "*"))
    used = [i for i in items if i.effect.injected]
    best = sorted(used, key=lambda i: (-(i.effect.passes_after + 1) / (i.effect.injected + 2), i.id))[:5]
    return {
        "store": str(store.path), "items": len(items), "by_status": dict(Counter(i.status for i in items)),
        "size_kib": round(size / 1024),
        "active_by_label": dict(Counter(lb for i in items if i.status == "active" for lb in i.labels).most_common()),
        "general": sum(1 for i in items if i.general and i.status in ("active", "demoted")),
        "layers": {layer: {"items": len(mine := store.list(layer=layer)),
                           "proven": sum(1 for i in mine if i.status in ("active", "demoted"))}
                   for layer in store.layers},
        "effect": {
            "items_injected": len(used), "injected": sum(i.effect.injected for i in used),
            "passes_after": sum(i.effect.passes_after for i in used),
            "not_applied": sum(i.effect.not_applied for i in items),
            "not_applied_passes": sum(i.effect.not_applied_passes for i in items),
            "withheld": sum(i.effect.withheld for i in items),
            "withheld_passes": sum(i.effect.withheld_passes for i in items),
        },
        "most_helpful": [{"id": i.id, "status": i.status, "passes_after": i.effect.passes_after,
                          "injected": i.effect.injected, "rationale": i.rationale} for i in best],
    }  # fmt: skip


@app.command("list")
def list_cmd(
    status: Annotated[str | None, typer.Option(help="active, candidate, merged, pruned")] = None,
    kb: opt.Kb = None,
    as_json: opt.AsJson = False,
) -> None:
    """One line per item (helped: passes or speed-ups after / applied injections); `show ID` prints one whole."""
    records = []
    for i in _store(kb).list(status):
        e = i.effect
        records.append({"id": i.id, "status": i.status, "helped": f"{e.passes_after}/{e.injected}",
                        "labels": i.labels, "trigger": i.trigger.signature or f"perf: {i.trigger.bottleneck}",
                        "retrieved": e.retrieved, "injected": e.injected, "passes_after": e.passes_after,
                        "rationale": i.rationale})  # fmt: skip
    print_records(console, records, ["id", "status", "helped", "labels", "trigger"], {"labels", "trigger"}, as_json)


@app.command("show")
def show(item_id: str, kb: opt.Kb = None) -> None:
    """The whole item as JSON, with its history, and its effects read out (applied vs not applied)."""
    try:
        item = _store(kb).get(item_id)
    except KeyError:
        _fail(f"no knowledge item '{item_id}'")
    e = item.effect
    data = item.to_dict()
    data["effects_read"] = {
        "applied": f"helped {e.passes_after} of {e.injected} applied injections ({e.regressions} failures or slowdowns)",
        "not_applied": f"{e.not_applied} injections not applied ({e.not_applied_passes} passed anyway)",
        "withheld": f"{e.withheld} retrievals withheld by the ablation ({e.withheld_passes} helped anyway)",
    }
    print(json.dumps(data, indent=2, default=str))


@app.command("search")
def search(
    text: Annotated[str | None, typer.Argument(help="error text to search for")] = None,
    code: Annotated[Path | None, typer.Option(help="kernel file: the syntactic query")] = None,
    error: Annotated[str | None, typer.Option(help="error or hardware reason: the semantic query")] = None,
    k: Annotated[int, typer.Option(min=1)] = 5,
    gate: Annotated[bool, typer.Option(help="leave out items whose preconditions the code fails")] = True,
    kb: opt.Kb = None,
    as_json: opt.AsJson = False,
) -> None:
    """2D retrieval: syntactic (code) x hardware-semantic (error/profile) scores, and why each matched."""
    from hawk.knowledge import retrieve

    if code is not None and not code.is_file():
        _fail(f"code file not found: {code}")
    query_code = code.read_text() if code else ""
    query_error = error or text
    if not query_code and not query_error:
        _fail("give error text, or --code FILE and/or --error TEXT")
    hits = retrieve(_store(kb), query_code, query_error, None, k=k, record=False, gate=gate)
    if as_json:
        print_records(console, [{"id": h.item.id, "score": round(h.score, 4), "syntactic": round(h.syntactic_score, 4),
                                 "semantic": round(h.semantic_score, 4), "labels": h.item.labels, "why": h.why,
                                 "rationale": h.item.rationale} for h in hits], [], set(), as_json=True)  # fmt: skip
        return
    if not hits:
        console.print("no active knowledge matches")
    for h in hits:
        console.print(f"{h.item.id}  score {h.score:.2f} (syntactic {h.syntactic_score:.2f}, "
                      f"semantic {h.semantic_score:.2f})  {','.join(h.item.labels)}", highlight=False)  # fmt: skip
        console.print(f"    why: {h.why}", highlight=False)


@app.command("export")
def export(path: Path, kb: opt.Kb = None, layer: LayerOption = None) -> None:
    """Write every item (any status) as JSON lines; `--layer base`: a new base file (hawk.knowledge.base_layer)."""
    if layer not in (None, "base", "user"):
        _fail(f"--layer {layer!r}: base or user")
    n = _store(kb).export_jsonl(path, layer=layer)
    console.print(f"exported {n} items to {path}")


@app.command("learn")
def learn(
    run: Annotated[Path, typer.Argument(help="a run folder with trajectory.jsonl (hawk generate --out, a bench unit)")],
    task: opt.TaskRef,
    target: opt.Target = "ascend-pypto",
    seeds: opt.Seeds = 3,
    kb: opt.Kb = None,
) -> None:
    """Learn from a finished run of any method: its repairs, speed-ups and tuned kernels become items,
    each proven on the target again before it is stored (rules label and explain them; no LLM)."""
    from hawk import targets
    from hawk.knowledge.synthesis import synthesize_from_steps
    from hawk.records.trajectory import Trajectory
    from hawk.targets.base import EvalOptions
    from hawk.tasks import TaskError, resolve_task

    if not (run / "trajectory.jsonl").is_file():
        _fail(f"{run}: no trajectory.jsonl (give the folder of a hawk generate run or a bench unit)")
    try:
        the_task, the_target = resolve_task(task), targets.get(target)
    except (TaskError, KeyError) as exc:
        _fail(str(exc).strip("'\""))
    options = EvalOptions(seeds=seeds)
    with _store(kb) as store:
        try:
            created = synthesize_from_steps(Trajectory(run / "trajectory.jsonl").steps, the_task, the_target, store,
                                            run_id=str(run), eval_options=options)  # fmt: skip
        except ValueError as exc:  # a lesson whose fix is the task's expert kernel: nothing is stored
            _fail(str(exc))
    for it in created:
        console.print(f"{it.id} [{it.status}] {','.join(it.labels) or '-'}: {it.rationale}", highlight=False,
                      markup=False)  # fmt: skip
    console.print(f"{len(created)} new item(s) from {run}", highlight=False)


@app.command("import")
def import_cmd(path: Path, kb: opt.Kb = None) -> None:
    """Merge items from JSON lines; duplicates (same signature, labels and fix) are merged, not added."""
    if not path.is_file():
        _fail(f"file not found: {path}")
    try:
        counts = _store(kb).import_jsonl(path)
    except (ValueError, KeyError, TypeError) as exc:
        _fail(f"{path} is not a Hawk knowledge export: {exc}")
    console.print(f"imported from {path}: {counts}")


@app.command("prune")
def prune(item_id: str, why: Annotated[str, typer.Option("--why", help="the reason, kept with the item")],
          kb: opt.Kb = None) -> None:  # fmt: skip
    """Mark an item pruned (it stays recoverable, with the reason)."""
    try:
        item = _store(kb).set_status(item_id, "pruned", why)
    except KeyError:
        _fail(f"no knowledge item '{item_id}'")
    console.print(f"{item.id}: pruned ({why})")


@app.command("distill")
@opt.llm_options
def distill_cmd(
    kb: opt.Kb = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="rules arbitrate duplicates instead of an LLM")] = False,
    seeds: opt.Seeds = 3,
    reverify: Annotated[bool, typer.Option(help="first re-run every proven item's fix on the target")] = False,
    *,
    llm: opt.LlmArgs,  # the LLM options (opt.llm_options adds them)
) -> None:
    """Demote/prune items by measured effect; merge near-duplicates (LLM arbitration, re-verified on the target)."""
    from hawk.knowledge.distill import distill, reverify_items
    from hawk.llm import LLMError, make_llm
    from hawk.targets.base import EvalOptions

    arbiter = None
    if not no_llm:
        try:
            arbiter = make_llm(llm.settings())
        except LLMError as exc:
            _fail(f"{exc} (or pass --no-llm to let rules arbitrate)")
    if reverify:
        outcome = reverify_items(_store(kb), EvalOptions(seeds=seeds), log=lambda m: console.print(m, highlight=False))
        failed = [i for i, status in outcome.items() if status != "pass"]
        console.print(f"re-verified {len(outcome)} item(s); {len(failed)} no longer pass and became candidates")
    report = distill(
        _store(kb), arbiter, eval_options=EvalOptions(seeds=seeds), log=lambda m: console.print(m, highlight=False)
    )
    for entry in report.merged:
        console.print(
            f"merged {entry['sources']} -> {entry['into']} ({entry['arbiter']}: {entry['reason']})", highlight=False
        )
    for entry in report.pruned:
        console.print(f"pruned {entry['id']}: {entry['reason']}", highlight=False)
    for item_id in report.demoted:
        console.print(f"demoted {item_id}", highlight=False)


@app.command("restore")
def restore(item_id: str, why: Annotated[str, typer.Option("--why", help="the reason, kept with the item")],
            kb: opt.Kb = None) -> None:  # fmt: skip
    """Bring a pruned, merged or demoted item back: active if its proof passed, else a candidate."""
    store = _store(kb)
    try:
        item = store.get(item_id)
    except KeyError:
        _fail(f"no knowledge item '{item_id}'")
    status = "active" if item.proof_passed else "candidate"
    item = store.set_status(item_id, status, f"restored: {why}")
    console.print(f"{item.id}: {item.status} ({why})")
