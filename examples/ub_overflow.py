# A kernel for the demo task (hawk/agent/demo_task.py, 256 x 512 fp32) whose
# tiles do not fit the vector core's Unified Buffer: judge it and read the hardware reason.
#   hawk eval examples/ub_overflow.py --task hawk/agent/demo_task.py
import pypto

M, N = 256, 512


def kernel(
    x: pypto.Tensor([M, N], pypto.DT_FP32),
    y: pypto.Tensor([M, N], pypto.DT_FP32),
    out: pypto.Tensor([M, N], pypto.DT_FP32),
):
    pypto.set_vec_tile_shapes(64, 512)  # 64 x 512 fp32 = 128 KiB: input + output tiles do not fit 192 KiB
    out.move(pypto.add(pypto.mul(pypto.exp(x), y), x))
