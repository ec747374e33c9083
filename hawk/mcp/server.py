"""`hawk mcp`: Hawk's targets, tuner and knowledge as MCP tools, for coding agents.

Tools: list_targets, list_tasks, task_brief, evaluate_kernel, tune_kernel, search_knowledge,
record_fix, kb_stats. Resources: each target's language guide and the kernel contract.

Every blocking call (a simulation, the tuner, the embedder) runs in a worker thread, so a long or
hung evaluation never holds up another call; evaluations and tuning share one bounded pool
(`EvalPool`). Each session's evaluations form trajectories (hawk/records/trajectory.py); when one
completes a lesson (a failing kernel followed by a passing one, or a passing one made >= 5%
faster), run-time synthesis (hawk/knowledge/synthesis.py) proves and stores it in the background,
and `record_fix` does the same for a pair the agent names. No LLM is called: labels and rationales
come from Hawk's rules.
"""

import logging
import os
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Annotated, Any

import anyio
import anyio.from_thread
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from hawk import targets
from hawk.agent.prompts import contract_text, shape_contract
from hawk.knowledge.item import code_hash
from hawk.knowledge.synthesis import Lesson
from hawk.mcp.safety import bad_argument
from hawk.mcp.session import ServerClosing, kill_children
from hawk.mcp.state import (
    CONTRACT_DOC,
    DEFAULT_TARGET,
    Hawk,
    ServerConfig,
    code_arg,
    item_brief,
    report,
    verdict_dict,
    verdict_result,
)
from hawk.records.trajectory import Step
from hawk.tasks import TaskError, load_suite, suite_names
from hawk.tune import TUNE_BUDGET

log = logging.getLogger("hawk.mcp")


INSTRUCTIONS = """Hawk judges NPU kernels on a hardware simulator and remembers proven fixes.
Typical session: list_tasks -> task_brief (contract, hardware spec, language guide) -> write a kernel ->
evaluate_kernel (the verdict leads with the hardware reason) -> search_knowledge with the failing code and
verdict -> fix -> evaluate_kernel until it passes -> tune_kernel -> record_fix for a failing -> passing pair.
Paths are relative to the server's working directory; nothing outside it can be read."""


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
                shapes, dynamic = shape_contract(the_task)
            except TaskError as exc:
                raise bad_argument("task", str(exc)) from None
            return {
                "task": the_task.id, "suite": the_task.suite, "level": the_task.level, "category": the_task.category,
                "description": the_task.description, "target": the_target.name,
                "contract": [asdict(s) for s in specs], "contract_text": contract_text(specs, shapes, dynamic), "shapes": shapes,
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
        return hawk.ws.clean(verdict_result(step.verdict, step=step.index, session=session.id, learning=learning))

    @server.tool()
    async def tune_kernel(
        task: TaskRef,
        ctx: Context,
        source: Src = None,
        path: SrcPath = None,
        target: TargetName = DEFAULT_TARGET,
        budget: Annotated[int, Field(description="simulated points at most (the original included)")] = TUNE_BUDGET,
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
            v = verdict_dict(first)
            if v.get("status") != "pass":
                why = (v.get("error") or {}).get("hardware_reason") or (v.get("error") or {}).get("message") or ""
                arg = code_arg(path, "source", "path")
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
                hits = retrieve(store, query, error, verdict, k=k, target=target, gate=True)
                return {
                    "hits": [
                        {**item_brief(h.item), "score": round(h.score, 4),
                         "syntactic_score": round(h.syntactic_score, 4),
                         "semantic_score": round(h.semantic_score, 4), "why": h.why, "after_code": h.item.after_code,
                         "preconditions": h.check.describe() if h.check else None,
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
            bad_arg = code_arg(failing_path, "failing_source", "failing_path")
            good_arg = code_arg(passing_path, "passing_source", "passing_path")
            if code_hash(bad_code) == code_hash(good_code):
                raise bad_argument(good_arg, "is the same kernel as the failing one")
            opts = hawk.options(seeds, timeout_s)
            before, _ = hawk.judge(session, the_task, the_target, bad_code, opts, "record_fix", reuse=True)
            if before.status == "pass":
                raise bad_argument(bad_arg, "this kernel passes: record_fix needs a failing kernel and its fix")
            after, _ = hawk.judge(session, the_task, the_target, good_code, opts, "record_fix", reuse=True)
            v = verdict_dict(after)
            if v.get("status") != "pass":
                why = (v.get("error") or {}).get("hardware_reason") or (v.get("error") or {}).get("message") or ""
                raise bad_argument(good_arg, f"this kernel does not pass ({v.get('status')}: {why[:300]})")
            try:
                created, known = hawk.synthesize(session, the_task, the_target, before, after, opts)
            except ValueError as exc:  # the fix is the task's expert kernel
                raise bad_argument(good_arg, str(exc)) from None
            items = created or known
            return {
                "items": [item_brief(it) for it in items],
                "created": bool(created),
                "note": "" if created else "the store already holds this fix (same trigger and after code)",
                "failing": {"status": before.verdict.status.value if before.verdict else None,
                            "hardware_reason": (verdict_dict(before).get("error") or {}).get("hardware_reason")},
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
