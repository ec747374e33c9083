"""Convolution on ascend-pypto: the suite's conv experts (sim tier) and the eager baseline's conv mapping."""

import pytest

from hawk import targets
from hawk.targets.ascend_pypto import eager, eager_ops
from hawk.targets.ascend_pypto.eager_codegen import kernel_plan
from hawk.targets.ascend_pypto.spec import ascend_a2a3_spec
from hawk.targets.base import EvalOptions
from hawk.targets.verdict import Status
from hawk.tasks import load_suite
from hawk.tasks.task import task_from_file

SUITE = load_suite("npu-workloads")
CONV_TASKS = [t for t in SUITE.tasks if t.category == "convolution"]

# nn.Conv2d / nn.ConvTranspose2d modules (not the functional forms): strided, grouped, with bias.
MODULE_CONVS = """
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(32, 64, 3, stride=2, padding=1, groups=4)
        self.up = nn.ConvTranspose2d(64, 16, 2, stride=2)

    def forward(self, x):
        return self.up(self.down(x))


def get_inputs():
    return [torch.randn(2, 32, 16, 16)]


def get_init_inputs():
    return []
"""


def conv_ops(task):
    return [o for o in eager_ops.trace_ops(task) if "onv" in o.torch_op]


def test_conv_families_map_to_one_gemm_each():
    by_id = {t.id: conv_ops(t) for t in CONV_TASKS}
    assert set(by_id) >= {"l1_conv2d_3x3_fp16", "l1_conv_transpose2d_fp16", "l1_conv2d_depthwise_fp16"}
    assert all(len(ops) == 1 and ops[0].target_op for ops in by_id.values())  # every family is simulated
    conv = by_id["l1_conv2d_3x3_fp16"][0]  # [1, 128, 28, 28] * [128, 128, 3, 3]: M = pixels, K = 9 Cin, N = Cout
    assert (conv.kind, conv.consts["m"], conv.consts["k"], conv.consts["n"]) == ("matmul", 784, 1152, 128)
    assert conv.consts["flops"] == 2 * 784 * 1152 * 128
    up = by_id["l1_conv_transpose2d_fp16"][0]  # [1, 128, 16, 16] -> 64 channels, 2x2 taps: col2im GEMM, bias fused
    assert (up.kind, up.consts["m"], up.consts["k"], up.consts["n"], up.consts["bias"]) == (
        "linear",
        256,
        128,
        256,
        True,
    )
    assert by_id["l1_conv3d_fp16"][0].consts["k"] == 27 * 32
    assert by_id["l1_conv1d_fp16"][0].consts["k"] == 3 * 80
    assert all(kernel_plan(ops[0]).candidates for ops in by_id.values())


def test_depthwise_conv_is_a_vector_kernel_over_shifted_views():
    (dw,) = conv_ops(SUITE.get("l1_conv2d_depthwise_fp16"))  # 192 channels, 28 x 28, 3 x 3, padding 1
    assert dw.kind == "depthwise_conv"
    # Flat padded rows of pitch 30: tap (kh, kw) starts at kh * 30 + kw; outputs over 28 rows of 30.
    assert dw.consts["offsets"] == [0, 1, 2, 30, 31, 32, 60, 61, 62] and dw.consts["length"] == 28 * 30
    assert dw.inputs[0].shape == [192, 28 * 30 + 62] and dw.outputs[0].shape == [192, 840]
    source = kernel_plan(dw).candidates[0].source
    assert source.count("pypto.view(a0") == 9 and "pypto.matmul" not in source


def test_conv_modules_strided_and_grouped(tmp_path):
    path = tmp_path / "convs.py"
    path.write_text(MODULE_CONVS)
    down, up = conv_ops(task_from_file(path))
    # Grouped: a batched GEMM, batch = groups; stride 2 shows only in M (8 x 8 outputs per image).
    assert down.torch_op == "nn.Conv2d" and down.inputs[0].shape == [4, 2 * 8 * 8, 8 * 9]
    assert down.outputs[0].shape == [4, 128, 16] and "bias not charged" in down.note
    assert up.torch_op == "nn.ConvTranspose2d" and (up.consts["m"], up.consts["k"], up.consts["n"]) == (128, 64, 64)
    assert kernel_plan(down).candidates and kernel_plan(up).candidates


@pytest.mark.sim
@pytest.mark.parametrize("task", CONV_TASKS, ids=lambda t: t.id)
def test_conv_expert_passes_every_seed_and_stress(task):
    v = targets.get("ascend-pypto").evaluate(
        task.expert_kernel.read_text(), task, EvalOptions(seeds=3, with_eager_baseline=False)
    )
    assert v.status == Status.PASS, (v.error, v.correctness)
    assert v.correctness.seeds == [0, 1, 2] and v.correctness.stress and v.correctness.passed
    assert v.perf.time_us > 0 and v.perf.pipes["mte_in"] > 0


@pytest.mark.sim
def test_eager_baseline_simulates_the_conv(tmp_path):
    task = SUITE.get("l1_conv_transpose2d_fp16")
    base = eager.eager_baseline(task, ascend_a2a3_spec(), tmp_path)
    (conv,) = [o for o in base.ops if o.torch_op == "torch.conv_transpose2d"]
    assert conv.source == "simulated" and conv.time_us > 0 and "cube" in conv.detail
    assert base.estimated == 0


@pytest.mark.sim
def test_conv_ub_overflow_names_the_op_and_the_kernel_line():
    task = SUITE.get("l1_conv2d_depthwise_fp16")
    # 32 rows of 840 fp32: a tap window, the weight column and the product need 210 KiB > 192 KiB of UB.
    source = task.expert_kernel.read_text().replace("set_vec_tile_shapes(8, L)", "set_vec_tile_shapes(32, L)")
    assert "set_vec_tile_shapes(32, L)" in source
    v = targets.get("ascend-pypto").evaluate(source, task, EvalOptions(seeds=1, with_eager_baseline=False))
    assert v.status == Status.COMPILE_ERROR and v.error.constraint == "ub_capacity"
    assert v.error.op == "MUL" and v.error.requested_bytes > v.error.available_bytes == 196608
    assert any("pypto.mul(tap" in line.text for line in v.error.lines)
