"""GPT-2 (small) transformer MLP block: c_proj(gelu_tanh(c_fc(x))), Linear-GELU-Linear with biases, fp16."""

import torch
import torch.nn as nn
import torch.nn.functional as F

TOKENS, HIDDEN, INTERMEDIATE = 128, 768, 3072


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_fc = nn.Linear(HIDDEN, INTERMEDIATE).to(torch.float16)
        self.c_proj = nn.Linear(INTERMEDIATE, HIDDEN).to(torch.float16)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


def get_inputs():
    return [torch.randn(TOKENS, HIDDEN, dtype=torch.float16)]


def get_init_inputs():
    return []
