import pypto

TOKENS, D_IN, D_OUT = 16384, 512, 256
SPLIT = 8  # K chunks: 4 output blocks x 8 chunks = 32 cube tasks for the 24 cube cores
CHUNK = TOKENS // SPLIT
LEVELS = SPLIT.bit_length() - 1  # pairwise-add levels of the reduction


def kernel(
    grad_out: pypto.Tensor([TOKENS, D_OUT], pypto.DT_FP16),
    x: pypto.Tensor([TOKENS, D_IN], pypto.DT_FP16),
    out: pypto.Tensor([D_OUT, D_IN], pypto.DT_FP32),
):
    # Split-K. One matmul over K = 16384 has only 4 output blocks of 128 x 256 (L0C holds one
    # fp32 block), so 4 of the 24 cube cores stream all of K: 127.5 us. Eight partial products
    # over K chunks of 2048 (grad_out read transposed in place: a_trans=True), each an fp32
    # [256, 512], then a pairwise sum on the vector cores: 56.0 us (SPLIT 4: 73.6 us, 16: 62.6 us).
    # The pypto parser accepts `for` over range() but no `while` and no list comprehensions.
    pypto.set_cube_tile_shapes([128, 128], [128, 512], [256, 256])
    parts = []
    for c in range(SPLIT):
        rows = slice(c * CHUNK, (c + 1) * CHUNK)
        parts.append(pypto.matmul(grad_out[rows, :], x[rows, :], pypto.DT_FP32, a_trans=True))
    pypto.set_vec_tile_shapes(8, 512)
    for _level in range(LEVELS):
        pairs = []
        for i in range(0, len(parts), 2):
            pairs.append(pypto.add(parts[i], parts[i + 1]))
        parts = pairs
    out.move(parts[0])
