"""REINFORCE / GRPO reward-to-go with gamma = 1: reverse cumulative sum of per-token rewards over 2048 generated tokens, 128 rollouts, fp32."""

import torch
import torch.nn as nn

ROLLOUTS, TOKENS = 128, 2048


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, rewards):
        # returns[t] = sum of rewards[t:], written as eager PyTorch code writes it (flip, cumsum, flip)
        return torch.flip(torch.cumsum(torch.flip(rewards, [1]), dim=1), [1])


def get_inputs():
    return [torch.randn(ROLLOUTS, TOKENS)]


def get_init_inputs():
    return []
