import pypto

T, K, N = 256, 1024, 2048


def kernel(
    x: pypto.Tensor([T, K], pypto.DT_FP16),
    qweight: pypto.Tensor([N, K], pypto.DT_INT8),
    scale: pypto.Tensor([N], pypto.DT_FP16),
    out: pypto.Tensor([T, N], pypto.DT_FP16),
):
    # The scale is per output channel, so it factors out of the dot product:
    #   x @ (q * s[:, None])^T = (x @ q^T) * s[None, :].
    # int8 -> fp16 is exact (|q| <= 127), so the cube multiplies the raw integer weights in fp16
    # with fp32 accumulation, and the scale is applied once per output element in the epilogue
    # instead of once per weight element (T x N multiplies instead of N x K).
    pypto.set_vec_tile_shapes(128, 512)  # int8 -> fp16 cast: 64 + 128 KiB per tile
    w = pypto.cast(qweight, pypto.DT_FP16)
    # 128 x 128 output blocks: 2 x 16 = 32 blocks for 24 cube cores; k 128 in L0, 512 in L1.
    pypto.set_cube_tile_shapes([128, 128], [128, 512], [128, 128])
    acc = pypto.matmul(x, w, pypto.DT_FP32, b_trans=True)
    pypto.set_vec_tile_shapes(64, 128)  # epilogue tiles nest inside the cube's output blocks
    s = pypto.cast(pypto.reshape(scale, [1, N]), pypto.DT_FP32)
    out.move(pypto.cast(pypto.mul(acc, s), pypto.DT_FP16))
