"""RMSNorm over a dynamic number of tokens (decode-style batches of 1, 13 and 32 rows), fp32."""

import torch
import torch.nn as nn

BATCH, HIDDEN = 32, 256


class Model(nn.Module):
    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6)


def get_inputs():
    return [torch.randn(BATCH, HIDDEN)]


def get_init_inputs():
    return []


def get_input_shapes():
    return [{"BATCH": 1}, {"BATCH": 13}, {"BATCH": 32}]  # 13: a ragged last tile
