"""Hawk's own KernelBench-format test task: mean cross-entropy over int64 class labels."""

import torch
import torch.nn as nn


class Model(nn.Module):
    """Cross-entropy of per-row logits against integer labels (torch.long), averaged over rows."""

    def __init__(self):
        super().__init__()

    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.cross_entropy(logits, labels)


tokens = 32
classes = 16


def get_inputs():
    return [torch.randn(tokens, classes), torch.randint(0, classes, (tokens,))]


def get_init_inputs():
    return []
