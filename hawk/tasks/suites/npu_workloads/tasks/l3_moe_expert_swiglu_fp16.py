"""LLaDA2.0-mini MoE experts: per-expert SwiGLU FFN (fused gate/up grouped GEMM, SiLU * up, down grouped GEMM), fp16.

Shapes from LLaDA2.0-mini (LLaDA2-MoE; hidden_size 2048, moe_intermediate_size 512): 4 of its
256 routed experts, with 128 routed token slots already sorted by expert in the fixed ragged
counts COUNTS (a task constant, the group list after dispatch). Each expert e computes
down_e(silu(gate_e(x)) * up_e(x)) on its rows; gate and up are stored fused as one [2 * 512, 2048]
weight per expert (gate rows first), as grouped-GEMM MoE kernels keep them. Products accumulate
in fp32, the SwiGLU runs in fp32 and is rounded to fp16 once as the down GEMM's operand.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

HIDDEN, INTER, EXPERTS = 2048, 512, 4
COUNTS = (48, 16, 40, 24)  # tokens per expert, sorted order; sum = TOKENS
TOKENS = sum(COUNTS)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.gate_up = nn.Parameter((torch.randn(EXPERTS, 2 * INTER, HIDDEN) / math.sqrt(HIDDEN)).to(torch.float16))
        self.down = nn.Parameter((torch.randn(EXPERTS, HIDDEN, INTER) / math.sqrt(INTER)).to(torch.float16))

    def forward(self, x):
        outs = []
        start = 0
        for e, n in enumerate(COUNTS):
            h = torch.matmul(x[start : start + n].float(), self.gate_up[e].float().t())
            gate, up = h[:, :INTER], h[:, INTER:]
            a = (F.silu(gate) * up).to(torch.float16)
            outs.append(torch.matmul(a.float(), self.down[e].float().t()))
            start += n
        return torch.cat(outs, dim=0).to(torch.float16)


def get_inputs():
    return [torch.randn(TOKENS, HIDDEN, dtype=torch.float16)]


def get_init_inputs():
    return []
