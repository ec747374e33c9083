"""KnowledgeStore: knowledge items in one SQLite file that several agent processes can share.

WAL lets readers run beside a writer; busy_timeout plus BEGIN IMMEDIATE serialise writers instead of
failing them; read-modify-write of an item happens inside one transaction so effect counts from
parallel runs are not lost. Items are never deleted: pruning and merging are statuses with reasons.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hawk.config import cache_dir
from hawk.knowledge.item import PROVEN_STATUSES, STATUSES, KnowledgeItem, now, scrub_trigger
from hawk.knowledge.tokens import code_tokens

__all__ = ["KnowledgeStore", "StoreError", "code_tokens", "default_path"]
SCHEMA_VERSION = 3  # 2: preconditions, change keys, rule, proven tasks on every item; 3: scrubbed triggers (_migrate)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    sku TEXT,
    status TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    data TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS items_status ON items(status);
CREATE INDEX IF NOT EXISTS items_dedup ON items(dedup_key);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL REFERENCES items(id),
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS embed_cache (
    key TEXT PRIMARY KEY,
    vec BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS items_fts USING fts5(item_id UNINDEXED, code, error);
"""


class StoreError(ValueError):
    """The store file cannot be used (not SQLite, or not Hawk's schema); the message names the file."""


def default_path() -> Path:
    return cache_dir() / "knowledge.db"


