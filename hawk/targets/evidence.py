"""What a kernel engineer reads in a profile, as text for the optimize prompt.

From a verdict's `Perf`: which part of the calibrated bound the kernel is far from (fixed cost,
streaming, cube), the per-pipe busy shares, the critical task chain (the tasks that decide the
time, and what each waited for) and the bubbles. Target-neutral: a target fills `Perf`
(`bound_parts`, `pipes`, `bubbles`, `critical_chain`); what it leaves empty is left out here.
"""

from __future__ import annotations

from typing import Any

from hawk.targets.verdict import Perf, Verdict

SHOWN_LINKS = 6  # chain links written out; the rest are summed
SATURATED_PCT = 33.0  # below this busy share on every pipe, the kernel waits more than it works


def evidence_text(perf: Perf | None) -> str:
    """The evidence block ('' when the profile has none of it)."""
    if perf is None or not perf.time_us:
        return ""
    lines = [*bound_lines(perf), *pipe_lines(perf), *chain_lines(perf.critical_chain), *bubble_lines(perf)]
    return "\n".join(lines)


def bound_lines(perf: Perf) -> list[str]:
    """The bound's terms against the kernel's time: where the time above the bound goes."""
    p = perf.bound_parts
    if not perf.bound_us or not p:
        return []
    fixed, memory, cube = p.get("fixed_us", 0.0), p.get("memory_us", 0.0), p.get("cube_us", 0.0)
    start = p.get("start_us", fixed)
    if fixed >= start + max(memory, cube):
        dominant = "the fixed cost (its inputs and outputs)"
    else:
        dominant = "cube (matrix products at the measured peak)" if cube > memory else "memory (streaming its bytes)"
    lines = [
        f"Calibrated bound {perf.bound_us} us = max(fixed cost {fixed:.2f} us of a minimal kernel with these inputs "
        f"and outputs, start cost {start:.2f} us + max(memory {memory:.2f} us, cube {cube:.2f} us)); its larger term "
        f"is {dominant}. This kernel: {perf.time_us} us = {perf.bound_ratio}x the bound, "
        f"{perf.time_us - perf.bound_us:.2f} us above it.",
        far_from(perf.time_us, fixed, start, memory, cube),
    ]
    above_fixed = perf.time_us - start
    if p.get("moved_bytes") and above_fixed > 0:
        rate = p["moved_bytes"] / (above_fixed * 1e-6) / 1e9
        lines.append(f"Beyond the start cost it takes {above_fixed:.2f} us for {p['moved_bytes'] / 1e6:.2f} MB per "
                     f"direction ({rate:.0f} GB/s); the fastest copy-like kernel measured on this simulator "
                     f"(fewest, largest tiles) streams that in {memory:.2f} us.")  # fmt: skip
    if p.get("matmul_flops") and cube and above_fixed > 0:
        lines.append(f"Matrix products run at {p['matmul_flops'] / (above_fixed * 1e-6) / 1e12:.0f} TFLOP/s "
                     f"beyond the start cost; the measured cube peak gives {cube:.2f} us for them.")  # fmt: skip
    return lines


def far_from(time_us: float, fixed: float, start: float, memory: float, cube: float) -> str:
    """Which floor the kernel is farthest from, in one sentence."""
    work = max(memory, cube)
    if fixed >= start + work and time_us <= 1.5 * fixed:
        return (f"It runs within 1.5x the fixed cost of its inputs and outputs ({fixed:.2f} us): data movement "
                "and compute are not what limits it; fewer stages and tasks are.")  # fmt: skip
    beyond = max(0.0, time_us - start)
    floors = [(name, us) for name, us in (("streaming", memory), ("cube", cube)) if us > 0]
    if not floors:
        return f"Its data and FLOPs are too small to matter: the {beyond:.2f} us beyond the start cost is overhead."
    gaps = ", ".join(f"{beyond / us:.1f}x the {name} floor ({us:.2f} us)" for name, us in floors)
    return f"Far from: its time beyond the start cost ({beyond:.2f} us) is {gaps}."


def pipe_lines(perf: Perf) -> list[str]:
    if not perf.pipes:
        return []
    busy = sorted(((k, v) for k, v in perf.pipes.items() if v > 0), key=lambda kv: -kv[1])
    shares = ", ".join(f"{k} {v:.1f}%" for k, v in busy)
    line = (f"Pipe busy shares (of the kernel's time, averaged over the cores using each pipe): {shares or 'none'}; "
            f"label {perf.bottleneck}.")  # fmt: skip
    if busy and busy[0][1] < SATURATED_PCT:
        line += (f" No pipe is busy {SATURATED_PCT:.0f}% of the time: no unit's throughput limits this kernel, "
                 "waiting does (see the chain and the bubbles).")  # fmt: skip
    return [line]


def chain_lines(chain: dict[str, Any]) -> list[str]:
    """The critical chain: its length, how much of it is work, queueing behind a busy core, and gaps."""
    links = [x for x in chain.get("chain", []) if not str(x.get("core", "")).startswith("HUB")]
    if not links:
        return []
    total = chain.get("work_us", 0.0) + chain.get("wait_us", 0.0)
    out = [f"Critical task chain: {len(links)} tasks ({chain.get('tasks')} tasks ran on "
           f"{chain.get('cores')} cores): {chain.get('work_us', 0.0):.2f} us of work (of which "
           f"{chain.get('queued_work_us', 0.0):.2f} us queued behind a busy core) and "
           f"{chain.get('wait_us', 0.0):.2f} us of gaps, {_share(chain.get('wait_us', 0.0), total)} of the chain."]  # fmt: skip
    skipped = max(0, len(links) - SHOWN_LINKS)
    for i, x in enumerate(links):
        if skipped and 2 <= i < 2 + skipped:  # the first two and the last few links are written out
            if i == 2:
                out.append(f"  ... {skipped} more tasks ...")
            continue
        out.append(f"  task {x['task']} on {x['core']}: starts at {x['start_us']:.2f} us, {x['wait_us']:.2f} us after "
                   f"{_after(x)} ended; works {x['work_us']:.2f} us")  # fmt: skip
    return out


def bubble_lines(perf: Perf) -> list[str]:
    b = perf.bubbles
    if not b or not b.get("work"):
        return []
    return [f"Bubbles: cores that ran tasks waited {b.get('bubble_ratio', 0.0):.0%} of their busy span "
            f"(waiting for dispatch {b.get('wait_schedule', 0.0):.1f} us, for predecessors "
            f"{b.get('wait_predecessor', 0.0):.1f} us, summed over {b.get('cores_used', 0):.0f} cores)."]  # fmt: skip


def _after(link: dict[str, Any]) -> str:
    return {"dependency": "its input task", "core": "the previous task on its core"}.get(link["after"], "the start")


def _share(part: float, total: float) -> str:
    return f"{part / total:.0%}" if total else "-"


def evidence_section(verdict: Verdict) -> str:
    """The optimize prompt's evidence section ('' when there is nothing to show)."""
    text = evidence_text(verdict.perf)
    return f"# Evidence from the profile (what decides this kernel's time)\n{text}\n" if text else ""
