"""Run records shared by the agent, knowledge, bench and MCP layers (below all of them).

A step of a generation run (`Step`) and its append-only file (`Trajectory`) are written by the
agent and read by knowledge synthesis, benchmark units and the MCP server; keeping them here
lets data flow one way (agent -> target -> knowledge) without an import running back up.
"""

from hawk.records.trajectory import Step, Trajectory

__all__ = ["Step", "Trajectory"]
