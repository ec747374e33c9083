"""ResNet-50 stem max-pool (nn.MaxPool2d(3, stride=2, padding=1)) on the 64 x 112 x 112 fp32 conv1 output, batch 1."""

import torch
import torch.nn as nn

N, C, H, W = 1, 64, 112, 112


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

    def forward(self, x):
        return self.pool(x)


def get_inputs():
    return [torch.randn(N, C, H, W)]


def get_init_inputs():
    return []
