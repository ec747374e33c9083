"""Softmax over long rows (64 x 32768 fp32), e.g. vocabulary-sized logits."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.softmax(x, dim=-1)


def get_inputs():
    return [torch.randn(64, 32768)]


def get_init_inputs():
    return []
