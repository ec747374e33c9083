"""One scrubber for what Hawk's tools say: ANSI codes, scratch paths and secrets never reach a
verdict message, a knowledge trigger or an MCP reply; an older store is cleaned when opened."""

from __future__ import annotations

import json

from hawk import targets
from hawk.agent.demo import TASK_FILE
from hawk.knowledge import KnowledgeItem, KnowledgeStore
from hawk.knowledge.item import Trigger, normalize_error
from hawk.knowledge.synthesis import _trigger
from hawk.scrub import Scrubber, is_secret_name, scrub, secret_values, strip_ansi
from hawk.targets.base import EvalOptions
from hawk.tasks.task import task_from_file

UB = "OP EXP[10009] in/output total size [262144] exceeds MEM_UB size [196608]"
COLOURED = f"\x1b[1m\x1b[91mERROR\x1b[0m {UB}"


def test_ansi_codes_go_and_the_words_stay():
    assert strip_ansi(COLOURED) == f"ERROR {UB}"
    assert strip_ansi("\x1b]0;title\x07a\x1b[2K\x1b[1;31mb\x1b[?25l\x1b7c\x1b") == "abc"
    assert scrub(UB) == UB  # hardware reasons keep their meaning ("in/output" is prose, not a path)


def test_scratch_paths_become_scratch_and_keep_their_tail(monkeypatch, tmp_path):
    text = "\x1b[1mERROR\x1b[0m ~/.cache/hawk/scratch/pypto-softmax-20260101-a1b2c3/candidate.py:10:4"
    assert scrub(text) == "ERROR <scratch>/candidate.py:10:4"
    other_home = "/home/someone/.cache/hawk/scratch/tune-x-1/point_3.py line 2"
    assert scrub(other_home) == "<scratch>/point_3.py line 2"
    monkeypatch.setenv("HAWK_SCRATCH_DIR", str(tmp_path / "scr"))
    own = f"{tmp_path}/scr/pypto-l1-20260101/shape0/candidate.py: importing failed"
    assert scrub(own) == "<scratch>/shape0/candidate.py: importing failed"
    assert scrub(f"see {tmp_path}/elsewhere/file.py") == f"see {tmp_path}/elsewhere/file.py"


def test_secrets_are_masked_by_name_and_by_look(monkeypatch):
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-7f3a9c2e51")
    monkeypatch.setenv("DB_PASSWORD", "short")  # too short to mask safely: ordinary words would go too
    assert is_secret_name("OPENAI_API_KEY") and not is_secret_name("HOME")
    assert "tok-7f3a9c2e51" in secret_values() and "short" not in secret_values()
    text = "auth failed with tok-7f3a9c2e51 and sk-abcdefghijklmnop1234; password short"
    assert scrub(text) == "auth failed with *** and ***; password short"
    assert Scrubber(("abcdefgh",), ()).text("x abcdefgh y") == "x *** y"


def test_verdict_messages_leave_the_harness_scrubbed(monkeypatch):
    monkeypatch.setenv("HAWK_TEST_SECRET", "s3cr3t-value-42")
    message = "\\u001b[91mERROR\\u001b[0m ~/.cache/hawk/scratch/fake-x-1/candidate.py:3 s3cr3t-value-42"
    directive = json.dumps({"status": "compile_error", "error": {"kind": "frontend", "message": "M",
                                                               "hardware_reason": f"\x1b[1m{UB}"}})  # fmt: skip
    source = f"# fake-verdict: {directive.replace('M', message, 1)}\n\ndef kernel(x, y, out):\n    pass\n"
    verdict = targets.get("fake").evaluate(source, task_from_file(TASK_FILE), EvalOptions(seeds=1))
    assert verdict.error.message == "ERROR <scratch>/candidate.py:3 ***", verdict.error.message
    assert verdict.error.hardware_reason == UB


def test_synthesized_triggers_are_scrubbed():
    trigger = _trigger("repair", {"error": {"message": "x", "hardware_reason": COLOURED, "op": "EXP"}})
    assert trigger.hardware_reason == f"ERROR {UB}" and "\x1b" not in trigger.signature
    assert trigger.signature == normalize_error(f"ERROR {UB}")


def test_an_old_store_with_ansi_in_its_triggers_is_cleaned_on_open(tmp_path):
    db = tmp_path / "old.db"
    clean = KnowledgeItem(Trigger(signature=normalize_error(UB), hardware_reason=UB, op="EXP"), ["ub_capacity"],
                          "smaller tiles", "a = 1\n", "a = 2\n", id="clean")  # fmt: skip
    dirty = KnowledgeItem(Trigger(signature=normalize_error(COLOURED), hardware_reason=COLOURED, op="EXP"),
                          ["ub_capacity"], "smaller tiles", "b = 1\n", "b = 2\n", id="dirty")  # fmt: skip
    no_reason = KnowledgeItem(Trigger(signature=normalize_error("\x1b[31mfailed\x1b[0m at ~/.cache/hawk/scratch/a-1/k.py")),
                              ["crash"], "r", "c = 1\n", "c = 2\n", id="no_reason")  # fmt: skip
    with KnowledgeStore(db) as store:
        for item in (clean, dirty, no_reason):
            store.add(item)
        before = store.get("clean").dedup_key()
        assert "\x1b" in store.get("dirty").trigger.signature  # what verdicts used to carry into triggers
        store.conn.execute("UPDATE meta SET value=2 WHERE key='schema'")  # as written before schema 3
    with KnowledgeStore(db) as store:
        dirty_now, rest = store.get("dirty"), store.get("no_reason")
        assert dirty_now.trigger.hardware_reason == f"ERROR {UB}" and "\x1b" not in dirty_now.trigger.signature
        assert "\x1b" not in rest.trigger.signature and "failed" in rest.trigger.signature
        assert store.get("clean").dedup_key() == before  # a clean item is left as it was
        hits = store.conn.execute("SELECT item_id FROM items_fts WHERE items_fts MATCH 'ERROR'").fetchall()
        assert ("dirty",) in hits  # re-indexed with the clean text
        assert store.conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0] == 3
