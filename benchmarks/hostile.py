"""Hawk against its hostile corpus (tests/hostile/): per kind of input, the cases, how many got their
expected outcome, false passes (a hostile kernel judged `pass`: goal 0) and crashes of Hawk (an exception
out of Hawk or a dead server: goal 0). A benchmark, not a test: it prints figures (tests/test_hostile.py
asserts them).

    python benchmarks/hostile.py [--sim] [--json FILE]

Without --sim the kernels that only the simulator can catch are left out (they take 10-60 s each).
Task files run in the sandboxed task loader (hawk.tasks.sandboxed), so every task-file case runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package holds the corpus

from tests.hostile.cli_args import CLI_CASES, files  # noqa: E402
from tests.hostile.judge import Outcome, judge_cli, judge_kernel, judge_mcp, judge_task, task_server  # noqa: E402
from tests.hostile.kernels import KERNEL_CASES  # noqa: E402
from tests.hostile.mcp_calls import MCP_CASES  # noqa: E402
from tests.hostile.replies import REPLY_CASES  # noqa: E402
from tests.hostile.task_files import TASK_CASES  # noqa: E402


def reply_outcomes() -> Iterable[Outcome]:
    from hawk.llm.parse import extract_kernel

    for case in REPLY_CASES:
        started = time.monotonic()
        try:
            parsed = extract_kernel(case.reply, finish_reason=case.finish_reason)
        except Exception as exc:
            yield Outcome(case.id, "reply", False, crash=True, detail=repr(exc))
            continue
        ok = parsed.ok == case.code and case.needle in ((parsed.code or "") if case.code else (parsed.reason or ""))
        yield Outcome(case.id, "reply", ok, detail=str(parsed.reason), seconds=time.monotonic() - started)


def all_outcomes(root: Path, sim: bool) -> list[Outcome]:
    out = [judge_kernel(c) for c in KERNEL_CASES if sim or not c.sim]
    out += list(reply_outcomes())
    out += anyio.run(judge_mcp, MCP_CASES, root / "mcp")
    files(cli_root := root / "cli")
    out += [judge_cli(c, cli_root) for c in CLI_CASES]
    server = task_server(root / "tasks")
    try:
        out += [judge_task(c, server) for c in TASK_CASES]
    finally:
        server.close()
    return out


def table(outcomes: list[Outcome]) -> str:
    rows = [
        "| input | cases | expected outcome | false passes | crashes of Hawk | seconds |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind in ("kernel", "reply", "mcp", "cli", "task", None):
        group = [o for o in outcomes if kind is None or o.kind == kind]
        rows.append(f"| {kind or '**all**'} | {len(group)} | {sum(o.ok for o in group)} | {sum(o.false_pass for o in group)} "
                    f"| {sum(o.crash for o in group)} | {sum(o.seconds for o in group):.1f} |")  # fmt: skip
    return "\n".join(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sim", action="store_true", help="also the kernels only the simulator catches")
    ap.add_argument("--json", type=Path, help="write every outcome here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        outcomes = all_outcomes(Path(tmp), args.sim)
    print(table(outcomes))
    for o in outcomes:
        if not o.ok or o.crash or o.false_pass:
            print(
                f"  {o.kind}/{o.case}: {'CRASH ' if o.crash else ''}{'FALSE PASS ' if o.false_pass else ''}{o.detail[:160]!r}"
            )
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
