"""Scratch directories: one per evaluation, old ones pruned so long benchmark runs do not fill the disk."""

import os
import time

from hawk import config


def test_scratch_keeps_the_newest_and_anything_recent(tmp_path, monkeypatch):
    monkeypatch.setenv("HAWK_SCRATCH_DIR", str(tmp_path))
    old = time.time() - 2 * 3600
    for i in range(5):  # five evaluations from two hours ago, oldest first
        d = tmp_path / f"old{i}"
        d.mkdir()
        os.utime(d, (old + i, old + i))
    recent = tmp_path / "recent"  # touched a minute ago: maybe still in use, never pruned
    recent.mkdir()
    os.utime(recent, (time.time() - 60, time.time() - 60))

    monkeypatch.setenv("HAWK_SCRATCH_KEEP", "3")
    new = config.new_scratch_dir("task")
    assert new.is_dir() and new.name.startswith("task-")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([new.name, "recent", "old4"])

    monkeypatch.setenv("HAWK_SCRATCH_KEEP", "1")  # beyond the limit, but recent: kept
    config.new_scratch_dir("task")
    assert {"recent"} < {p.name for p in tmp_path.iterdir()} and "old4" not in {p.name for p in tmp_path.iterdir()}

    monkeypatch.setenv("HAWK_SCRATCH_KEEP", "0")  # 0 keeps everything
    before = len(list(tmp_path.iterdir()))
    for _ in range(4):
        config.new_scratch_dir("t")
    assert len(list(tmp_path.iterdir())) == before + 4
