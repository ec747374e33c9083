import pypto

T, IN, OUT = 256, 1024, 2048


def kernel(
    x: pypto.Tensor([T, IN], pypto.DT_FP16),
    proj_weight: pypto.Tensor([OUT, IN], pypto.DT_FP16),
    out: pypto.Tensor([T, OUT], pypto.DT_FP16),
):
    # nn.Linear stores W as [out, in]: y = x @ W^T, so the cube reads W transposed
    # (b_trans=True) instead of a separate transpose pass through UB and GM.
    # 128 x 256 output blocks (fp32 accumulator = all 128 KiB of L0C, rounded to fp16 once);
    # kL0 = 128 (L0A 32 KiB, L0B 64 KiB), kL1 = 512 (128 + 256 KiB of L1).
    # 2 x 8 = 16 blocks for the 24 cube cores.
    pypto.set_cube_tile_shapes([128, 128], [128, 512], [256, 256])
    out.move(pypto.matmul(x, proj_weight, pypto.DT_FP16, b_trans=True))
