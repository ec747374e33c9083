import pypto

NP, PG, KVH, D = 16, 128, 8, 128
T = 32
W = KVH * D  # one token's K (or V) row: 1024 values


def kernel(
    key: pypto.Tensor([T, KVH, D], pypto.DT_FP16),
    value: pypto.Tensor([T, KVH, D], pypto.DT_FP16),
    k_cache: pypto.Tensor([NP, PG, KVH, D], pypto.DT_FP16),
    v_cache: pypto.Tensor([NP, PG, KVH, D], pypto.DT_FP16),
    slot_mapping: pypto.Tensor([T], pypto.DT_INT32),
    out0: pypto.Tensor([NP, PG, KVH, D], pypto.DT_FP16),
    out1: pypto.Tensor([NP, PG, KVH, D], pypto.DT_FP16),
):
    # The cache as [slots, W] rows; scatter_update writes row t of the new tokens to row
    # slot_mapping[t] (a [1, T] index) and passes every other row through.
    pypto.set_vec_tile_shapes(T)
    slots = pypto.reshape(slot_mapping, [1, T])
    pypto.set_vec_tile_shapes(32, W)
    k_upd = pypto.scatter_update(pypto.reshape(k_cache, [NP * PG, W]), -2, slots, pypto.reshape(key, [T, W]))
    out0.move(pypto.reshape(k_upd, [NP, PG, KVH, D]))
    v_upd = pypto.scatter_update(pypto.reshape(v_cache, [NP * PG, W]), -2, slots, pypto.reshape(value, [T, W]))
    out1.move(pypto.reshape(v_upd, [NP, PG, KVH, D]))
