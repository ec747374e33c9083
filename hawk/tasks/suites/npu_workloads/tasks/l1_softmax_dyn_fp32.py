"""Chunked-prefill attention probabilities: softmax over 1024 keys (a GPT-2 / BERT-base context) for a dynamic chunk of 128..2048 fp32 query rows."""

import torch
import torch.nn as nn

QUERIES, KEYS = 2048, 1024


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, scores):
        return torch.softmax(scores, dim=-1)


def get_inputs():
    return [3.0 * torch.randn(QUERIES, KEYS)]


def get_init_inputs():
    return []


def get_input_shapes():
    return [{"QUERIES": 128}, {"QUERIES": 1000}, {"QUERIES": 2048}]  # 1000: a ragged tail
