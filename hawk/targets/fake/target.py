"""Target `fake`: scripted verdicts and scripted performance, for fast tests of everything above
the targets (agent, knowledge, bench, tuner, MCP) and for trying Hawk without a simulator.

A candidate says what the fake hardware makes of it in comment directives; nothing of it runs:

    # fake-verdict: {"status": "compile_error", "error": {"kind": "ub_capacity", "constraint": "ub_capacity",
    #                "message": "...", "hardware_reason": "OP EXP ... exceeds MEM_UB size [196608]"}}
    # fake-time-us: 1000 / TILE + 10        (an expression over the module's integer constants)
    # fake-knobs: TILE in 8, 16, 32, 64     (constants the tuner may change, and their values)
    # fake-overflow: TILE * 1024 > 196608   (when true: a UB-capacity compile error, as on a chip)
    # fake-wrong-at: BATCH == 13            (an expression over the task's shape: wrong there)

Without a verdict directive a candidate passes every seed, timed by `fake-time-us` (default 10 us).
The directive `{"status": ...}` may be any status; `wrong_result` fails the last seed. The eager
time and the roofline bound are the target's (constructor arguments), so speedups are exact.
The flow is the harness's own (hawk.targets.pipeline): only `run` is scripted.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hawk.syntax import parse_python
from hawk.targets.base import Availability, HardwareSpec, MemoryLevel
from hawk.targets.common import Finding, invalid, parse_candidate, source_lines
from hawk.targets.judging import correctness, set_roofline, settle
from hawk.targets.pipeline import Job, TargetBase
from hawk.targets.tuning import Knob, Point, PointTiming
from hawk.targets.verdict import ErrorContext, Perf, SeedCheck, Status, Verdict

_DIRECTIVE = re.compile(r"^\s*#\s*fake-([a-z-]+):\s*(.*)$")
UB_BYTES = 196608
_ERROR_FIELDS = {"kind", "message", "hardware_reason", "op", "constraint", "requested_bytes", "available_bytes"}
GUIDE = """Target `fake` (scripted): write a Python module with `def kernel(...)`. Comment directives
(`# fake-verdict: {...}`, `# fake-time-us: EXPR`, `# fake-knobs: NAME in a, b, c`,
`# fake-overflow: EXPR`) say what the fake hardware reports. See hawk/targets/fake/target.py."""


def fake_spec() -> HardwareSpec:
    return HardwareSpec(
        sku="FAKE-1", cube_cores=2, vector_cores=4, clock_mhz=1000,
        memories=(MemoryLevel("UB", UB_BYTES, 32, "scripted"), MemoryLevel("GM", 1 << 30, 32, "scripted")),
        pipes=("vector", "mte_in", "mte_out"), gm_bandwidth_gbps=100.0, cube_peak_tflops=1.0,
        vector_peak_tflops=0.1, source="hawk/targets/fake (scripted, not a chip)",
    )  # fmt: skip


def directives(source: str) -> dict[str, str]:
    """`# fake-NAME: VALUE` comment lines of a source (a value may continue on `#` lines below)."""
    out: dict[str, str] = {}
    last = None
    for line in source.splitlines():
        m = _DIRECTIVE.match(line)
        if m:
            last = m.group(1)
            out[last] = m.group(2).strip()
        elif last and line.strip().startswith("#") and last == "verdict" and not _complete_json(out[last]):
            out[last] += " " + line.strip().lstrip("#").strip()
        else:
            last = None
    return out


def _complete_json(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except ValueError:
        return False


def constants(source: str) -> dict[str, int]:
    """Module-level `NAME = <int>` assignments (the fake's knobs and expression variables)."""
    try:
        tree = parse_python(source)
    except SyntaxError:
        return {}
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, int):
                out[node.targets[0].id] = node.value.value
    return out


def evaluate_expr(expr: str, names: dict[str, int]) -> Any:
    """An arithmetic expression over `names` (no calls, no attributes: scripted numbers only)."""
    tree = parse_python(expr, mode="eval")
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.Constant, ast.Name, ast.Load,
               ast.operator, ast.unaryop, ast.cmpop, ast.boolop)  # fmt: skip
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            raise ValueError(f"fake directive `{expr}`: only arithmetic over module constants is allowed")
    return eval(compile(tree, "<fake>", "eval"), {"__builtins__": {}}, dict(names))  # noqa: S307 (checked above)


