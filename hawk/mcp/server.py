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
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import anyio
import anyio.from_thread
import anyio.to_thread
from anyio.abc import TaskGroup
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from hawk import __version__
from hawk.agent.prompts import contract_text, shape_contract
from hawk.knowledge.item import code_hash
from hawk.knowledge.synthesis import Lesson
from hawk.mcp.safety import argument_errors, bad_argument
from hawk.mcp.session import Progress, ServerClosing
from hawk.mcp.state import (
    CONTRACT_DOC,
    DEFAULT_TARGET,
    Hawk,
    ServerConfig,
    code_arg,
    item_brief,
    verdict_dict,
    verdict_result,
)
from hawk.mcp.transport import install_stop, serve_http, serve_stdio
from hawk.records.trajectory import Step
from hawk.tasks import TaskError, load_suite, suite_names
from hawk.tasks.task import ArgSpec, Task
from hawk.tune import TUNE_BUDGET

log = logging.getLogger("hawk.mcp")


INSTRUCTIONS = """Hawk judges NPU kernels on a hardware simulator and remembers proven fixes.
Typical session: list_tasks -> task_brief (contract, hardware spec, language guide) -> write a kernel ->
evaluate_kernel (the verdict leads with the hardware reason) -> search_knowledge with the failing code and
verdict -> fix -> evaluate_kernel until it passes -> tune_kernel -> record_fix for a failing -> passing pair.
Paths are relative to the server's working directory; nothing outside it can be read."""
MAX_SEEDS, MAX_TIMEOUT_S = 64, 3600.0  # an agent's typo must not hold an evaluation slot for a day


def kernelbench_tasks(hawk: Hawk, folder: str) -> dict[str, Any]:
    """list_tasks(dir=...): a KernelBench-format folder's tasks with their files and shape decisions."""
    from hawk.tasks.kernelbench import load_dir

    path = Path(folder).expanduser()
    path = (path if path.is_absolute() else hawk.ws.root / path).resolve()  # symlinks out of the root count as out
    if not path.is_relative_to(hawk.ws.root):
        raise bad_argument("dir", f"{folder!r} is outside the server's working directory {hawk.ws.root}")
    if not path.is_dir():
        raise bad_argument("dir", f"not a folder: {folder!r} (relative to {hawk.ws.root})")
    try:
        s = load_dir(path)
    except TaskError as exc:
        raise bad_argument("dir", str(exc)) from None
    return {"suite": s.name, "tasks": [
        {"id": t.id, "level": t.level, "category": t.category, "path": hawk.ws.shown(t.path),
         "shape_policy": t.extra.get("shape_policy")} for t in s.tasks]}  # fmt: skip


class HawkServer(MCPServer):
    """The SDK's server, with every tool call's arguments checked first (unknown names, types and ranges
    as one error naming each argument, never raw pydantic text) and every tool error masked like a result."""

    hawk: Hawk

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        try:
            tool = self._tool_manager.get_tool(name)
            if tool is not None:
                parsed = tool.fn_metadata.pre_parse_json(arguments) if isinstance(arguments, dict) else arguments
                problem = argument_errors(name, tool.parameters, tool.fn_metadata.arg_model, parsed)
                if problem is not None:
                    raise problem
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:  # UnexpectedToolError keeps its type (and its generic text)
            raise type(exc)(self.hawk.ws.clean(str(exc))) from exc.__cause__


def build_server(config: ServerConfig) -> HawkServer:
    """The MCP server with Hawk's tools and resources (serve it with `run`, or `.run("stdio")`)."""
    hawk = Hawk(config)
    server = HawkServer(
        "hawk", version=__version__, instructions=INSTRUCTIONS, lifespan=_lifespan(hawk), log_level="WARNING"
    )
    server.hawk = hawk  # for tests and embedding
    _catalog_tools(server, hawk)
    _evaluate_tool(server, hawk)
    _tune_tool(server, hawk)
    _search_tool(server, hawk)
    _record_fix_tool(server, hawk)
    _kb_stats_tool(server, hawk)
    _resources(server, hawk)
    return server


def _lifespan(hawk: Hawk) -> Callable[[MCPServer], AbstractAsyncContextManager[dict[str, Any]]]:
    @asynccontextmanager
    async def lifespan(_server: MCPServer) -> AsyncIterator[dict[str, Any]]:
        async with anyio.create_task_group() as tg:
            hawk.background = tg
            try:
                yield {}
            finally:
                hawk.background = None  # no new lessons
                await _drain(hawk, tg)
        await hawk.shutdown()

    return lifespan


