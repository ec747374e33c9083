"""BERT-large encoder LayerNorm (hidden 1024, eps 1e-12, weight + bias) on fp16 hidden states, prefill, 128..2048 tokens."""

import torch
import torch.nn as nn
import torch.nn.functional as F

TOKENS, HIDDEN = 2048, 1024
EPS = 1e-12


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        # trained-looking affine parameters instead of ones / zeros
        self.weight = nn.Parameter((1.0 + 0.1 * torch.randn(HIDDEN)).to(torch.float16))
        self.bias = nn.Parameter((0.1 * torch.randn(HIDDEN)).to(torch.float16))

    def forward(self, x):
        # mixed precision, as apex / Megatron fused LayerNorm: statistics and affine in fp32,
        # one rounding to fp16
        y = F.layer_norm(x.float(), (HIDDEN,), self.weight.float(), self.bias.float(), EPS)
        return y.to(torch.float16)


def get_inputs():
    return [torch.randn(TOKENS, HIDDEN, dtype=torch.float16)]


def get_init_inputs():
    return []


def get_input_shapes():
    return [{"TOKENS": 128}, {"TOKENS": 1000}, {"TOKENS": 2048}]  # 1000: a ragged tail
