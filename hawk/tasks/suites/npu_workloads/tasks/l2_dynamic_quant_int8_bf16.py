"""SmoothQuant W8A8 activation quantization of the LLaMA-3-8B down_proj input: per-channel smoothing multiply, then per-token dynamic symmetric int8 quantization of bf16 activations (int8 values + fp32 scales).

Shapes from LLaMA-3-8B (intermediate_size 14336: the SwiGLU output that feeds down_proj),
128 tokens. Unlike l2_quantize_int8 (plain per-token absmax on fp16), the activations are first
multiplied by SmoothQuant's per-channel smoothing factors (fp32, migrated from the weight side),
which flattens the outlier channels, and the input is bf16:
xs = x * s;  scale = max(|xs|) / 127 per token;  q = clamp(round(xs / scale), -127, 127).
"""

import torch
import torch.nn as nn

TOKENS, HIDDEN = 128, 14336


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        # smoothing factors: small on the outlier-prone channels, around 1 elsewhere
        self.register_buffer("smooth_scale", torch.exp(0.5 * torch.randn(HIDDEN)))

    def forward(self, x):
        xs = x.float() * self.smooth_scale
        scale = xs.abs().amax(dim=-1, keepdim=True).clamp(min=1e-5) / 127.0  # [tokens, 1]
        q = torch.round(xs / scale).clamp(-127, 127).to(torch.int8)
        return q, scale


def get_inputs():
    # per-token magnitudes over two orders of magnitude, and a few outlier channels
    x = torch.randn(TOKENS, HIDDEN) * torch.exp(torch.randn(TOKENS, 1))
    x[:, torch.randint(0, HIDDEN, (16,))] *= 10.0
    return [x.to(torch.bfloat16)]


def get_init_inputs():
    return []
