"""triton-ascend's documented constraints, checked on what the evaluation saw, reported as findings.

Source: the triton-ascend programming guide and its per-op constraint tables (see guide.md).
- grid vs physical cores: the runtime runs at most one program per physical core at a time; programs
  beyond the core count run in further rounds, each paying core start-up. Grid = 40 vector cores
  for a pure vector kernel, 20 cube cores when the kernel uses tl.dot (the compiled IR says which).
- tail-axis alignment: the last axis of a tile a kernel loads or stores should span a multiple of
  32 bytes (vector kernels) or 512 bytes (cube+vector kernels); otherwise the hardware pads it.
- dtype support on A2/A3: no uint16/uint32/uint64 and no fp64 for most ops.
- UB budget: 192 KiB per vector core, halved per buffer when the compiler double-buffers.
These are findings (warnings/info) unless the compiler itself refused the kernel.
"""

from __future__ import annotations

import re
from typing import Any

from hawk.targets.ascend_triton import spec as chip
from hawk.targets.ascend_triton.estimate import IrSummary
from hawk.targets.common import source_line
from hawk.targets.judging import dtype_bytes
from hawk.targets.verdict import HardwareFinding, SourceLine

_TTIR_MEM = re.compile(
    r"tt\.(load|store) .*?: tensor<((?:\d+x)+)!tt\.ptr<(\w+)>>.*?loc\((#loc\d*|\"[^\"]*\":\d+:\d+)\)"
)
UNSUPPORTED_A2A3 = {"*fp64": "fp64", "*u16": "uint16", "*u32": "uint32", "*u64": "uint64"}


def _src(source: str, lineno: int | None) -> list[SourceLine]:
    return source_line(source, lineno) if lineno else []


def _ttir_line(loc: str, aliases: dict[str, str], kernel_file: str) -> int | None:
    text = aliases.get(loc, loc) if loc.startswith("#") else loc
    hits = [int(n) for f, n in re.findall(r'"([^"]+)":(\d+):\d+', text) if f == kernel_file]
    return hits[-1] if hits else None


def findings(launch: dict[str, Any], summary: IrSummary | None, ttir: str | None, source: str,
             kernel_file: str) -> list[HardwareFinding]:  # fmt: skip
    out: list[HardwareFinding] = []
    name = launch["name"]
    programs = 1
    for g in launch.get("grid", [1]):
        programs *= int(g)
    uses_cube = summary is not None and summary.core_type in ("AIC", "MIX")
    cores = chip.CUBE_CORES if uses_cube else chip.VECTOR_CORES
    kind = "cube" if uses_cube else "vector"
    if programs > cores:
        rounds = -(-programs // cores)
        out.append(HardwareFinding("grid_core_mapping", "warning",
            f"{name}: grid of {programs} programs exceeds the {cores} physical {kind} cores of the {chip.SKU}; "
            f"they run in {rounds} rounds, each paying core start-up. Launch grid=({cores},) and loop over "
            "blocks inside the kernel (for b in range(pid, n_blocks, tl.num_programs(0))).",
        ))  # fmt: skip
    elif programs < cores:
        out.append(HardwareFinding("grid_core_mapping", "info" if programs >= cores // 2 else "warning",
            f"{name}: grid of {programs} programs uses {programs} of the {cores} {kind} cores",
        ))  # fmt: skip
    for arg in launch.get("args", []):
        bad = UNSUPPORTED_A2A3.get(arg.get("type", ""))
        if bad:
            out.append(HardwareFinding("dtype_support", "error",
                f"{name}: argument '{arg['name']}' is {bad}, which Ascend A2/A3 ops do not support"))  # fmt: skip
    if ttir:
        aliases = {m.group(1): m.group(2) for m in re.finditer(r"^(#loc\d*) = (loc\(.*\))$", ttir, re.M)}
        align = chip.CV_ALIGN_BYTES if uses_cube else chip.UB_ALIGN_BYTES
        seen = set()
        for m in _TTIR_MEM.finditer(ttir):
            dims = [int(d) for d in m.group(2).rstrip("x").split("x")]
            elem = m.group(3)
            tail = dims[-1] * dtype_bytes(elem)
            line = _ttir_line(m.group(4), aliases, kernel_file)
            if tail % align and (line, tail) not in seen:
                seen.add((line, tail))
                out.append(HardwareFinding("alignment", "warning",
                    f"{name}: tl.{m.group(1)} of a {list(dims)} {elem} tile: its tail axis spans {tail} B, not a "
                    f"multiple of {align} B ({kind} kernels); the hardware pads it", _src(source, line)))  # fmt: skip
        if re.search(r"\bf64\b", ttir):
            out.append(HardwareFinding("dtype_support", "error", f"{name}: computes in fp64, unsupported on A2/A3"))
    if summary is not None and summary.ub_bytes:
        share = summary.ub_bytes / chip.UB_BYTES
        mb = "double-buffered" if summary.multibuffer else "single-buffered"
        out.append(HardwareFinding("ub_capacity", "warning" if share > 0.9 else "info",
            f"{name}: UB use {summary.ub_bytes} of {chip.UB_BYTES} bytes ({share:.0%}, {mb})"))  # fmt: skip
    if summary is not None and summary.l0c_bytes:
        out.append(HardwareFinding("l0c_capacity", "info",
            f"{name}: L0C use {summary.l0c_bytes} of {chip.L0C_BYTES} bytes"))  # fmt: skip
    return out
