"""The run's report: DIR/summary.json, DIR/summary.md, DIR/report.html and DIR/tasks/<task>.html.

Everything is computed from the files in DIR (run.json, unit.json per unit, experts/, kb_growth.jsonl,
the knowledge store), so `hawk report DIR` re-renders it at any time, also while a run is going on.
The HTML is self-contained: inline CSS and inline SVG plots, no script, nothing fetched.
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import hawk.bench.metrics as M
import hawk.bench.plots as plots
from hawk.bench.ablation import ablation
from hawk.bench.ablation import html as ablation_html
from hawk.bench.ablation import markdown as ablation_markdown
from hawk.bench.plan import BenchError, read_manifest, write_json
from hawk.bench.unit import UNIT_FILE, UnitRecord, load_record
from hawk.fileio import atomic_write_text
from hawk.tasks.shape_policy import shape_summary

PERCENT_COLS = ("compile_rate", "compile_rate_first", "accuracy")


@dataclass
class RunData:
    out: Path
    manifest: dict[str, Any]
    records: list[UnitRecord]
    experts: dict[str, dict[str, Any]]
    growth: list[dict[str, Any]]
    kb: dict[str, Any] = field(default_factory=dict)

    @property
    def methods(self) -> list[str]:
        return list(self.manifest.get("methods", []))


def load_run(out: Path) -> RunData:
    out = Path(out)
    manifest = read_manifest(out)
    records = []
    for method in manifest.get("methods", []):
        for unit_json in sorted((out / method).glob(f"*/s*/{UNIT_FILE}")):
            r = load_record(unit_json.parent)
            if r is not None:
                records.append(r)
    experts = {}
    for path in sorted((out / "experts").glob("*.json")):
        try:
            experts[path.stem] = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
    growth = []
    if (out / "kb_growth.jsonl").is_file():
        for line in (out / "kb_growth.jsonl").read_text().splitlines():
            try:
                growth.append(json.loads(line))
            except ValueError:
                break  # a torn last line from a crash
    return RunData(out, manifest, records, experts, growth, _kb_stats(Path(manifest.get("kb_path", ""))))


def _kb_stats(path: Path) -> dict[str, Any]:
    """Final size of the run's store and the summed effect counters of its items."""
    if not path or not path.is_file():
        return {"path": str(path), "items": 0, "by_status": {}, "effect": {}}
    from hawk.knowledge.store import KnowledgeStore

    with KnowledgeStore(path) as store:
        items = store.list()
    by_status: dict[str, int] = {}
    effect = {"retrieved": 0, "injected": 0, "passes_after": 0, "regressions": 0, "not_applied": 0, "withheld": 0}
    for i in items:
        by_status[i.status] = by_status.get(i.status, 0) + 1
        for k in effect:
            effect[k] += int(getattr(i.effect, k, 0) or 0)
    return {"path": str(path), "items": len(items), "by_status": by_status, "effect": effect}


def model_line(manifest: dict[str, Any]) -> str:
    """Who wrote the kernels, said plainly: a scripted run must never pass for an LLM's result."""
    llm = manifest.get("llm", {})
    provider = llm.get("provider")
    if provider == "scripted":
        return "SCRIPTED replies (no LLM was asked; the simulator and verdicts are real)"
    if provider == "exchange":
        return f"exchange provider: replies written into {llm.get('exchange_dir')} by a person or an agent"
    return f"model {llm.get('model')} at {llm.get('base_url')} (provider {provider})"


def timing_line(data: RunData) -> str:
    """How the run's kernel times were obtained; estimates are labelled as such everywhere."""
    if any(r.time_estimated for r in data.records) or any(e.get("time_estimated") for e in data.experts.values()):
        return ("ESTIMATED: kernel, eager and expert times come from the target's performance model "
                "(not measured); speedups compare estimates with estimates")  # fmt: skip
    return "simulated: kernel, eager and expert times come from the target's simulator (or device, mode npu)"


