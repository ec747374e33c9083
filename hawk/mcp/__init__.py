"""`hawk mcp`: Hawk's targets, tuner and knowledge store served as MCP tools for coding agents."""

from hawk.mcp.server import ServerConfig, build_server, run

__all__ = ["ServerConfig", "build_server", "run"]
