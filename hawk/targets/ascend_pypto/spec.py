"""The Ascend A2/A3 hardware spec, read from the vendor's own simulator configuration.

pypto ships `lib/configs/A2A3.ini`, the machine description its cost model simulates. Reading it
(rather than typing numbers from memory) keeps prompts, rules and rooflines in step with the
simulator that judges the kernels.
"""

from __future__ import annotations

import configparser
import importlib.util
from functools import cache
from pathlib import Path

from hawk.targets.base import HardwareSpec, MemoryLevel

# Global-memory streaming bandwidth per direction as the simulator delivers it. Reads and writes
# overlap: `x + 1.0` (fp32, 8-34 MB, benchmarks/sim_bandwidth.py) moves 0.61-0.70 TB/s in total,
# while an fp32->fp16 cast reads 8.4 MB in 11.9 us (0.70 TB/s of reads alone). 750 GB/s per
# direction sits above everything seen, so the roofline built on it stays a lower bound.
SIM_GM_BANDWIDTH_GBPS = 750.0
# Elements per cycle per vector core for fp32 (256-byte vector unit; the ini's vec_calc_size is
# 128 fp16 lanes).
VECTOR_FP32_LANES = 64


def pypto_config_path() -> Path:
    spec = importlib.util.find_spec("pypto")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pypto is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "lib" / "configs" / "A2A3.ini"


@cache
def ascend_a2a3_spec() -> HardwareSpec:
    ini = configparser.ConfigParser(strict=False, interpolation=None)
    path = pypto_config_path()
    ini.read(path)
    soc, core = ini["SoCInfo"], ini["AICoreSpec"]
    sku = ini["version"].get("SoC_version", "Ascend910B")
    cube, vec = int(soc["cube_core_cnt"]), int(soc["vector_core_cnt"])
    mhz = int(core["cube_freq"])
    macs = int(core["cube_m_size"]) * int(core["cube_n_size"]) * int(core["cube_k_size"])
    ub_align = int(core.get("ubblock_size", "32"))
    memories = (
        MemoryLevel("UB", int(core["ub_size"]), ub_align, "vector unit's unified buffer, per vector core"),
        MemoryLevel("L1", int(core["l1_size"]), 32, "per cube core; staging for L0A/L0B"),
        MemoryLevel("L0A", int(core["l0_a_size"]), 512, "cube left operand tile"),
        MemoryLevel("L0B", int(core["l0_b_size"]), 512, "cube right operand tile"),
        MemoryLevel("L0C", int(core["l0_c_size"]), 512, "cube accumulator (fp32) tile"),
        MemoryLevel("L2", int(soc["l2_size"]), None, "shared by all cores"),
        MemoryLevel("GM", int(soc["memory_size"]), 32, "global memory (HBM)"),
    )
    return HardwareSpec(
        sku=sku,
        cube_cores=cube,
        vector_cores=vec,
        clock_mhz=mhz,
        memories=memories,
        pipes=("cube", "vector", "mte_in", "mte1", "mte_out", "scalar"),
        gm_bandwidth_gbps=SIM_GM_BANDWIDTH_GBPS,
        cube_peak_tflops=cube * macs * 2 * mhz * 1e6 / 1e12,
        vector_peak_tflops=vec * VECTOR_FP32_LANES * mhz * 1e6 / 1e12,
        source=f"pypto {path.name} (the simulator's machine model)",
        notes=(
            f"cube fractal {core['cube_m_size']}x{core['cube_n_size']}x{core['cube_k_size']} (M x N x K)",
            f"vector tiles: tail axis in multiples of {ub_align} bytes",
            "each vector tile's inputs and outputs together must fit in UB",
        ),
    )
