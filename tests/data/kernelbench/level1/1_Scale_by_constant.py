"""Hawk's own KernelBench-format test task: a tensor times a Python float passed in get_inputs."""

import torch
import torch.nn as nn


class Model(nn.Module):
    """Multiplies a matrix by a scalar that arrives as a forward() argument."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, factor: float) -> torch.Tensor:
        return x * factor


rows = 64
cols = 512


def get_inputs():
    x = torch.randn(rows, cols)
    factor = 2.5
    return [x, factor]


def get_init_inputs():
    return []
