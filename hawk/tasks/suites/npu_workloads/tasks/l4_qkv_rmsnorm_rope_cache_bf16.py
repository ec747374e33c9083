"""Qwen3-8B attention prolog, fused: split the QKV projection output, per-head RMSNorm on q and k (Qwen3 qk-norm), rotary embedding (rotate_half), write k and v into a paged KV cache through a slot mapping; 32 q heads, 8 KV heads, head_dim 128, 32 tokens, bf16."""

import torch
import torch.nn as nn

# Qwen3-8B: num_attention_heads 32, num_key_value_heads 8, head_dim 128, rms_norm_eps 1e-6,
# rope_theta 1e6. Paged cache [num_pages, page_size 128, kv_heads, head_dim], 4 pages.
TOKENS, Q_HEADS, KV_HEADS, HEAD_DIM = 32, 32, 8, 128
NUM_PAGES, PAGE = 4, 128
EPS = 1e-6
THETA = 1000000.0


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_norm_weight = nn.Parameter((1.0 + 0.1 * torch.randn(HEAD_DIM)).to(torch.bfloat16))
        self.k_norm_weight = nn.Parameter((1.0 + 0.1 * torch.randn(HEAD_DIM)).to(torch.bfloat16))

    def forward(self, qkv, cos, sin, k_cache, v_cache, slot_mapping):
        # qkv: [tokens, (32 + 8 + 8) * 128] bf16 (the fused q/k/v projection output);
        # cos, sin: [tokens, head_dim] fp32 for each token's position; caches bf16;
        # slot_mapping: [tokens] int32 (page * PAGE + offset). One fused kernel: fp32 math,
        # bf16 results (q for attention; the new k / v rows in the caches).
        qd, kd = Q_HEADS * HEAD_DIM, KV_HEADS * HEAD_DIM
        q = qkv[:, :qd].float().reshape(TOKENS, Q_HEADS, HEAD_DIM)
        k = qkv[:, qd : qd + kd].float().reshape(TOKENS, KV_HEADS, HEAD_DIM)
        v = qkv[:, qd + kd :].reshape(TOKENS, KV_HEADS, HEAD_DIM)

        def rms(x, w):
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * w.float()

        c, s = cos[:, None, :], sin[:, None, :]
        q = rms(q, self.q_norm_weight)
        k = rms(k, self.k_norm_weight)
        q = (q * c + rotate_half(q) * s).to(torch.bfloat16)
        k = (k * c + rotate_half(k) * s).to(torch.bfloat16)
        slots = slot_mapping.long()
        k_new = k_cache.reshape(NUM_PAGES * PAGE, KV_HEADS, HEAD_DIM).clone()
        v_new = v_cache.reshape(NUM_PAGES * PAGE, KV_HEADS, HEAD_DIM).clone()
        k_new[slots] = k
        v_new[slots] = v
        shape = (NUM_PAGES, PAGE, KV_HEADS, HEAD_DIM)
        return q, k_new.reshape(shape), v_new.reshape(shape)


def get_inputs():
    # 32 decode tokens at random positions, in random distinct cache slots
    pos = torch.randint(0, 32768, (TOKENS,)).float()
    inv_freq = 1.0 / (THETA ** (torch.arange(0, HEAD_DIM, 2, dtype=torch.float32) / HEAD_DIM))
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    width = (Q_HEADS + 2 * KV_HEADS) * HEAD_DIM
    return [
        torch.randn(TOKENS, width).to(torch.bfloat16),
        emb.cos(),
        emb.sin(),
        torch.randn(NUM_PAGES, PAGE, KV_HEADS, HEAD_DIM).to(torch.bfloat16),
        torch.randn(NUM_PAGES, PAGE, KV_HEADS, HEAD_DIM).to(torch.bfloat16),
        torch.randperm(NUM_PAGES * PAGE)[:TOKENS].to(torch.int32),
    ]


def get_init_inputs():
    return []
