"""Sequence scoring (beam search, DPO / RL log-prob bookkeeping): log-probability of the prefix before each token, an exclusive cumsum of per-token log-probs over 4096 tokens, 64 sequences, fp32."""

import torch
import torch.nn as nn

SEQS, TOKENS = 64, 4096


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, logp):
        # prefix[t] = sum of logp[:t] (0 for the first token)
        return torch.cat([torch.zeros_like(logp[:, :1]), torch.cumsum(logp[:, :-1], dim=1)], dim=1)


def get_inputs():
    return [torch.randn(SEQS, TOKENS)]


def get_init_inputs():
    return []
