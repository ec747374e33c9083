"""Benchmark metrics on hand-built unit records with answers worked out by hand (no simulator)."""

from __future__ import annotations

import math
from itertools import combinations

import pytest

from hawk.bench import metrics as M
from hawk.bench.unit import UnitRecord


def unit(method="feedback", task="t1", sample=0, statuses=("pass",), speedup=None, time_us=None, complete=True,
         level=1, category="activation") -> UnitRecord:  # fmt: skip
    compiled = [s in ("pass", "wrong_result", "runtime_error") for s in statuses]
    return UnitRecord(
        method=method, task=task, sample=sample, level=level, category=category, complete=complete,
        stop_reason="iterations", statuses=list(statuses), steps=len(statuses),
        first_compiled=bool(compiled) and compiled[0], any_compiled=any(compiled), passed="pass" in statuses,
        speedup=speedup, best_time_us=time_us, total_tokens=100, wall_s=10.0,
    )  # fmt: skip


def brute_pass_at_k(n: int, c: int, k: int) -> float:
    """Share of all k-subsets of n samples (c correct) holding at least one correct one."""
    samples = [True] * c + [False] * (n - c)
    subsets = list(combinations(range(n), k))
    return sum(any(samples[i] for i in s) for s in subsets) / len(subsets)


@pytest.mark.parametrize(("n", "c", "k"), [(5, 0, 1), (5, 1, 1), (5, 2, 3), (10, 3, 5), (4, 4, 2), (3, 1, 3)])
def test_pass_at_k_matches_enumeration(n, c, k):
    assert M.pass_at_k(n, c, k) == pytest.approx(brute_pass_at_k(n, c, k))


def test_pass_at_k_known_values_and_bad_input():
    assert M.pass_at_k(10, 3, 1) == pytest.approx(0.3)  # pass@1 is the share of correct samples
    assert M.pass_at_k(10, 0, 10) == 0.0 and M.pass_at_k(10, 1, 10) == 1.0
    assert M.pass_at_k(4, 2, 2) == pytest.approx(1 - 1 / 6)  # C(2,2)/C(4,2) = 1/6
    with pytest.raises(ValueError):
        M.pass_at_k(3, 4, 1)
    with pytest.raises(ValueError):
        M.pass_at_k(3, 1, 4)


def test_geomean():
    assert M.geomean([2.0, 8.0]) == pytest.approx(4.0)
    assert M.geomean([0.5, 2.0, 1.0]) == pytest.approx(1.0)
    assert M.geomean([]) is None
    with pytest.raises(ValueError):
        M.geomean([1.0, 0.0])


def test_fast_p_counts_only_correct_and_strictly_faster():
    rs = [
        unit(task="a", speedup=2.5),
        unit(task="b", speedup=1.5),  # exactly 1.5: not more than 1.5x faster
        unit(task="c", speedup=0.8),
        unit(task="d", statuses=("wrong_result",), speedup=3.0),  # fast but wrong: never counts
        unit(task="e", speedup=None),  # correct without an eager time: counts for fast_0 only
    ]
    assert M.fast_p(rs, 0) == pytest.approx(4 / 5)
    assert M.fast_p(rs, 1.0) == pytest.approx(2 / 5)
    assert M.fast_p(rs, 1.5) == pytest.approx(1 / 5)
    assert M.fast_p(rs, 2.0) == pytest.approx(1 / 5)
    assert M.fast_p([], 1.0) is None


