"""LLaMA / GPT prefill: causal scaled-dot-product attention over one sequence, 8 heads, head_dim 64 (fp16)."""

import math

import torch
import torch.nn as nn

BATCH, HEADS, SEQ, HEAD_DIM = 1, 8, 256, 64


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = 1.0 / math.sqrt(HEAD_DIM)

    def forward(self, q, k, v):
        # fp32 math, fp16 result: the accuracy a fused (flash) attention kernel delivers
        s = torch.matmul(q.float(), k.float().transpose(-2, -1)) * self.scale
        causal = torch.ones(SEQ, SEQ, dtype=torch.bool).triu(1)
        p = torch.softmax(s.masked_fill(causal, float("-inf")), dim=-1)
        return torch.matmul(p, v.float()).to(torch.float16)


def get_inputs():
    shape = (BATCH, HEADS, SEQ, HEAD_DIM)
    return [torch.randn(shape, dtype=torch.float16) for _ in range(3)]


def get_init_inputs():
    return []