async def _drain(hawk: Hawk, background: TaskGroup) -> None:
    """Lessons being proven when the client goes may finish for `drain_s`; the rest are dropped."""
    with anyio.move_on_after(hawk.config.drain_s):
        while any(s.pending > 0 for s in hawk.all_sessions):
            await anyio.sleep(0.1)
    if any(s.pending > 0 for s in hawk.all_sessions):
        hawk.stop(f"the client went; lessons still unproven after {hawk.config.drain_s:g} s")
        background.cancel_scope.cancel()


# Argument types of the tools (their descriptions are what an agent reads in the tool schema).
Src = Annotated[str | None, Field(description="kernel source text (or give `path`)")]
SrcPath = Annotated[str | None, Field(description="kernel file, relative to the server's working directory")]
TaskRef = Annotated[
    str, Field(description="suite task id (list_tasks) or a KernelBench task file in the working directory")
]
TargetName = Annotated[str, Field(description="hardware target (list_targets)")]
Seeds = Annotated[int, Field(description="random input seeds; every one must pass", le=MAX_SEEDS)]
Timeout = Annotated[float, Field(description="wall-clock limit of one evaluation, seconds", le=MAX_TIMEOUT_S)]


def task_contract(the_task: Task) -> tuple[list[ArgSpec], list[dict[str, int]], dict[str, list[int]]]:
    """The kernel arguments, shape set and dynamic axes of a task: the one place the server asks a task
    file for them. (Task files are untrusted code: this must go through the sandboxed task loader.)"""
    from hawk.tasks.sandboxed import task_spec

    try:
        specs = list(task_spec(the_task).args)
        shapes, dynamic = shape_contract(the_task)
    except TaskError as exc:
        raise bad_argument("task", str(exc)) from None
    except Exception as exc:  # the task's own code failed (get_inputs raising, returning junk): its fault
        raise bad_argument("task", f"the task file failed: {type(exc).__name__}: {exc}") from None
    return specs, shapes, dynamic


def _catalog_tools(server: MCPServer, hawk: Hawk) -> None:
    @server.tool()
    async def list_targets() -> dict[str, Any]:
        """Hardware targets: whether each runs here and in which mode, and the chip it models."""
        return hawk.ws.clean(await anyio.to_thread.run_sync(lambda: _targets(hawk)))

    @server.tool()
    async def list_tasks(
        suite: Annotated[str | None, Field(description="suite name; all suites when omitted")] = None,
        dir: Annotated[
            str | None,
            Field(
                description="instead of a suite: a KernelBench checkout or folder of KernelBench-format files "
                "(level1/, ...) in the working directory; each task's `path` is what task_brief and "
                "evaluate_kernel take, `shape_policy` the shape it runs at and why"
            ),
        ] = None,  # fmt: skip
    ) -> dict[str, Any]:
        """The tasks of a suite (all suites by default): id, level, category, description."""
        return hawk.ws.clean(await anyio.to_thread.run_sync(lambda: _tasks(hawk, suite, dir)))

    @server.tool()
    async def task_brief(task: TaskRef, target: TargetName = DEFAULT_TARGET) -> dict[str, Any]:
        """What a kernel for TASK must be: the PyTorch reference, the argument contract (names, roles, shapes,
        dtypes in order), the chip's spec and the target's language guide."""
        return hawk.ws.clean(await anyio.to_thread.run_sync(lambda: _brief(hawk, task, target)))


def _targets(hawk: Hawk) -> dict[str, Any]:
    out = []
    for name in hawk.target_names():
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


def _tasks(hawk: Hawk, suite: str | None, dir: str | None) -> dict[str, Any]:
    if dir is not None:
        return kernelbench_tasks(hawk, dir)
    known = suite_names()
    if suite is not None and suite not in known:
        raise bad_argument("suite", f"unknown suite {suite!r} (known: {', '.join(known)})")
    tasks = []
    for name in [suite] if suite else known:
        for t in load_suite(name).tasks:
            tasks.append({"suite": name, "id": t.id, "level": t.level, "category": t.category,
                          "description": t.description})  # fmt: skip
    return {"tasks": tasks}


def _brief(hawk: Hawk, task: str, target: str) -> dict[str, Any]:
    the_task, the_target = hawk.task(task), hawk.target(target)
    specs, shapes, dynamic = task_contract(the_task)
    return {
        "task": the_task.id, "suite": the_task.suite, "level": the_task.level, "category": the_task.category,
        "description": the_task.description, "target": the_target.name,
        "contract": [asdict(s) for s in specs], "contract_text": contract_text(specs, shapes, dynamic), "shapes": shapes,
        "reference": the_task.source, "spec": the_target.spec().describe(),
        "guide": the_target.language_guide(), "kernel_contract": "hawk://docs/kernel-contract",
    }  # fmt: skip


