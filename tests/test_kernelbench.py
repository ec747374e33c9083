"""KernelBench-format folders as suites, scalar and int64 inputs in the kernel contract, and the
shape policy (logic tier: the fake target and PyTorch's meta device, no simulator).

The task files under tests/data/kernelbench are Hawk's own, written in the KernelBench format."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from hawk.bench.plan import BenchConfig, BenchError, config_tasks, manifest_for
from hawk.targets.base import EvalOptions
from hawk.targets.fake.target import FakeTarget
from hawk.targets.verdict import Status
from hawk.tasks import TaskError, resolve_task, signature
from hawk.tasks.kernelbench import category_of, load_dir, matches, task_id
from hawk.tasks.shape_policy import BUDGET_ELEMENTS, ShapePolicy, decide, reducible

from .conftest import DATA

KB = DATA / "kernelbench"
IDS = ["kb1_1_Scale_by_constant", "kb1_2_Token_cross_entropy", "kb1_3_Wide_conv2d", "kb2_1_Linear_then_tanh"]


def _task(tid: str, **kw):
    return next(t for t in load_dir(KB, **kw).tasks if t.id == tid)


def test_ids_levels_and_filters():
    assert [t.id for t in load_dir(KB).tasks] == IDS
    assert task_id(1, Path("1_Square_matrix_multiplication_.py")) == "kb1_1_Square_matrix_multiplication_"
    assert [t.id for t in load_dir(KB, levels=[2]).tasks] == ["kb2_1_Linear_then_tanh"]
    assert [t.id for t in load_dir(KB, only=["*conv*", "2"]).tasks] == [
        "kb1_2_Token_cross_entropy",
        "kb1_3_Wide_conv2d",
    ]
    assert matches("kb1_19_ReLU", ["19"]) and not matches("kb1_119_X", ["19"]) and matches("kb1_19_ReLU", ["KB1_1?_*"])
    # A checkout's root (level folders under KernelBench/) and a single level folder load the same way.
    assert [t.id for t in load_dir(KB / "level1").tasks] == IDS[:3]
    with pytest.raises(TaskError, match="no KernelBench-format task files matching nothing"):
        load_dir(KB, only=["nothing"])


def test_categories_from_file_names():
    cases = {
        "57_conv_transposed_2D__square_input__square_kernel.py": "conv_transposed",
        "82_conv_depthwise_2D_square_input_square_kernel.py": "conv_depthwise",
        "54_conv_standard_3D__square_input__square_kernel.py": "conv",
        "42_Max_Pooling_2D.py": "pooling",
        "92_cumsum_exclusive.py": "scan",
        "95_CrossEntropyLoss.py": "loss",
        "6_Matmul_with_large_K_dimension_.py": "matmul",
        "5_Matrix_scalar_multiplication.py": "elementwise",
        "51_Argmax_over_a_dimension.py": "argreduce",
        "24_LogSoftmax.py": "softmax",
        "36_RMSNorm_.py": "norm",
        "20_LeakyReLU.py": "activation",
    }
    assert {name: category_of(Path(name)) for name in cases} == cases


def test_scalar_input_is_a_last_scalar_argument():
    specs = signature(_task("kb1_1_Scale_by_constant"))
    assert [(s.name, s.role, s.shape, s.dtype) for s in specs] == [
        ("x", "input", (64, 512), "float32"),
        ("out", "output", (64, 512), "float32"),
        ("factor", "scalar", (), "float"),
    ]


def test_int64_targets_and_a_0d_loss_in_the_contract():
    specs = signature(_task("kb1_2_Token_cross_entropy"))
    assert [(s.name, s.role, s.shape, s.dtype) for s in specs] == [
        ("logits", "input", (32, 16), "float32"),
        ("labels", "input", (32,), "int64"),
        ("out", "output", (1,), "float32"),  # a 0-d loss is a 1-element tensor for the kernel
    ]


def test_scalar_annotation_is_checked():
    pypto = pytest.importorskip("pypto")
    from hawk.targets.ascend_pypto.worker import _check_signature

    specs = signature(_task("kb1_1_Scale_by_constant"))

    def kernel(scalar_type: str):  # annotations evaluated (this module has postponed annotations)
        src = (f"def kernel(x: pypto.Tensor([64, 512], pypto.DT_FP32), out: pypto.Tensor([64, 512], "
               f"pypto.DT_FP32), factor: {scalar_type}):\n    pass\n")  # fmt: skip
        namespace = {"pypto": pypto}
        exec(compile(src, "<kernel>", "exec", dont_inherit=True), namespace)
        return namespace["kernel"]

    good, bad = kernel("float"), kernel("int")
    assert _check_signature(good, specs, {}) is None
    assert "annotate it `float`" in _check_signature(bad, specs, {})


@pytest.mark.parametrize("tid", IDS)
def test_unchanged_files_judge_on_the_fake_target(tid):
    task = _task(tid)
    v = FakeTarget().evaluate("# fake-time-us: 12\ndef kernel(*args):\n    pass\n", task, EvalOptions(seeds=2))
    assert v.status is Status.PASS and v.perf.time_us == 12.0
    assert v.shape_policy["rule"] == ("reduced" if tid == "kb1_3_Wide_conv2d" else "original")
    assert json.loads(json.dumps(v.to_dict()))["shape_policy"] == v.shape_policy


def test_shape_policy_reduces_an_oversized_conv_and_keeps_its_character():
    task = _task("kb1_3_Wide_conv2d")
    d = task.extra["shape_policy"]
    assert d["rule"] == "reduced" and "over the budget" in d["reason"]
    assert d["elements_original"] > BUDGET_ELEMENTS >= d["elements_run"]
    # The batch first (to 2), then height and width together (the 4:3 image keeps its aspect);
    # never channels, kernel or stride.
    assert d["constants"] == {"batch_size": [32, 2], "height": [640, 320], "width": [480, 240]}
    assert d["original"]["conv_weight"] == d["run"]["conv_weight"] == [48, 4, 5, 5]
    assert len(d["run"]["out"]) == len(d["original"]["out"]) == 4 and d["run"]["out"][1] == 48
    # The task really runs at that shape: the reference's tensors are the decision's.
    specs = {s.name: list(s.shape) for s in signature(task)}
    assert specs == {k: v for k, v in d["run"].items()}
    assert math.prod(specs["out"]) < math.prod(d["original"]["out"])


def test_small_tasks_run_as_written_and_reducible_names():
    assert decide(_task("kb1_1_Scale_by_constant", apply_policy=False)).rule == "original"
    assert reducible("batch_size", 16) and reducible("height", 256) and reducible("M", 4096)
    assert reducible("dim1", 256) and not reducible("dim", 1)  # an axis, not a size
    for name in ("in_channels", "kernel_size", "stride", "padding", "dilation", "groups", "num_features"):
        assert not reducible(name, 64), name


def test_override_file(tmp_path):
    overrides = tmp_path / "shapes.toml"
    overrides.write_text('[kb1_3_Wide_conv2d]\nbatch_size = 2\nheight = 64\nwidth = 48\nreason = "our pick"\n')
    d = _task("kb1_3_Wide_conv2d", overrides=overrides).extra["shape_policy"]
    assert d["rule"] == "override" and d["reason"].startswith("our pick (from ")
    assert d["constants"] == {"batch_size": [32, 2], "height": [640, 64], "width": [480, 48]}
    assert d["run"]["x"] == [2, 4, 64, 48]
    # The checkout's own file is read when no flag names one; `original = true` keeps the file's shape.
    (tmp_path / "level1").mkdir()
    (tmp_path / "level1" / "3_Wide_conv2d.py").write_text((KB / "level1" / "3_Wide_conv2d.py").read_text())
    (tmp_path / "hawk-shapes.toml").write_text("[kb1_3_Wide_conv2d]\noriginal = true\n")
    d = load_dir(tmp_path).tasks[0].extra["shape_policy"]
    assert d["rule"] == "override" and d["constants"] == {} and d["run"] == d["original"]
    # A file named directly (`hawk generate --task .../level1/3_Wide_conv2d.py`) is the same task.
    loose = resolve_task(str(tmp_path / "level1" / "3_Wide_conv2d.py"))
    assert (
        loose.id == "kb1_3_Wide_conv2d"
        and loose.extra["shape_policy"] == load_dir(tmp_path).tasks[0].extra["shape_policy"]
    )
    (tmp_path / "hawk-shapes.toml").write_text("[kb1_3_Wide_conv2d]\nchannels = 8\n")
    with pytest.raises(TaskError, match="sets channels"):  # named, not dropped, for a file named directly too
        resolve_task(str(tmp_path / "level1" / "3_Wide_conv2d.py"))
    overrides.write_text("[kb1_3_Wide_conv2d]\nchannels = 8\n")
    with pytest.raises(TaskError, match="sets channels: not integer module constants"):
        load_dir(KB, overrides=overrides)
    with pytest.raises(TaskError, match="shape override file not found"):
        ShapePolicy.load(KB, tmp_path / "missing.toml")


def test_a_loose_task_file_goes_through_the_policy(tmp_path):
    task = resolve_task(str(KB / "level1" / "3_Wide_conv2d.py"))
    assert task.id == "kb1_3_Wide_conv2d" and task.extra["shape_policy"]["rule"] == "reduced" and task.shape
    elsewhere = tmp_path / "3_Wide_conv2d.py"  # outside any level folder: its stem, the budget rule
    elsewhere.write_text((KB / "level1" / "3_Wide_conv2d.py").read_text())
    task = resolve_task(str(elsewhere))
    assert task.id == "3_Wide_conv2d" and task.extra["shape_policy"]["rule"] == "reduced"


def test_hawk_ships_an_override_that_keeps_a_large_k():
    from hawk.tasks.shape_policy import SHIPPED_OVERRIDES, read_overrides

    entry = read_overrides(SHIPPED_OVERRIDES)["kb1_6_Matmul_with_large_K_dimension_"]
    assert "K" not in entry and entry["reason"].startswith("keep K")


def test_bench_config_from_a_tasks_dir(tmp_path):
    config = BenchConfig(suite=None, methods=["feedback"], out=tmp_path, tasks_dir=KB, levels=[1], only=["*conv*"])
    name, tasks = config_tasks(config)
    assert name == "kernelbench:kernelbench" and [t.id for t in tasks] == ["kb1_3_Wide_conv2d"]
    manifest = manifest_for(config, name, tasks, {})
    assert manifest["suite_arg"] == str(KB) and manifest["shape_policy"]["kb1_3_Wide_conv2d"]["rule"] == "reduced"
    with pytest.raises(BenchError, match="either --suite or --tasks-dir"):
        config_tasks(BenchConfig(suite="npu-workloads", methods=["feedback"], out=tmp_path, tasks_dir=KB))


def test_mcp_list_tasks_dir(tmp_path):
    from hawk.mcp.safety import Workspace
    from hawk.mcp.server import kernelbench_tasks

    hawk = SimpleNamespace(ws=Workspace.here(DATA))
    listed = kernelbench_tasks(hawk, "kernelbench")
    assert [t["id"] for t in listed["tasks"]] == IDS
    assert listed["tasks"][0]["path"] == "kernelbench/level1/1_Scale_by_constant.py"
    assert listed["tasks"][2]["shape_policy"]["rule"] == "reduced"
    with pytest.raises(Exception, match="outside the server's working directory"):
        kernelbench_tasks(hawk, str(tmp_path))


def test_hawk_tasks_dir_command():
    r = subprocess.run([sys.executable, "-m", "hawk.cli.main", "tasks", "--dir", str(KB), "--levels", "1"],
                       capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "250"})  # fmt: skip
    assert r.returncode == 0, r.stderr
    for tid in IDS[:3]:
        assert tid in r.stdout
    assert "kb2_1" not in r.stdout
    assert "reduced: batch_size 32->2, height 640->320, width 480->240" in r.stdout
    assert "3 tasks; 1 run at a reduced shape" in r.stdout
    bad = subprocess.run([sys.executable, "-m", "hawk.cli.main", "tasks", "--dir", "/nonexistent"],
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert bad.returncode == 2 and "not a folder" in bad.stderr


def test_a_large_k_matmul_keeps_k_the_largest_axis(tmp_path):
    (tmp_path / "1_Long_inner_product.py").write_text(
        "import torch\nimport torch.nn as nn\n\n\nclass Model(nn.Module):\n    def forward(self, a, b):\n"
        "        return a @ b\n\n\nM = 128\nN = 256\nK = 262144\n\n\ndef get_inputs():\n"
        "    return [torch.randn(M, K), torch.randn(K, N)]\n\n\ndef get_init_inputs():\n    return []\n"
    )
    d = load_dir(tmp_path).tasks[0].extra["shape_policy"]
    assert d["constants"] == {"K": [262144, 8192]}  # M and N were never within half of K
    assert d["run"] == {"a": [128, 8192], "b": [8192, 256], "out": [128, 256]}


def test_the_report_says_which_shape_ran(tmp_path):
    from hawk.bench.report import shapes_markdown

    task = _task("kb1_3_Wide_conv2d")
    lines = shapes_markdown({task.id: task.extra["shape_policy"], "kb1_1_Scale_by_constant": {"rule": "original"}})
    assert "1 of 2 tasks ran at the shape their file sets" in "\n".join(lines)
    assert lines[-1].startswith("- kb1_3_Wide_conv2d: reduced: batch_size 32->2, height 640->320, width 480->240 (")
    assert shapes_markdown({}) == []


def test_the_prompt_names_the_shape_run_and_the_scalar():
    from hawk.agent.prompts import build_messages, contract_text

    task = _task("kb1_3_Wide_conv2d")
    text = build_messages("generate", task, FakeTarget(), signature(task))[-1].content
    assert "runs at a smaller shape than the file sets" in text and "batch_size=2, height=320, width=240" in text
    scale = signature(_task("kb1_1_Scale_by_constant"))
    assert "factor: scalar input, a Python float (annotate it `float`" in contract_text(scale)


def test_a_multikernelbench_layout(tmp_path):
    for folder in ("activation", "convolution"):
        (tmp_path / "reference" / folder).mkdir(parents=True)
    (tmp_path / "reference" / "activation" / "scale_by_constant.py").write_text(
        (KB / "level1" / "1_Scale_by_constant.py").read_text())  # fmt: skip
    (tmp_path / "reference" / "convolution" / "wide_conv2d.py").write_text(
        (KB / "level1" / "3_Wide_conv2d.py").read_text()
    )
    tasks = load_dir(tmp_path).tasks
    assert [(t.id, t.level, t.category) for t in tasks] == [
        ("mkb_activation_scale_by_constant", 1, "activation"),
        ("mkb_convolution_wide_conv2d", 1, "convolution"),
    ]
    assert tasks[1].extra["shape_policy"]["rule"] == "reduced"


def test_bench_over_a_tasks_dir_on_the_fake_target(tmp_path):
    from hawk.agent.loop import Budget
    from hawk.bench import render, run_bench
    from hawk.llm import LLMSettings

    out = tmp_path / "run"
    config = BenchConfig(suite=None, methods=["feedback"], out=out, target="fake", tasks_dir=KB, levels=[1],
                         only=["1", "3"], budget=Budget(iterations=1, tune_budget=0, roofline_stop=None),
                         eval_options=EvalOptions(seeds=1), experts=False)  # fmt: skip
    reply = "```python\n# fake-time-us: 20\ndef kernel(*args):\n    pass\n```"
    replies = {"kb1_1_Scale_by_constant": [reply], "kb1_3_Wide_conv2d": [reply]}
    outcome = run_bench(config, LLMSettings(provider="scripted"), workers=1, scripted_replies=replies,
                        log=lambda m: None)  # fmt: skip
    assert sorted(r.task for r in outcome.ran) == ["kb1_1_Scale_by_constant", "kb1_3_Wide_conv2d"]
    assert all(r.passed for r in outcome.ran)
    verdict = json.loads((out / "feedback" / "kb1_3_Wide_conv2d" / "s0" / "best_verdict.json").read_text())
    assert verdict["shape_policy"]["constants"]["batch_size"] == [32, 2]
    paths = render(out)
    md = paths["md"].read_text()
    assert "## Shapes run" in md and "- kb1_3_Wide_conv2d: reduced: batch_size 32->2" in md
    assert "shape run (why)" in paths["html"].read_text()