def summarize(data: RunData) -> dict[str, Any]:
    methods = data.methods
    m = data.manifest
    return {
        "run": {
            "out": str(data.out),
            "suite": m.get("suite"),
            "target": m.get("target"),
            "methods": methods,
            "samples": m.get("samples"),
            "tasks": m.get("tasks"),
            "budget": m.get("budget"),
            "eval": m.get("eval"),
            "llm": m.get("llm"),
            "model": model_line(m),
            "hawk_version": m.get("hawk_version"),
            "git": m.get("git"),
            "started": m.get("started"),
            "invocations": m.get("invocations"),
            "kb_path": m.get("kb_path"),
            "timing": timing_line(data),
        },  # fmt: skip
        "metrics": {k: v.to_dict() for k, v in M.by_method(data.records, data.experts, methods).items()},
        "by_level": _split_dict(M.split(data.records, data.experts, methods, lambda r: r.level)),
        "by_category": _split_dict(M.split(data.records, data.experts, methods, lambda r: r.category)),
        "experts": data.experts,
        "shapes": m.get("shape_policy") or {},  # task -> the shape policy's decision (tasks from --tasks-dir)
        "flagged": [asdict(f) for f in M.implausible([r for r in data.records if r.complete], data.experts)],
        "incomplete": [
            {"unit": r.unit.key, "stop_reason": r.stop_reason, "error": r.error} for r in data.records if not r.complete
        ],
        "knowledge": {
            "final": data.kb,
            "growth": data.growth,
            "effect": M.knowledge_effect(data.records, data.growth),
            "ablation": ablation(data.out, data.records),
        },
        "units": [asdict(r) for r in data.records],
        "definitions": M.__doc__,
    }


def _split_dict(table: dict[str, dict[str, M.Metrics]]) -> dict[str, dict[str, Any]]:
    return {g: {m: v.to_dict() for m, v in per.items()} for g, per in table.items()}


# --- formatting ----------------------------------------------------------------------------------


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def _x(v: float | None) -> str:
    return "-" if v is None else f"{v:.3g}x"


def _num(v: float | None, unit: str = "") -> str:
    if v is None:
        return "-"
    return f"{v:,.0f}{unit}" if abs(v) >= 100 else f"{v:.3g}{unit}"


METRIC_COLUMNS: list[tuple[str, str]] = [
    ("units", "units"),
    ("compile", "compile rate"),
    ("compile1", "compile (first)"),
    ("accuracy", "correct"),
    ("pass", "pass@k"),
    ("fast_0", "fast_0"),
    ("fast_1", "fast_1"),
    ("fast_1.5", "fast_1.5"),
    ("fast_2", "fast_2"),
    ("gm", "geomean speedup vs eager"),
    ("gme", "geomean speedup vs expert"),
    ("bound", "best / bound (geomean)"),
    ("roof", "best / roofline (geomean)"),
    ("tok", "tokens / unit"),
    ("pts", "sim points / unit"),
    ("wall", "wall s / unit"),
    ("flag", ">10x flagged"),
]


def metric_cells(v: dict[str, Any]) -> list[str]:
    passes = ", ".join(f"{k} {_pct(x)}" for k, x in v["pass_at"].items()) or "-"
    return [
        f"{v['units']}" + (f" (+{v['incomplete']} incomplete)" if v["incomplete"] else ""),
        _pct(v["compile_rate"]),
        _pct(v["compile_rate_first"]),
        _pct(v["accuracy"]),
        passes,
        *(_pct(v["fast"].get(k)) for k in ("fast_0", "fast_1", "fast_1.5", "fast_2")),
        _x(v["geomean_speedup"]) + (f" (n={v['speedup_n']})" if v["speedup_n"] else ""),
        _x(v["geomean_speedup_expert"]) + (f" (n={v['speedup_expert_n']})" if v["speedup_expert_n"] else ""),
        _x(v.get("geomean_bound_ratio")) + (f" (n={v['bound_n']})" if v.get("bound_n") else ""),
        _x(v.get("geomean_roofline_ratio")) + (f" (n={v['roofline_n']})" if v.get("roofline_n") else ""),
        _num(v["tokens_per_unit"]),
        _num(v.get("sim_points_per_unit")),
        _num(v["wall_s_per_unit"]),
        str(v["flagged"]),
    ]


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def search_text(budget: dict[str, Any]) -> str:
    """Which kernel each step rewrote (a run from before `search` existed used the chain)."""
    if budget.get("search") == "population":
        return f"search population ({budget.get('population')} structures, UCB1)"
    return "search chain"


