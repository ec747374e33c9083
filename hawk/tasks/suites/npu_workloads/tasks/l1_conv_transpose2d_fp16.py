"""UNet decoder up-convolution: ConvTranspose2d 128 -> 64 channels, kernel 2, stride 2 (16 x 16 -> 32 x 32), with bias, fp16, batch 1."""

import torch
import torch.nn as nn

BATCH, IN_CHANNELS, OUT_CHANNELS, HEIGHT, WIDTH = 1, 128, 64, 16, 16


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(IN_CHANNELS, OUT_CHANNELS, 2, stride=2, dtype=torch.float16)

    def forward(self, x):
        # fp32 accumulation (bias included) and one rounding to fp16.
        y = torch.nn.functional.conv_transpose2d(x.float(), self.up.weight.float(), self.up.bias.float(), stride=2)
        return y.to(torch.float16)


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, HEIGHT, WIDTH, dtype=torch.float16)]


def get_init_inputs():
    return []
