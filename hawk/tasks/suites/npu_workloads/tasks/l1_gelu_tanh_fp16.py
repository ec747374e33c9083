"""GPT-2 / BERT-style FFN activation: GELU with the tanh approximation on fp16 activations."""

import torch
import torch.nn as nn

TOKENS, FFN = 512, 4096


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.nn.functional.gelu(x, approximate="tanh")


def get_inputs():
    return [torch.randn(TOKENS, FFN, dtype=torch.float16)]


def get_init_inputs():
    return []
