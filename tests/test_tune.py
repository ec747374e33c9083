"""The tuner: search logic on a scripted target (fast), then the real simulator end to end."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hawk import targets
from hawk.targets.ascend_pypto.knobs import find_space
from hawk.targets.ascend_pypto.spec import ascend_a2a3_spec
from hawk.targets.base import EvalOptions
from hawk.targets.tuning import Knob, PointTiming, Tunable
from hawk.targets.verdict import Correctness, Perf, Status, Verdict
from hawk.tasks.task import Task, task_from_file
from hawk.tune import tune, write_outputs

from .conftest import EXP_TASK_FILE, kernel_source

TILES = (8, 16, 32, 64, 128, 256, 512, 1024)


# ---------------------------------------------------------------------- a scripted target
@dataclass
class ScriptedSpace:
    source: str
    knobs: list[Knob] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def original(self):
        return {k.name: k.original for k in self.knobs}

    def illegal(self, point):
        return "tile 1024 exceeds the axis" if point["tile"] == 1024 else None

    def render(self, point):
        return f"tile={point['tile']} merge={point['merge']}"


class ScriptedTunable:
    """Times points by a formula; tiles of 512 overflow UB, merge=3 crashes the 'simulator'."""

    name = "scripted"

    def __init__(self, knobs=True, wrong_at=None):
        self.timed: list[str] = []
        self.evaluated: list[str] = []
        self.knobs, self.wrong_at = knobs, wrong_at

    def tuning_space(self, source, task):
        if not self.knobs:
            return ScriptedSpace(source, notes=["tile argument `ROWS * 2` is an expression: not tuned"])
        return ScriptedSpace(source, [
            Knob("tile", "vec_tile", 16, TILES, 3),
            Knob("merge", "pass_option", None, (None, 1, 2, 3), 1, size_like=False),
        ])  # fmt: skip

    @staticmethod
    def time_of(source: str) -> float:
        tile, merge = (part.split("=")[1] for part in source.split())
        return 1000.0 / int(tile) + (0 if merge == "None" else -int(merge) * 0.5) + 10

    def point_timer(self, task, workdir, workers):
        return self  # the scripted target is its own timer

    def time_points(self, sources):
        out = {}
        for name, src in sources.items():
            self.timed.append(src)
            if "tile=512" in src:
                out[name] = PointTiming(None, "OP EXP in/output total size exceeds MEM_UB", "ub_capacity")
            elif "merge=3" in src:
                out[name] = PointTiming(None, "the simulation crashed (SIGSEGV)")
            else:
                out[name] = PointTiming(self.time_of(src))
        return out

    def close(self):
        self.closed = True

    def evaluate(self, source, task, options=None):
        self.evaluated.append(source)
        ok = source != self.wrong_at
        v = Verdict(status=Status.PASS if ok else Status.WRONG_RESULT, task=task.id, target=self.name, mode="sim")
        v.correctness = Correctness(seeds=[0, 1, 2], passed=ok, atol=1e-3, rtol=1e-3)
        v.perf = Perf(time_us=self.time_of(source), roofline_us=5.0)
        return v


TASK = Task(id="scripted", path=Path("scripted.py"))


def test_scripted_target_is_tunable():
    assert isinstance(ScriptedTunable(), Tunable)


def test_grid_finds_best_verifies_it_and_records_every_point(tmp_path):
    target = ScriptedTunable()
    r = tune("orig", TASK, target, budget=40, workers=2, log=lambda m: None)
    assert r.strategy == "grid" and r.changed
    assert r.source == "tile=256 merge=2" and r.after_us == target.time_of("tile=256 merge=2")
    assert r.before_us == target.time_of("tile=16 merge=None")  # the original ran first
    assert target.timed[0] == "tile=16 merge=None"
    assert target.evaluated == ["tile=256 merge=2"]  # only the winner gets the full evaluation
    assert target.closed  # the timer's workers are released
    # tile=1024 is illegal by the rules: never run; tile=512 failed for UB; merge=3 crashed.
    assert not any("tile=1024" in s for s in target.timed)
    statuses = {(p.values["tile"], p.values["merge"]): p for p in r.records}
    assert statuses[(512, None)].status == "failed" and statuses[(512, None)].constraint == "ub_capacity"
    assert statuses[(64, 3)].status == "failed" and "crashed" in statuses[(64, 3)].reason
    assert r.points_tried == len(target.timed) <= 40 and r.points_pruned == 0  # grid skips illegal points up front
    assert r.roofline_ratio == round(r.after_us / 5.0, 3)
    paths = write_outputs(r, tmp_path / "out")
    rows = paths["points"].read_text().splitlines()
    assert rows[0] == "index,tile,merge,status,time_us,reason" and len(rows) == len(r.records) + 1
    assert paths["kernel"].read_text() == "tile=256 merge=2"


def test_tpe_respects_budget_and_prunes_after_capacity_failure():
    target = ScriptedTunable()
    r = tune("orig", TASK, target, budget=12, workers=2, log=lambda m: None)
    assert r.strategy == "tpe"  # 28 legal points do not fit 12
    assert r.points_tried == len(target.timed) <= 12
    assert len(set(target.timed)) == len(target.timed)  # no point simulated twice
    failed_ub = [p for p in r.records if p.constraint == "ub_capacity"]
    pruned = [p for p in r.records if p.status == "pruned"]
    # After tile=512 failed for UB with some merge value, larger tiles with that merge are not run.
    for p in pruned:
        assert "illegal" in p.reason or "exceeds the axis" in p.reason or "failed for capacity" in p.reason
    assert r.changed and r.after_us < r.before_us
    assert all(p.time_us is None for p in pruned)
    assert failed_ub or pruned  # the space's big tiles were met one way or the other


def test_failed_verification_falls_back_to_next_best():
    target = ScriptedTunable(wrong_at="tile=256 merge=2")
    r = tune("orig", TASK, target, budget=40, workers=1, log=lambda m: None)
    assert target.evaluated[0] == "tile=256 merge=2" and r.source != "tile=256 merge=2"
    assert any(p.status == "verify_failed" for p in r.records)
    assert r.changed and r.after_us == target.time_of(r.source)


def test_no_knobs_comes_back_unchanged_with_note():
    target = ScriptedTunable(knobs=False)
    r = tune("orig", TASK, target, budget=10, log=lambda m: None)
    assert not r.changed and r.source == "orig" and r.points_tried == 0 and not target.timed
    assert any("expression" in n for n in r.notes) and any("unchanged" in n for n in r.notes)


def test_target_without_tuner_says_so():
    class Plain:
        name = "plain"

    r = tune("orig", TASK, Plain(), budget=10, log=lambda m: None)
    assert not r.changed and "has no tuner" in r.notes[0]


# ---------------------------------------------------------------------- the PyPTO knobs and rules
def test_pypto_knobs_literals_constants_and_pass_options():
    src = kernel_source("exp_mul_add_good").replace("set_vec_tile_shapes(16, 512)", "set_vec_tile_shapes(ROWS, 512)")
    src = src.replace("M, N = 256, 512", "M, N = 256, 512\nROWS = 16  # rows per tile")
    space = find_space(src, ascend_a2a3_spec())
    names = {k.name: k for k in space.knobs}
    assert set(names) == {"ROWS", "vec@12[1]", "vec_nbuffer_setting"}
    assert names["ROWS"].kind == "constant" and names["ROWS"].original == 16
    assert max(names["ROWS"].values) == 256 and all(v % 8 == 0 for v in names["vec@12[1]"].values)  # 32 B of fp32
    out = space.render({"ROWS": 8, "vec@12[1]": 256, "vec_nbuffer_setting": 2})
    assert "ROWS = 8  # tuned (was 16)\n" in out  # not "# rows per tile": it was written for 16
    assert "set_vec_tile_shapes(ROWS, 256)  # tuned (was 512)" in out  # a changed line is marked
    assert "@pypto.frontend.jit(pass_options={'vec_nbuffer_setting': {-1: 2}})\ndef kernel(" in out
    assert space.render(space.original()) == src  # the original point is the source itself
    # The rules, before anything runs: UB (3 x 4 B per element is not needed: one tile of fp32 must fit).
    assert "UB" in space.illegal({"ROWS": 128, "vec@12[1]": 512, "vec_nbuffer_setting": None})
    assert "larger than axis" in space.illegal({"ROWS": 16, "vec@12[1]": 1024, "vec_nbuffer_setting": None})
    assert space.illegal({"ROWS": 16, "vec@12[1]": 512, "vec_nbuffer_setting": None}) is None


def test_a_tuned_kernels_changed_lines_carry_no_stale_comment():
    src = kernel_source("exp_mul_add_good").replace("set_vec_tile_shapes(16, 512)", "set_vec_tile_shapes(ROWS, 512)")
    src = src.replace(
        "M, N = 256, 512", "M, N = 256, 512  # the task's shape\nROWS = 8  # 8 x 512 fp32 = 16 KiB per tile"
    )
    src = src.replace("set_vec_tile_shapes(ROWS, 512)", "set_vec_tile_shapes(ROWS, 512)  # 512: one whole row")
    space = find_space(src, ascend_a2a3_spec())
    cols = next(k.name for k in space.knobs if k.name.startswith("vec@"))  # the literal 512 in the call
    out = space.render({**space.original(), "ROWS": 12, cols: 256})
    assert "ROWS = 12  # tuned (was 8)\n" in out  # not "ROWS = 12  # 8 x 512 fp32 = 16 KiB per tile"
    assert "set_vec_tile_shapes(ROWS, 256)  # tuned (was 512)\n" in out
    assert "16 KiB" not in out and "one whole row" not in out
    assert "M, N = 256, 512  # the task's shape\n" in out  # an unchanged line keeps its comment
    same = space.render({**space.original(), "ROWS": 8})
    assert same == src  # a value written back unchanged changes nothing, its comment included
    # a comment block right above a changed line may describe the old value: the mark says so
    src = kernel_source("exp_mul_add_good").replace(
        "    pypto.set_vec_tile_shapes(16, 512)",
        "    # 16 x 512 fp32 = 32 KiB per tile\n    pypto.set_vec_tile_shapes(16, 512)",
    )
    space = find_space(src, ascend_a2a3_spec())
    rows = next(k.name for k in space.knobs if k.name.endswith("[0]"))
    out = space.render({**space.original(), rows: 8})
    assert "set_vec_tile_shapes(8, 512)  # tuned (was 16); the comment above was written for the old value\n" in out


def test_pypto_knobs_skip_shape_constants_and_expressions():
    src = kernel_source("exp_mul_add_good").replace("set_vec_tile_shapes(16, 512)", "set_vec_tile_shapes(M // 16, N)")
    space = find_space(src, ascend_a2a3_spec())
    assert [k.kind for k in space.knobs] == ["pass_option"]
    assert any("`M // 16` is an expression" in n for n in space.notes)
    assert any("N is also used outside tiling" in n for n in space.notes)


def test_pypto_cube_rules():
    src = (Path(__file__).parents[1] / "hawk/tasks/suites/npu_workloads/experts/l1_matmul_fp16.py").read_text()
    space = find_space(src, ascend_a2a3_spec())
    p = space.original()
    assert space.illegal(p) is None
    cube = {k.name.split("[")[1].rstrip("]"): k.name for k in space.knobs if k.kind == "cube_tile"}
    assert "L0C" in space.illegal({**p, cube["nL0"]: 256, cube["mL0"]: 256, cube["nL1"]: 256, cube["mL1"]: 256})
    assert "multiple of kL0" in space.illegal({**p, cube["kL1"]: 64, cube["kL0"]: 128})
    assert "L1" in space.illegal({**p, cube["kL1"]: 1024})


def test_pass_options_allowed_on_decorator_and_others_refused():
    from hawk.targets.ascend_pypto.static_check import check_source, kernel_pass_options

    good = kernel_source("exp_mul_add_good").replace(
        "def kernel(", "@pypto.frontend.jit(pass_options={'vec_nbuffer_setting': {-1: 2}})\ndef kernel(", 1
    )
    assert check_source(good) is None and kernel_pass_options(good) == {"vec_nbuffer_setting": {-1: 2}}
    bad = good.replace("vec_nbuffer_setting", "pg_skip_partition")
    finding = check_source(bad)
    assert finding is not None and finding.status == Status.INVALID
    assert "pg_skip_partition" in finding.error.message and "vec_nbuffer_setting" in finding.error.message


# ---------------------------------------------------------------------- the real simulator
@pytest.fixture(scope="module")
def pypto_target():
    return targets.get("ascend-pypto")


@pytest.mark.sim
def test_tuner_finds_faster_verified_point_on_simulator(pypto_target, tmp_path):
    task = task_from_file(EXP_TASK_FILE)
    slow = kernel_source("exp_mul_add_good").replace("set_vec_tile_shapes(16, 512)", "set_vec_tile_shapes(2, 512)")
    r = tune(slow, task, pypto_target, budget=10, workers=2, eval_options=EvalOptions(seeds=3), log=lambda m: None)
    assert r.changed and r.after_us < r.before_us, (r.notes, r.records)
    assert r.points_tried <= 10
    v = r.verdict
    assert v.passed and v.correctness.seeds == [0, 1, 2] and v.perf.time_us == r.after_us
    # The tuned kernel is the same program with other numbers: judged again from scratch, it passes.
    again = pypto_target.evaluate(r.source, task, EvalOptions(seeds=2, with_eager_baseline=False))
    assert again.passed and again.perf.time_us == r.after_us
    assert r.roofline_us and r.roofline_ratio >= 1.0


@pytest.mark.sim
def test_capacity_failure_is_a_recorded_point_on_simulator(pypto_target, tmp_path):
    task = task_from_file(EXP_TASK_FILE)
    src = kernel_source("exp_mul_add_good")
    space = pypto_target.tuning_space(src, task)
    # 64 x 512 fp32 passes the single-buffer rule (128 KiB) but exp needs input + output: 256 KiB.
    point = {**space.original(), "vec@11[0]": 64}
    assert space.illegal(point) is None
    timer = pypto_target.point_timer(task, tmp_path, workers=1)
    try:
        timed = timer.time_points({"big": space.render(point), "orig": src})
    finally:
        timer.close()
    assert timed["big"].time_us is None and timed["big"].constraint == "ub_capacity"
    assert timed["orig"].time_us and timed["orig"].time_us > 0  # the child after the failure went on
