"""vLLM reshape_and_cache / DeepSeek-style paged KV cache write (LLaMA-3-8B KV: 8 KV heads, head_dim 128, page size 128): write 32 new tokens' K and V into their cache slots through a slot mapping, fp16."""

import torch
import torch.nn as nn

# LLaMA-3-8B: num_key_value_heads 8, head_dim 128; vLLM paged cache layout
# [num_pages, page_size, kv_heads, head_dim] with page (block) size 128.
NUM_PAGES, PAGE, KV_HEADS, HEAD_DIM = 16, 128, 8, 128
TOKENS = 32  # new tokens this step (e.g. a decode batch of 32 sequences)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, key, value, k_cache, v_cache, slot_mapping):
        # key, value: [tokens, kv_heads, head_dim]; slot_mapping: [tokens] int32, token t goes to
        # page slot_mapping[t] // PAGE, offset slot_mapping[t] % PAGE. Returns the updated
        # caches (the kernel writes the new rows, the rest of the cache is unchanged).
        slots = slot_mapping.long()
        k_new = k_cache.reshape(NUM_PAGES * PAGE, KV_HEADS, HEAD_DIM).clone()
        v_new = v_cache.reshape(NUM_PAGES * PAGE, KV_HEADS, HEAD_DIM).clone()
        k_new[slots] = key
        v_new[slots] = value
        shape = (NUM_PAGES, PAGE, KV_HEADS, HEAD_DIM)
        return k_new.reshape(shape), v_new.reshape(shape)


def get_inputs():
    # distinct random slots (no two tokens share a slot, as in a real slot mapping)
    slot_mapping = torch.randperm(NUM_PAGES * PAGE)[:TOKENS].to(torch.int32)
    return [
        torch.randn(TOKENS, KV_HEADS, HEAD_DIM, dtype=torch.float16),
        torch.randn(TOKENS, KV_HEADS, HEAD_DIM, dtype=torch.float16),
        torch.randn(NUM_PAGES, PAGE, KV_HEADS, HEAD_DIM, dtype=torch.float16),
        torch.randn(NUM_PAGES, PAGE, KV_HEADS, HEAD_DIM, dtype=torch.float16),
        slot_mapping,
    ]


def get_init_inputs():
    return []
