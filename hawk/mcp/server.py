"""`hawk mcp`: Hawk's targets, tuner and knowledge as MCP tools, for coding agents.

Tools: list_targets, list_tasks, task_brief, evaluate_kernel, tune_kernel, search_knowledge,
record_fix, kb_stats. Resources: each target's language guide and the kernel contract.

Every blocking call (a simulation, the tuner, the embedder) runs in a worker thread, so a long or
hung evaluation never holds up another call; evaluations and tuning share one bounded pool
(`EvalPool`). Each session's evaluations form trajectories (hawk/agent/trajectory.py); when one
completes a lesson (a failing kernel followed by a passing one, or a passing one made >= 5%
faster), run-time synthesis (hawk/knowledge/synthesis.py) proves and stores it in the background,
and `record_fix` does the same for a pair the agent names. No LLM is called: labels and rationales
come from Hawk's rules.
"""

import logging
import os
import signal
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
from anyio.abc import TaskGroup
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from hawk import targets
from hawk.agent.prompts import contract_text, verdict_text
from hawk.agent.trajectory import Step
from hawk.config import cache_dir
from hawk.knowledge.item import KnowledgeItem, code_hash, normalize_error
from hawk.knowledge.store import KnowledgeStore, StoreError
from hawk.knowledge.synthesis import Lesson, synthesize_from_steps
from hawk.mcp.safety import Workspace, bad_argument
from hawk.mcp.session import EvalPool, PooledTarget, ServerClosing, Session, kill_children
from hawk.targets.base import EvalOptions, Target
from hawk.targets.verdict import Verdict
from hawk.tasks import Task, TaskError, load_suite, suite_names
from hawk.tasks.task import task_from_file

log = logging.getLogger("hawk.mcp")

DEFAULT_TARGET = "ascend-pypto"
HEARTBEAT_S = 5.0  # progress notifications while a call waits on its thread
CONTRACT_DOC = Path(__file__).resolve().parents[2] / "docs" / "kernel-contract.md"
T = TypeVar("T")

INSTRUCTIONS = """Hawk judges NPU kernels on a hardware simulator and remembers proven fixes.
Typical session: list_tasks -> task_brief (contract, hardware spec, language guide) -> write a kernel ->
evaluate_kernel (the verdict leads with the hardware reason) -> search_knowledge with the failing code and
verdict -> fix -> evaluate_kernel until it passes -> tune_kernel -> record_fix for a failing -> passing pair.
Paths are relative to the server's working directory; nothing outside it can be read."""


@dataclass(frozen=True)
class ServerConfig:
    root: Path  # the working directory: every path argument must lie inside it
    kb_path: Path | None = None  # None: the default store, ~/.cache/hawk/knowledge.db
    workers: int = 2  # evaluation slots shared by all calls
    trajectories: Path | None = None  # where sessions' trajectories go; None: ~/.cache/hawk/mcp
    learn: bool = True  # synthesize knowledge from sessions' evaluations as lessons appear


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

    # --- arguments ------------------------------------------------------------------------------

    def target(self, name: str) -> Target:
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
                return task_from_file(self.ws.resolve(arg, ref))
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
        verdict = PooledTarget(target, self.pool).evaluate(code, task, opts)
        return session.record(task, target.name, code, verdict.to_dict(), kind)

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
        """(items created, items already known) for one lesson; the created ones were re-run as proof."""
        with self._synth_lock, self.store() as store:
            created = synthesize_from_steps(
                [before, after], task, PooledTarget(target, self.pool), store, run_id=f"mcp-session-{session.id}",
                eval_options=opts,
            )  # fmt: skip
            session.learned.extend({**_item_brief(it), "task": task.id} for it in created)
            return created, [] if created else _same_fix(store, target.name, before, after)

    async def in_thread(self, ctx: Context, fn: Callable[[], T], label: str, total: float | None = None) -> T:
        """Run `fn` in a worker thread, sending a progress heartbeat while it runs."""
        done = anyio.Event()
        outcome: dict[str, Any] = {}

        async def beat() -> None:
            start = time.monotonic()
            while not done.is_set():
                with anyio.move_on_after(HEARTBEAT_S):
                    await done.wait()
                if not done.is_set():
                    waited = time.monotonic() - start
                    queued = f", {self.pool.busy}/{self.pool.size} evaluation slots busy"
                    await report(ctx, round(waited, 1), total, f"{label}: {waited:.0f} s{queued}")

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

    async def shutdown(self) -> None:
        """After background learning drained: stop what is left (evaluations nobody waits for any more)."""
        self.pool.closing = True
        n = kill_children()
        if n:
            log.info("stopped %d evaluation process(es) still running at shutdown", n)


