import pypto

M = K = N = 1024


def kernel(
    a: pypto.Tensor([M, K], pypto.DT_FP16),
    b: pypto.Tensor([K, N], pypto.DT_FP16),
    out: pypto.Tensor([M, N], pypto.DT_FP16),
):
    # Cube tiles: [mL0, mL1], [kL0, kL1], [nL0, nL1].
    # - L0C holds the fp32 accumulator of a 128 x 256 output block: 128 KiB, all of L0C; the
    #   result is rounded to fp16 only once, on the way out.
    # - kL0 = 128: L0A 128 x 128 x 2 B = 32 KiB, L0B 128 x 256 x 2 B = 64 KiB (the limits).
    # - kL1 = 512: A and B stream into L1 in 512-deep slabs (128 + 256 KiB of the 512 KiB L1),
    #   few large MTE2 copies. Fewer, longer K steps measured as fast as kL0 = 64 here.
    # 8 x 4 = 32 output blocks for the 24 cube cores.
    pypto.set_cube_tile_shapes([128, 128], [128, 512], [256, 256])
    out.move(pypto.matmul(a, b, pypto.DT_FP16))
