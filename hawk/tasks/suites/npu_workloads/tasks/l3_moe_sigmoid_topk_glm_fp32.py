"""GLM-4.5-Air MoE router: sigmoid scores, expert-bias correction for the choice, top-8 of 128 experts, renormalized weights (fp32).

Shapes from GLM-4.5-Air (hidden_size 4096, n_routed_experts 128, num_experts_per_tok 8,
n_group 1 / topk_group 1, norm_topk_prob true, routed_scaling_factor 1.0), 128 tokens. As in
the GLM-4.5 / DeepSeek-V3 "noaux_tc" gate: logits = x W^T in fp32, scores = sigmoid(logits);
the experts are CHOSEN by scores + e_score_correction_bias but WEIGHTED by the uncorrected
scores, renormalized over the 8 chosen.

The expert ids are an int32 output and are judged exactly, so the inputs are built to leave no
room for near-ties caused by rounding: hidden states lie on a 1/4 grid and router weights on a
1/256 grid, so every logit is an exact multiple of 1/1024 that any fp32 summation order
reproduces bit for bit; the distinct (continuous) correction biases break ties between equal
logits by far more than sigmoid's rounding.
"""

import math

import torch
import torch.nn as nn

TOKENS, HIDDEN, EXPERTS, TOP_K = 128, 4096, 128, 8
SCALING = 1.0  # routed_scaling_factor of GLM-4.5-Air


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        w = torch.round(torch.randn(EXPERTS, HIDDEN) / math.sqrt(HIDDEN) * 256.0) / 256.0
        self.weight = nn.Parameter(w)
        self.register_buffer("e_score_correction_bias", 0.02 * torch.randn(EXPERTS))

    def forward(self, x):
        scores = torch.sigmoid(torch.matmul(x, self.weight.t()))
        choice = scores + self.e_score_correction_bias
        _, idx = torch.topk(choice, TOP_K, dim=-1)  # sorted, largest first
        w = torch.gather(scores, 1, idx)
        w = w / (w.sum(dim=-1, keepdim=True) + 1e-20) * SCALING
        return w, idx.to(torch.int32)


def get_inputs():
    return [torch.round(torch.randn(TOKENS, HIDDEN) * 4.0).clamp(-16, 16) / 4.0]


def get_init_inputs():
    return []
