"""Whisper-base audio encoder conv1: Conv1d 80 mel bins -> 512 channels, kernel 3, padding 1, with bias, on 512 frames, fp16, batch 1."""

import torch
import torch.nn as nn

BATCH, MELS, CHANNELS, FRAMES = 1, 80, 512, 512


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(MELS, CHANNELS, 3, padding=1, dtype=torch.float16)

    def forward(self, x):
        # fp32 accumulation (bias included) and one rounding to fp16.
        y = torch.nn.functional.conv1d(x.float(), self.conv.weight.float(), self.conv.bias.float(), padding=1)
        return y.to(torch.float16)


def get_inputs():
    return [torch.randn(BATCH, MELS, FRAMES, dtype=torch.float16)]


def get_init_inputs():
    return []
