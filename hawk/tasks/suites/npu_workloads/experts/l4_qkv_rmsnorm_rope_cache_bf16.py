import pypto

T, QH, KVH, D = 32, 32, 8, 128
NP, PG = 4, 128
HALF = D // 2
QD, KD = QH * D, KVH * D
EPS = 1e-6


def _norm_rope(x, nh, w, c1, c2, s1, s2):
    # x: [T, nh, D] fp32. Per-head RMSNorm (the whole head_dim in each tile), then rotate_half
    # RoPE on the two halves: lo = x1 c1 - x2 s1, hi = x2 c2 + x1 s2.
    # The norm on the [T * nh, D] rows (a broadcast may expand one axis only: w is [1, D]).
    pypto.set_vec_tile_shapes(64, D)
    x2 = pypto.reshape(x, [T * nh, D])
    ms = pypto.mul(pypto.sum(pypto.mul(x2, x2), -1, keepdim=True), 1.0 / D)
    xn2 = pypto.mul(pypto.mul(x2, pypto.rsqrt(pypto.add(ms, EPS))), w)
    pypto.set_vec_tile_shapes(8, nh, D)
    xn = pypto.reshape(xn2, [T, nh, D])
    pypto.set_vec_tile_shapes(8, nh, HALF)
    x1 = pypto.view(xn, [T, nh, HALF], [0, 0, 0])
    x2 = pypto.view(xn, [T, nh, HALF], [0, 0, HALF])
    lo = pypto.cast(pypto.sub(pypto.mul(x1, c1), pypto.mul(x2, s1)), pypto.DT_BF16)
    hi = pypto.cast(pypto.add(pypto.mul(x2, c2), pypto.mul(x1, s2)), pypto.DT_BF16)
    return lo, hi


def kernel(
    qkv: pypto.Tensor([T, QD + 2 * KD], pypto.DT_BF16),
    cos: pypto.Tensor([T, D], pypto.DT_FP32),
    sin: pypto.Tensor([T, D], pypto.DT_FP32),
    k_cache: pypto.Tensor([NP, PG, KVH, D], pypto.DT_BF16),
    v_cache: pypto.Tensor([NP, PG, KVH, D], pypto.DT_BF16),
    slot_mapping: pypto.Tensor([T], pypto.DT_INT32),
    q_norm_weight: pypto.Tensor([D], pypto.DT_BF16),
    k_norm_weight: pypto.Tensor([D], pypto.DT_BF16),
    out0: pypto.Tensor([T, QH, D], pypto.DT_BF16),
    out1: pypto.Tensor([NP, PG, KVH, D], pypto.DT_BF16),
    out2: pypto.Tensor([NP, PG, KVH, D], pypto.DT_BF16),
):
    # Norm weights and the rope tables as [1 or T, 1, n] rows that broadcast over heads.
    pypto.set_vec_tile_shapes(D)
    wq = pypto.reshape(pypto.cast(q_norm_weight, pypto.DT_FP32), [1, D])
    wk = pypto.reshape(pypto.cast(k_norm_weight, pypto.DT_FP32), [1, D])
    pypto.set_vec_tile_shapes(T, HALF)
    c1 = pypto.reshape(pypto.view(cos, [T, HALF], [0, 0]), [T, 1, HALF])
    c2 = pypto.reshape(pypto.view(cos, [T, HALF], [0, HALF]), [T, 1, HALF])
    s1 = pypto.reshape(pypto.view(sin, [T, HALF], [0, 0]), [T, 1, HALF])
    s2 = pypto.reshape(pypto.view(sin, [T, HALF], [0, HALF]), [T, 1, HALF])
    # q: [T, 32, 128] from the first 4096 columns (cast to fp32 once); the norm on 64-row
    # tiles of [T*32, 128] (32 KiB fp32), the rope on 8 tokens x 32 heads x one half (32 KiB).
    # The whole prolog is one program: q, k and v are read from qkv once, no fp32 round trip
    # through GM between norm, rope and the cache write.
    pypto.set_vec_tile_shapes(8, QD)
    q = pypto.reshape(pypto.cast(pypto.view(qkv, [T, QD], [0, 0]), pypto.DT_FP32), [T, QH, D])
    q_lo, q_hi = _norm_rope(q, QH, wq, c1, c2, s1, s2)
    pypto.assemble(q_lo, [0, 0, 0], out0)
    pypto.assemble(q_hi, [0, 0, HALF], out0)
    # k: normalized + rotated, then scattered into its cache slots; v goes in as it is.
    pypto.set_vec_tile_shapes(8, KD)
    k = pypto.reshape(pypto.cast(pypto.view(qkv, [T, KD], [0, QD]), pypto.DT_FP32), [T, KVH, D])
    k_lo, k_hi = _norm_rope(k, KVH, wk, c1, c2, s1, s2)
    pypto.set_vec_tile_shapes(8, KVH, D)
    k_rot = pypto.concat([k_lo, k_hi], 2)
    pypto.set_vec_tile_shapes(T)
    slots = pypto.reshape(slot_mapping, [1, T])
    pypto.set_vec_tile_shapes(32, KD)
    k_rows = pypto.reshape(k_rot, [T, KD])
    v_rows = pypto.view(qkv, [T, KD], [0, QD + KD])
    k_upd = pypto.scatter_update(pypto.reshape(k_cache, [NP * PG, KD]), -2, slots, k_rows)
    out1.move(pypto.reshape(k_upd, [NP, PG, KVH, D]))
    v_upd = pypto.scatter_update(pypto.reshape(v_cache, [NP * PG, KD]), -2, slots, v_rows)
    out2.move(pypto.reshape(v_upd, [NP, PG, KVH, D]))
