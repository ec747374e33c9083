import pypto

T, H = 512, 1024


def kernel(
    attn_out: pypto.Tensor([T, H], pypto.DT_FP16),
    residual: pypto.Tensor([T, H], pypto.DT_FP16),
    o_proj_weight: pypto.Tensor([H, H], pypto.DT_FP16),
    out: pypto.Tensor([T, H], pypto.DT_FP16),
):
    # nn.Linear stores W as [out, in]: multiply by W^T with b_trans instead of transposing it.
    # fp32 accumulation, rounded to fp16 by the cube, then an fp16 add: exactly the model's
    # rounding (o_proj's fp16 output + residual), with half the epilogue bytes of an fp32 add.
    # Cube tiles (m, k, n as [L0, L1]): 128 x 256 output blocks (L0C 128 KiB fp32), 4 x 4 = 16
    # blocks; k 128 in L0, 512 in L1 (384 KiB for A + B). In this simulator fewer, larger cube
    # tasks win: 128 x 128 blocks (32 tasks) 25.2 us, 64 x 256 29.8 us, 128 x 256 19.0 us.
    pypto.set_cube_tile_shapes([128, 128], [128, 512], [256, 256])
    y = pypto.matmul(attn_out, o_proj_weight, pypto.DT_FP16, b_trans=True)
    # Epilogue tiles are the cube's output blocks (3 x 64 KiB fp16 = 192 KiB): 16 tasks.
    # Smaller or flat epilogue tiles were slower (64 x 256: 19.9 us; flat 32768: 21.0 us).
    pypto.set_vec_tile_shapes(128, 256)
    out.move(pypto.add(residual, y))
