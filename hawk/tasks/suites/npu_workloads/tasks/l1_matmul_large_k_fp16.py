"""Weight gradient of nn.Linear(512, 256) over a 16384-token batch: dW = dY^T X (K = 16384), fp16 activations and output gradients, fp32 result."""

import torch
import torch.nn as nn

TOKENS, D_IN, D_OUT = 16384, 512, 256


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, grad_out, x):
        # fp32 accumulation over the 16384 tokens, as the cube (and cuBLAS) accumulates
        return torch.matmul(grad_out.t().float(), x.float())


def get_inputs():
    return [torch.randn(TOKENS, D_OUT, dtype=torch.float16), torch.randn(TOKENS, D_IN, dtype=torch.float16)]


def get_init_inputs():
    return []