def test_compute_rates_pass_at_k_and_speedups():
    experts = {"a": {"status": "pass", "time_us": 10.0}, "b": {"status": "compile_error", "time_us": None}}
    rs = [
        # task a: 3 samples, 2 correct
        unit(task="a", sample=0, statuses=("compile_error", "pass"), speedup=2.0, time_us=5.0),
        unit(task="a", sample=1, statuses=("pass",), speedup=8.0, time_us=20.0),
        unit(task="a", sample=2, statuses=("compile_error", "compile_error")),
        # task b: 3 samples, 1 correct; its expert failed, so no expert speedup
        unit(task="b", sample=0, statuses=("wrong_result",)),
        unit(task="b", sample=1, statuses=("no_kernel", "pass"), speedup=0.5, time_us=1.0),
        unit(task="b", sample=2, statuses=("runtime_error",)),
        # incomplete: reported, not counted
        unit(task="b", sample=3, statuses=("pass",), speedup=100.0, complete=False),
    ]
    m = M.compute(rs, experts)
    assert m.units == 6 and m.incomplete == 1
    assert m.compile_rate == pytest.approx(5 / 6)  # every unit but a/s2
    assert m.compile_rate_first == pytest.approx(3 / 6)  # a/s1, b/s0, b/s2
    assert m.accuracy == pytest.approx(3 / 6)
    # pass@1 = mean(2/3, 1/3); pass@3 = mean(1, 1)
    assert m.pass_at == {"pass@1": pytest.approx(0.5), "pass@3": pytest.approx(1.0)}
    assert m.fast == {"fast_0": pytest.approx(0.5), "fast_1": pytest.approx(2 / 6), "fast_1.5": pytest.approx(2 / 6),
                      "fast_2": pytest.approx(1 / 6)}  # fmt: skip
    assert m.geomean_speedup == pytest.approx((2.0 * 8.0 * 0.5) ** (1 / 3)) and m.speedup_n == 3
    # expert 10 us: a/s0 is 10/5 = 2x, a/s1 is 10/20 = 0.5x
    assert m.geomean_speedup_expert == pytest.approx(1.0) and m.speedup_expert_n == 2
    assert m.tokens_per_unit == 100 and m.wall_s_per_unit == 10.0 and m.flagged == 0


def test_implausible_speedups_are_flagged_not_dropped():
    experts = {"b": {"status": "pass", "time_us": 50.0}}
    rs = [unit(task="a", speedup=12.0, time_us=1.0), unit(task="b", speedup=3.0, time_us=2.0),
          unit(task="c", speedup=10.0), unit(task="d", statuses=("wrong_result",), speedup=50.0)]  # fmt: skip
    flags = M.implausible(rs, experts)
    assert [(f.unit, f.over) for f in flags] == [("feedback/a/s0", "eager"), ("feedback/b/s0", "expert")]
    assert flags[1].speedup == pytest.approx(25.0)
    m = M.compute(rs, experts)
    assert m.flagged == 2 and m.speedup_n == 3  # flagged units stay in the geomean; the report lists them


def test_split_by_level_and_category():
    rs = [unit(task="a", level=1, category="activation"), unit(task="b", level=2, category="norm", statuses=("wrong_result",)),
          unit(method="oneshot", task="a", level=1, category="activation", statuses=("compile_error",))]  # fmt: skip
    by_level = M.split(rs, {}, ["feedback", "oneshot"], lambda r: r.level)
    assert set(by_level) == {"1", "2"}
    assert by_level["1"]["feedback"].accuracy == 1.0 and by_level["2"]["feedback"].accuracy == 0.0
    assert by_level["1"]["oneshot"].compile_rate == 0.0 and by_level["2"]["oneshot"].units == 0
    by_cat = M.split(rs, {}, ["feedback"], lambda r: r.category)
    assert by_cat["norm"]["feedback"].units == 1


def test_knowledge_effect_halves_in_finishing_order():
    rs = [unit(task=t, statuses=s) for t, s in (("a", ("wrong_result",)), ("b", ("pass",)), ("c", ("pass",)),
                                                ("d", ("wrong_result",)))]  # fmt: skip
    growth = [{"unit": f"feedback/{t}/s0", "items": i} for i, t in enumerate(["a", "d", "b", "c"])]
    e = M.knowledge_effect(rs, growth)["feedback"]
    assert e["first_half_accuracy"] == 0.0 and e["second_half_accuracy"] == 1.0 and e["units"] == 4
    assert not math.isnan(e["first_half_accuracy"])
