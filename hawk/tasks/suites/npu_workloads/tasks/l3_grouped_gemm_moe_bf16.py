"""MiniMax-M2 MoE expert GEMM as a grouped GEMM: tokens already sorted by expert, fixed per-expert counts, bf16.

Shapes from MiniMax-M2 (hidden_size 3072, per-expert intermediate_size 1536): the w1 (gate)
projection of 8 of its 256 routed experts, which is what one device holds under expert
parallelism. 256 routed token slots (after top-k dispatch and the sort by expert id) arrive
grouped by expert with the ragged counts in COUNTS (a task constant, as a grouped GEMM's
`group_list` would be after the dispatch). Group e computes x[rows of e] @ W[e]^T with fp32
accumulation and a bf16 result.
"""

import math

import torch
import torch.nn as nn

HIDDEN, INTER, EXPERTS = 3072, 1536, 8
COUNTS = (40, 24, 56, 8, 32, 48, 16, 32)  # tokens per expert, sorted order; sum = TOKENS
TOKENS = sum(COUNTS)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        # expert weights in nn.Linear layout [out, in], stacked over experts
        self.weight = nn.Parameter((torch.randn(EXPERTS, INTER, HIDDEN) / math.sqrt(HIDDEN)).to(torch.bfloat16))

    def forward(self, x):
        outs = []
        start = 0
        for e, n in enumerate(COUNTS):
            outs.append(torch.matmul(x[start : start + n].float(), self.weight[e].float().t()))
            start += n
        return torch.cat(outs, dim=0).to(torch.bfloat16)


def get_inputs():
    return [torch.randn(TOKENS, HIDDEN).to(torch.bfloat16)]


def get_init_inputs():
    return []
