import pypto

B, NH, S, D = 1, 8, 512, 128
HALF = D // 2


def kernel(
    q: pypto.Tensor([B, NH, S, D], pypto.DT_FP32),
    k: pypto.Tensor([B, NH, S, D], pypto.DT_FP32),
    cos: pypto.Tensor([S, D], pypto.DT_FP32),
    sin: pypto.Tensor([S, D], pypto.DT_FP32),
    out0: pypto.Tensor([B, NH, S, D], pypto.DT_FP32),
    out1: pypto.Tensor([B, NH, S, D], pypto.DT_FP32),
):
    # rotate_half without materialising it: with x = [x1 | x2] (halves of head_dim),
    #   out[:, :HALF] = x1 * cos1 - x2 * sin1,   out[:, HALF:] = x2 * cos2 + x1 * sin2.
    # Each half is 64 fp32 = 256 B wide (32 B aligned). Tiles are 1 x 2 heads x 128 positions x
    # 64 = 64 KiB per operand (a binary op's 2 inputs + output = 192 KiB, exactly UB).
    # Half as large a tile (2 x 64 positions) is 26% slower.
    pypto.set_vec_tile_shapes(1, 2, 128, HALF)
    c1 = pypto.reshape(pypto.view(cos, [S, HALF], [0, 0]), [1, 1, S, HALF])
    c2 = pypto.reshape(pypto.view(cos, [S, HALF], [0, HALF]), [1, 1, S, HALF])
    s1 = pypto.reshape(pypto.view(sin, [S, HALF], [0, 0]), [1, 1, S, HALF])
    s2 = pypto.reshape(pypto.view(sin, [S, HALF], [0, HALF]), [1, 1, S, HALF])
    for x, out in ((q, out0), (k, out1)):
        x1 = pypto.view(x, [B, NH, S, HALF], [0, 0, 0, 0])
        x2 = pypto.view(x, [B, NH, S, HALF], [0, 0, 0, HALF])
        lo = pypto.sub(pypto.mul(x1, c1), pypto.mul(x2, s1))
        hi = pypto.add(pypto.mul(x2, c2), pypto.mul(x1, s2))
        pypto.assemble(lo, [0, 0, 0, 0], out)
        pypto.assemble(hi, [0, 0, 0, HALF], out)