def render_markdown(s: dict[str, Any]) -> str:
    run = s["run"]
    budget = run["budget"] or {}
    parts = [
        f"# Benchmark: {run['suite']} on {run['target']}",
        "",
        f"- Kernels written by: **{run['model']}**",
        f"- Methods: {', '.join(run['methods'])}; {len(run['tasks'] or [])} tasks x {run['samples']} sample(s)",
        f"- Budget per unit (same for every method): {budget.get('iterations')} iterations, "
        f"token budget {budget.get('max_tokens') or 'none'}, wall budget {budget.get('wall_s') or 'none'} s, "
        f"{search_text(budget)}; {(run['eval'] or {}).get('seeds')} seeds per evaluation",
        f"- Times: {run['timing']}",
        f"- Hawk {run['hawk_version']}, commit {(run['git'] or {}).get('commit', 'unknown')}, started {run['started']}",
        "",
        "## Methods",
        "",
        _md_table(
            ["method"] + [h for _, h in METRIC_COLUMNS], [[m] + metric_cells(v) for m, v in s["metrics"].items()]
        ),
    ]
    for title, key in (("By level", "by_level"), ("By category", "by_category")):
        rows = [[g, m] + metric_cells(v) for g, per in s[key].items() for m, v in per.items() if v["units"]]
        parts += ["", f"## {title}", "", _md_table([key[3:], "method"] + [h for _, h in METRIC_COLUMNS], rows)]
    parts += shapes_markdown(s.get("shapes") or {})
    parts += ["", "## Flagged for inspection (implausible speedups)", ""]
    parts += [f"- {f['unit']}: {f['speedup']}x over {f['over']} ({f['reason']})" for f in s["flagged"]] or ["- none"]
    kb = s["knowledge"]["final"]
    parts += ["", "## Knowledge", "", f"- store {kb.get('path')}: {kb.get('items', 0)} items {kb.get('by_status', {})}, "
              f"effect counters {kb.get('effect', {})}"]  # fmt: skip
    for m, e in s["knowledge"]["effect"].items():
        parts.append(f"- {m}: correct {_pct(e['first_half_accuracy'])} in the first half of its finished units, "
                     f"{_pct(e['second_half_accuracy'])} in the second")  # fmt: skip
    parts += ablation_markdown(s["knowledge"].get("ablation") or {})
    if s["incomplete"]:
        parts += ["", "## Incomplete units (rerun the same command to resume them)", ""]
        parts += [f"- {i['unit']}: {i['error'] or i['stop_reason']}" for i in s["incomplete"]]
    parts += ["", "## Definitions", "", s["definitions"].strip()]
    return "\n".join(parts) + "\n"


