"""Per-token LM cross-entropy with label smoothing 0.1 (F.cross_entropy(..., reduction="none", label_smoothing=0.1)) from fp32 logits over the LLaMA-2 vocabulary.

Shapes from LLaMA-2-7B (vocab_size 32000), 64 tokens, int32 next-token targets. Written out as
torch computes it: log-softmax over the vocabulary, the NLL of the target token, and the
smoothing term (the mean of -log p over the vocabulary):
loss = 0.9 * (-log p[target]) + 0.1 * mean(-log p).
"""

import torch
import torch.nn as nn

TOKENS, VOCAB = 64, 32000
SMOOTHING = 0.1


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, logits, target):
        logp = torch.log_softmax(logits, dim=-1)
        nll = -logp.gather(1, target.long().unsqueeze(1)).squeeze(1)
        smooth = -logp.mean(dim=-1)
        return (1.0 - SMOOTHING) * nll + SMOOTHING * smooth


def get_inputs():
    logits = 2.0 * torch.randn(TOKENS, VOCAB)
    target = torch.randint(0, VOCAB, (TOKENS,), dtype=torch.int32)
    return [logits, target]


def get_init_inputs():
    return []
