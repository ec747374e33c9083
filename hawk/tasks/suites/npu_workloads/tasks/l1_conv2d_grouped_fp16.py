"""ResNeXt-50 (32x4d) stage-2 grouped 3x3 convolution: 256 -> 256 channels in 32 groups of 8, 28 x 28, stride 1, padding 1, no bias, fp16, batch 1."""

import torch
import torch.nn as nn

BATCH, CHANNELS, GROUPS, HEIGHT, WIDTH = 1, 256, 32, 28, 28


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, groups=GROUPS, bias=False, dtype=torch.float16)

    def forward(self, x):
        # fp32 accumulation and one rounding to fp16, as the NPU cube computes it (and fast on a CPU).
        y = torch.nn.functional.conv2d(x.float(), self.conv.weight.float(), padding=1, groups=GROUPS)
        return y.to(torch.float16)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH, dtype=torch.float16)]


def get_init_inputs():
    return []
