"""One AdamW optimizer step (torch.optim.AdamW semantics, decoupled weight decay) on an fp32 weight: new param, exp_avg, exp_avg_sq.

Shapes from Qwen3-0.6B (hidden_size 1024, 16 heads x head_dim 128): its q_proj weight
[2048, 1024]. Hyper-parameters lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0.01, at
step 10, so the bias corrections 1 - beta^t are task constants, as a fused optimizer kernel
receives them.
"""

import math

import torch
import torch.nn as nn

ROWS, COLS = 2048, 1024
LR, BETA1, BETA2, EPS, WEIGHT_DECAY, STEP = 1e-3, 0.9, 0.999, 1e-8, 0.01, 10
BIAS_CORRECTION1 = 1.0 - BETA1**STEP
BIAS_CORRECTION2 = 1.0 - BETA2**STEP


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, param, grad, exp_avg, exp_avg_sq):
        p = param * (1.0 - LR * WEIGHT_DECAY)
        m = exp_avg * BETA1 + grad * (1.0 - BETA1)
        v = exp_avg_sq * BETA2 + grad * grad * (1.0 - BETA2)
        denom = torch.sqrt(v) / math.sqrt(BIAS_CORRECTION2) + EPS
        p = p - (LR / BIAS_CORRECTION1) * m / denom
        return p, m, v


def get_inputs():
    param = 0.02 * torch.randn(ROWS, COLS)
    grad = 1e-3 * torch.randn(ROWS, COLS)
    exp_avg = 1e-3 * torch.randn(ROWS, COLS)
    exp_avg_sq = (1e-3 * torch.randn(ROWS, COLS)) ** 2 + 1e-8
    return [param, grad, exp_avg, exp_avg_sq]


def get_init_inputs():
    return []
