"""The MCP server's state: configuration, targets (pooled), tasks, sessions, the knowledge store,
and the background synthesis of lessons from a session's evaluations (see server.py)."""

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
from anyio.abc import TaskGroup
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from hawk import targets
from hawk.agent.knowledge import DISTILL_EVERY, LearnSettings, Prove, StoreKnowledge
from hawk.agent.prompts import verdict_text
from hawk.config import cache_dir
from hawk.knowledge.item import KnowledgeItem, code_hash, normalize_error
from hawk.knowledge.store import KnowledgeStore, StoreError
from hawk.knowledge.synthesis import Lesson
from hawk.mcp.safety import Workspace, bad_argument
from hawk.mcp.session import DroppedLessons, EvalPool, Progress, ServerClosing, Session, kill_children, pooled_prove
from hawk.records.trajectory import Step
from hawk.targets.base import EvalOptions, Target
from hawk.targets.verdict import Verdict
from hawk.tasks import Task, TaskError, load_suite, resolve_task, suite_names

log = logging.getLogger("hawk.mcp")

DEFAULT_TARGET = "ascend-pypto"
SCRIPTED_TARGETS = frozenset({"fake"})  # verdicts from comments, not hardware: offered only when asked for
CONTRACT_DOC = Path(__file__).resolve().parents[2] / "docs" / "kernel-contract.md"
T = TypeVar("T")


@dataclass(frozen=True)
class ServerConfig:
    root: Path  # the working directory: every path argument must lie inside it
    kb_path: Path | None = None  # None: the default store, ~/.cache/hawk/knowledge.db
    workers: int = 2  # evaluation slots shared by all calls
    trajectories: Path | None = None  # where sessions' trajectories go; None: ~/.cache/hawk/mcp
    learn: bool = True  # synthesize knowledge from sessions' evaluations as lessons appear
    allow_fake_target: bool = False  # offer the scripted `fake` target (tests, dry runs): it passes anything
    drain_s: float = 10.0  # when the client goes: how long lessons being proven may still finish
    heartbeat_s: float = 5.0  # progress notifications while a call waits on its thread
    distill_every: int = DISTILL_EVERY  # lessons learned between distillations of the store (0: never)


