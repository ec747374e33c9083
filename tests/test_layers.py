"""The architecture as a test: data flows one way (task -> agent -> LLM -> candidate -> target ->
verdict -> knowledge -> agent), so no module imports a layer above its own, and no target imports
another target."""

from __future__ import annotations

import ast
from pathlib import Path

HAWK = Path(__file__).resolve().parents[1] / "hawk"
# Each layer may import itself and the layers listed; `config`, `fileio`, `scrub` and `syntax` are below everything.
ALLOWED = {
    "tasks": set(),
    "targets": {"tasks"},
    "llm": set(),
    "records": {"targets"},
    "knowledge": {"llm", "records", "targets", "tasks"},
    "tune": {"targets", "tasks"},
    "agent": {"knowledge", "llm", "records", "targets", "tasks", "tune"},
    "bench": {"agent", "knowledge", "llm", "records", "targets", "tasks", "tune"},
    "mcp": {"agent", "knowledge", "llm", "records", "targets", "tasks", "tune"},
    "cli": {"agent", "bench", "knowledge", "llm", "mcp", "records", "targets", "tasks", "tune"},
}
# Modules any layer may import: the child-process runner is stdlib only (hawk.tasks.sandboxed runs
# task files with it, like the targets run kernels), though it lives among the targets.
ANY_LAYER = {"hawk.targets.sandbox"}
TARGET_PACKAGES = {p.name for p in (HAWK / "targets").iterdir() if (p / "target.py").exists()}


def imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return [m for m in out if m.startswith("hawk.")]


def test_no_import_runs_back_up():
    wrong = []
    for layer, allowed in ALLOWED.items():
        for path in (HAWK / layer).rglob("*.py"):
            for module in imports(path):
                used = module.split(".")[1]
                if used not in allowed | {layer, "config", "fileio", "scrub", "syntax"} and module not in ANY_LAYER:
                    wrong.append(f"{path.relative_to(HAWK.parent)} imports {module}")
    assert not wrong, "\n".join(wrong)


def test_targets_do_not_import_each_other():
    assert {"ascend_pypto", "ascend_triton", "fake"} <= TARGET_PACKAGES
    wrong = []
    for pkg in TARGET_PACKAGES:
        for path in (HAWK / "targets" / pkg).rglob("*.py"):
            for module in imports(path):
                parts = module.split(".")
                if len(parts) > 2 and parts[1] == "targets" and parts[2] in TARGET_PACKAGES - {pkg}:
                    wrong.append(f"{path.relative_to(HAWK.parent)} imports {module}")
    assert not wrong, "\n".join(wrong)
