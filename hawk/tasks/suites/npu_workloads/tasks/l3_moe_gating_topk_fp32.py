"""Mixtral-style MoE router: logits = x W_g^T, softmax, top-2 experts with renormalized weights (fp32)."""

import torch
import torch.nn as nn

TOKENS, HIDDEN, EXPERTS, TOP_K = 512, 1024, 8, 2


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.gate = nn.Linear(HIDDEN, EXPERTS, bias=False)

    def forward(self, x):
        probs = torch.softmax(self.gate(x), dim=-1)
        weights, experts = torch.topk(probs, TOP_K, dim=-1)  # sorted, largest first
        weights = weights / weights.sum(dim=-1, keepdim=True)
        return weights, experts.to(torch.int32)


def get_inputs():
    return [torch.randn(TOKENS, HIDDEN)]


def get_init_inputs():
    return []