class Hawk:
    """State every session shares: workspace, evaluation pool, targets, knowledge store, sessions."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.ws = Workspace.here(config.root)
        self.pool = EvalPool(config.workers)
        self.trajectories = config.trajectories or cache_dir() / "mcp"
        self.background: TaskGroup | None = None  # set while the server runs (lifespan)
        self._targets: dict[str, Target] = {}
        self._lock = threading.Lock()
        self._synth_lock = threading.Lock()  # one synthesis at a time: two would prove and store the same lesson
        self._sessions: weakref.WeakKeyDictionary[Any, Session] = weakref.WeakKeyDictionary()
        self.all_sessions: list[Session] = []  # for lessons still pending at shutdown
        self.dropped = DroppedLessons(self.trajectories / "dropped-lessons.jsonl")

    # --- arguments ------------------------------------------------------------------------------

    def target_names(self) -> list[str]:
        """The targets this server offers: the hardware ones, and the scripted one only when started so."""
        return [n for n in targets.names() if self.config.allow_fake_target or n not in SCRIPTED_TARGETS]

    def target(self, name: str) -> Target:
        if name in SCRIPTED_TARGETS and name not in self.target_names():
            known = ", ".join(self.target_names())
            raise bad_argument("target", f"'{name}' is a scripted target, not offered by this server (known: {known})")
        with self._lock:
            if name not in self._targets:
                try:
                    self._targets[name] = targets.get(name)
                except KeyError as exc:
                    raise bad_argument("target", str(exc).strip("'\"")) from None
            return self._targets[name]

    def task(self, ref: str, arg: str = "task") -> Task:
        """A suite task id, or a KernelBench-format task file inside the working directory."""
        ref = (ref or "").strip()
        if not ref:
            raise bad_argument(arg, "missing: give a suite task id (see list_tasks) or a task file")
        looks_like_path = ref.endswith(".py") or "/" in ref or (self.ws.root / ref).is_file()
        try:
            if looks_like_path:
                self.ws.read(arg, ref)  # inside the root, a regular file of bounded size, UTF-8 text
                # As the CLI takes it: a checkout's task (its id, overrides) or a loose file (the budget rule).
                return resolve_task(str(self.ws.resolve(arg, ref)))
            # Suites only: resolve_task would also take a file of that name in the process's cwd.
            for name in suite_names():
                for t in load_suite(name).tasks:
                    if t.id == ref:
                        return t
        except TaskError as exc:
            raise bad_argument(arg, str(exc)) from None
        raise bad_argument(arg, f"unknown task '{ref}': not a suite task id, nor a task file")

    @staticmethod
    def options(seeds: int, timeout_s: float, eager: bool = True) -> EvalOptions:
        if seeds < 1:
            raise bad_argument("seeds", f"must be a positive integer, got {seeds}")
        if not timeout_s > 0:
            raise bad_argument("timeout_s", f"must be a positive number of seconds, got {timeout_s}")
        return EvalOptions(seeds=seeds, timeout_s=float(timeout_s), with_eager_baseline=eager)

    def session(self, ctx: Context) -> Session:
        """The calling client's session (one per stdio process; one per connection over HTTP)."""
        try:
            # The SDK builds a ServerSession per request; the connection behind it is the client's.
            key = getattr(ctx.session, "_connection", None)
            key = ctx.session if key is None else key
        except ValueError:  # called outside a request
            key = self
        with self._lock:
            if key not in self._sessions:
                self._sessions[key] = Session(self.trajectories)
                self.all_sessions.append(self._sessions[key])
            return self._sessions[key]

    def store(self) -> KnowledgeStore:
        try:
            return KnowledgeStore(self.config.kb_path)
        except StoreError as exc:
            raise ToolError(str(exc)) from None

    # --- evaluation and learning (worker threads) ------------------------------------------------

    def judge(
        self, session: Session, task: Task, target: Target, code: str, opts: EvalOptions, kind: str, reuse: bool = False
    ) -> tuple[Step, list[Lesson]]:
        """Evaluate `code` on the pool and append it to the session's trajectory.

        With `reuse`, a verdict this session already has for the same code is taken instead."""
        if reuse and (step := session.known(task, target.name, code, opts.seeds)) is not None:
            return step, []
        verdict = self.prove(target, opts)(code, task)
        return session.record(task, target.name, code, verdict, kind)

    def prove(self, target: Target, opts: EvalOptions) -> Prove:
        """Evaluations on the server's pool (a slot each); one cut short by a shutdown raises."""
        return pooled_prove(target, self.pool, opts)

    def learn_later(
        self, session: Session, task: Task, target: Target, lessons: list[Lesson], opts: EvalOptions
    ) -> None:
        """Prove and store the lessons in the background: the agent gets its verdict now."""
        if not lessons or not self.config.learn or self.background is None or self.pool.closing:
            return
        session.pending += len(lessons)
        self.background.start_soon(self._learn, session, task, target, lessons, opts)

    async def _learn(
        self, session: Session, task: Task, target: Target, lessons: list[Lesson], opts: EvalOptions
    ) -> None:
        for i, lesson in enumerate(lessons):
            try:
                await anyio.to_thread.run_sync(
                    self.synthesize, session, task, target, lesson.before, lesson.after, opts
                )
            except ServerClosing:
                session.pending -= len(lessons) - i - 1
                return
            except ValueError as exc:  # the after code is a reference (expert) kernel: never stored
                session.learned.append({"refused": str(exc), "task": task.id})
            except Exception:  # a background failure must not take the server down
                log.exception("knowledge synthesis failed for task %s", task.id)
            finally:
                session.pending -= 1

    def synthesize(
        self, session: Session, task: Task, target: Target, before: Step, after: Step, opts: EvalOptions
    ) -> tuple[list[KnowledgeItem], list[KnowledgeItem]]:
        """(items created, items already known) for one lesson; the created ones were re-run as proof.

        Learning goes through method hawk's knowledge (hawk.agent.knowledge.StoreKnowledge), as a run of
        `hawk generate` does: each lesson counts toward the store's next distillation, run when due."""
        with self._synth_lock, self.store() as store:
            settings = LearnSettings(opts, self.config.distill_every, log.info)
            knowledge = StoreKnowledge(store, target, self.prove(target, opts), settings=settings)
            created = knowledge.synthesize([before, after], task, run_id=f"mcp-session-{session.id}")
            session.learned.extend({**item_brief(it), "task": task.id} for it in created)
            known = [] if created else same_fix(store, target.name, before, after)
            knowledge.distill_if_due()
            return created, known

    async def in_thread(
        self,
        ctx: Context,
        fn: Callable[[], T],
        label: str,
        total: float | None = None,
        progress: Progress | None = None,
    ) -> T:
        """Run `fn` in a worker thread, sending a progress heartbeat while it runs."""
        done = anyio.Event()
        outcome: dict[str, Any] = {}
        progress = progress or Progress(self.ws.clean)

        async def beat() -> None:
            start = time.monotonic()
            while not done.is_set():
                with anyio.move_on_after(self.config.heartbeat_s):
                    await done.wait()
                if not done.is_set():
                    waited = time.monotonic() - start
                    queued = f", {self.pool.busy}/{self.pool.size} evaluation slots busy"
                    await progress.send(ctx, total, f"{label}: {waited:.0f} s{queued}")

        async with anyio.create_task_group() as tg:
            tg.start_soon(beat)
            try:
                outcome["value"] = await anyio.to_thread.run_sync(fn)
            except Exception as exc:  # re-raised below: raising inside the task group would wrap it
                outcome["error"] = exc
            finally:
                done.set()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    def stop(self, reason: str) -> None:
        """Stop now (a signal, or the drain time ran out): no new verdicts, evaluation children killed,
        lessons still pending written down as dropped. Safe to call more than once (and from a signal handler)."""
        self.pool.closing = True
        n = kill_children()
        if n:
            log.warning("stopped %d evaluation process(es) still running (%s)", n, reason)
        for session in list(self.all_sessions):
            if session.pending > 0:
                record = self.dropped.add(session, session.pending, reason)
                log.warning("dropped %d lesson(s) being proven (%s); their steps are in %s", record["lessons"],
                            reason, record["trajectories"])  # fmt: skip
                session.pending = 0

    async def shutdown(self) -> None:
        """After background learning drained: stop what is left (evaluations nobody waits for any more)."""
        self.stop("the server stopped")