def shapes_markdown(shapes: dict[str, dict[str, Any]]) -> list[str]:
    """The shape each task ran at, where the shape policy changed it (hawk/tasks/shape_policy.py)."""
    if not shapes:
        return []
    changed = {t: d for t, d in shapes.items() if d.get("rule") != "original"}
    lines = ["", "## Shapes run", "", f"{len(shapes) - len(changed)} of {len(shapes)} tasks ran at the shape "
             "their file sets; the others (the shape policy, docs/kernelbench.md):", ""]  # fmt: skip
    return lines + [f"- {t}: {shape_summary(d)} ({d.get('reason', '')})" for t, d in changed.items()]


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0;font-size:.88em;display:block;overflow-x:auto;max-width:100%}th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child,td.l{text-align:left}
.banner{background:#fff3cd;border:1px solid #e0c36c;padding:.5em 1em;font-weight:bold}
.pass{color:#070}.fail{color:#b00}.muted{color:#777}pre{background:#f7f7f7;padding:.6em;overflow:auto;font-size:.85em}
figure{margin:1em 0}svg.plot{max-width:100%;height:auto}
"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _html_table(table_id: str, header: list[str], rows: list[tuple[dict[str, str], list[str]]]) -> str:
    """rows: (attributes of the <tr>, cells already escaped/HTML)."""
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr"
        + "".join(f' {k}="{_e(v)}"' for k, v in attrs.items())
        + ">"
        + "".join(f"<td>{c}</td>" for c in cells)
        + "</tr>"
        for attrs, cells in rows
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f"<style>{_CSS}</style></head><body>{body}</body></html>\n")  # fmt: skip


def _banner(s: dict[str, Any]) -> str:
    provider = (s["run"]["llm"] or {}).get("provider")
    cls = "banner" if provider == "scripted" else "muted"
    return (f'<p class="{cls}" id="model">Kernels written by: {_e(s["run"]["model"])}</p>'
            f'<p id="timing">Times: {_e(s["run"]["timing"])}</p>')  # fmt: skip


def render_html(s: dict[str, Any], data: RunData) -> str:
    run = s["run"]
    kb = s["knowledge"]["final"]
    effect = "".join(
        f"<li>{_e(m)}: correct {_pct(e['first_half_accuracy'])} in the first half of its finished units, "
        f"{_pct(e['second_half_accuracy'])} in the second</li>"
        for m, e in s["knowledge"]["effect"].items()
    )
    flagged = "".join(f"<li>{_e(f['unit'])}: {_e(f['speedup'])}x over {_e(f['over'])} ({_e(f['reason'])})</li>"
                      for f in s["flagged"]) or "<li>none</li>"  # fmt: skip
    incomplete = ""
    if s["incomplete"]:
        incomplete = (
            "<h2>Incomplete units</h2><p>Rerun the same command to resume them.</p><ul>"
            + "".join(f"<li>{_e(i['unit'])}: {_e(i['error'] or i['stop_reason'])}</li>" for i in s["incomplete"])
            + "</ul>"
        )
    body = (
        f"<h1>Benchmark: {_e(run['suite'])} on {_e(run['target'])}</h1>{_banner(s)}"
        f"<h2>Methods</h2>{_method_tables_html(s)}<h2>Plots</h2>{_figures_html(s, data)}"
        f'<h2>Flagged for inspection</h2><ul id="flagged">{flagged}</ul>'
        f"<h2>Knowledge</h2><p>Store {_e(kb.get('path'))}: {_e(kb.get('items', 0))} items {_e(kb.get('by_status', {}))}; "
        f"effect counters {_e(kb.get('effect', {}))}.</p><ul>{effect}</ul>{ablation_html(s['knowledge'].get('ablation'))}"
        f"{incomplete}<h2>Tasks</h2>{_tasks_table_html(s, data)}<h2>Run</h2>{_settings_html(run)}"
        f"<h2>Definitions</h2><pre>{_e(s['definitions'].strip())}</pre>"
    )
    return _page(f"Hawk benchmark {run['suite']}", body)


def _method_tables_html(s: dict[str, Any]) -> str:
    """The headline per method, then the same split by level and by category."""
    header = ["method"] + [h for _, h in METRIC_COLUMNS]
    html = _html_table(
        "methods",
        header,
        [({"data-method": m}, [_e(m)] + [_e(c) for c in metric_cells(v)]) for m, v in s["metrics"].items()],
    )
    for title, key in (("By level", "by_level"), ("By category", "by_category")):
        rows = [({"data-group": g, "data-method": m}, [_e(g), _e(m)] + [_e(c) for c in metric_cells(v)])
                for g, per in s[key].items() for m, v in per.items() if v["units"]]  # fmt: skip
        html += f"<h2>{title}</h2>" + _html_table(key, [key[3:], "method"] + header[1:], rows)
    return html


def _figures_html(s: dict[str, Any], data: RunData) -> str:
    speedups = {m: [r.speedup for r in data.records if r.method == m and r.complete and r.passed and r.speedup]
                for m in data.methods}  # fmt: skip
    acc_cat = {g: {m: v["accuracy"] for m, v in per.items()} for g, per in s["by_category"].items()}
    acc_lvl = {f"level {g}": {m: v["accuracy"] for m, v in per.items()} for g, per in s["by_level"].items()}
    return "".join(
        f"<figure>{svg}</figure>"
        for svg in (
            plots.speedup_distribution(speedups),
            plots.accuracy_by_group(acc_cat, "plot-accuracy-category", "category"),
            plots.accuracy_by_group(acc_lvl, "plot-accuracy-level", "level"),
            plots.knowledge_growth(s["knowledge"]["growth"]),
        )
    )


def _tasks_table_html(s: dict[str, Any], data: RunData) -> str:
    """One row per task: each method's units, the expert kernel, and the shape run when it was reduced."""
    task_rows = []
    for t in s["run"]["tasks"] or []:
        cells = [f'<a href="tasks/{_e(t)}.html">{_e(t)}</a>']
        for m in data.methods:
            cells.append(_unit_cell([r for r in data.records if r.method == m and r.task == t]))
        e = s["experts"].get(t)
        cells.append(_e(f"{e['status']}, {e.get('time_us')} us") if e else "-")
        if s.get("shapes"):
            d = s["shapes"].get(t)
            cells.append(_e(f"{shape_summary(d)}: {d.get('reason', '')}" if d else "as written"))
        task_rows.append(({"data-task": t}, cells))
    shape_col = ["shape run (why)"] if s.get("shapes") else []
    return _html_table("tasks", ["task"] + data.methods + ["expert kernel"] + shape_col, task_rows)


def _settings_html(run: dict[str, Any]) -> str:
    budget = run["budget"] or {}
    return _html_table("settings", ["setting", "value"], [
        ({}, [_e(k), f'<span class="l">{_e(v)}</span>']) for k, v in (
            ("suite / target", f"{run['suite']} / {run['target']}"),
            ("samples per (method, task)", run["samples"]),
            ("budget per unit (every method)", f"{budget.get('iterations')} iterations, token budget "
             f"{budget.get('max_tokens') or 'none'}, wall budget {budget.get('wall_s') or 'none'} s, "
             f"{search_text(budget)}"),
            ("evaluation", json.dumps(run["eval"])),
            ("LLM settings (no secrets)", json.dumps(run["llm"])),
            ("hawk", f"{run['hawk_version']}, git {json.dumps(run['git'])}"),
            ("started", run["started"]),
            ("invocations", len(run["invocations"] or [])),
        )
    ])  # fmt: skip


def _unit_cell(rs: list[UnitRecord]) -> str:
    if not rs:
        return '<span class="muted">not run</span>'
    parts = []
    for r in sorted(rs, key=lambda r: r.sample):
        if not r.complete:
            parts.append('<span class="muted">incomplete</span>')
        elif r.passed:
            parts.append(f'<span class="pass">pass {_x(r.speedup)}</span>')
        else:
            parts.append(f'<span class="fail">{_e(r.statuses[-1] if r.statuses else "no step")}</span>')
    return " / ".join(parts)


def render_task_page(task: str, s: dict[str, Any], data: RunData) -> str:
    rows, blocks = [], []
    for r in sorted((r for r in data.records if r.task == task), key=lambda r: (r.method, r.sample)):
        rel = f"../{r.method}/{task}/s{r.sample}"
        d = r.unit.dir(data.out)
        links = [f'<a href="{rel}/{name}">{name}</a>' for name in
                 ("best_kernel.py", "best_verdict.json", "trajectory.jsonl", "summary.json", "log.txt")
                 if (d / name).exists()]  # fmt: skip
        if r.swimlane and (d / r.swimlane).exists():
            links.append(f'<a href="{rel}/{r.swimlane}">swimlane</a>')
        rows.append(({"data-method": r.method}, [
            _e(r.method), str(r.sample), _e(", ".join(r.statuses)),
            '<span class="pass">pass</span>' if r.passed else '<span class="fail">no</span>',
            _num(r.best_time_us, " us"), _x(r.speedup), _x(M.expert_speedup(r, data.experts)),
            _x(r.bound_ratio), _x(r.roofline_ratio), _num(r.total_tokens), _num(r.sim_points), _num(r.wall_s, " s"),
            _e(r.stop_reason), " ".join(links),
        ]))  # fmt: skip
        if (d / "best_kernel.py").exists():
            if r.swimlane and (d / r.swimlane).exists():
                img = (f'<p><a href="{rel}/{r.swimlane}"><img src="{rel}/{r.swimlane}" alt="swimlane of the best kernel" '
                       'style="max-width:100%;max-height:480px"></a></p>')  # fmt: skip
            else:
                img = '<p class="muted">swimlane not drawn (hawk bench --swimlane draws one per correct unit)</p>'
            blocks.append(f"<h3>{_e(r.method)} sample {r.sample}: best kernel</h3>"
                          f"<pre>{_e((d / 'best_kernel.py').read_text())}</pre>{img}")  # fmt: skip
    e = s["experts"].get(task)
    how = "estimated" if e and e.get("time_estimated") else "simulated"
    expert = f"<p>Expert kernel: {_e(e['status'])}, {_e(e.get('time_us'))} us {how}.</p>" if e else ""
    header = ["method", "sample", "statuses per step", "correct", "best time", "vs eager", "vs expert",
              "best / bound", "best / roofline", "tokens", "sim points", "wall", "stopped", "files"]  # fmt: skip
    body = (f'<p><a href="../report.html">back to the run</a></p><h1>{_e(task)}</h1>{_banner(s)}{expert}'
            + _html_table("units", header, rows) + "".join(blocks))  # fmt: skip
    return _page(f"{task}: Hawk benchmark", body)


def render(out: Path) -> dict[str, Path]:
    """Write summary.json, summary.md, report.html and tasks/*.html; returns their paths."""
    out = Path(out)
    data = load_run(out)
    s = summarize(data)
    paths = {"json": out / "summary.json", "md": out / "summary.md", "html": out / "report.html"}
    write_json(paths["json"], s)
    _write(paths["md"], render_markdown(s))
    _write(paths["html"], render_html(s, data))
    for t in s["run"]["tasks"] or []:
        _write(out / "tasks" / f"{t}.html", render_task_page(t, s, data))
    return paths


def _write(path: Path, text: str) -> None:
    atomic_write_text(path, text)


# --- two runs side by side ---------------------------------------------------------------------


def render_compare(dirs: list[Path], out: Path) -> dict[str, Path]:
    """compare.html and compare.md: each run's method table side by side, and per-task outcomes."""
    if len(dirs) < 2:
        raise BenchError("--compare needs two run directories")
    runs = [load_run(Path(d)) for d in dirs]
    sums = [summarize(r) for r in runs]
    labels = _labels([Path(d) for d in dirs])
    header = ["run", "method", *[h for _, h in METRIC_COLUMNS]]
    rows = [(lab, m, metric_cells(v)) for lab, s in zip(labels, sums, strict=True) for m, v in s["metrics"].items()]
    md = [f"# Compare: {' vs '.join(labels)}", ""]
    md += [
        f"- {lab}: {s['run']['suite']} on {s['run']['target']}; {s['run']['model']}"
        for lab, s in zip(labels, sums, strict=True)
    ]
    md += ["", _md_table(header, [[lab, m, *c] for lab, m, c in rows])]
    tasks = sorted({t for s in sums for t in (s["run"]["tasks"] or [])})
    methods = sorted({m for r in runs for m in r.methods})
    task_rows = []
    for t in tasks:
        cells = [_e(t)]
        for m in methods:
            for r in runs:
                cells.append(_unit_cell([u for u in r.records if u.method == m and u.task == t]))
        task_rows.append(({"data-task": t}, cells))
    task_header = ["task"] + [f"{m} ({lab})" for m in methods for lab in labels]
    acc = {lab: {m: v["accuracy"] for m, v in s["metrics"].items()} for lab, s in zip(labels, sums, strict=True)}
    gm = {lab: {m: v["geomean_speedup"] for m, v in s["metrics"].items()} for lab, s in zip(labels, sums, strict=True)}
    runs_list = "".join(f"<li>{_e(lab)}: {_e(s['run']['out'])}: {_e(s['run']['suite'])} on {_e(s['run']['target'])}; "
                        f"{_e(s['run']['model'])}</li>" for lab, s in zip(labels, sums, strict=True))  # fmt: skip
    body = (
        f'<h1>Compare: {_e(" vs ".join(labels))}</h1><ul id="runs">{runs_list}</ul><h2>Methods</h2>'
        + _html_table(
            "methods",
            header,
            [({"data-run": lab, "data-method": m}, [_e(lab), _e(m)] + [_e(x) for x in c]) for lab, m, c in rows],
        )  # fmt: skip
        + f"<h2>Plots</h2><figure>{plots.compare_bars(acc, 'correctness rate', 'plot-compare-accuracy')}</figure>"
        + f"<figure>{plots.compare_bars(gm, 'geomean speedup over eager', 'plot-compare-speedup')}</figure>"
        + "<h2>Tasks</h2>"
        + _html_table("tasks", task_header, task_rows)
    )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"html": out / "compare.html", "md": out / "compare.md"}
    _write(paths["html"], _page("Hawk benchmark comparison", body))
    _write(paths["md"], "\n".join(md) + "\n")
    return paths


def _labels(dirs: list[Path]) -> list[str]:
    names = [d.resolve().name for d in dirs]
    if len(set(names)) == len(names):
        return names
    return [str(d) for d in dirs]
