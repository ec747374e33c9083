"""ResNet-18 layer2 downsampling convolution: 3x3, stride 2, padding 1, 64 -> 128 channels, 56 x 56 -> 28 x 28, no bias, fp16, batch 1."""

import torch
import torch.nn as nn

BATCH, IN_CHANNELS, OUT_CHANNELS, HEIGHT, WIDTH = 1, 64, 128, 56, 56


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(IN_CHANNELS, OUT_CHANNELS, 3, stride=2, padding=1, bias=False, dtype=torch.float16)

    def forward(self, x):
        # fp32 accumulation and one rounding to fp16, as the NPU cube computes it (and fast on a CPU).
        y = torch.nn.functional.conv2d(x.float(), self.conv.weight.float(), stride=2, padding=1)
        return y.to(torch.float16)


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, HEIGHT, WIDTH, dtype=torch.float16)]


def get_init_inputs():
    return []
