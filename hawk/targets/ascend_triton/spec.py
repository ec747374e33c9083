"""The Ascend910B4 as triton-ascend's compiler sees it, plus the figures the estimate needs.

Memory sizes and core counts are the ones bishengir-compile writes into the IR it emits for
`--target=Ascend910B4` (`#hacc.target_device_spec`: AI_CORE_COUNT 20, CUBE_CORE_COUNT 20,
VECTOR_CORE_COUNT 40, UB_SIZE 1572864 bits, L1 4194304 bits, L0A/L0B 524288 bits, L0C 1048576 bits,
UB_ALIGN_SIZE 256 bits). `device_spec_from_ir` re-reads them from every compiled kernel, and the
worker compares, so a new compiler release that changes the chip is noticed.

Clock, bandwidth and peaks are NOT in the IR; they are public figures (approximate; they vary
between 910B variants) and serve only the performance estimate, which says so in every verdict.
"""

from __future__ import annotations

import re
from functools import cache

from hawk.targets.base import HardwareSpec, MemoryLevel

SKU = "Ascend910B4"
CUBE_CORES = 20
VECTOR_CORES = 40  # two vector cores per AI core (cube:vector = 1:2)
UB_BYTES = 196608
L1_BYTES = 524288
L0A_BYTES = L0B_BYTES = 65536
L0C_BYTES = 131072
UB_ALIGN_BYTES = 32  # vector operands: tail axis in multiples of 32 B
CV_ALIGN_BYTES = 512  # cube+vector kernels: tail axis in multiples of 512 B (triton-ascend guide)

# --- estimate-only figures (assumptions, documented in estimate.py and the README) -----------------
CLOCK_MHZ = 1800  # AI core clock commonly quoted for 910B parts
GM_BANDWIDTH_GBPS = 800.0  # HBM bandwidth quoted for the 32 GB 910B4 (other 910B parts: up to 1.6 TB/s)
L2_BANDWIDTH_GBPS = 3200.0  # on-chip L2 serving re-read tiles (assumed; ~4x HBM)
CORE_MTE_BYTES_PER_CYCLE = 64  # one core's GM<->UB/L1 mover; 40 cores x 115 GB/s saturate HBM (assumed)
VECTOR_BYTES_PER_CYCLE = 256  # the vector unit processes 256 B per repeat (64 fp32 / 128 fp16 lanes)
CUBE_MACS_PER_CYCLE = 16 * 16 * 16  # fp16 fractal 16x16x16 per cycle per cube core (fp32 inputs: half)


def cube_peak_tflops() -> float:
    return CUBE_CORES * CUBE_MACS_PER_CYCLE * 2 * CLOCK_MHZ * 1e6 / 1e12


def vector_peak_tflops() -> float:
    return VECTOR_CORES * (VECTOR_BYTES_PER_CYCLE // 4) * CLOCK_MHZ * 1e6 / 1e12


@cache
def ascend910b4_spec() -> HardwareSpec:
    return HardwareSpec(
        sku=SKU,
        cube_cores=CUBE_CORES,
        vector_cores=VECTOR_CORES,
        clock_mhz=CLOCK_MHZ,
        memories=(
            MemoryLevel("UB", UB_BYTES, UB_ALIGN_BYTES, "per vector core; halved by multibuffer (on by default)"),
            MemoryLevel("L1", L1_BYTES, 32, "per cube core; tl.dot operands are staged here"),
            MemoryLevel("L0A", L0A_BYTES, 512, "cube left operand tile"),
            MemoryLevel("L0B", L0B_BYTES, 512, "cube right operand tile"),
            MemoryLevel("L0C", L0C_BYTES, 512, "cube accumulator (fp32) tile"),
            MemoryLevel("GM", 32 * 1024**3, 32, "global memory (HBM)"),
        ),
        pipes=("cube", "vector", "mte_in", "mte_out", "scalar"),
        gm_bandwidth_gbps=GM_BANDWIDTH_GBPS,
        cube_peak_tflops=cube_peak_tflops(),
        vector_peak_tflops=vector_peak_tflops(),
        source="bishengir-compile --target=Ascend910B4 (ascendnpu-ir 1.2.0) device spec; clock/bandwidth: "
        "public figures, used by the estimate only",
        notes=(
            f"grid = physical cores: {VECTOR_CORES} for pure vector kernels, {CUBE_CORES} for kernels with tl.dot",
            "tail axis of a tile: multiple of 32 B (vector) or 512 B (cube+vector)",
            "A2/A3 lack uint16/uint32/uint64 and fp64 for most ops",
        ),
    )


_SPEC_ENTRY = re.compile(r'#dlti\.dl_entry<"(\w+)", (\d+) : i32>')


def device_spec_from_ir(ir_text: str) -> dict[str, int]:
    """The chip description bishengir wrote into the IR, in bytes/counts (sizes there are in bits)."""
    out: dict[str, int] = {}
    for key, value in _SPEC_ENTRY.findall(ir_text):
        v = int(value)
        out[key] = v // 8 if key.endswith("_SIZE") else v
    return out
