"""Hawk: hardware-aware knowledge that makes LLMs write correct, fast NPU kernels.

Data flows one way: task -> agent -> LLM -> candidate -> target -> verdict -> knowledge -> agent.
"""

__version__ = "0.1.0"
