"""Calibrate the bound on pypto's simulator: the floor every kernel pays, measured once per SKU and version.

What runs (performance-only simulation, perf.SimPool; ~1 min on 2 cores, then cached):
- fixed cost: `out = x0 + x1 + ...` on tiny [8, 64] fp32 tensors with 1, 2, 3, 4 and 8 inputs,
  and `out_j = x + 0` with 2, 3 and 4 outputs. A chain of adds measured cheaper than a tree here
  (4 inputs: 3.4 us against 7.3 us), so the chain is the minimal kernel;
- streaming: ReLU in place on a flat fp16 buffer in tiles of all of UB (98304 elements, 192 KiB),
  1 to 384 tiles (0.2-75 MB per direction). On this simulator the time of a streaming kernel is
  mostly per task (~0.2 us each once the cores are busy), so the fewest, largest tiles win: this
  is the fastest copy-like kernel found (the relu expert's own finding), not a nominal
  bandwidth. The time rises in steps with the tile count, so the bound takes the step below;
- cube: a 2048^3 fp16 matmul with the suite expert's tiles ([128,128],[128,512],[256,256]);
  peak = FLOPs / (time - the one-input start cost, as the bound adds it back);
- vector: 64 chained multiplies against one on 48 tiles of 4096 fp32; peak = the extra
  operations / the extra time (the simulator overlaps vector work with data movement, so a
  single elementwise op is never vector-bound).

The result is a `hawk.targets.bound.Calibration` in `cache_dir/calibration/<sku>-pypto<version>-cal<N>.json`
with every kernel's time, the host and the wall time. `hawk calibrate` runs it ahead of time; an
evaluation that needs it computes it once (a file lock keeps concurrent workers from doing it twice).
"""

from __future__ import annotations

import fcntl
import json
import platform
import time
from pathlib import Path

from hawk import config
from hawk.fileio import atomic_write_json
from hawk.targets.ascend_pypto.perf import PerfKernel, SimPool
from hawk.targets.base import HardwareSpec
from hawk.targets.bound import CALIBRATION_VERSION, Calibration, monotone

TINY = [8, 64]
UB_TILE_FP16 = 98304  # 192 KiB of UB: relu runs in place, so one buffer is the whole tile
STREAM_TILES = (1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384)
FIXED_INPUTS = (1, 2, 3, 4, 8)
FIXED_OUTPUTS = (2, 3, 4)
MATMUL = (2048, 2048, 2048)
MATMUL_TILES = "[128, 128], [128, 512], [256, 256]"
VECTOR = (48 * 4096, 4096, 64)  # elements, tile, chained multiplies


class CalibrationError(RuntimeError):
    pass


def _tensor(name: str, shape: list[int], dtype: str) -> str:
    return f"{name}: pypto.Tensor({shape}, pypto.{dtype})"


def _fixed_kernel(name: str, n_in: int, n_out: int) -> tuple[str, list]:
    params = [_tensor(f"x{i}", TINY, "DT_FP32") for i in range(n_in)]
    params += [_tensor(f"o{j}", TINY, "DT_FP32") for j in range(n_out)]
    expr = "pypto.add(x0, 0.0)" if n_in == 1 else "x0"
    for i in range(1, n_in):
        expr = f"pypto.add({expr}, x{i})"
    body = [f"    pypto.set_vec_tile_shapes({TINY[0]}, {TINY[1]})"] + [f"    o{j}.move({expr})" for j in range(n_out)]
    return f"def {name}({', '.join(params)}):\n" + "\n".join(body) + "\n", [(TINY, "float32")] * (n_in + n_out)


def _flat_kernel(name: str, n: int, tile: int, dtype: str, expr: str) -> tuple[str, list]:
    torch_dtype = {"DT_FP16": "float16", "DT_FP32": "float32"}[dtype]
    src = (f"def {name}({_tensor('x', [n], dtype)}, {_tensor('o', [n], dtype)}):\n"
           f"    pypto.set_vec_tile_shapes({tile})\n    o.move({expr})\n")  # fmt: skip
    return src, [([n], torch_dtype)] * 2


def _matmul_kernel(name: str) -> tuple[str, list]:
    m, k, n = MATMUL
    params = [_tensor("a", [m, k], "DT_FP16"), _tensor("b", [k, n], "DT_FP16"), _tensor("o", [m, n], "DT_FP16")]
    src = (f"def {name}({', '.join(params)}):\n    pypto.set_cube_tile_shapes({MATMUL_TILES})\n"
           "    o.move(pypto.matmul(a, b, pypto.DT_FP16))\n")  # fmt: skip
    return src, [([m, k], "float16"), ([k, n], "float16"), ([m, n], "float16")]


