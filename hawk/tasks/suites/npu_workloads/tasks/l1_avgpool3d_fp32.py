"""3-D average pooling (nn.AvgPool3d(3, stride=2, padding=1), KernelBench 46's window) on R3D-18 stage-2 video features: 128 channels, 8 frames, 28 x 28, batch 1, fp32."""

import torch
import torch.nn as nn

N, C, T, H, W = 1, 128, 8, 28, 28


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = nn.AvgPool3d(kernel_size=3, stride=2, padding=1)

    def forward(self, x):
        return self.pool(x)


def get_inputs():
    return [torch.randn(N, C, T, H, W)]


def get_init_inputs():
    return []
