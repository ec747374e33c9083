import pypto

T, H, I = 128, 1024, 2816


def kernel(
    x: pypto.Tensor([T, H], pypto.DT_FP16),
    gate_proj_weight: pypto.Tensor([I, H], pypto.DT_FP16),
    up_proj_weight: pypto.Tensor([I, H], pypto.DT_FP16),
    down_proj_weight: pypto.Tensor([H, I], pypto.DT_FP16),
    out: pypto.Tensor([T, H], pypto.DT_FP16),
):
    # Up: two [128 x 1024] x [1024 x 2816] products (weights are [out, in]: b_trans), fp32
    # accumulation; 128 x 128 output blocks (22 per product, 44 in all) for the 24 cube cores.
    # The whole K = 1024 sits in L1 (A 128 x 1024 fp16 = 256 KiB + B 256 KiB: all of L1) and
    # goes to L0 64 deep. The weights are read once, so this is bandwidth-bound: big L1 blocks
    # (few, long DMA bursts) beat deep L0 tiles.
    pypto.set_cube_tile_shapes([128, 128], [64, 1024], [128, 128])
    g = pypto.matmul(x, gate_proj_weight, pypto.DT_FP32, b_trans=True)
    u = pypto.matmul(x, up_proj_weight, pypto.DT_FP32, b_trans=True)
    # SwiGLU epilogue in fp32 on tiles that nest in the 128 x 128 blocks; rounded to fp16 once,
    # as the next cube product's operand.
    pypto.set_vec_tile_shapes(64, 128)
    silu = pypto.div(g, pypto.add(pypto.exp(pypto.mul(g, -1.0)), 1.0))
    h = pypto.cast(pypto.mul(silu, u), pypto.DT_FP16)
    # Down: [128 x 2816] x [2816 x 1024]; K = 2816 = 4 x 704 goes through L1 704 deep
    # (A + B = 352 KiB) and L0 64 deep: 56 us against 67 us with 256-deep L1 blocks.
    pypto.set_cube_tile_shapes([128, 128], [64, 704], [128, 128])
    y = pypto.matmul(h, down_proj_weight, pypto.DT_FP32, b_trans=True)
    out.move(pypto.cast(y, pypto.DT_FP16))