def _evaluate_tool(server: MCPServer, hawk: Hawk) -> None:
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


def _tune_tool(server: MCPServer, hawk: Hawk) -> None:
    @server.tool()
    async def tune_kernel(
        task: TaskRef,
        ctx: Context,
        source: Src = None,
        path: SrcPath = None,
        target: TargetName = DEFAULT_TARGET,
        tune_budget: Annotated[
            int | None,
            Field(description=f"simulated points at most, the original included (default {TUNE_BUDGET})", le=1000),
        ] = None,
        budget: Annotated[int | None, Field(description="the old name of tune_budget", le=1000)] = None,
        workers: Annotated[
            int, Field(description="points simulated in parallel (capped by the server's pool)", le=64)
        ] = 2,
        seeds: Annotated[int, Field(description="seeds the winner (and the kernel first) must pass", le=MAX_SEEDS)] = 3,
        seed: Annotated[int, Field(description="the search's random seed")] = 0,
        timeout_s: Timeout = 300.0,
    ) -> dict[str, Any]:
        """Search a correct kernel's tile sizes and scheduling pass options on the simulator (no LLM); the fastest
        point is verified on every seed. Returns the tuned source and before/after times with the best points."""
        session = hawk.session(ctx)
        progress = Progress(hawk.ws.clean)  # the heartbeat and the tuner's lines share it: never backwards
        state: dict[str, Any] = {}

        def tuner_line(message: str) -> None:  # from the tuner's thread
            try:
                anyio.from_thread.run(progress.send, ctx, None, message.strip())
            except Exception:
                pass

        def work() -> dict[str, Any]:
            the_task, the_target = hawk.task(task), hawk.target(target)
            code = hawk.ws.source(source, path)
            named, points = ("tune_budget", tune_budget) if tune_budget is not None else ("budget", budget)
            points = TUNE_BUDGET if points is None else points
            if points < 1:
                raise bad_argument(named, f"must be a positive number of points, got {points}")
            if workers < 1:
                raise bad_argument("workers", f"must be a positive integer, got {workers}")
            opts = hawk.options(seeds, timeout_s)
            state.update(task=the_task, target=the_target, opts=opts, lessons=[])
            first, lessons = hawk.judge(session, the_task, the_target, code, opts, "evaluate", reuse=True)
            state["lessons"] += lessons
            _require_pass(first, code_arg(path, "source", "path"), "tune a correct kernel")
            roofline = (verdict_dict(first).get("perf") or {}).get("roofline_us")
            with hawk.pool.slots(workers) as held:
                result = _tune(code, the_task, the_target, points, held, opts, seed, roofline, tuner_line)
            if hawk.pool.closing:
                raise ServerClosing("the server stopped during tuning")
            if result.changed and result.verdict:
                _, more = session.record(the_task, the_target.name, result.source, result.verdict, "tune")
                state["lessons"] += more
            return tune_result(result)

        out = await hawk.in_thread(ctx, work, f"tuning on {target}", progress=progress)
        hawk.learn_later(session, state["task"], state["target"], state["lessons"], state["opts"])
        return hawk.ws.clean(out)


def _require_pass(step: Step, arg: str, then: str) -> None:
    """A tool error naming `arg` unless the step's kernel passed."""
    v = verdict_dict(step)
    if v.get("status") != "pass":
        why = (v.get("error") or {}).get("hardware_reason") or (v.get("error") or {}).get("message") or ""
        raise bad_argument(arg, f"the kernel does not pass ({v.get('status')}: {why[:300]}); {then}")


def _tune(code: str, task: Task, target: Any, budget: int, workers: int, opts: Any, seed: int,
          roofline: float | None, log_line: Callable[[str], None]) -> Any:  # fmt: skip
    from hawk.tune import tune

    return tune(code, task, target, budget=budget, workers=workers, eval_options=opts, seed=seed,
                roofline_us=roofline, log=log_line)  # fmt: skip


def tune_result(result: Any) -> dict[str, Any]:
    """What `tune_kernel` returns for a `hawk.tune` result."""
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


def _search_tool(server: MCPServer, hawk: Hawk) -> None:
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
        k: Annotated[int, Field(description="hits at most", le=100)] = 5,
        target: Annotated[str | None, Field(description="only knowledge learned on this target")] = DEFAULT_TARGET,
    ) -> dict[str, Any]:
        """2D retrieval from Hawk's proven fixes: syntactic (code tokens, BM25) x hardware-semantic (taxonomy
        labels and error text) scores. Each hit has its labels, rationale, the proven diff and why it matched."""

        def work() -> dict[str, Any]:
            if k < 1:
                raise bad_argument("k", f"must be a positive integer, got {k}")
            if target is not None:
                hawk.target(target)
            if code and path:
                raise bad_argument("code", "give `code` or `path`, not both")
            query = hawk.ws.read("path", path) if path else (code or "")
            if not query.strip() and not error and not verdict:
                raise bad_argument("code", "missing: give `code` or `path`, and/or `verdict` or `error`")
            return _search(hawk, query, error, verdict, k, target)

        return hawk.ws.clean(await anyio.to_thread.run_sync(work))


