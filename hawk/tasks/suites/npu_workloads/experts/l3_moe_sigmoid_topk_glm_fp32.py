import pypto

T, H, E, K = 128, 4096, 128, 8
SCALING = 1.0  # routed_scaling_factor of GLM-4.5-Air


def kernel(
    x: pypto.Tensor([T, H], pypto.DT_FP32),
    weight: pypto.Tensor([E, H], pypto.DT_FP32),
    e_score_correction_bias: pypto.Tensor([E], pypto.DT_FP32),
    out0: pypto.Tensor([T, K], pypto.DT_FP32),
    out1: pypto.Tensor([T, K], pypto.DT_INT32),
):
    # Router logits on the cube in fp32 (W is [experts, hidden]: b_trans). Small product
    # (128 x 4096 x 128), so parallelism first: 32 x 32 output blocks give 16 blocks; K = 4096
    # goes through L1 1024 deep (A 128 KiB + B 128 KiB) and L0 128 deep. Measured: 32 x 128
    # blocks (4 in all) 36.4 us, 16 x 64 blocks 22.1-28.9 us, these 22.1 us.
    pypto.set_cube_tile_shapes([32, 32], [128, 1024], [32, 32])
    logits = pypto.matmul(x, weight, pypto.DT_FP32, b_trans=True)  # [T, E]
    # Whole rows of 128 experts per tile (top-k is an in-row operation), 16 tokens per tile.
    pypto.set_vec_tile_shapes(16, E)
    scores = pypto.sigmoid(logits)
    choice = pypto.add(scores, pypto.reshape(e_score_correction_bias, [1, E]))
    _, idx = pypto.topk(choice, K, -1, True)  # sorted, largest first; int32 ids
    # the weights are the UNcorrected scores of the chosen experts, renormalized
    pypto.set_vec_tile_shapes(16, K)
    w = pypto.gather(scores, 1, idx)
    w = pypto.div(w, pypto.add(pypto.sum(w, -1, keepdim=True), 1e-20))
    if SCALING != 1.0:
        w = pypto.mul(w, SCALING)
    out0.move(w)
    out1.move(idx)
