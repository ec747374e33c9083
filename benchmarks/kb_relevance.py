"""Relevance of injected knowledge, before and after gating, on a scripted multi-task run (fake target).

Phase 1 learns a store with method hawk: a UB repair and a TILE speed-up on exp(x)*y+x, an UNROLL
speed-up on row-max subtraction, and a cube-tiling speed-up (KL1 256 -> 512) on a matmul. Phase 2
runs four more tasks (an int8 quantization kernel: abs, amax, div, round, cast; another matmul; the
row-max task; exp again) on copies of that store twice: with the loop's gated retrieval, and with
gating switched off (the retrieval before this change). The replies are scripted (no model): some
steps apply an injected item's change, some make another change.

Figures:
* precision of retrieval: the share of injected items whose preconditions hold for the query and
  whose change the step applied;
* attributable share: of the effects the old scheme credited as help (every injected item of a step
  that helped), the share whose item the step applied.

Run: PYTHONPATH=. python benchmarks/kb_relevance.py
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import hawk.agent.loop as loop
from hawk import targets
from hawk.agent import Budget, run_agent
from hawk.agent.demo import TASK_FILE as EXP_FILE
from hawk.llm import ScriptedLLM
from hawk.records.trajectory import Trajectory
from hawk.targets.base import EvalOptions
from hawk.tasks.task import task_from_file

ROOT = Path(__file__).resolve().parents[1]
OPTS = EvalOptions(seeds=1)
REFS = {
    "quant_int8": """import torch\nimport torch.nn as nn\n\n\nclass Model(nn.Module):
    def forward(self, x):
        scale = torch.amax(torch.abs(x), dim=-1, keepdim=True) / 127.0
        return torch.round(x / scale).to(torch.int8)\n\n\ndef get_inputs():\n    return [torch.randn(256, 512)]\n
\ndef get_init_inputs():\n    return []\n""",
    "matmul_a": """import torch\nimport torch.nn as nn\n\n\nclass Model(nn.Module):
    def forward(self, a, b):
        return torch.matmul(a, b)\n\n\ndef get_inputs():\n    return [torch.randn(256, 256), torch.randn(256, 256)]\n
\ndef get_init_inputs():\n    return []\n""",
}
REFS["matmul_b"] = REFS["matmul_a"].replace("(256, 256), torch.randn(256, 256)", "(128, 512), torch.randn(512, 256)")


def vec(tile: int, unroll: int = 1, body: str = "out.move(pypto.exp(x))") -> str:
    return (f"import pypto\nTILE = {tile}\nUNROLL = {unroll}\n# fake-time-us: 1000 / TILE / UNROLL + 10\n"
            f"# fake-overflow: TILE > 128\n\ndef kernel(x, out):\n    pypto.set_vec_tile_shapes(TILE, 512)\n"
            f"    {body}\n")  # fmt: skip


def cube(kl1: int, unroll: int = 1) -> str:
    return (f"import pypto\nKL1 = {kl1}\nUNROLL = {unroll}\n# fake-time-us: 50000 / KL1 / UNROLL + 10\n\n"
            "def kernel(a, b, out):\n    pypto.set_cube_tile_shapes([128, 128], [KL1, KL1], [128, 128])\n"
            "    out.move(pypto.matmul(a, b))\n")  # fmt: skip


QUANT_BODY = "out.move(pypto.cast(pypto.round(pypto.div(x, pypto.amax(pypto.abs(x)))), pypto.DT_INT8))"
ROW_BODY = "out.move(pypto.sub(x, pypto.amax(x)))"
LEARN = [  # (task, replies)
    ("exp", [vec(256), vec(16), vec(64)]),
    ("row_center", [vec(32, 1, ROW_BODY), vec(32, 4, ROW_BODY)]),
    ("matmul_a", [cube(256), cube(512)]),
]
USE = [
    ("quant_int8", [vec(16, 1, QUANT_BODY), vec(16, 4, QUANT_BODY), vec(64, 4, QUANT_BODY)]),
    ("matmul_b", [cube(256), cube(256, 4), cube(512, 4)]),
    ("row_center", [vec(256, 1, ROW_BODY), vec(16, 1, ROW_BODY), vec(16, 4, ROW_BODY)]),
    ("exp", [vec(16), vec(16, 2), vec(64, 2)]),
]


def fenced(code: str) -> str:
    return f"```python\n{code}```"


def _tasks(tmp: Path) -> dict[str, Any]:
    (tmp / "tasks").mkdir()
    out = {"exp": task_from_file(EXP_FILE), "row_center": task_from_file(ROOT / "tests/data/tasks/row_center.py")}
    for name, text in REFS.items():
        (tmp / "tasks" / f"{name}.py").write_text(text)
        out[name] = task_from_file(tmp / "tasks" / f"{name}.py")
    return out


def _run(tasks, plan, kb: Path, out: Path, budget: Budget) -> list[Any]:
    fake = targets.get("fake")
    steps = []
    for n, (task, replies) in enumerate(plan):
        d = out / f"{n}_{task}"
        run_agent(tasks[task], fake, ScriptedLLM([fenced(r) for r in replies]), "hawk", d,
                  Budget(iterations=len(replies), tune_budget=0, roofline_stop=None), OPTS,
                  log=lambda m: None, knowledge_path=kb)  # fmt: skip
        steps += Trajectory(d / "trajectory.jsonl").steps
    return steps


def _arm(tasks, kb: Path, out: Path, gate: bool) -> dict[str, Any]:
    """Phase 2 on `kb` with the loop's retrieval gated or not; each retrieval's precondition checks kept."""
    checks: list[dict[str, bool]] = []
    real = loop.retrieve

    def spy(*args, **kwargs):
        kwargs["gate"] = gate
        hits = real(*args, **kwargs)
        checks.append({h.item.id: bool(h.check and h.check.ok) for h in hits})
        return hits

    loop.retrieve = spy
    try:
        steps = _run(tasks, USE, kb, out, Budget())
    finally:
        loop.retrieve = real
    assert len(checks) == len(steps), "one retrieval per step"
    injected = held = relevant = credited = attributable = 0
    for step, ok in zip(steps, checks, strict=True):
        for item_id in step.knowledge:
            injected += 1
            held += ok.get(item_id, False)
            relevant += ok.get(item_id, False) and item_id in step.knowledge_applied
        if step.knowledge_helped:
            credited += len(step.knowledge)
            attributable += len(step.knowledge_applied)
    return {"steps": len(steps), "injected": injected, "preconditions_held": held, "held_and_applied": relevant,
            "precision": round(relevant / injected, 3) if injected else None,
            "credited_by_old_scheme": credited, "attributable": attributable,
            "attributable_share": round(attributable / credited, 3) if credited else None}  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        tasks = _tasks(tmp)
        learned = tmp / "learned.db"
        _run(tasks, LEARN, learned, tmp / "learn", Budget())
        result = {}
        for name, gate in (("before gating", False), ("after gating", True)):
            kb = tmp / f"{name.replace(' ', '_')}.db"
            shutil.copy(learned, kb)
            result[name] = _arm(tasks, kb, tmp / name.replace(" ", "_"), gate)
    print(json.dumps(result, indent=1))
    for name, r in result.items():
        print(f"{name}: precision {r['precision']} ({r['held_and_applied']} of {r['injected']} injected items hold "
              f"and apply; {r['preconditions_held']} hold); attributable {r['attributable_share']} "
              f"({r['attributable']} of {r['credited_by_old_scheme']} credited effects)")  # fmt: skip


if __name__ == "__main__":
    main()