def verdict_result(verdict: Verdict | dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The verdict as a tool returns it: hardware reason first, then status and a readable summary.

    Artifacts (scratch paths outside the working directory) are left out."""
    v = verdict if isinstance(verdict, Verdict) else Verdict.from_dict(verdict)
    d = v.to_dict()
    d.pop("artifacts", None)
    err = d.get("error") or {}
    head = {"hardware_reason": err.get("hardware_reason"), "status": d.pop("status"), "passed": v.passed}
    return {**head, "summary": verdict_text(v), **d, **extra}


def verdict_dict(step: Step) -> dict[str, Any]:
    """A step's verdict in the form the tools return it ({} when the step has none)."""
    return step.verdict.to_dict() if step.verdict else {}


def item_brief(item: KnowledgeItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "status": item.status,
        "status_reason": item.status_reason,
        "labels": item.labels,
        "rationale": item.rationale,
        "trigger": item.trigger.signature or f"perf: {item.trigger.bottleneck}",
        "hardware_reason": item.trigger.hardware_reason,
        "proof_status": item.provenance.get("proof_status") or (item.proof_verdict or {}).get("status"),
        "diff": item.trigger.code_pattern,
    }


def same_fix(store: KnowledgeStore, target: str, before: Step, after: Step) -> list[KnowledgeItem]:
    """Stored items with this lesson's trigger and after code (what synthesis de-duplicated against)."""
    v = before.verdict
    err = v.error if v else None
    signature = normalize_error(((err.hardware_reason or err.message) if err else "") or (v.status.value if v else ""))
    if v is not None and v.passed:
        signature = ""  # a perf lesson: its items carry a bottleneck, not an error signature
    want = code_hash(after.candidate or "")
    return [
        it for it in store.list()
        if it.target == target and code_hash(it.after_code) == want and it.trigger.signature == signature
    ]  # fmt: skip


def code_arg(given_path: str | None, source_arg: str, path_arg: str) -> str:
    return path_arg if given_path else source_arg
