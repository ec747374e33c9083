"""LLaMA-3-8B attention output projection in int8 weight-only with per-group scales (group 128 along K), dequantized to fp16 before the GEMM.

Shapes from LLaMA-3-8B (hidden_size 4096: o_proj is 4096 -> 4096), 64 tokens. The weight is
quantized symmetrically per (output channel, group of 128 input channels), as GPTQ/AWQ-style
group-wise weight-only formats do, with fp16 scales [4096, 32]. The kernel rebuilds the fp16
weight w = fp16(q) * s[group] (rounded to fp16, as a dequant-then-GEMM kernel does) and
computes x @ w^T with fp32 accumulation, fp16 out.
"""

import torch
import torch.nn as nn

TOKENS, IN_FEATURES, OUT_FEATURES, GROUP = 64, 4096, 4096, 128
GROUPS = IN_FEATURES // GROUP


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        w = (torch.randn(OUT_FEATURES, IN_FEATURES) / IN_FEATURES**0.5).view(OUT_FEATURES, GROUPS, GROUP)
        # group scales vary over channels and groups (outlier groups get larger ones)
        w = w * torch.exp(0.5 * torch.randn(OUT_FEATURES, GROUPS, 1))
        scale = (w.abs().amax(dim=-1) / 127.0).to(torch.float16)  # [out, groups]
        q = torch.round(w / scale.float()[:, :, None]).clamp(-127, 127).to(torch.int8)
        self.register_buffer("qweight", q.view(OUT_FEATURES, IN_FEATURES))
        self.register_buffer("scales", scale)

    def forward(self, x):
        q = self.qweight.view(OUT_FEATURES, GROUPS, GROUP).to(torch.float16)
        w = (q * self.scales.view(OUT_FEATURES, GROUPS, 1)).view(OUT_FEATURES, IN_FEATURES)
        return torch.matmul(x.float(), w.float().t()).to(torch.float16)


def get_inputs():
    return [torch.randn(TOKENS, IN_FEATURES, dtype=torch.float16)]


def get_init_inputs():
    return []
