"""LLaMA-3-8B causal prefill attention with GQA (32 query heads, 8 KV heads, head_dim 128), one 256-token sequence, fp16."""

import math

import torch
import torch.nn as nn

# LLaMA-3-8B attention config: num_attention_heads 32, num_key_value_heads 8, head_dim 128.
BATCH, Q_HEADS, KV_HEADS, SEQ, HEAD_DIM = 1, 32, 8, 256, 128
GROUP = Q_HEADS // KV_HEADS


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = 1.0 / math.sqrt(HEAD_DIM)

    def forward(self, q, k, v):
        # q: [batch, q_heads, seq, head_dim]; k, v: [batch, kv_heads, seq, head_dim].
        # Query head h reads KV head h // GROUP (HF repeat_kv). fp32 math, fp16 result: the
        # accuracy of a fused (flash) attention kernel.
        kf = k.float().repeat_interleave(GROUP, dim=1)
        vf = v.float().repeat_interleave(GROUP, dim=1)
        s = torch.matmul(q.float(), kf.transpose(-2, -1)) * self.scale
        causal = torch.ones(SEQ, SEQ, dtype=torch.bool).triu(1)
        p = torch.softmax(s.masked_fill(causal, float("-inf")), dim=-1)
        return torch.matmul(p, vf).to(torch.float16)


def get_inputs():
    return [
        torch.randn(BATCH, Q_HEADS, SEQ, HEAD_DIM, dtype=torch.float16),
        torch.randn(BATCH, KV_HEADS, SEQ, HEAD_DIM, dtype=torch.float16),
        torch.randn(BATCH, KV_HEADS, SEQ, HEAD_DIM, dtype=torch.float16),
    ]


def get_init_inputs():
    return []
