"""LayerNorm (weight + bias) over 768 features for 384 tokens, fp32 (BERT-base)."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(768)

    def forward(self, x):
        return self.norm(x)


def get_inputs():
    return [torch.randn(384, 768)]


def get_init_inputs():
    return []
