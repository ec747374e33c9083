"""`hawk mcp`: serve Hawk's targets, tuner and knowledge as MCP tools (stdio, or streamable HTTP)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hawk.cli import options as opt

err = Console(stderr=True, soft_wrap=True)  # stdout belongs to the MCP protocol


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--http wants HOST:PORT (e.g. 127.0.0.1:8765), got {text!r}")
    return host.strip("[]"), int(port)


def mcp_cmd(
    http: Annotated[
        str | None, typer.Option("--http", metavar="HOST:PORT", help="serve streamable HTTP at http://HOST:PORT/mcp")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="evaluations at once, across all calls and sessions")] = 2,
    kb: opt.Kb = None,
    trajectories: Annotated[
        Path | None, typer.Option(help="where sessions' trajectories are written (default ~/.cache/hawk/mcp)")
    ] = None,
    learn: Annotated[bool, typer.Option(help="learn proven knowledge from each session's evaluations")] = True,
    allow_fake_target: Annotated[
        bool,
        typer.Option(
            "--allow-fake-target", help="also offer the scripted `fake` target (tests, dry runs: it passes anything)"
        ),
    ] = False,
    root: Annotated[
        Path | None, typer.Option(help="working directory the agent's paths are confined to (default: the current one)")
    ] = None,
) -> None:
    """Serve Hawk as MCP tools for coding agents, over stdio (default). Paths are confined to the working directory."""
    from hawk.mcp.server import ServerConfig, run

    try:
        address = _host_port(http) if http else None
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    root = (root or Path.cwd()).resolve()
    if not root.is_dir():
        err.print(f"[red]error:[/red] --root {root} is not a directory", highlight=False)
        raise typer.Exit(2)
    config = ServerConfig(
        root=root,
        kb_path=kb.resolve() if kb else None,
        workers=workers,
        trajectories=trajectories.resolve() if trajectories else None,
        learn=learn,
        allow_fake_target=allow_fake_target,
    )
    if address:
        err.print(f"hawk mcp: streamable HTTP at http://{address[0]}:{address[1]}/mcp, working directory {root}")
    run(config, address)
