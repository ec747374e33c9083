"""DeepSeek-V3 MLA prolog for decode: q down-projection (q_lora_rank 1536) + RMSNorm + q up-projection (nope 128 + rope 64 per head), kv down-projection (kv_lora_rank 512 + rope 64) + RMSNorm, interleaved RoPE on the rope parts; hidden 7168, 16 of the 128 heads, 16 decode tokens, bf16."""

import torch
import torch.nn as nn

# DeepSeek-V3 config: hidden_size 7168, q_lora_rank 1536, kv_lora_rank 512, qk_nope_head_dim 128,
# qk_rope_head_dim 64, rms_norm_eps 1e-6, rope_theta 10000. Heads reduced from 128 to 16 to keep
# the simulator's time reasonable (the q up-projection weight scales with heads).
TOKENS, HIDDEN, Q_LORA, KV_LORA = 16, 7168, 1536, 512
HEADS, NOPE, ROPE = 16, 128, 64
EPS = 1e-6
THETA = 10000.0


def rms_norm(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * w.float()


def rope_interleaved(x, cos, sin):
    # pairs (x[2i], x[2i+1]) rotate by angle i (DeepSeek's complex-number form)
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x0 * cos - x1 * sin, x1 * cos + x0 * sin), dim=-1).flatten(-2)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_a_proj = nn.Linear(HIDDEN, Q_LORA, bias=False).to(torch.bfloat16)
        self.q_a_layernorm_weight = nn.Parameter((1.0 + 0.1 * torch.randn(Q_LORA)).to(torch.bfloat16))
        self.q_b_proj = nn.Linear(Q_LORA, HEADS * (NOPE + ROPE), bias=False).to(torch.bfloat16)
        self.kv_a_proj_with_mqa = nn.Linear(HIDDEN, KV_LORA + ROPE, bias=False).to(torch.bfloat16)
        self.kv_a_layernorm_weight = nn.Parameter((1.0 + 0.1 * torch.randn(KV_LORA)).to(torch.bfloat16))

    def forward(self, x, cos, sin):
        # x: [tokens, hidden] bf16; cos, sin: [tokens, 32] fp32 (each token's position).
        # bf16 operands with fp32 accumulation; the normalized q latent is rounded to bf16 as the
        # operand of the up-projection (as a fused kernel feeds the cube); bf16 outputs.
        xf = x.float()
        q_a = xf @ self.q_a_proj.weight.float().T
        q_lat = rms_norm(q_a, self.q_a_layernorm_weight).to(torch.bfloat16)
        q = (q_lat.float() @ self.q_b_proj.weight.float().T).reshape(TOKENS, HEADS, NOPE + ROPE)
        q_nope, q_pe = q[..., :NOPE], q[..., NOPE:]
        q_pe = rope_interleaved(q_pe, cos[:, None, :], sin[:, None, :])
        kv = xf @ self.kv_a_proj_with_mqa.weight.float().T
        kv_c = rms_norm(kv[:, :KV_LORA], self.kv_a_layernorm_weight)
        k_pe = rope_interleaved(kv[:, KV_LORA:], cos, sin)
        bf = torch.bfloat16
        return q_nope.to(bf), q_pe.to(bf), kv_c.to(bf), k_pe.to(bf)


def get_inputs():
    # 16 decode tokens (one per sequence) at random positions
    pos = torch.randint(0, 32768, (TOKENS,)).float()
    inv_freq = 1.0 / (THETA ** (torch.arange(0, ROPE, 2, dtype=torch.float32) / ROPE))
    freqs = torch.outer(pos, inv_freq)  # [tokens, 32]
    return [torch.randn(TOKENS, HIDDEN).to(torch.bfloat16), freqs.cos(), freqs.sin()]


def get_init_inputs():
    return []
