"""Qwen2.5-7B GQA decode step: 28 query heads share 4 KV heads (groups of 7), head_dim 128, one new token per sequence over a 512-token KV cache, fp16."""

import math

import torch
import torch.nn as nn

# Qwen2.5-7B attention config: num_attention_heads 28, num_key_value_heads 4, head_dim 128.
BATCH, Q_HEADS, KV_HEADS, CACHE_LEN, HEAD_DIM = 4, 28, 4, 512, 128
GROUP = Q_HEADS // KV_HEADS


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = 1.0 / math.sqrt(HEAD_DIM)

    def forward(self, q, k_cache, v_cache):
        # q: [batch, q_heads, 1, head_dim]; caches: [batch, kv_heads, cache_len, head_dim].
        # Query head h reads KV head h // GROUP (HF repeat_kv). fp32 math, fp16 result.
        k = k_cache.float().repeat_interleave(GROUP, dim=1)
        v = v_cache.float().repeat_interleave(GROUP, dim=1)
        s = torch.matmul(q.float(), k.transpose(-2, -1)) * self.scale
        p = torch.softmax(s, dim=-1)
        return torch.matmul(p, v).to(torch.float16)


def get_inputs():
    return [
        torch.randn(BATCH, Q_HEADS, 1, HEAD_DIM, dtype=torch.float16),
        torch.randn(BATCH, KV_HEADS, CACHE_LEN, HEAD_DIM, dtype=torch.float16),
        torch.randn(BATCH, KV_HEADS, CACHE_LEN, HEAD_DIM, dtype=torch.float16),
    ]


def get_init_inputs():
    return []
