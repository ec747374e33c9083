"""LLaMA-3-8B packed variable-length prefill (32 query heads, 8 KV heads, head_dim 128): four sequences packed into one 256-token row, block-diagonal segment mask, causal inside each segment, fp16."""

import math

import torch
import torch.nn as nn

# LLaMA-3-8B attention config: num_attention_heads 32, num_key_value_heads 8, head_dim 128.
BATCH, Q_HEADS, KV_HEADS, SEQ, HEAD_DIM = 1, 32, 8, 256, 128
GROUP = Q_HEADS // KV_HEADS
SEGMENTS = 4


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = 1.0 / math.sqrt(HEAD_DIM)

    def forward(self, q, k, v, segment_ids):
        # q: [batch, q_heads, seq, head_dim]; k, v: [batch, kv_heads, seq, head_dim];
        # segment_ids: [seq] int32, non-decreasing (which packed sequence each token is in, as
        # cu_seqlens of varlen flash attention describes it). Token i attends to token j iff
        # both are in the same segment and j <= i. fp32 math, fp16 result.
        kf = k.float().repeat_interleave(GROUP, dim=1)
        vf = v.float().repeat_interleave(GROUP, dim=1)
        s = torch.matmul(q.float(), kf.transpose(-2, -1)) * self.scale
        causal = torch.ones(SEQ, SEQ, dtype=torch.bool).triu(1)
        other_segment = segment_ids[:, None] != segment_ids[None, :]
        p = torch.softmax(s.masked_fill(causal | other_segment, float("-inf")), dim=-1)
        return torch.matmul(p, vf).to(torch.float16)


def get_inputs():
    # random packing: SEGMENTS sequences of random lengths (each at least 1 token) per seed
    cuts = torch.sort(torch.randperm(SEQ - 1)[: SEGMENTS - 1] + 1).values
    segment_ids = (torch.arange(SEQ)[:, None] >= cuts[None, :]).sum(-1).to(torch.int32)
    return [
        torch.randn(BATCH, Q_HEADS, SEQ, HEAD_DIM, dtype=torch.float16),
        torch.randn(BATCH, KV_HEADS, SEQ, HEAD_DIM, dtype=torch.float16),
        torch.randn(BATCH, KV_HEADS, SEQ, HEAD_DIM, dtype=torch.float16),
        segment_ids,
    ]


def get_init_inputs():
    return []
