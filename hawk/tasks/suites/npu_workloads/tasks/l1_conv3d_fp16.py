"""C3D-style video 3x3x3 convolution (32 -> 64 channels, 8 frames of 16 x 16, stride 1, padding 1, no bias), fp16, batch 1."""

import torch
import torch.nn as nn

BATCH, IN_CHANNELS, OUT_CHANNELS, FRAMES, HEIGHT, WIDTH = 1, 32, 64, 8, 16, 16


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(IN_CHANNELS, OUT_CHANNELS, 3, padding=1, bias=False, dtype=torch.float16)

    def forward(self, x):
        # fp32 accumulation and one rounding to fp16, as the NPU cube computes it.
        y = torch.nn.functional.conv3d(x.float(), self.conv.weight.float(), padding=1)
        return y.to(torch.float16)


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, FRAMES, HEIGHT, WIDTH, dtype=torch.float16)]


def get_init_inputs():
    return []
