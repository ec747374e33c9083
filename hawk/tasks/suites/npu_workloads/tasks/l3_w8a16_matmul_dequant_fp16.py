"""LLaMA-3-8B fused QKV projection in weight-only int8 (W8A16): int8 weight, per-output-channel fp32 scale, dequant in the epilogue, fp16.

Shapes from LLaMA-3-8B (hidden_size 4096; 32 query heads and 8 KV heads of head_dim 128, so the
fused q/k/v weight is [4096 + 1024 + 1024, 4096]), 64 tokens. The weight is quantized once per
output channel (symmetric absmax); unlike l2_dequant_matmul_fp16 (which rebuilds an fp16 weight
and rounds it before the product) the scale is applied to the fp32 accumulator, as W8A16 GEMM
kernels do in their epilogue: y = fp16((x @ q^T) * s).
"""

import torch
import torch.nn as nn

TOKENS, HIDDEN = 64, 4096
OUT = 4096 + 2 * 1024  # q, k, v projections fused


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        w = torch.randn(OUT, HIDDEN) / HIDDEN**0.5
        scale = w.abs().amax(dim=1) / 127.0
        self.register_buffer("qweight", torch.round(w / scale[:, None]).clamp(-127, 127).to(torch.int8))
        self.register_buffer("scale", scale)  # fp32, per output channel

    def forward(self, x):
        acc = torch.matmul(x.float(), self.qweight.float().t())
        return (acc * self.scale).to(torch.float16)


def get_inputs():
    return [torch.randn(TOKENS, HIDDEN, dtype=torch.float16)]


def get_init_inputs():
    return []
