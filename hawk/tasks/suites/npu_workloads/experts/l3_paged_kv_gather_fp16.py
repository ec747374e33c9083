import pypto

NP, PG, KVH, D = 16, 128, 8, 128
B, P = 2, 4
W = KVH * D  # one token's K (or V) row: 1024 values


def kernel(
    k_cache: pypto.Tensor([NP, PG, KVH, D], pypto.DT_FP16),
    v_cache: pypto.Tensor([NP, PG, KVH, D], pypto.DT_FP16),
    block_table: pypto.Tensor([B, P], pypto.DT_INT32),
    out0: pypto.Tensor([B, P * PG, KVH, D], pypto.DT_FP16),
    out1: pypto.Tensor([B, P * PG, KVH, D], pypto.DT_FP16),
):
    # A page is [PG tokens, KVH*D] in the cache: index_select over the page axis with the
    # flattened block table gathers whole pages ([B*P, PG, W]), already in token order.
    ids = pypto.reshape(block_table, [B * P])
    pypto.set_vec_tile_shapes(1, 32, W)
    for cache, out in ((k_cache, out0), (v_cache, out1)):
        pages = pypto.index_select(pypto.reshape(cache, [NP, PG, W]), 0, ids)
        out.move(pypto.reshape(pages, [B, P * PG, KVH, D]))
