"""`hawk kb` as a user runs it, on a store filled through the API."""

import json
import subprocess
import sys

from hawk.knowledge import KnowledgeStore

from .knowledge_items import UB_AFTER, UB_MUL, l0c_item, pass_verdict, perf_item, ub_item


def hawk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hawk.cli.main", "kb", *args], capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def test_kb_commands(tmp_path):
    db = tmp_path / "kb.db"
    store = KnowledgeStore(db)
    ub = store.add(ub_item(proof=pass_verdict()))
    store.add(l0c_item())
    store.add(perf_item())
    store.close()

    r = hawk("stats", "--db", str(db))
    assert r.returncode == 0 and "3 items" in r.stdout and "ub_capacity" in r.stdout
    r = hawk("list", "--db", str(db), "--status", "active")
    assert r.returncode == 0 and ub.id in r.stdout
    r = hawk("show", ub.id, "--db", str(db))
    assert json.loads(r.stdout)["after_code"] == UB_AFTER
    code = tmp_path / "k.py"
    code.write_text(UB_AFTER.replace("softmax", "gelu"))
    r = hawk("search", "--code", str(code), "--error", UB_MUL, "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == ub.id and "syntactic" in r.stdout and "why:" in r.stdout

    out = tmp_path / "kb.jsonl"
    assert "exported 3 items" in hawk("export", str(out), "--db", str(db)).stdout
    r = hawk("import", str(out), "--db", str(tmp_path / "other.db"))
    assert r.returncode == 0 and "'added': 3" in r.stdout
    r = hawk("import", str(out), "--db", str(tmp_path / "other.db"))
    assert "'added': 0" in r.stdout  # a second import merges, never duplicates

    r = hawk("prune", ub.id, "--why", "shown harmful", "--db", str(db))
    assert r.returncode == 0 and "pruned" in r.stdout
    assert json.loads(hawk("show", ub.id, "--db", str(db)).stdout)["status_reason"] == "shown harmful"
    r = hawk("restore", ub.id, "--why", "the failures were the model's", "--db", str(db))
    assert r.returncode == 0 and "active" in r.stdout
    shown = json.loads(hawk("show", ub.id, "--db", str(db)).stdout)
    assert shown["status"] == "active" and [h.get("to") for h in shown["history"] if h["event"] == "status"] == [
        "pruned", "active"]  # fmt: skip
    r = hawk("show", "nope", "--db", str(db))
    assert r.returncode == 2 and "no knowledge item 'nope'" in r.stderr and "Traceback" not in r.stderr


def test_kb_distill_demotes_by_effect_and_needs_an_llm_or_no_llm(tmp_path, monkeypatch):
    monkeypatch.delenv("HAWK_LLM_MODEL", raising=False)
    monkeypatch.delenv("HAWK_LLM_BASE_URL", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no user LLM config leaks in
    db = tmp_path / "kb.db"
    with KnowledgeStore(db) as store:
        ub = store.add(ub_item(proof=pass_verdict()))
        for _ in range(3):
            store.record_effect(ub.id, injected=True, passed=False, regressed=True)
    r = hawk("distill", "--db", str(db))
    assert r.returncode == 2 and "--no-llm" in r.stderr and "Traceback" not in r.stderr
    r = hawk("stats", "--db", str(db))
    assert (
        "effect: 3 injections of 1 items, 0 followed by a pass" in r.stdout
        and f"{ub.id} [active] helped 0 of 3" in r.stdout
    )
    r = hawk("distill", "--db", str(db), "--no-llm")
    assert r.returncode == 0, r.stderr
    assert f"demoted {ub.id}" in r.stdout and "1 demoted" in r.stdout
    shown = json.loads(hawk("show", ub.id, "--db", str(db)).stdout)
    assert shown["status"] == "demoted" and "helped 0 of 3" in shown["status_reason"]


def test_a_file_that_is_not_a_store_is_one_clear_error(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not a database\n")
    for args in (("stats",), ("list",), ("distill", "--no-llm")):
        r = hawk(*args, "--db", str(bad))
        assert r.returncode == 2 and "is not a usable Hawk knowledge store" in r.stderr and "Traceback" not in r.stderr
    assert bad.read_text() == "not a database\n"  # and nothing was written to it