class KnowledgeStore:
    """Items by id, with full-text search over code tokens and error text. Use as a context manager."""

    def __init__(
        self, path: str | Path | None = None, busy_timeout_ms: int = 30000, *, base: bool | Path = False
    ) -> None:
        """`base`: the shipped base layer (hawk.knowledge.base_layer; or the base file at that path) is
        synced in and seen; without it, base items a store already holds are invisible to listing,
        retrieval and distillation."""
        self.path = Path(path) if path else default_path()
        if base is True and os.environ.get("HAWK_BASE_KB", "1") == "0":
            base = False  # configuration: the test suite runs without the shipped layer unless a test asks
        self.layers: tuple[str, ...] = ("base", "user") if base else ("user",)
        # Embedding vectors read from this store (hawk.knowledge.retrieval): a vector never changes for
        # its key, and there is one key per item text and embedder, so this is bounded by the store.
        self.vector_memo: dict[str, Any] = {}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are ours (BEGIN IMMEDIATE), not sqlite3's implicit ones.
        self.conn = sqlite3.connect(self.path, timeout=busy_timeout_ms / 1000, isolation_level=None)
        try:
            self.conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            with self.transaction():
                for stmt in filter(str.strip, _SCHEMA.split(";")):
                    self.conn.execute(stmt)
                self._migrate()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise StoreError(f"{self.path} is not a usable Hawk knowledge store ({exc})") from None
        if base:
            self._sync_base(base if isinstance(base, Path) else None)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> KnowledgeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front so two writers queue instead of deadlocking."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- writing -------------------------------------------------------------------------------

    def add(self, item: KnowledgeItem) -> KnowledgeItem:
        """Insert `item`; it is active only when its proof verdict passed, otherwise a candidate.
        Preconditions, change keys and rule are derived here when the item has none."""
        from hawk.knowledge.rule import complete

        complete(item)
        if item.proof_passed:
            if item.status == "candidate":
                item.status, item.status_reason = "active", "proof verdict passed"
        elif item.status == "active":
            item.status, item.status_reason = "candidate", "no passing proof verdict"
        item.history.append({"at": now(), "event": "added", "status": item.status})
        with self.transaction():
            self._insert(item)
            self._event(item.id, "added", {"status": item.status})
        return item

    def update(self, item: KnowledgeItem) -> None:
        """Overwrite a stored item (same id); an active item still needs a passing proof."""
        self._refuse_base(item)
        if item.status == "active" and not item.proof_passed:
            raise ValueError(f"item {item.id} cannot be active without a passing proof verdict")
        item.updated = now()
        with self.transaction():
            self._write(item)
            self._event(item.id, "updated", {"status": item.status})

    def set_status(self, item_id: str, status: str, reason: str, merged_into: str | None = None) -> KnowledgeItem:
        """Move an item between statuses, with the reason in its history. Nothing is ever deleted."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; one of {STATUSES}")
        with self.transaction():
            item = self._get(item_id)
            self._refuse_base(item)
            if status in PROVEN_STATUSES and not item.proof_passed:
                raise ValueError(f"item {item_id} cannot be active without a passing proof verdict")
            item.history.append({"at": now(), "event": "status", "from": item.status, "to": status,
                                 "reason": reason})  # fmt: skip
            item.status, item.status_reason, item.updated = status, reason, now()  # type: ignore[assignment]
            if merged_into:
                item.merged_into = merged_into
            self._write(item)
            self._event(item_id, "status", {"to": status, "reason": reason})
        return item

    def record_effect(
        self,
        item_id: str,
        *,
        retrieved: bool = False,
        injected: bool = False,
        passed: bool | None = None,
        regressed: bool = False,
        speedup: float | None = None,
        applied: bool = True,
        withheld: bool = False,
        task: str | None = None,
    ) -> KnowledgeItem:
        """Add one use of an item to its effect statistics, atomically across processes.

        An injection the step did not apply (`applied` False) is counted apart and credits nothing; a
        retrieval the A/B ablation withheld (`withheld`) records the outcome without the item. An
        applied injection that helped on `task` adds that task to the item's proven tasks: on a
        second task the item is general."""
        with self.transaction():
            item = self._get(item_id)
            eff = item.effect
            eff.retrieved += int(retrieved)
            if withheld:
                eff.withheld += 1
                eff.withheld_passes += int(bool(passed))
            elif injected and not applied:
                eff.not_applied += 1
                eff.not_applied_passes += int(bool(passed))
            else:
                eff.injected += int(injected)
                eff.passes_after += int(bool(passed))
                eff.regressions += int(regressed)
                if speedup is not None:
                    eff.speedups.append(float(speedup))
                if injected and passed and task and task not in item.proven_tasks:
                    item.proven_tasks.append(task)
                    item.general = len(item.proven_tasks) >= 2
            item.updated = now()
            self._write(item, reindex=False)
            self._event(item_id, "effect", {"injected": injected, "passed": passed, "speedup": speedup,
                                            "applied": applied, "withheld": withheld})  # fmt: skip
        return item

    def credit_task(self, item_id: str, task_id: str) -> KnowledgeItem:
        """The item's change passed on `task_id` too (evidence: allowed on base items); general on a second task."""
        with self.transaction():
            item = self._get(item_id)
            if task_id not in item.proven_tasks:
                item.proven_tasks.append(task_id)
                item.general = len(item.proven_tasks) >= 2
                item.history.append({"at": now(), "event": "general" if item.general else "proven", "task": task_id})
                item.updated = now()
                self._write(item, reindex=False)
                self._event(item_id, "credited", {"task": task_id})
        return item

    def count_and_check(self, key: str, every: int) -> bool:
        """Add one to counter `key`; when it reaches `every`, reset it and return True (atomically).

        Several workers finishing tasks at once then trigger one distillation, not several."""
        with self.transaction():
            row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
            value = (row[0] if row else 0) + 1
            due = every > 0 and value >= every
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, 0 if due else value))
        return due

    # --- reading -------------------------------------------------------------------------------

    def has_dedup_key(self, key: str) -> bool:
        """Is the same knowledge (signature, labels, fix) already stored, whatever its status?"""
        return self.conn.execute("SELECT 1 FROM items WHERE dedup_key=? LIMIT 1", (key,)).fetchone() is not None

    def first_with_dedup_key(self, key: str) -> KnowledgeItem | None:
        """The oldest item stored under `key`, or None."""
        row = self.conn.execute("SELECT data FROM items WHERE dedup_key=? ORDER BY created LIMIT 1", (key,)).fetchone()
        return KnowledgeItem.from_dict(json.loads(row[0])) if row else None

    def get(self, item_id: str) -> KnowledgeItem:
        return self._get(item_id)

    def list(self, status: str | None = None, layer: str | None = None) -> list[KnowledgeItem]:
        """Items of the layers this store was opened with (or of one `layer` of them), oldest first."""
        from hawk.knowledge.base_layer import layer_of

        wanted = (layer,) if layer else self.layers
        return [it for it in self.list_all_layers(status) if layer_of(it) in wanted]

    def list_all_layers(self, status: str | None = None) -> list[KnowledgeItem]:
        if status:
            rows = self.conn.execute("SELECT data FROM items WHERE status=? ORDER BY created, id", (status,))
        else:
            rows = self.conn.execute("SELECT data FROM items ORDER BY created, id")
        return [KnowledgeItem.from_dict(json.loads(r[0])) for r in rows]

    def meta(self, key: str) -> int | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: int) -> None:
        """Inside a transaction the caller holds."""
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def events(self, item_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT at, kind, detail FROM events WHERE item_id=? ORDER BY seq", (item_id,))
        return [{"at": at, "kind": kind, **json.loads(detail)} for at, kind, detail in rows]

    def search_code(self, code: str, limit: int = 50) -> dict[str, float]:
        """BM25 over code and error tokens: item id -> relevance (higher is better, unnormalised)."""
        terms = sorted(set(code_tokens(code).split()))
        if not terms:
            return {}
        query = " OR ".join(f'"{t}"' for t in terms)
        rows = self.conn.execute(
            "SELECT item_id, bm25(items_fts) FROM items_fts WHERE items_fts MATCH ? ORDER BY bm25(items_fts) LIMIT ?",
            (query, limit),
        )
        return {item_id: -score for item_id, score in rows}  # FTS5's bm25 is negative: lower is better

    def indexed_tokens(self, item_id: str) -> str:
        row = self.conn.execute("SELECT code FROM items_fts WHERE item_id=?", (item_id,)).fetchone()
        return row[0] if row else ""

    def cached_vector(self, key: str) -> bytes | None:
        row = self.conn.execute("SELECT vec FROM embed_cache WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def cached_vectors(self, keys: list[str]) -> dict[str, bytes]:
        """Many cached vectors in a few queries (one per 900 keys, under SQLite's parameter limit)."""
        found: dict[str, bytes] = {}
        for start in range(0, len(keys), 900):
            chunk = keys[start : start + 900]
            marks = ",".join("?" * len(chunk))
            found.update(self.conn.execute(f"SELECT key, vec FROM embed_cache WHERE key IN ({marks})", chunk))
        return found

    def cache_vector(self, key: str, vec: bytes) -> None:
        with self.transaction():
            self.conn.execute("INSERT OR REPLACE INTO embed_cache(key, vec) VALUES (?, ?)", (key, vec))

    # --- exchange ------------------------------------------------------------------------------

    def export_jsonl(self, path: str | Path, layer: str | None = None) -> int:
        """Write the items (of one layer) as JSON lines. `layer="base"`: a new base file, made of the
        user items that qualify (hawk.knowledge.base_layer.for_base) plus the base items already here."""
        import hawk.knowledge.base_layer as base_layer

        if layer == base_layer.BASE:
            mine = [base_layer.as_base(it) for it in self.list(layer=base_layer.USER) if base_layer.for_base(it)]
            items = [it for it in self.list_all_layers() if base_layer.layer_of(it) == base_layer.BASE] + mine
        else:
            items = self.list(layer=layer)
        with open(path, "w") as fh:
            for item in items:
                fh.write(json.dumps(item.to_dict(), sort_keys=True) + "\n")
        return len(items)

    def import_jsonl(self, path: str | Path) -> dict[str, int]:
        """Merge another store's export. A duplicate (same signature, labels, fix) folds its effect
        statistics and history into the item already here instead of becoming a second item."""
        counts = {"added": 0, "merged": 0}
        for line in Path(path).read_text().splitlines():
            if not line.strip():
                continue
            incoming = KnowledgeItem.from_dict(json.loads(line))
            with self.transaction():
                row = self.conn.execute(
                    "SELECT data FROM items WHERE dedup_key=? ORDER BY created LIMIT 1", (incoming.dedup_key(),)
                ).fetchone()
                if row:
                    self._fold(KnowledgeItem.from_dict(json.loads(row[0])), incoming)
                    counts["merged"] += 1
                    continue
                if self.conn.execute("SELECT 1 FROM items WHERE id=?", (incoming.id,)).fetchone():
                    incoming.id = uuid.uuid4().hex[:12]
                if incoming.status == "active" and not incoming.proof_passed:
                    incoming.status, incoming.status_reason = "candidate", "imported without a passing proof"
                incoming.provenance.setdefault("source", "import")
                from hawk.knowledge.rule import complete

                complete(incoming)  # an export of an older store carries no preconditions
                incoming.history.append({"at": now(), "event": "imported", "from": str(path)})
                self._insert(incoming)
                self._event(incoming.id, "imported", {"from": str(path)})
                counts["added"] += 1
        return counts

    def _sync_base(self, path: Path | None = None) -> int:
        """Bring the base layer (hawk.knowledge.base_layer) to the shipped file's version; returns the
        number of items written. A base item already here keeps the user's effect counts; one no
        longer shipped is pruned with that reason (items are never deleted)."""
        import hawk.knowledge.base_layer as base_layer

        path = path or base_layer.base_file()
        ver = base_layer.version(path)
        if self.meta("base_version") == ver:
            return 0
        shipped = {it.id: it for it in base_layer.base_items(path)}
        written = 0
        with self.transaction():
            for item in shipped.values():
                try:
                    mine = self._get(item.id)
                    item.effect, item.proven_tasks = (
                        mine.effect,
                        sorted(set(mine.proven_tasks) | set(item.proven_tasks)),
                    )
                    self._write(item)
                except KeyError:
                    self._insert(item)
                written += 1
            for old in self.list_all_layers():
                if base_layer.layer_of(old) == base_layer.BASE and old.id not in shipped and old.status != "pruned":
                    old.status, old.status_reason = "pruned", "no longer in the shipped base layer"
                    self._write(old, reindex=False)
            self.set_meta("base_version", ver)
        return written

    # --- internals -----------------------------------------------------------------------------

    def _migrate(self) -> None:
        """Bring items of an older store up to this schema (inside the open transaction, once).

        Version 2 added preconditions, change keys, the rule and proven tasks: derived here from each
        item's diff and before-code, so old items are gated and attributed like new ones. Their effect
        counts stay as they were (they credited every injection: read as applied). Version 3 scrubs
        the triggers (ANSI codes, scratch paths, secrets: hawk.scrub), which earlier verdicts carried
        into them and retrieval then embedded."""
        row = self.conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        version = row[0] if row else 0
        if version >= SCHEMA_VERSION:
            return
        from hawk.knowledge.rule import complete

        for (data,) in self.conn.execute("SELECT data FROM items").fetchall():
            item = KnowledgeItem.from_dict(json.loads(data))
            derived = complete(item) if version < 2 else False
            cleaned = scrub_trigger(item.trigger)
            if derived or cleaned:
                self._write(item, reindex=cleaned)
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))

    def _fold(self, mine: KnowledgeItem, theirs: KnowledgeItem) -> None:
        if theirs.id == mine.id and theirs.updated <= mine.updated:
            return  # our own export coming back: nothing new in it
        for name in (
            "retrieved",
            "injected",
            "passes_after",
            "regressions",
            "not_applied",
            "not_applied_passes",
            "withheld",
            "withheld_passes",
        ):
            setattr(mine.effect, name, getattr(mine.effect, name) + getattr(theirs.effect, name))
        mine.effect.speedups += theirs.effect.speedups
        mine.proven_tasks += [t for t in theirs.proven_tasks if t not in mine.proven_tasks]
        mine.general = mine.general or theirs.general or len(mine.proven_tasks) >= 2
        if not mine.proof_passed and theirs.proof_passed:
            mine.proof_verdict = theirs.proof_verdict
            if mine.status == "candidate":
                mine.status, mine.status_reason = "active", "proof verdict passed (imported)"
        mine.history.append({"at": now(), "event": "merged_import", "other_id": theirs.id,
                             "other_provenance": theirs.provenance})  # fmt: skip
        mine.updated = now()
        self._write(mine, reindex=False)
        self._event(mine.id, "merged_import", {"other_id": theirs.id})

    def _refuse_base(self, item: KnowledgeItem) -> None:
        if item.provenance.get("layer") == "base":
            raise StoreError(
                f"item {item.id} belongs to the base layer shipped with Hawk, which is read-only "
                "(its effect counts still grow; `hawk kb export --layer base` writes a new base file)"
            )

    def _get(self, item_id: str) -> KnowledgeItem:
        row = self.conn.execute("SELECT data FROM items WHERE id=?", (item_id,)).fetchone()
        if not row:
            raise KeyError(item_id)
        return KnowledgeItem.from_dict(json.loads(row[0]))

    def _insert(self, item: KnowledgeItem) -> None:
        self.conn.execute(
            "INSERT INTO items(id, target, sku, status, dedup_key, data, created, updated) VALUES (?,?,?,?,?,?,?,?)",
            (item.id, item.target, item.sku, item.status, item.dedup_key(), json.dumps(item.to_dict()),
             item.created, item.updated),
        )  # fmt: skip
        self._index(item)

    def _write(self, item: KnowledgeItem, reindex: bool = True) -> None:
        cur = self.conn.execute(
            "UPDATE items SET target=?, sku=?, status=?, dedup_key=?, data=?, updated=? WHERE id=?",
            (item.target, item.sku, item.status, item.dedup_key(), json.dumps(item.to_dict()), item.updated, item.id),
        )
        if cur.rowcount != 1:
            raise KeyError(item.id)
        if reindex:
            self.conn.execute("DELETE FROM items_fts WHERE item_id=?", (item.id,))
            self._index(item)

    def _index(self, item: KnowledgeItem) -> None:
        code = code_tokens(item.before_code + "\n" + item.after_code)
        error = " ".join(filter(None, [item.trigger.signature, item.trigger.bottleneck, " ".join(item.labels)]))
        self.conn.execute("INSERT INTO items_fts(item_id, code, error) VALUES (?,?,?)", (item.id, code, error))

    def _event(self, item_id: str, kind: str, detail: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT INTO events(item_id, at, kind, detail) VALUES (?,?,?,?)", (item_id, now(), kind, json.dumps(detail))
        )
