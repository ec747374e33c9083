import pypto

H, I, E = 2048, 512, 4
COUNTS = (48, 16, 40, 24)  # tokens per expert (task constant), sorted order
T = sum(COUNTS)


def kernel(
    x: pypto.Tensor([T, H], pypto.DT_FP16),
    gate_up: pypto.Tensor([E, 2 * I, H], pypto.DT_FP16),
    down: pypto.Tensor([E, H, I], pypto.DT_FP16),
    out: pypto.Tensor([T, H], pypto.DT_FP16),
):
    # One SwiGLU FFN per expert on its static row slice of the sorted tokens; the experts are
    # independent, so their tiles overlap on the cores. m tiles = the group's token count
    # rounded up to 16 (each weight tile is read once).
    start = 0
    for e, c in enumerate(COUNTS):
        m = (c + 15) // 16 * 16
        xe = x[start : start + c, :]
        wgu = pypto.reshape(gate_up[e : e + 1, :, :], [2 * I, H])
        wd = pypto.reshape(down[e : e + 1, :, :], [H, I])
        # gate and up as two products on row views of the fused weight (no slicing of the
        # result for the epilogue). The whole K = 2048 in L1 (B 128 x 2048 fp16 = 512 KiB is
        # too much with A, so 1024 deep: B 256 KiB + A <= 96 KiB), 128-wide n blocks: 4 per
        # product, 32 in all. 56.7 us against 60.3 us with 256-wide blocks and 512-deep L1.
        pypto.set_cube_tile_shapes([m, m], [128, 1024], [128, 128])
        g = pypto.matmul(xe, wgu[0:I, :], pypto.DT_FP32, b_trans=True)
        u = pypto.matmul(xe, wgu[I : 2 * I, :], pypto.DT_FP32, b_trans=True)
        # SwiGLU in fp32 on 8-row tiles of whole rows (16 KiB per operand), rounded to fp16 once.
        pypto.set_vec_tile_shapes(8, I)
        silu = pypto.div(g, pypto.add(pypto.exp(pypto.mul(g, -1.0)), 1.0))
        a = pypto.cast(pypto.mul(silu, u), pypto.DT_FP16)
        # Down: K = 512 whole in L1, 256-wide n blocks (8 per expert); 128-wide was slower.
        pypto.set_cube_tile_shapes([m, m], [128, 512], [256, 256])
        y = pypto.matmul(a, wd, pypto.DT_FP16, b_trans=True)
        pypto.assemble(y, [start, 0], out)
        start += c
