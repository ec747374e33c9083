"""Weight-only int8 serving (W8A16, e.g. LLaMA q/k/v projection): per-output-channel dequantize + linear, fp16."""

import torch
import torch.nn as nn
import torch.nn.functional as F

TOKENS, IN_FEATURES, OUT_FEATURES = 256, 1024, 2048


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        # quantize a trained-looking fp weight once, per output channel (symmetric absmax)
        w = 0.02 * torch.randn(OUT_FEATURES, IN_FEATURES)
        scale = w.abs().amax(dim=1) / 127.0
        self.register_buffer("qweight", torch.round(w / scale[:, None]).clamp(-127, 127).to(torch.int8))
        self.register_buffer("scale", scale.to(torch.float16))

    def forward(self, x):
        w = self.qweight.to(torch.float16) * self.scale[:, None]
        return F.linear(x, w)


def get_inputs():
    return [torch.randn(TOKENS, IN_FEATURES, dtype=torch.float16)]


def get_init_inputs():
    return []