def calibration_kernels() -> dict[str, tuple[str, list]]:
    """Every calibration kernel by name: (source of a function of that name, argument shapes and dtypes)."""
    kernels = {f"fixed_in{n}": _fixed_kernel(f"fixed_in{n}", n, 1) for n in FIXED_INPUTS}
    kernels |= {f"fixed_out{m}": _fixed_kernel(f"fixed_out{m}", 1, m) for m in FIXED_OUTPUTS}
    for t in STREAM_TILES:
        kernels[f"stream{t}"] = _flat_kernel(f"stream{t}", t * UB_TILE_FP16, UB_TILE_FP16, "DT_FP16", "pypto.relu(x)")
    n, tile, ops = VECTOR
    chain = "x"
    for _ in range(ops):
        chain = f"pypto.mul({chain}, 1.0001)"
    kernels["vector1"] = _flat_kernel("vector1", n, tile, "DT_FP32", "pypto.mul(x, 1.0001)")
    kernels[f"vector{ops}"] = _flat_kernel(f"vector{ops}", n, tile, "DT_FP32", chain)
    kernels["matmul"] = _matmul_kernel("matmul")
    return kernels


def measure(spec: HardwareSpec, workdir: Path, tool_version: str) -> Calibration:
    """Simulate every calibration kernel once and fit the floor (raises CalibrationError on a failure)."""
    started = time.perf_counter()
    kernels = calibration_kernels()
    workdir.mkdir(parents=True, exist_ok=True)
    module = workdir / "calibration_kernels.py"
    module.write_text("import pypto\n\n" + "\n".join(src for src, _ in kernels.values()))
    with SimPool(workdir / "sim", workers=1) as pool:
        timed = pool.run([PerfKernel(name, str(module), name, args) for name, (_, args) in kernels.items()])
    times = {name: t.time_us for name, t in timed.items()}
    failed = {name: t.error for name, t in timed.items() if not t.time_us}
    if failed:
        raise CalibrationError(f"calibration kernels failed on the simulator: {failed}")
    return fit(times, spec, tool_version, round(time.perf_counter() - started, 1))


def fit(times: dict[str, float], spec: HardwareSpec, tool_version: str, wall_s: float = 0.0) -> Calibration:
    """The calibration from the kernels' simulated times (see the module docstring)."""
    fixed_in = monotone([(n, times[f"fixed_in{n}"]) for n in FIXED_INPUTS])
    fixed_out = monotone([(1, times["fixed_in1"])] + [(m, times[f"fixed_out{m}"]) for m in FIXED_OUTPUTS])
    base = times["fixed_in1"]
    stream = monotone([(t * UB_TILE_FP16 * 2, max(0.0, times[f"stream{t}"] - base)) for t in STREAM_TILES])
    m, k, n = MATMUL
    cube_s = (times["matmul"] - base) * 1e-6  # above the start cost, as the bound adds it
    elems, _, ops = VECTOR
    extra_s = max(times[f"vector{ops}"] - times["vector1"], 1e-3) * 1e-6
    return Calibration(
        sku=spec.sku, tool_version=tool_version, fixed_in=fixed_in, fixed_out=fixed_out, stream=stream,
        cube_tflops=round(2 * m * k * n / cube_s / 1e12, 2), vector_tflops=round((ops - 1) * elems / extra_s / 1e12, 2),
        kernels=dict(times), wall_s=wall_s, created=time.strftime("%Y-%m-%dT%H:%M:%S"), host=platform.node(),
    )  # fmt: skip


def pypto_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pypto")
    except PackageNotFoundError:
        return "none"


def cache_path(spec: HardwareSpec, cache_dir: Path) -> Path:
    return Path(cache_dir) / "calibration" / f"{spec.sku}-pypto{pypto_version()}-cal{CALIBRATION_VERSION}.json"


def load_cached(spec: HardwareSpec, cache_dir: Path) -> Calibration | None:
    try:
        data = json.loads(cache_path(spec, cache_dir).read_text())
        return Calibration.from_dict(data) if data.get("version") == CALIBRATION_VERSION else None
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _cached_or_failed(spec: HardwareSpec, cache_dir: Path) -> Calibration | None:
    """The cached calibration; a recorded failure raises again (a failed calibration is not retried by
    every evaluation: `hawk setup ascend-pypto --force` retries it)."""
    hit = load_cached(spec, cache_dir)
    failed = cache_path(spec, cache_dir).with_suffix(".failed")
    if hit is None and failed.exists():
        raise CalibrationError(f"{failed.read_text(errors='replace')[:300]} (recorded in {failed})")
    return hit


def calibration(spec: HardwareSpec, cache_dir: Path | None = None, force: bool = False) -> Calibration:
    """The cached calibration for `spec` and this pypto, measured (once, under a file lock) when missing."""
    cache_dir = Path(cache_dir) if cache_dir is not None else config.cache_dir()
    if not force and (hit := _cached_or_failed(spec, cache_dir)) is not None:
        return hit
    path = cache_path(spec, cache_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be measuring: wait, then read its result
        if not force and (hit := _cached_or_failed(spec, cache_dir)) is not None:
            return hit
        workdir = config.scratch_root() / f"calibration-{time.strftime('%Y%m%d-%H%M%S')}"
        try:
            cal = measure(spec, workdir, f"pypto {pypto_version()}")
        except CalibrationError as exc:
            path.with_suffix(".failed").write_text(str(exc))
            raise
        path.with_suffix(".failed").unlink(missing_ok=True)
        atomic_write_json(path, cal.to_dict())
    return cal