class FakeTarget(TargetBase):
    name = "fake"
    scratch_prefix = "fake-"
    stress_inputs = False  # nothing runs, so value-stress inputs would say nothing

    def __init__(self, eager_us: float | None = 40.0, roofline_us: float | None = 5.0) -> None:
        self.eager_us, self.roofline_us = eager_us, roofline_us

    def spec(self) -> HardwareSpec:
        return fake_spec()

    def language_guide(self) -> str:
        return GUIDE

    def modes(self) -> list[Availability]:
        return [Availability("scripted", True, "scripted verdicts from the candidate's comments (tests, demos)")]

    def tool_versions(self) -> dict[str, str]:
        return {"fake": "1"}

    # ------------------------------------------------------------------ evaluation steps
    def static_check(self, source: str) -> Finding | None:
        tree = parse_candidate(source)
        if isinstance(tree, Finding):
            return tree
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(n.split(".")[0] == "torch" for n in names):
                    return invalid("cheating", "the kernel imports torch: the result must be computed by the kernel",
                                   source, node)  # fmt: skip
        if not any(isinstance(n, ast.FunctionDef) and n.name == "kernel" for n in tree.body):
            return invalid("contract", "the module defines no `kernel` function", source, None)
        return None

    def run(self, job: Job, verdict: Verdict) -> None:
        d = directives(job.candidate)
        names = constants(job.candidate)
        try:
            scripted = json.loads(d["verdict"]) if "verdict" in d else {}
            overflow = bool(evaluate_expr(d["overflow"], names)) if "overflow" in d else False
            time_us = float(evaluate_expr(d.get("time-us", "10"), names))
            wrong_here = bool(evaluate_expr(d["wrong-at"], job.task.shape)) if "wrong-at" in d else False
        except (ValueError, KeyError, SyntaxError, NameError, ZeroDivisionError, TypeError) as exc:
            verdict.status = Status.INVALID  # (a shape constant the expression names but the shape lacks, too)
            verdict.error = ErrorContext(kind="contract", message=f"bad fake directive: {exc}")
            return
        if overflow:
            scripted = {"status": "compile_error", "error": {
                "kind": "ub_capacity", "constraint": "ub_capacity", "op": "EXP",
                "message": f"OP EXP in/output total size exceeds MEM_UB size [{UB_BYTES}]",
                "hardware_reason": f"OP EXP[1] in/output total size [{UB_BYTES * 2}] exceeds MEM_UB size [{UB_BYTES}]",
                "requested_bytes": UB_BYTES * 2, "available_bytes": UB_BYTES}}  # fmt: skip
        status = Status(scripted.get("status", "wrong_result" if wrong_here else "pass"))
        if status not in (Status.PASS, Status.WRONG_RESULT):
            verdict.status = status
            error = {k: v for k, v in (scripted.get("error") or {}).items() if k in _ERROR_FIELDS}
            error.setdefault("kind", status.value)
            error.setdefault("message", f"scripted {status.value}")
            lines = [i for i, ln in enumerate(job.candidate.splitlines(), 1) if "EXP" in ln or "exp(" in ln]
            error["lines"] = source_lines(job.candidate, lines[:3])
            verdict.error = ErrorContext(**error)
            return
        outputs = [{"name": "out", "atol": 1e-3, "rtol": 1e-3}]
        checks = [SeedCheck(s, True, 0.0, 0.0, 0.0, 0.0) for s in job.seeds]
        if status is Status.WRONG_RESULT and checks:
            checks[-1] = SeedCheck(job.seeds[-1], False, 1.0, 1.0, 0.5, 0.0,
                                   "output 'out' differs from the reference: max abs diff 1 (scripted)")  # fmt: skip
        verdict.correctness = correctness(job.seeds, checks, outputs)
        perf = scripted.get("perf") or {}
        verdict.perf = Perf(time_us=round(time_us, 3), pipes=perf.get("pipes", {"mte_in": 80.0, "vector": 20.0}),
                            bottleneck=perf.get("bottleneck", "mte_in_bound"), note="scripted (fake target)")  # fmt: skip
        set_roofline(verdict, self.roofline_us)
        settle(verdict)

    def eager_baseline(self, job: Job) -> tuple[float | None, str | None] | None:
        return (self.eager_us, "scripted eager time") if self.eager_us else None

    # ------------------------------------------------------------------ tuning (hawk.targets.tuning.Tunable)
    def tuning_space(self, source: str, task: Any) -> FakeSpace:
        return FakeSpace.of(source)

    def point_timer(self, task: Any, workdir: Path, workers: int) -> FakeTimer:
        return FakeTimer()


@dataclass
class FakeSpace:
    """Knobs from `# fake-knobs: NAME in a, b, c; OTHER in ...` over module constants."""

    source: str
    knobs: list[Knob] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, source: str) -> FakeSpace:
        values = constants(source)
        space = cls(source)
        spec = directives(source).get("knobs", "")
        for part in filter(None, (p.strip() for p in spec.split(";"))):
            name, _, options = part.partition(" in ")
            name = name.strip()
            if name not in values:
                space.notes.append(f"{name} is not a module constant: not tuned")
                continue
            line = next(i for i, ln in enumerate(source.splitlines(), 1) if re.match(rf"{name}\s*=", ln))
            cands = tuple(sorted({int(v) for v in options.split(",")} | {values[name]}))
            space.knobs.append(Knob(name, "constant", values[name], cands, line))
        return space

    def original(self) -> Point:
        return {k.name: k.original for k in self.knobs}

    def illegal(self, point: Point) -> str | None:
        return None  # the fake's limits show when a point runs (fake-overflow), as a chip's would

    def render(self, point: Point) -> str:
        lines = self.source.splitlines()
        for knob in self.knobs:
            lines[knob.line - 1] = re.sub(rf"^{knob.name}\s*=\s*\d+", f"{knob.name} = {point[knob.name]}",
                                          lines[knob.line - 1])  # fmt: skip
        return "\n".join(lines) + "\n"


class FakeTimer:
    """Performance-only timing of tuning points: the time expression, or the overflow as a failure."""

    def time_points(self, sources: dict[str, str]) -> dict[str, PointTiming]:
        out = {}
        for name, source in sources.items():
            d, names = directives(source), constants(source)
            try:
                if "overflow" in d and evaluate_expr(d["overflow"], names):
                    out[name] = PointTiming(None, "OP EXP in/output total size exceeds MEM_UB", "ub_capacity")
                    continue
                out[name] = PointTiming(float(evaluate_expr(d.get("time-us", "10"), names)))
            except (ValueError, SyntaxError, NameError, ZeroDivisionError, TypeError) as exc:
                out[name] = PointTiming(None, f"bad fake directive: {exc}")
        return out

    def close(self) -> None:
        return None
