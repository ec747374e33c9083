import pypto

T, H = 512, 1024
EPS = 1e-6


def kernel(
    x: pypto.Tensor([T, H], pypto.DT_FP16),
    residual: pypto.Tensor([T, H], pypto.DT_FP16),
    weight: pypto.Tensor([H], pypto.DT_FP16),
    out0: pypto.Tensor([T, H], pypto.DT_FP16),
    out1: pypto.Tensor([T, H], pypto.DT_FP16),
):
    # A tile is 16 tokens x the whole hidden dim: each row's reduction stays inside one tile
    # (no cross-tile partial sums), and an fp32 op on it (64 KiB per operand) fits UB.
    # 32 rows overflows UB (fp32 MUL: 256 KiB > 192 KiB); 8 rows is 1.7x slower, 4 rows 2x.
    pypto.set_vec_tile_shapes(16, H)
    h = pypto.add(x, residual)  # fp16 add, exactly what the model does
    hf = pypto.cast(h, pypto.DT_FP32)
    ms = pypto.sum(pypto.mul(hf, hf), -1, keepdim=True)  # [T, 1]
    inv = pypto.rsqrt(pypto.add(pypto.mul(ms, 1.0 / H), EPS))
    normed = pypto.cast(pypto.mul(hf, inv), pypto.DT_FP16)
    w = pypto.reshape(weight, [1, H])
    out0.move(pypto.mul(normed, w))
    out1.move(h)
