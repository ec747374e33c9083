"""Mixed-precision training: casting fp32 master weights to their fp16 compute copy (a 2048 x 1024 weight)."""

import torch
import torch.nn as nn

ROWS, COLS = 2048, 1024


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return x.to(torch.float16)


def get_inputs():
    return [torch.randn(ROWS, COLS)]


def get_init_inputs():
    return []
