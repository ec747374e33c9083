import pypto

T, HID, QL, KL = 16, 7168, 1536, 512
H, NOPE, ROPE = 16, 128, 64
QHD = NOPE + ROPE  # 192 per head
HALF = ROPE // 2
EPS = 1e-6


def _rms(x, w, n):
    # x: [T, n] fp32, whole rows per tile; w: [1, n] fp32
    ms = pypto.mul(pypto.sum(pypto.mul(x, x), -1, keepdim=True), 1.0 / n)
    return pypto.mul(pypto.mul(x, pypto.rsqrt(pypto.add(ms, EPS))), w)


def kernel(
    x: pypto.Tensor([T, HID], pypto.DT_BF16),
    cos: pypto.Tensor([T, HALF], pypto.DT_FP32),
    sin: pypto.Tensor([T, HALF], pypto.DT_FP32),
    q_a_layernorm_weight: pypto.Tensor([QL], pypto.DT_BF16),
    kv_a_layernorm_weight: pypto.Tensor([KL], pypto.DT_BF16),
    q_a_proj_weight: pypto.Tensor([QL, HID], pypto.DT_BF16),
    q_b_proj_weight: pypto.Tensor([H * QHD, QL], pypto.DT_BF16),
    kv_a_proj_with_mqa_weight: pypto.Tensor([KL + ROPE, HID], pypto.DT_BF16),
    out0: pypto.Tensor([T, H, NOPE], pypto.DT_BF16),
    out1: pypto.Tensor([T, H, ROPE], pypto.DT_BF16),
    out2: pypto.Tensor([T, KL], pypto.DT_BF16),
    out3: pypto.Tensor([T, ROPE], pypto.DT_BF16),
):
    # Decode: 16 tokens, so every product is weight-bandwidth bound (M = 16, the cube's minimum).
    # Down-projections: both read x once; N split into 64-wide blocks (24 + 9 blocks for the 24
    # cube cores), K = 7168 through L1 1024 deep (weight block 128 KiB), 256 deep in L0.
    pypto.set_cube_tile_shapes([16, 16], [256, 1024], [64, 64])
    q_a = pypto.matmul(x, q_a_proj_weight, pypto.DT_FP32, b_trans=True)  # [T, 1536]
    kv = pypto.matmul(x, kv_a_proj_with_mqa_weight, pypto.DT_FP32, b_trans=True)  # [T, 576]
    # q latent RMSNorm in fp32 (whole 1536-wide rows, 8 tokens per tile), rounded to bf16 once
    # as the up-projection's operand.
    pypto.set_vec_tile_shapes(QL)
    wq = pypto.reshape(pypto.cast(q_a_layernorm_weight, pypto.DT_FP32), [1, QL])
    pypto.set_vec_tile_shapes(8, QL)
    q_lat = pypto.cast(_rms(q_a, wq, QL), pypto.DT_BF16)
    # Up-projection: [16 x 1536] x [1536 x 3072], 128-wide N blocks (24), the whole K in L1.
    pypto.set_cube_tile_shapes([16, 16], [256, 1536], [128, 128])
    q = pypto.matmul(q_lat, q_b_proj_weight, pypto.DT_FP32, b_trans=True)  # [T, H*192]
    # Interleaved RoPE without strided access: rot(x) = x * cos2 + swap(x) * sin2 with swap
    # j -> j xor 1 (index_select on the last axis), cos2[j] = cos[j // 2],
    # sin2[j] = sin[j // 2] * (-1 for even j, +1 for odd); index vectors built from arange.
    pypto.set_vec_tile_shapes(ROPE)
    j = pypto.cast(pypto.arange(ROPE), pypto.DT_FP32)
    half_j = pypto.floor(pypto.mul(j, 0.5))
    parity = pypto.sub(j, pypto.mul(half_j, 2.0))
    swap_idx = pypto.cast(pypto.sub(pypto.add(j, 1.0), pypto.mul(parity, 2.0)), pypto.DT_INT32)
    half_idx = pypto.cast(half_j, pypto.DT_INT32)
    sign = pypto.reshape(pypto.sub(pypto.mul(parity, 2.0), 1.0), [1, ROPE])
    pypto.set_vec_tile_shapes(T, ROPE)
    cos2 = pypto.index_select(cos, 1, half_idx)  # [T, 64]
    sin2 = pypto.mul(pypto.index_select(sin, 1, half_idx), sign)
    # q heads: nope part straight out, rope part rotated (tables broadcast over heads).
    q3 = pypto.reshape(q, [T, H, QHD])
    pypto.set_vec_tile_shapes(8, H, NOPE)
    out0.move(pypto.cast(pypto.view(q3, [T, H, NOPE], [0, 0, 0]), pypto.DT_BF16))
    pypto.set_vec_tile_shapes(8, H, ROPE)
    q_pe = pypto.view(q3, [T, H, ROPE], [0, 0, NOPE])
    q_sw = pypto.index_select(q_pe, 2, swap_idx)
    c3 = pypto.reshape(cos2, [T, 1, ROPE])
    s3 = pypto.reshape(sin2, [T, 1, ROPE])
    out1.move(pypto.cast(pypto.add(pypto.mul(q_pe, c3), pypto.mul(q_sw, s3)), pypto.DT_BF16))
    # kv latent: RMSNorm over the 512 compressed dims; shared rope key k_pe rotated.
    pypto.set_vec_tile_shapes(KL)
    wkv = pypto.reshape(pypto.cast(kv_a_layernorm_weight, pypto.DT_FP32), [1, KL])
    pypto.set_vec_tile_shapes(T, KL)
    c_kv = pypto.view(kv, [T, KL], [0, 0])
    out2.move(pypto.cast(_rms(c_kv, wkv, KL), pypto.DT_BF16))
    pypto.set_vec_tile_shapes(T, ROPE)
    k_pe = pypto.view(kv, [T, ROPE], [0, KL])
    k_sw = pypto.index_select(k_pe, 1, swap_idx)
    out3.move(pypto.cast(pypto.add(pypto.mul(k_pe, cos2), pypto.mul(k_sw, sin2)), pypto.DT_BF16))