async def report(ctx: Context, progress: float, total: float | None, message: str) -> None:
    """A progress notification; a no-op when the client asked for none, and never an error."""
    try:
        await ctx.report_progress(progress, total, message)
    except Exception:
        pass


def verdict_result(verdict: Verdict | dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The verdict as a tool returns it: hardware reason first, then status and a readable summary.

    Artifacts (scratch paths outside the working directory) are left out."""
    v = verdict if isinstance(verdict, Verdict) else Verdict.from_dict(verdict)
    d = v.to_dict()
    d.pop("artifacts", None)
    err = d.get("error") or {}
    head = {"hardware_reason": err.get("hardware_reason"), "status": d.pop("status"), "passed": v.passed}
    return {**head, "summary": verdict_text(v), **d, **extra}


def _item_brief(item: KnowledgeItem) -> dict[str, Any]:
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


def _same_fix(store: KnowledgeStore, target: str, before: Step, after: Step) -> list[KnowledgeItem]:
    """Stored items with this lesson's trigger and after code (what synthesis de-duplicated against)."""
    err = (before.verdict or {}).get("error") or {}
    signature = normalize_error(
        err.get("hardware_reason") or err.get("message") or (before.verdict or {}).get("status", "")
    )
    if (before.verdict or {}).get("status") == "pass":
        signature = ""  # a perf lesson: its items carry a bottleneck, not an error signature
    want = code_hash(after.candidate or "")
    return [
        it for it in store.list()
        if it.target == target and code_hash(it.after_code) == want and it.trigger.signature == signature
    ]  # fmt: skip


def _code_arg(given_path: str | None, source_arg: str, path_arg: str) -> str:
    return path_arg if given_path else source_arg


def build_server(config: ServerConfig) -> MCPServer:
    """The MCP server with Hawk's tools and resources (run it with `.run("stdio")` or `"streamable-http"`)."""
    hawk = Hawk(config)

    @asynccontextmanager
    async def lifespan(_server: MCPServer) -> AsyncIterator[dict[str, Any]]:
        async with anyio.create_task_group() as tg:
            hawk.background = tg
            try:
                yield {}
            finally:
                hawk.background = None  # no new lessons; the task group waits for those in flight
        await hawk.shutdown()

    server = MCPServer("hawk", instructions=INSTRUCTIONS, lifespan=lifespan, log_level="WARNING")
    server.hawk = hawk  # type: ignore[attr-defined]  # for tests and embedding

    Src = Annotated[str | None, Field(description="kernel source text (or give `path`)")]
    SrcPath = Annotated[str | None, Field(description="kernel file, relative to the server's working directory")]
    TaskRef = Annotated[
        str, Field(description="suite task id (list_tasks) or a KernelBench task file in the working directory")
    ]
    TargetName = Annotated[str, Field(description="hardware target (list_targets)")]
    Seeds = Annotated[int, Field(description="random input seeds; every one must pass")]
    Timeout = Annotated[float, Field(description="wall-clock limit of one evaluation, seconds")]

    @server.tool()
    async def list_targets() -> dict[str, Any]:
        """Hardware targets: whether each runs here and in which mode, and the chip it models."""

        def work() -> dict[str, Any]:
            out = []
            for name in targets.names():
                t = hawk.target(name)
                spec = t.spec()
                out.append({
                    "name": name,
                    "modes": [asdict(m) for m in t.modes()],
                    "sku": spec.sku, "cube_cores": spec.cube_cores, "vector_cores": spec.vector_cores,
                    "memories": {m.name: m.capacity_bytes for m in spec.memories},
                    "spec": spec.describe(),
                })  # fmt: skip
            return {"targets": out, "default": DEFAULT_TARGET}

        return hawk.ws.clean(await anyio.to_thread.run_sync(work))

    @server.tool()
    async def list_tasks(
        suite: Annotated[str | None, Field(description="suite name; all suites when omitted")] = None,
    ) -> dict[str, Any]:
        """The tasks of a suite (all suites by default): id, level, category, description."""

        def work() -> dict[str, Any]:
            known = suite_names()
            if suite is not None and suite not in known:
                raise bad_argument("suite", f"unknown suite {suite!r} (known: {', '.join(known)})")
            tasks = []
            for name in [suite] if suite else known:
                for t in load_suite(name).tasks:
                    tasks.append({"suite": name, "id": t.id, "level": t.level, "category": t.category,
                                  "description": t.description})  # fmt: skip
            return {"tasks": tasks}

        return hawk.ws.clean(await anyio.to_thread.run_sync(work))

    @server.tool()
    async def task_brief(task: TaskRef, target: TargetName = DEFAULT_TARGET) -> dict[str, Any]:
        """What a kernel for TASK must be: the PyTorch reference, the argument contract (names, roles, shapes,
        dtypes in order), the chip's spec and the target's language guide."""

        def work() -> dict[str, Any]:
            from hawk.tasks.task import signature

            the_task, the_target = hawk.task(task), hawk.target(target)
            try:
                specs = signature(the_task)
            except TaskError as exc:
                raise bad_argument("task", str(exc)) from None
            return {
                "task": the_task.id, "suite": the_task.suite, "level": the_task.level, "category": the_task.category,
                "description": the_task.description, "target": the_target.name,
                "contract": [asdict(s) for s in specs], "contract_text": contract_text(specs),
                "reference": the_task.source, "spec": the_target.spec().describe(),
                "guide": the_target.language_guide(), "kernel_contract": "hawk://docs/kernel-contract",
            }  # fmt: skip

        return hawk.ws.clean(await anyio.to_thread.run_sync(work))

    @server.tool()
    async def evaluate_kernel(
        task: TaskRef,
        ctx: Context,
        source: Src = None,
        path: SrcPath = None,
        target: TargetName = DEFAULT_TARGET,
        seeds: Seeds = 3,
        timeout_s: Timeout = 300.0,
        eager: Annotated[bool, Field(description="compare with the eager baseline (speedup)")] = True,
    ) -> dict[str, Any]:
        """Judge one kernel on the target: the verdict (hardware reason first: e.g. which op overflowed UB and
        by how much), status, correctness per seed, simulated time, speedup over eager, bottleneck and pipes.
        A crash, hang (timeout) or cheat is a verdict, not an error. The call joins this session's trajectory."""
        session = hawk.session(ctx)
        state: dict[str, Any] = {}

        def work() -> tuple[Step, list[Lesson]]:
            state["task"], state["target"] = hawk.task(task), hawk.target(target)
            code = hawk.ws.source(source, path)
            state["opts"] = hawk.options(seeds, timeout_s, eager)
            return hawk.judge(session, state["task"], state["target"], code, state["opts"], "evaluate")

        step, lessons = await hawk.in_thread(ctx, work, f"evaluating on {target}", total=timeout_s)
        hawk.learn_later(session, state["task"], state["target"], lessons, state["opts"])
        learning = [lesson.kind for lesson in lessons] if hawk.config.learn else []
        return hawk.ws.clean(verdict_result(step.verdict or {}, step=step.index, session=session.id, learning=learning))

    @server.tool()
    async def tune_kernel(
        task: TaskRef,
        ctx: Context,
        source: Src = None,
        path: SrcPath = None,
        target: TargetName = DEFAULT_TARGET,
        budget: Annotated[int, Field(description="simulated points at most (the original included)")] = 24,
        workers: Annotated[int, Field(description="points simulated in parallel (capped by the server's pool)")] = 2,
        seeds: Annotated[int, Field(description="seeds the winner (and the kernel first) must pass")] = 3,
        seed: Annotated[int, Field(description="the search's random seed")] = 0,
        timeout_s: Timeout = 300.0,
    ) -> dict[str, Any]:
        """Search a correct kernel's tile sizes and scheduling pass options on the simulator (no LLM); the fastest
        point is verified on every seed. Returns the tuned source and before/after times with the best points."""
        session = hawk.session(ctx)
        state: dict[str, Any] = {}

        def progress(message: str) -> None:  # the tuner's log lines, from its thread, as progress notifications
            state["lines"] = state.get("lines", 0) + 1
            try:
                anyio.from_thread.run(report, ctx, state["lines"], None, message.strip())
            except Exception:
                pass

        def work() -> dict[str, Any]:
            from hawk.tune import tune

            the_task, the_target = hawk.task(task), hawk.target(target)
            code = hawk.ws.source(source, path)
            if budget < 1:
                raise bad_argument("budget", f"must be a positive number of points, got {budget}")
            if workers < 1:
                raise bad_argument("workers", f"must be a positive integer, got {workers}")
            opts = hawk.options(seeds, timeout_s)
            state.update(task=the_task, target=the_target, opts=opts, lessons=[])
            first, lessons = hawk.judge(session, the_task, the_target, code, opts, "evaluate", reuse=True)
            state["lessons"] += lessons
            v = first.verdict or {}
            if v.get("status") != "pass":
                why = (v.get("error") or {}).get("hardware_reason") or (v.get("error") or {}).get("message") or ""
                arg = _code_arg(path, "source", "path")
                raise bad_argument(
                    arg, f"the kernel does not pass ({v.get('status')}: {why[:300]}); tune a correct kernel"
                )
            roofline = (v.get("perf") or {}).get("roofline_us")
            with hawk.pool.slots(workers) as held:
                result = tune(code, the_task, the_target, budget=budget, workers=held, eval_options=opts, seed=seed,
                              roofline_us=roofline, log=progress)  # fmt: skip
            if hawk.pool.closing:
                raise ServerClosing("the server stopped during tuning")
            if result.changed and result.verdict:
                _, more = session.record(the_task, the_target.name, result.source, result.verdict, "tune")
                state["lessons"] += more
            ranked = sorted((r for r in result.records if r.time_us is not None), key=lambda r: r.time_us or 0.0)
            return {
                "changed": result.changed, "source": result.source,
                "before_us": result.before_us, "after_us": result.after_us, "speedup": result.speedup,
                "roofline_us": result.roofline_us, "roofline_ratio": result.roofline_ratio,
                "strategy": result.strategy, "points_tried": result.points_tried,
                "points_pruned": result.points_pruned, "points_failed": result.points_failed,
                "wall_s": result.wall_s, "points_per_minute": result.points_per_minute, "notes": result.notes,
                "knobs": [{"name": k.name, "kind": k.kind, "original": k.original, "candidates": len(k.values)}
                          for k in result.knobs],
                "best_points": [{"values": r.values, "status": r.status, "time_us": r.time_us} for r in ranked[:10]],
                "failed_points": [{"values": r.values, "reason": r.reason, "constraint": r.constraint}
                                  for r in result.records if r.status == "failed"][:5],
                "verdict": verdict_result(result.verdict) if result.changed and result.verdict else None,
            }  # fmt: skip

        out = await hawk.in_thread(ctx, work, f"tuning on {target}")
        hawk.learn_later(session, state["task"], state["target"], state["lessons"], state["opts"])
        return hawk.ws.clean(out)

    @server.tool()
    async def search_knowledge(
        code: Annotated[str | None, Field(description="kernel source: the syntactic query")] = None,
        path: Annotated[str | None, Field(description="kernel file instead of `code`")] = None,
        verdict: Annotated[
            dict[str, Any] | None,
            Field(description="its verdict (e.g. what evaluate_kernel returned): the hardware query"),
        ] = None,
        error: Annotated[
            str | None, Field(description="error text or hardware reason, when there is no verdict")
        ] = None,
        k: Annotated[int, Field(description="hits at most")] = 5,
        target: Annotated[str | None, Field(description="only knowledge learned on this target")] = DEFAULT_TARGET,
    ) -> dict[str, Any]:
        """2D retrieval from Hawk's proven fixes: syntactic (code tokens, BM25) x hardware-semantic (taxonomy
        labels and error text) scores. Each hit has its labels, rationale, the proven diff and why it matched."""

        def work() -> dict[str, Any]:
            from hawk.knowledge.retrieval import retrieve

            if k < 1:
                raise bad_argument("k", f"must be a positive integer, got {k}")
            if target is not None:
                hawk.target(target)
            if code and path:
                raise bad_argument("code", "give `code` or `path`, not both")
            query = hawk.ws.read("path", path) if path else (code or "")
            if not query.strip() and not error and not verdict:
                raise bad_argument("code", "missing: give `code` or `path`, and/or `verdict` or `error`")
            with hawk.store() as store:
                hits = retrieve(store, query, error, verdict, k=k, target=target)
                return {
                    "hits": [
                        {**_item_brief(h.item), "score": round(h.score, 4),
                         "syntactic_score": round(h.syntactic_score, 4),
                         "semantic_score": round(h.semantic_score, 4), "why": h.why, "after_code": h.item.after_code,
                         "task": h.item.provenance.get("task"), "effect": asdict(h.item.effect)}
                        for h in hits
                    ],
                    "searched": sum(1 for st in ("active", "demoted") for it in store.list(st)
                                    if target is None or it.target == target),
                }  # fmt: skip

        return hawk.ws.clean(await anyio.to_thread.run_sync(work))

    @server.tool()
    async def record_fix(
        task: TaskRef,
        ctx: Context,
        failing_source: Annotated[str | None, Field(description="the kernel that failed (or `failing_path`)")] = None,
        failing_path: Annotated[str | None, Field(description="file of the failing kernel")] = None,
        passing_source: Annotated[
            str | None, Field(description="the fixed kernel that passes (or `passing_path`)")
        ] = None,
        passing_path: Annotated[str | None, Field(description="file of the passing kernel")] = None,
        target: TargetName = DEFAULT_TARGET,
        seeds: Seeds = 3,
        timeout_s: Timeout = 300.0,
    ) -> dict[str, Any]:
        """Teach Hawk a fix: a failing -> passing pair of kernels for TASK becomes a knowledge item (trigger from
        the failure's hardware reason, taxonomy labels, rationale, the diff). The passing kernel is re-run as
        proof; the item is active only if that run passes. Verdicts this session already has are reused."""
        session = hawk.session(ctx)

        def work() -> dict[str, Any]:
            the_task, the_target = hawk.task(task), hawk.target(target)
            bad_code = hawk.ws.source(failing_source, failing_path, "failing_source", "failing_path")
            good_code = hawk.ws.source(passing_source, passing_path, "passing_source", "passing_path")
            bad_arg = _code_arg(failing_path, "failing_source", "failing_path")
            good_arg = _code_arg(passing_path, "passing_source", "passing_path")
            if code_hash(bad_code) == code_hash(good_code):
                raise bad_argument(good_arg, "is the same kernel as the failing one")
            opts = hawk.options(seeds, timeout_s)
            before, _ = hawk.judge(session, the_task, the_target, bad_code, opts, "record_fix", reuse=True)
            if (before.verdict or {}).get("status") == "pass":
                raise bad_argument(bad_arg, "this kernel passes: record_fix needs a failing kernel and its fix")
            after, _ = hawk.judge(session, the_task, the_target, good_code, opts, "record_fix", reuse=True)
            v = after.verdict or {}
            if v.get("status") != "pass":
                why = (v.get("error") or {}).get("hardware_reason") or (v.get("error") or {}).get("message") or ""
                raise bad_argument(good_arg, f"this kernel does not pass ({v.get('status')}: {why[:300]})")
            try:
                created, known = hawk.synthesize(session, the_task, the_target, before, after, opts)
            except ValueError as exc:  # the fix is the task's expert kernel
                raise bad_argument(good_arg, str(exc)) from None
            items = created or known
            return {
                "items": [_item_brief(it) for it in items],
                "created": bool(created),
                "note": "" if created else "the store already holds this fix (same trigger and after code)",
                "failing": {"status": before.verdict["status"] if before.verdict else None,
                            "hardware_reason": ((before.verdict or {}).get("error") or {}).get("hardware_reason")},
                "passing": {"status": v.get("status"), "time_us": (v.get("perf") or {}).get("time_us")},
            }  # fmt: skip

        return hawk.ws.clean(await hawk.in_thread(ctx, work, "recording the fix"))

    @server.tool()
    async def kb_stats(ctx: Context) -> dict[str, Any]:
        """The knowledge store: items by status, active items by hardware label, measured effect, and what this
        session taught it so far."""
        session = hawk.session(ctx)

        def work() -> dict[str, Any]:
            with hawk.store() as store:
                items = store.list()
                shown = hawk.ws.shown(store.path)
            by_status: dict[str, int] = {}
            by_label: dict[str, int] = {}
            for it in items:
                by_status[it.status] = by_status.get(it.status, 0) + 1
                for label in it.labels if it.status == "active" else []:
                    by_label[label] = by_label.get(label, 0) + 1
            used = [it for it in items if it.effect.injected]
            return {
                "store": shown, "items": len(items), "by_status": by_status,
                "active_by_label": dict(sorted(by_label.items(), key=lambda kv: -kv[1])),
                "injections": sum(it.effect.injected for it in used),
                "passes_after": sum(it.effect.passes_after for it in used),
                "session": session.summary(),
            }  # fmt: skip

        return hawk.ws.clean(await anyio.to_thread.run_sync(work))

    # --- resources: what an agent should read before writing a kernel ------------------------------

    @server.resource("hawk://docs/kernel-contract", name="kernel-contract", mime_type="text/markdown",
                     description="The ascend-pypto kernel contract: argument order, fixed shapes, rules")  # fmt: skip
    def kernel_contract() -> str:
        if CONTRACT_DOC.is_file():
            return CONTRACT_DOC.read_text()
        return "docs/kernel-contract.md is not installed with this copy of Hawk; see task_brief's contract."

    def guide_reader(name: str) -> Callable[[], str]:
        def read() -> str:
            return hawk.target(name).language_guide()

        read.__name__ = f"guide_{name.replace('-', '_')}"
        return read

    for name in targets.names():
        about = f"The {name} language guide an LLM gets: API, hardware rules, tiling"
        register = server.resource(f"hawk://guides/{name}", name=f"guide-{name}", mime_type="text/markdown",
                                   description=about)  # fmt: skip
        register(guide_reader(name))

    return server


def run(config: ServerConfig, http: tuple[str, int] | None = None) -> None:
    """Serve until the client goes (stdio) or the process is interrupted (HTTP)."""
    server = build_server(config)
    hawk: Hawk = server.hawk  # type: ignore[attr-defined]

    def on_term(signum: int, frame: Any) -> None:
        # Clients stop a stdio server with SIGTERM a moment after closing its stdin: stop every
        # evaluation child first (a hung candidate must not outlive us), and store nothing after.
        hawk.pool.closing = True
        kill_children()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    if http is None:
        server.run("stdio")
    else:
        server.run("streamable-http", host=http[0], port=http[1])


__all__ = ["Hawk", "ServerConfig", "build_server", "run", "verdict_result"]
