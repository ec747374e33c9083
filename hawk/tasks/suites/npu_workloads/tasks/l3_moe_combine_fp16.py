"""DeepSeek-V3 MoE combine: weighted sum of each token's top-8 routed expert outputs plus the shared expert's output, fp16.

Shapes from DeepSeek-V3 (hidden_size 7168, num_experts_per_tok 8, 1 shared expert,
routed_scaling_factor 2.5), 64 tokens. After the experts ran and their outputs were un-permuted
back to token order, each token holds its 8 routed expert outputs [tokens, 8, 7168] (fp16) and
the router's weights [tokens, 8] (fp32, renormalized and already multiplied by the scaling
factor 2.5); the layer output is sum_k w[t, k] * y[t, k, :] + shared(t), accumulated in fp32
and rounded to fp16 once.
"""

import torch
import torch.nn as nn

TOKENS, TOP_K, HIDDEN = 64, 8, 7168
SCALING = 2.5


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, expert_out, topk_weights, shared_out):
        routed = (expert_out.float() * topk_weights.unsqueeze(-1)).sum(dim=1)
        return (routed + shared_out.float()).to(torch.float16)


def get_inputs():
    expert_out = torch.randn(TOKENS, TOP_K, HIDDEN).to(torch.float16)
    w = torch.rand(TOKENS, TOP_K) + 0.05
    topk_weights = w / w.sum(dim=-1, keepdim=True) * SCALING
    shared_out = torch.randn(TOKENS, HIDDEN).to(torch.float16)
    return [expert_out, topk_weights, shared_out]


def get_init_inputs():
    return []
