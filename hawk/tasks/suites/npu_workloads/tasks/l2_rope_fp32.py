"""LLaMA attention: rotary position embedding on q and k (HF apply_rotary_pos_emb, rotate_half), fp32."""

import torch
import torch.nn as nn

BATCH, HEADS, SEQ, HEAD_DIM = 1, 8, 512, 128
THETA = 10000.0


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q, k, cos, sin):
        cos = cos[None, None]  # [1, 1, seq, head_dim], shared by every head
        sin = sin[None, None]
        q_embed = q * cos + rotate_half(q) * sin
        k_embed = k * cos + rotate_half(k) * sin
        return q_embed, k_embed


def get_inputs():
    # cos/sin tables exactly as LLaMA builds them; positions are a random window into a long context
    start = int(torch.randint(0, 4096, (1,)))
    inv_freq = 1.0 / (THETA ** (torch.arange(0, HEAD_DIM, 2, dtype=torch.float32) / HEAD_DIM))
    pos = torch.arange(start, start + SEQ, dtype=torch.float32)
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return [
        torch.randn(BATCH, HEADS, SEQ, HEAD_DIM),
        torch.randn(BATCH, HEADS, SEQ, HEAD_DIM),
        emb.cos(),
        emb.sin(),
    ]


def get_init_inputs():
    return []
