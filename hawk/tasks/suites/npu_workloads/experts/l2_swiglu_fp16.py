import pypto

T, I = 512, 2816
N = T * I


def kernel(
    gate: pypto.Tensor([T, I], pypto.DT_FP16),
    up: pypto.Tensor([T, I], pypto.DT_FP16),
    out: pypto.Tensor([T, I], pypto.DT_FP16),
):
    # Pure elementwise, so the tensors are seen as flat buffers (a free view of contiguous GM;
    # the simulator times 1-D tiles faster than 2-D ones). 15232 elements per tile give 95 tiles,
    # which the compiler merges in pairs into 48 tasks, one per vector core; the per-task
    # scheduling cost dominates. Measured: 16384 (89 tiles, not merged) 18.8 us, 22528 13.6 us,
    # 15104 (96 tiles) 10.8 us, 15232 (95) 10.7 us, 9984 (145, merged in threes) 12.6 us.
    pypto.set_vec_tile_shapes(15232)
    g = pypto.cast(pypto.reshape(gate, [N]), pypto.DT_FP32)
    # silu(g) = g / (1 + exp(-g)) in fp32, rounded to fp16 as the model's F.silu output is;
    # the product with up is then an fp16 mul, like the model's (all-fp16 math came within
    # 0.95% of the 1% tolerance: too close).
    silu = pypto.cast(pypto.div(g, pypto.add(pypto.exp(pypto.neg(g)), 1.0)), pypto.DT_FP16)
    out.move(pypto.reshape(pypto.mul(silu, pypto.reshape(up, [N])), [T, I]))
