"""One RMSProp optimizer step (torch.optim.RMSprop semantics, L2 weight decay, not centered, no momentum) on an fp32 weight: new param, square_avg.

Shapes from Qwen3-0.6B (hidden_size 1024, intermediate_size 3072): its gate_proj weight
[3072, 1024]. Hyper-parameters lr 1e-3, alpha 0.99, eps 1e-8, weight_decay 1e-4.
"""

import torch
import torch.nn as nn

ROWS, COLS = 3072, 1024
LR, ALPHA, EPS, WEIGHT_DECAY = 1e-3, 0.99, 1e-8, 1e-4


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, param, grad, square_avg):
        g = grad + param * WEIGHT_DECAY
        sq = square_avg * ALPHA + g * g * (1.0 - ALPHA)
        avg = torch.sqrt(sq) + EPS
        return param - LR * g / avg, sq


def get_inputs():
    param = 0.02 * torch.randn(ROWS, COLS)
    grad = 1e-3 * torch.randn(ROWS, COLS)
    square_avg = (1e-3 * torch.randn(ROWS, COLS)) ** 2 + 1e-8
    return [param, grad, square_avg]


def get_init_inputs():
    return []
