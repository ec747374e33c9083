import pypto

T, H, E, K = 512, 1024, 8, 2


def kernel(
    x: pypto.Tensor([T, H], pypto.DT_FP32),
    gate_weight: pypto.Tensor([E, H], pypto.DT_FP32),
    out0: pypto.Tensor([T, K], pypto.DT_FP32),
    out1: pypto.Tensor([T, K], pypto.DT_INT32),
):
    # Router logits x W_g^T on the cube in fp32 (W_g is [experts, hidden]: b_trans). Only 8
    # experts (N padded to the 16-element fp32 minimum), so parallelism comes from the tokens:
    # 32-token blocks give 16 blocks; the whole K = 1024 in L1 (x block 128 KiB + W 64 KiB),
    # 128 deep in L0. 128-token blocks took 1.6x as long (only 4 blocks busy).
    pypto.set_cube_tile_shapes([32, 32], [128, 1024], [16, 16])
    logits = pypto.matmul(x, gate_weight, pypto.DT_FP32, b_trans=True)  # [T, E]
    # softmax is monotonic, so the top-2 of the probabilities are the top-2 of the logits, and
    # the renormalized pair p_i / (p_1 + p_2) is just a softmax over the two chosen logits:
    # the full 8-way softmax is never computed.
    pypto.set_vec_tile_shapes(128, E)
    vals, idx = pypto.topk(logits, K, -1, True)  # sorted, largest first; int32 indices
    w = pypto.exp(pypto.sub(vals, pypto.amax(vals, -1, keepdim=True)))
    out0.move(pypto.div(w, pypto.sum(w, -1, keepdim=True)))
    out1.move(idx)
