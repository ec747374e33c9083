"""DeepSeek-V3 MLA rotary embedding, interleaved (GPT-J / DeepSeek even/odd pairs) on the 64-dim rope part of q (32 heads) and the shared k_pe (1 head), bf16."""

import torch
import torch.nn as nn

# DeepSeek-V3: qk_rope_head_dim 64, rope_theta 10000, one shared rope key head (k_pe);
# 32 of the 128 query heads, 256 tokens.
BATCH, HEADS, SEQ, ROPE_DIM = 1, 32, 256, 64
THETA = 10000.0


def rotate_interleaved(x, cos, sin):
    # pairs (x[2i], x[2i+1]) rotate by angle i: the complex product (x0 + i x1) * e^{i theta}
    xf = x.float()
    x0, x1 = xf[..., 0::2], xf[..., 1::2]
    o0 = x0 * cos - x1 * sin
    o1 = x1 * cos + x0 * sin
    return torch.stack((o0, o1), dim=-1).flatten(-2).to(torch.bfloat16)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q_pe, k_pe, cos, sin):
        # q_pe: [batch, heads, seq, 64]; k_pe: [batch, 1, seq, 64]; cos, sin: [seq, 32] fp32
        # (the real and imaginary parts of DeepSeek's freqs_cis). fp32 math, bf16 result.
        return rotate_interleaved(q_pe, cos, sin), rotate_interleaved(k_pe, cos, sin)


def get_inputs():
    # positions are a random window into a long context
    start = int(torch.randint(0, 4096, (1,)))
    inv_freq = 1.0 / (THETA ** (torch.arange(0, ROPE_DIM, 2, dtype=torch.float32) / ROPE_DIM))
    pos = torch.arange(start, start + SEQ, dtype=torch.float32)
    freqs = torch.outer(pos, inv_freq)  # [seq, 32]
    return [
        torch.randn(BATCH, HEADS, SEQ, ROPE_DIM).to(torch.bfloat16),
        torch.randn(BATCH, 1, SEQ, ROPE_DIM).to(torch.bfloat16),
        freqs.cos(),
        freqs.sin(),
    ]


def get_init_inputs():
    return []
