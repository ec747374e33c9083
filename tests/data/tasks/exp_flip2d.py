"""exp, then a flip of two axes: an op the eager baseline has no mapping for (estimated)."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, x):
        return torch.flip(torch.exp(x), dims=[0, -1])  # a flip of several axes has no mapping


def get_inputs():
    return [torch.randn(128, 256)]


def get_init_inputs():
    return []
