"""Listing commands as a newcomer sees them at 80 columns: one row per line, wide fields cut, the
whole record under --json or show; and one option name per concept across commands."""

import json
import os
import subprocess
import sys

from hawk.cli.tables import render_table
from hawk.knowledge import KnowledgeStore
from hawk.tasks import load_suite

from .knowledge_items import l0c_item, pass_verdict, perf_item, ub_item


def hawk(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "80"}
    return subprocess.run([sys.executable, "-m", "hawk.cli.main", *args], capture_output=True, text=True,
                          timeout=120, env=env)  # fmt: skip


def assert_one_line_per_row(stdout: str, ids: list[str]) -> None:
    lines = stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    for i in ids:
        assert sum(line.split()[0] == i for line in lines if line.strip()) == 1, i


def test_render_table_keeps_narrow_columns_whole_and_cuts_the_wide_one():
    rows = [["l3_flash_attention_segment_mask_fp16", "3", "a long description " * 10], ["short", "1", "fits"]]
    lines = render_table(["id", "level", "description"], rows, {2}, 80)
    assert len(lines) == 2 + len(rows) and all(len(line) <= 80 for line in lines)
    assert lines[2].startswith("l3_flash_attention_segment_mask_fp16  3  ") and lines[2].endswith("…")
    assert lines[3].split() == ["short", "1", "fits"]


def test_tasks_one_row_per_line_at_80_columns_json_and_show():
    tasks = load_suite("npu-workloads").tasks
    r = hawk("tasks", "--suite", "npu-workloads")
    assert r.returncode == 0, r.stderr
    assert_one_line_per_row(r.stdout, [t.id for t in tasks])
    assert len(r.stdout.splitlines()) == 3 + len(tasks)  # a title, the header, the rule, then the tasks
    records = json.loads(hawk("tasks", "--suite", "npu-workloads", "--json").stdout)
    assert [x["id"] for x in records] == [t.id for t in tasks]
    assert records[0]["description"] == tasks[0].description  # whole, where the table cut it
    shown = json.loads(hawk("tasks", "--show", tasks[0].id).stdout)
    assert shown["id"] == tasks[0].id and shown["expert_kernel"].endswith(".py")
    r = hawk("tasks", "--show", "no_such_task")
    assert r.returncode == 2 and "no task 'no_such_task'" in r.stderr


def test_targets_one_row_per_line_and_json():
    r = hawk("targets")
    assert r.returncode == 0, r.stderr
    assert all(len(line) <= 80 for line in r.stdout.splitlines())
    records = json.loads(hawk("targets", "--json").stdout)
    modes = {(x["target"], x["mode"]) for x in records}
    assert ("ascend-pypto", "sim") in modes and all("chip" in x and "why" in x for x in records)
    assert sum(line.startswith("ascend-pypto ") for line in r.stdout.splitlines()) == 2  # sim, npu


def test_kb_list_one_row_per_line_json_and_both_store_option_spellings(tmp_path):
    db = tmp_path / "kb.db"
    with KnowledgeStore(db) as store:
        items = [store.add(ub_item(proof=pass_verdict())), store.add(l0c_item()), store.add(perf_item())]
    r = hawk("kb", "list", "--kb", str(db))
    assert r.returncode == 0, r.stderr
    assert_one_line_per_row(r.stdout, [i.id for i in items])
    records = json.loads(hawk("kb", "list", "--kb", str(db), "--json").stdout)
    assert {x["id"] for x in records} == {i.id for i in items}
    assert all(len(x["trigger"]) > 0 and isinstance(x["labels"], list) for x in records)
    old = hawk("kb", "list", "--db", str(db), "--json")  # the old spelling still works
    assert json.loads(old.stdout) == records
    stats = json.loads(hawk("kb", "stats", "--kb", str(db), "--json").stdout)
    assert stats["items"] == 3 and stats["active_by_label"]["ub_capacity"] >= 1
    hits = json.loads(hawk("kb", "search", "in/output total size exceeds MEM_UB", "--kb", str(db), "--json").stdout)
    assert hits and hits[0]["id"] == items[0].id and {"score", "syntactic", "semantic", "why"} <= set(hits[0])


def test_one_option_name_per_concept_across_commands():
    for command in (["generate"], ["bench"], ["mcp"], ["kb", "stats"], ["kb", "distill"]):
        r = hawk(*command, "--help")
        assert r.returncode == 0 and "--kb" in r.stdout, command
    for command in (["generate"], ["bench"], ["kb", "distill"]):
        assert "--base-url" in hawk(*command, "--help").stdout, command  # the LLM options, declared once


def test_demo_lays_its_two_tasks_out_as_a_suite(tmp_path):
    # `hawk demo` runs as a benchmark run over this folder, so `hawk report` renders it like any run
    from hawk.agent.demo import ROWMAX_TASK_FILE, TASK_FILE
    from hawk.cli.demo import _demo_suite

    suite = load_suite(str(_demo_suite(tmp_path / "suite")))
    assert suite.name == "demo" and [t.id for t in suite.tasks] == [TASK_FILE.stem, ROWMAX_TASK_FILE.stem]
    assert suite.tasks[0].source == TASK_FILE.read_text()


def test_report_prints_one_row_per_method_at_80_columns(tmp_path, capsys, monkeypatch):
    from hawk.cli.bench import print_method_table

    monkeypatch.setenv("COLUMNS", "80")
    metrics = {"units": 12, "accuracy": 0.75, "pass_at": {"pass@1": 0.75, "pass@3": 0.9},
               "geomean_speedup": 2.084, "geomean_speedup_expert": None, "geomean_roofline_ratio": 4.52,
               "tokens_per_unit": 7117.0}  # fmt: skip
    summary = tmp_path / "summary.json"
    summary.write_text(json.dumps({"metrics": {"hawk": metrics, "feedback": {**metrics, "accuracy": 0.5}}}))
    print_method_table(summary)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and all(len(line) <= 80 for line in lines)
    assert lines[2].split()[:3] == ["hawk", "12", "75%"] and "2.08x" in lines[2] and "vs expert" not in lines[0]
    assert lines[3].split()[:3] == ["feedback", "12", "50%"]
