"""LLM decode step: one new query token per sequence attends over its KV cache (MHA, 8 heads, head_dim 128), fp16."""

import math

import torch
import torch.nn as nn

BATCH, HEADS, CACHE_LEN, HEAD_DIM = 2, 8, 512, 128


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = 1.0 / math.sqrt(HEAD_DIM)

    def forward(self, q, k_cache, v_cache):
        # q: [batch, heads, 1, head_dim]; caches: [batch, heads, cache_len, head_dim].
        # fp32 math, fp16 result (the accuracy of a fused decode-attention kernel).
        s = torch.matmul(q.float(), k_cache.float().transpose(-2, -1)) * self.scale
        p = torch.softmax(s, dim=-1)
        return torch.matmul(p, v_cache.float()).to(torch.float16)


def get_inputs():
    return [
        torch.randn(BATCH, HEADS, 1, HEAD_DIM, dtype=torch.float16),
        torch.randn(BATCH, HEADS, CACHE_LEN, HEAD_DIM, dtype=torch.float16),
        torch.randn(BATCH, HEADS, CACHE_LEN, HEAD_DIM, dtype=torch.float16),
    ]


def get_init_inputs():
    return []
