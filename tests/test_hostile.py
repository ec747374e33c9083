"""The hostile corpus (tests/hostile/): every case gets its expected outcome, no hostile kernel passes,
and nothing crashes Hawk. Kernels, replies, MCP calls and CLI arguments run in the logic tier (the static
check, the parser, the in-process MCP client, typer's runner); the few kernels only the simulator can
catch are marked sim; task files go to a real `hawk mcp` process."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from .hostile.cli_args import CLI_CASES, CliCase, files
from .hostile.judge import judge_cli, judge_kernel, judge_mcp, judge_task, task_server
from .hostile.kernels import KERNEL_CASES, KernelCase
from .hostile.mcp_calls import MCP_CASES
from .hostile.replies import REPLY_CASES, ReplyCase
from .hostile.task_files import TASK_CASES, TaskCase

ALL = [KERNEL_CASES, REPLY_CASES, MCP_CASES, CLI_CASES, TASK_CASES]


def test_the_corpus_is_large_and_named_uniquely() -> None:
    assert sum(len(cases) for cases in ALL) >= 200
    for cases in ALL:
        ids = [c.id for c in cases]
        assert len(ids) == len(set(ids)), "duplicate case ids"


def _kernel_params() -> list:
    return [pytest.param(c, id=c.id, marks=[pytest.mark.sim] if c.sim else []) for c in KERNEL_CASES]


@pytest.mark.parametrize("case", _kernel_params())
def test_hostile_kernel(case: KernelCase) -> None:
    outcome = judge_kernel(case, timeout_s=60.0)
    assert not outcome.crash and not outcome.false_pass and outcome.ok, outcome.detail


@pytest.mark.parametrize("case", REPLY_CASES, ids=[c.id for c in REPLY_CASES])
def test_hostile_reply(case: ReplyCase) -> None:
    from hawk.llm.parse import extract_kernel

    parsed = extract_kernel(case.reply, finish_reason=case.finish_reason)  # never raises
    assert parsed.ok == case.code, (parsed.reason, (parsed.code or "")[:80])
    assert case.needle in ((parsed.code or "") if case.code else (parsed.reason or ""))


def test_hostile_mcp_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAWK_HOSTILE_TOKEN", "")  # judge_mcp sets the secret; restored after the test
    outcomes = anyio.run(judge_mcp, MCP_CASES, tmp_path)
    assert len(outcomes) == len(MCP_CASES)
    bad = [(o.case, o.detail) for o in outcomes if not o.ok or o.crash or o.false_pass]
    assert not bad, bad


@pytest.fixture(scope="module")
def cli_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    files(root)
    return root


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_hostile_cli_arguments(case: CliCase, cli_root: Path) -> None:
    outcome = judge_cli(case, cli_root)
    assert not outcome.crash and outcome.ok, outcome.detail


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    running = task_server(tmp_path_factory.mktemp("tasks"))
    yield running
    running.close()


@pytest.mark.parametrize("case", TASK_CASES, ids=lambda c: c.id)
def test_hostile_task_file(case: TaskCase, server) -> None:
    outcome = judge_task(case, server)
    assert not outcome.crash and outcome.ok, outcome.detail
