"""Transformer attention probabilities: softmax(scores * scale + mask), Megatron scaled_masked_softmax (fp32)."""

import math

import torch
import torch.nn as nn

BATCH, HEADS, SEQ_Q, SEQ_K, HEAD_DIM = 1, 8, 512, 512, 64


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = 1.0 / math.sqrt(HEAD_DIM)

    def forward(self, scores, mask):
        return torch.softmax(scores * self.scale + mask, dim=-1)


def get_inputs():
    # raw q.k^T scores (std ~ sqrt(head_dim)) and an additive causal + padding mask shared by
    # all heads: 0 where attention is allowed, -10000 (Megatron's fill value) where it is not
    scores = math.sqrt(HEAD_DIM) * torch.randn(BATCH, HEADS, SEQ_Q, SEQ_K)
    valid = int(torch.randint(SEQ_K // 2, SEQ_K + 1, (1,)))  # keys after `valid` are padding
    blocked = torch.ones(SEQ_Q, SEQ_K).triu(1).bool()
    blocked[:, valid:] = True
    blocked[:, 0] = False  # every query row keeps at least one key
    mask = torch.zeros(BATCH, 1, SEQ_Q, SEQ_K).masked_fill(blocked, -10000.0)
    return [scores, mask]


def get_init_inputs():
    return []
