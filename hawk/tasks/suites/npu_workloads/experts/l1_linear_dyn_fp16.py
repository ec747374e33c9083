import pypto

IN, OUT = 2048, 2048


def kernel(
    x: pypto.Tensor([pypto.DYNAMIC, IN], pypto.DT_FP16),
    proj_weight: pypto.Tensor([OUT, IN], pypto.DT_FP16),
    out: pypto.Tensor([pypto.DYNAMIC, OUT], pypto.DT_FP16),
):
    # Decode GEMM: M (tokens) is small and dynamic, so the work is split over N. The whole batch
    # is one piece (loop iterations run one after another), the ragged rest in 16 / 4 / 1 rows.
    # nn.Linear stores W as [out, in]: b_trans=True reads it transposed on the cube.
    # Output blocks of 64 rows x 128 columns: 16 blocks over the cube cores; K = 2048 in L1 as
    # 4 x 512 (64 KiB of A, 128 KiB of B), 128 at a time in L0.
    rows = x.shape[0]
    for i, n in pypto.loop_unroll(0, rows, 1, name="TOK", idx_name="t", unroll_list=[64, 16, 4, 1]):
        pypto.set_cube_tile_shapes([64, 64], [128, 512], [128, 128])
        y = pypto.matmul(x[i : i + n, :], proj_weight, pypto.DT_FP16, b_trans=True)
        pypto.assemble(y, [i, 0], out)
