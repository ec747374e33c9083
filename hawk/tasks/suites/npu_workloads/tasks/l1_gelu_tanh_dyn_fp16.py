"""GPT-2 (small) / BERT-base FFN activation: GELU (tanh approximation) on the fp16 up-projection (intermediate 3072), prefill, 128..2048 tokens."""

import torch
import torch.nn as nn

TOKENS, FFN = 2048, 3072


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.nn.functional.gelu(x, approximate="tanh")


def get_inputs():
    return [torch.randn(TOKENS, FFN, dtype=torch.float16)]


def get_init_inputs():
    return []


def get_input_shapes():
    return [{"TOKENS": 128}, {"TOKENS": 1000}, {"TOKENS": 2048}]  # 1000: a ragged tail
