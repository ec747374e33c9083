"""W8A8 decode (SmoothQuant / vLLM per-token dynamic quant): symmetric per-token int8 quantization of fp16 activations (hidden 4096), 1..64 tokens."""

import torch
import torch.nn as nn

TOKENS, HIDDEN = 64, 4096


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        xf = x.float()
        scale = xf.abs().amax(dim=-1, keepdim=True).clamp(min=1e-5) / 127.0  # [tokens, 1]
        q = torch.round(xf / scale).clamp(-127, 127).to(torch.int8)
        return q, scale


def get_inputs():
    # activations with per-token magnitudes spread over two orders of magnitude, and outlier channels
    x = torch.randn(TOKENS, HIDDEN) * torch.exp(torch.randn(TOKENS, 1))
    x[:, torch.randint(0, HIDDEN, (8,))] *= 8.0
    return [x.to(torch.float16)]


def get_init_inputs():
    return []


def get_input_shapes():
    return [{"TOKENS": 1}, {"TOKENS": 7}, {"TOKENS": 64}]  # 7: a ragged tail
