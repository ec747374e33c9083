"""MobileNetV2 inverted-residual expansion: pointwise 1x1 convolution 32 -> 192 channels on 28 x 28 maps, fp16, batch 2."""

import torch
import torch.nn as nn

BATCH, IN_CHANNELS, OUT_CHANNELS, HEIGHT, WIDTH = 2, 32, 192, 28, 28


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(IN_CHANNELS, OUT_CHANNELS, 1, bias=False, dtype=torch.float16)

    def forward(self, x):
        # fp32 accumulation and one rounding to fp16, as the NPU cube computes it.
        return torch.nn.functional.conv2d(x.float(), self.conv.weight.float()).to(torch.float16)


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, HEIGHT, WIDTH, dtype=torch.float16)]


def get_init_inputs():
    return []
