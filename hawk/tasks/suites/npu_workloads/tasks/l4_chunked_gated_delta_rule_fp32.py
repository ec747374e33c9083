"""Qwen3-Next gated delta rule (linear attention with decay gate g and delta-rule write strength beta), l2-normalized q/k in the kernel, 4 heads, head_dim 128, 256 tokens; reference is the token recurrence, the kernel may use the chunked (chunk 64) form; fp32."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# Qwen3-Next linear attention: head_k_dim 128, head_v_dim 128, chunk size 64 (its
# torch_chunk_gated_delta_rule); 4 heads instead of 32 value heads, one 256-token sequence.
# Tensors are in the [batch, heads, seq, dim] layout the chunked kernel works in.
BATCH, HEADS, SEQ, DK, DV = 1, 4, 256, 128, 128
CHUNK = 64


def l2norm(x, eps=1e-6):
    return x * torch.rsqrt(x.pow(2).sum(-1, keepdim=True) + eps)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q, k, v, g, beta):
        # q, k: [batch, heads, seq, 128]; v: [batch, heads, seq, 128]; g: [batch, heads, seq]
        # log-decay (<= 0); beta: [batch, heads, seq] in (0, 1). Starting from a zero state S
        # ([dk, dv] per head), per token t:
        #   S = exp(g_t) S;  u = beta_t (v_t - S^T k_t);  S = S + k_t u^T;  o_t = S^T q_t
        # with q, k l2-normalized and q scaled by 1/sqrt(dk). Returns o and the final state.
        q = l2norm(q.float()) / math.sqrt(DK)
        k = l2norm(k.float())
        v, g, beta = v.float(), g.float(), beta.float()
        state = torch.zeros(BATCH, HEADS, DK, DV)
        out = torch.zeros(BATCH, HEADS, SEQ, DV)
        for t in range(SEQ):
            state = state * g[:, :, t].exp()[..., None, None]
            kt, qt = k[:, :, t], q[:, :, t]
            kv_mem = (state * kt[..., None]).sum(-2)
            u = (v[:, :, t] - kv_mem) * beta[:, :, t][..., None]
            state = state + kt[..., None] * u[..., None, :]
            out[:, :, t] = (state * qt[..., None]).sum(-2)
        return out, state


def get_inputs():
    # g = log(sigmoid(.)) as Qwen3-Next's -exp(A) * softplus(a + dt_bias): decays mostly
    # close to 1 (mean per-token decay about 0.95), beta = sigmoid(.)
    shape = (BATCH, HEADS, SEQ)
    return [
        torch.randn(BATCH, HEADS, SEQ, DK),
        torch.randn(BATCH, HEADS, SEQ, DK),
        torch.randn(BATCH, HEADS, SEQ, DV),
        F.logsigmoid(torch.randn(shape) + 3.0),
        torch.sigmoid(torch.randn(shape)),
    ]


def get_init_inputs():
    return []
