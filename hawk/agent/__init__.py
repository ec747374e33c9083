"""The generation agent: one loop (prompt -> LLM -> candidate -> target -> repair/optimize), many methods."""

from hawk.agent.loop import METHODS, AgentResult, Budget, run_agent

__all__ = ["METHODS", "AgentResult", "Budget", "run_agent"]
