"""vLLM / DeepSeek-style paged KV cache read (LLaMA-3-8B KV: 8 KV heads, head_dim 128, page size 128): gather each sequence's K and V pages through its block table into contiguous tensors, fp16."""

import torch
import torch.nn as nn

# LLaMA-3-8B: num_key_value_heads 8, head_dim 128; vLLM paged cache layout
# [num_pages, page_size, kv_heads, head_dim] with page (block) size 128.
NUM_PAGES, PAGE, KV_HEADS, HEAD_DIM = 16, 128, 8, 128
BATCH, PAGES_PER_SEQ = 2, 4  # each sequence holds 4 pages = 512 tokens


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, k_cache, v_cache, block_table):
        # block_table: [batch, pages_per_seq] int32 page ids (logical page i of sequence b lives
        # in physical page block_table[b, i]). Returns [batch, pages_per_seq * page, kv_heads,
        # head_dim] K and V, in token order.
        idx = block_table.long()
        k = k_cache[idx].reshape(BATCH, PAGES_PER_SEQ * PAGE, KV_HEADS, HEAD_DIM)
        v = v_cache[idx].reshape(BATCH, PAGES_PER_SEQ * PAGE, KV_HEADS, HEAD_DIM)
        return k, v


def get_inputs():
    # a random allocation of distinct physical pages to the sequences' logical pages
    block_table = torch.randperm(NUM_PAGES)[: BATCH * PAGES_PER_SEQ].reshape(BATCH, PAGES_PER_SEQ)
    return [
        torch.randn(NUM_PAGES, PAGE, KV_HEADS, HEAD_DIM, dtype=torch.float16),
        torch.randn(NUM_PAGES, PAGE, KV_HEADS, HEAD_DIM, dtype=torch.float16),
        block_table.to(torch.int32),
    ]


def get_init_inputs():
    return []
