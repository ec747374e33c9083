"""The benchmark report rendered in headless Chromium (Debian's chromium package; scripts/setup.sh
installs it): the method table, the split tables, the plots and the task pages are in the DOM, and
the page fetches nothing. Built from a hand-made run directory, so no simulator is needed here."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hawk.bench.plan import write_json
from hawk.bench.report import render, render_compare
from hawk.bench.unit import UnitRecord

# The real-tools tier (simulator, compilers, browser): `pytest -m 'not sim'` runs the logic tier alone.
pytestmark = pytest.mark.sim

METHODS = ["hawk", "feedback", "oneshot"]
TASKS = {"l1_silu": (1, "activation"), "l2_rmsnorm": (2, "normalization"), "l3_attn": (3, "attention")}


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "chromium is not installed: run scripts/setup.sh (it installs Debian's chromium package)"
    return exe


def dump_dom(page: Path) -> str:
    """The DOM after Chromium has parsed and laid out the page (plots included)."""
    proc = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--virtual-time-budget=2000", "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0 and "<html" in proc.stdout, proc.stderr[-2000:]
    return proc.stdout


def make_run(out: Path, provider: str = "scripted", speedup_scale: float = 1.0) -> None:
    out.mkdir(parents=True)
    write_json(out / "run.json", {
        "format": 1, "suite": "mini", "target": "ascend-pypto", "methods": METHODS, "samples": 1,
        "tasks": list(TASKS), "budget": {"iterations": 2, "max_tokens": None, "wall_s": None},
        "eval": {"seeds": 1}, "llm": {"provider": provider, "model": "m-1", "base_url": "http://127.0.0.1:1/v1",
                                      "api_key": "***"},
        "kb_path": str(out / "knowledge.sqlite"), "hawk_version": "0.1.0", "git": None,
        "started": "2026-01-01T00:00:00", "invocations": [{"backend": "local", "workers": 2}],
    })  # fmt: skip
    growth = []
    for i, (task, (level, cat)) in enumerate(TASKS.items()):
        write_json(out / "experts" / f"{task}.json", {"task": task, "status": "pass", "time_us": 10.0})
        for j, m in enumerate(METHODS):
            passed = j <= i % 3  # hawk passes everything, oneshot only the last task
            speedup = round((1.0 + i + 0.5 * j) * speedup_scale, 3) if passed else None
            if task == "l3_attn" and m == "hawk":
                speedup = 14.0  # implausible: must be flagged
            d = out / m / task / "s0"
            d.mkdir(parents=True)
            if passed:
                (d / "best_kernel.py").write_text("import pypto\n\ndef kernel(x, out):\n    out.move(x)  # <&>\n")
            (d / "trajectory.jsonl").write_text("{}\n")
            statuses = ["compile_error", "pass"] if passed else ["compile_error", "wrong_result"]
            rec = UnitRecord(method=m, task=task, sample=0, level=level, category=cat, complete=True,
                             stop_reason="iterations", steps=2, statuses=statuses, first_compiled=False,
                             any_compiled=True, passed=passed, best_time_us=5.0 if passed else None,
                             speedup=speedup, total_tokens=1000 + j, wall_s=12.0)  # fmt: skip
            write_json(d / "unit.json", rec.__dict__)
            growth.append({"unit": rec.unit.key, "method": m, "items": len(growth) // 2, "active": len(growth) // 3})
    (out / "kb_growth.jsonl").write_text("".join(json.dumps(g) + "\n" for g in growth))


def test_report_renders_in_chromium(tmp_path: Path):
    run = tmp_path / "run"
    make_run(run)
    paths = render(run)
    page = paths["html"].read_text()
    # Self-contained: no script, stylesheet, image or font is fetched from anywhere.
    assert not re.search(r"<script|<link|@import|url\((?!#)|src=\"https?:|href=\"https?:", page)  # url(#id): in-page
    dom = dump_dom(paths["html"])
    methods_table = re.search(r'<table id="methods">.*?</table>', dom, re.S).group(0)
    for m in METHODS:
        assert f'<tr data-method="{m}">' in methods_table
    assert len(re.findall(r"<tr data-group=", dom)) == 2 * 3 * 3  # level and category tables: 3 groups x 3 methods
    for plot in ("plot-speedup", "plot-accuracy-category", "plot-accuracy-level", "plot-knowledge"):
        svg = re.search(rf'<svg id="{plot}"[^>]*>.*?</svg>', dom, re.S)
        assert svg and len(re.findall(r"<path", svg.group(0))) > 3, plot  # drawn, not an empty frame
    assert "SCRIPTED replies (no LLM was asked" in dom  # a scripted run never passes for an LLM's result
    assert re.search(r'<ul id="flagged"><li>hawk/l3_attn/s0: 14\.0x over eager', dom)
    # The hawk row: 3/3 correct; speedups 1, 2, 14 -> geomean 14^(1/3) * 2^(1/3) = 3.04
    hawk_row = re.search(r'<tr data-method="hawk">(.*?)</tr>', methods_table, re.S).group(1)
    assert "100.0%" in hawk_row and "3.04x (n=3)" in hawk_row
    # A page per task, linking its best kernel and trajectory, with the kernel shown escaped.
    task_dom = dump_dom(run / "tasks" / "l1_silu.html")
    assert (
        'href="../hawk/l1_silu/s0/best_kernel.py"' in task_dom
        and 'href="../hawk/l1_silu/s0/trajectory.jsonl"' in task_dom
    )
    assert "# &lt;&amp;&gt;" in task_dom and 'href="../report.html"' in task_dom
    md = paths["md"].read_text()
    assert "| hawk | 3 |" in md and "## By category" in md
    summary = json.loads(paths["json"].read_text())
    assert summary["metrics"]["oneshot"]["accuracy"] == pytest.approx(1 / 3)
    assert summary["run"]["llm"]["api_key"] == "***"
    assert '<p id="timing">Times: simulated' in dom  # ascend-pypto: the simulator's times


def test_estimated_times_are_labelled(tmp_path: Path):
    run = tmp_path / "run"
    make_run(run)
    unit = run / "hawk" / "l1_silu" / "s0" / "unit.json"
    unit.write_text(json.dumps({**json.loads(unit.read_text()), "time_estimated": True}))  # an ascend-triton unit
    paths = render(run)
    assert (
        "Times: ESTIMATED" in paths["md"].read_text() and '<p id="timing">Times: ESTIMATED' in paths["html"].read_text()
    )


def test_compare_two_runs_side_by_side(tmp_path: Path):
    make_run(tmp_path / "base", provider="openai")
    make_run(tmp_path / "better", provider="openai", speedup_scale=2.0)
    paths = render_compare([tmp_path / "base", tmp_path / "better"], tmp_path / "cmp")
    dom = dump_dom(paths["html"])
    for run in ("base", "better"):
        for m in METHODS:
            assert f'<tr data-run="{run}" data-method="{m}">' in dom
    assert '<svg id="plot-compare-accuracy"' in dom and '<svg id="plot-compare-speedup"' in dom
    assert len(re.findall(r"<tr data-task=", dom)) == len(TASKS)
    assert "model m-1 at http://127.0.0.1:1/v1" in dom
