"""OPT / T5-style FFN activation: ReLU on the fp16 up-projection output."""

import torch
import torch.nn as nn

TOKENS, FFN = 1024, 2048


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.relu(x)


def get_inputs():
    return [torch.randn(TOKENS, FFN, dtype=torch.float16)]


def get_init_inputs():
    return []
