"""ResNet-18 layer2 3x3 convolution (128 -> 128 channels, 28 x 28, stride 1, padding 1, no bias), fp16, batch 1."""

import torch
import torch.nn as nn

BATCH, CHANNELS, HEIGHT, WIDTH = 1, 128, 28, 28


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, bias=False, dtype=torch.float16)

    def forward(self, x):
        # fp32 accumulation and one rounding to fp16, as the NPU cube computes it (and fast on a CPU).
        y = torch.nn.functional.conv2d(x.float(), self.conv.weight.float(), padding=1)
        return y.to(torch.float16)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH, dtype=torch.float16)]


def get_init_inputs():
    return []