def _record_fix_tool(server: MCPServer, hawk: Hawk) -> None:
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
            good_arg = code_arg(passing_path, "passing_source", "passing_path")
            if code_hash(bad_code) == code_hash(good_code):
                raise bad_argument(good_arg, "is the same kernel as the failing one")
            opts = hawk.options(seeds, timeout_s)
            before, _ = hawk.judge(session, the_task, the_target, bad_code, opts, "record_fix", reuse=True)
            if before.status == "pass":
                bad_arg = code_arg(failing_path, "failing_source", "failing_path")
                raise bad_argument(bad_arg, "this kernel passes: record_fix needs a failing kernel and its fix")
            after, _ = hawk.judge(session, the_task, the_target, good_code, opts, "record_fix", reuse=True)
            _require_pass(after, good_arg, "record_fix needs its fix to pass")
            try:
                created, known = hawk.synthesize(session, the_task, the_target, before, after, opts)
            except ValueError as exc:  # the fix is the task's expert kernel
                raise bad_argument(good_arg, str(exc)) from None
            return _fix_result(created, known, before, after)

        return hawk.ws.clean(await hawk.in_thread(ctx, work, "recording the fix"))


def _kb_stats_tool(server: MCPServer, hawk: Hawk) -> None:
    @server.tool()
    async def kb_stats(ctx: Context) -> dict[str, Any]:
        """The knowledge store: items by status, active items by hardware label, measured effect, what this
        session taught it so far, and lessons dropped unproven when a server stopped (`learning_dropped`)."""
        session = hawk.session(ctx)
        return hawk.ws.clean(await anyio.to_thread.run_sync(_stats, hawk, session))


def _search(hawk: Hawk, query: str, error: str | None, verdict: Any, k: int, target: str | None) -> dict[str, Any]:
    from hawk.knowledge.retrieval import retrieve

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


def _fix_result(created: list[Any], known: list[Any], before: Step, after: Step) -> dict[str, Any]:
    v, b = verdict_dict(after), verdict_dict(before)
    return {
        "items": [item_brief(it) for it in created or known],
        "created": bool(created),
        "note": "" if created else "the store already holds this fix (same trigger and after code)",
        "failing": {"status": b.get("status"), "hardware_reason": (b.get("error") or {}).get("hardware_reason")},
        "passing": {"status": v.get("status"), "time_us": (v.get("perf") or {}).get("time_us")},
    }  # fmt: skip


def _stats(hawk: Hawk, session: Any) -> dict[str, Any]:
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
    dropped = hawk.dropped.read()
    return {
        "store": shown, "items": len(items), "by_status": by_status,
        "active_by_label": dict(sorted(by_label.items(), key=lambda kv: -kv[1])),
        "injections": sum(it.effect.injected for it in used),
        "passes_after": sum(it.effect.passes_after for it in used),
        "session": session.summary(),
        "learning_dropped": {"lessons": sum(int(d.get("lessons", 0)) for d in dropped), "last": dropped[-5:]},
    }  # fmt: skip


def _resources(server: MCPServer, hawk: Hawk) -> None:
    """What an agent should read before writing a kernel: the kernel contract and each target's guide."""

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

    for name in hawk.target_names():
        about = f"The {name} language guide an LLM gets: API, hardware rules, tiling"
        register = server.resource(f"hawk://guides/{name}", name=f"guide-{name}", mime_type="text/markdown",
                                   description=about)  # fmt: skip
        register(guide_reader(name))


def run(config: ServerConfig, http: tuple[str, int] | None = None) -> None:
    """Serve until the client goes (stdio) or a SIGINT/SIGTERM (both): see hawk/mcp/transport.py."""
    server = build_server(config)
    hawk = server.hawk

    def stop(signum: int) -> None:
        hawk.stop(f"signal {signal.Signals(signum).name}")

    handler = install_stop(stop, immediate=http is None)
    if http is None:
        anyio.run(serve_stdio, server)
    else:
        anyio.run(serve_http, server, http[0], http[1], handler)


__all__ = ["Hawk", "HawkServer", "ServerConfig", "build_server", "run", "verdict_result"]
