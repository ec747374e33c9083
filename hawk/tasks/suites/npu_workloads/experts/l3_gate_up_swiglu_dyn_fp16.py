import pypto

H, I = 2048, 8192


def kernel(
    x: pypto.Tensor([pypto.DYNAMIC, H], pypto.DT_FP16),
    gate_proj_weight: pypto.Tensor([I, H], pypto.DT_FP16),
    up_proj_weight: pypto.Tensor([I, H], pypto.DT_FP16),
    out: pypto.Tensor([pypto.DYNAMIC, I], pypto.DT_FP16),
):
    # Decode GEMMs: M (tokens) is small and dynamic, the work is split over N. The whole batch is
    # one piece (loop iterations run one after another), the ragged rest in 16 / 4 / 1 rows.
    # Both projections read W as [out, in] transposed on the cube (b_trans) and round to fp16
    # once, like the model; the SwiGLU epilogue runs on their fp16 outputs in the same piece.
    rows = x.shape[0]
    for i, n in pypto.loop_unroll(0, rows, 1, name="TOK", idx_name="t", unroll_list=[64, 16, 4, 1]):
        xt = x[i : i + n, :]
        # 64 x 256 output blocks: 32 per projection; K = 2048 in L1 as 4 x 512, 128 in L0
        pypto.set_cube_tile_shapes([64, 64], [128, 512], [256, 256])
        g = pypto.matmul(xt, gate_proj_weight, pypto.DT_FP16, b_trans=True)
        u = pypto.matmul(xt, up_proj_weight, pypto.DT_FP16, b_trans=True)
        # epilogue tiles nest in the cube blocks: 16 x 256 fp32 = 16 KiB per operand
        pypto.set_vec_tile_shapes(16, 256)
        gf = pypto.cast(g, pypto.DT_FP32)
        silu = pypto.cast(pypto.div(gf, pypto.add(pypto.exp(pypto.neg(gf)), 1.0)), pypto.DT_FP16)
        pypto.assemble(pypto.mul(silu, u), [i, 0], out)
