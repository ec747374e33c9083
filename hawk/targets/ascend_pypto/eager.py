"""The eager baseline of `ascend-pypto`: the denominator of every speedup Hawk reports.

What it models
--------------
PyTorch eager on an NPU (torch_npu) runs a task's reference `Model` one kernel per PyTorch op:
every op reads its inputs from global memory (GM) and writes its result back to GM, where the next
op reads it again. Hawk rebuilds exactly that and times it with the same simulator that times the
candidate kernels:

1. **Trace** (`trace_ops`): the reference model is traced with `torch.fx.symbolic_trace` and
   `ShapeProp` on the task's own inputs (seed 0). When symbolic tracing fails (Python control flow
   on shapes, ...), `torch.export.export` is used instead; its ATen ops carry the same names and
   argument order as the torch functions. `nn.Module` calls map like their functional forms
   (`nn.Linear` -> linear, `nn.SiLU` -> silu, ...).
2. **Map** every op to one single-op PyPTO kernel (inputs and outputs in GM, one `out.move`):
   - views (`view`, `reshape`, `permute`, `transpose`, `unsqueeze`, `expand`, slicing, `contiguous`
     of an already contiguous tensor, `.float()` on fp32, `dropout` in eval ...) launch no kernel in
     eager and cost zero;
   - elementwise unary/binary ops and scalar ops (with torch broadcasting: an operand of lower rank
     or with size-1 axes is a GM tensor of its own size) -> the PyPTO op of that name; ops PyPTO
     has no primitive for are written as one kernel of primitives, the way the NPU's single eager
     kernel computes them: sigmoid (`pypto.sigmoid`), silu (x * sigmoid x), tanh
     (1 - 2 / (exp(2x) + 1)), gelu tanh (its formula), gelu erf and erf (Abramowitz-Stegun 7.1.26
     polynomial), `pow` by a constant (`pypto.pow`);
   - casts (`.to`, `.float()`, `.half()`, ...) -> `pypto.cast`;
   - reductions `sum`, `mean` (sum * 1/n in the same kernel), `amax`/`amin`/`max`/`min` over dims
     (for `max(x, dim)` only the values are computed; torch_npu's kernel also writes indices);
   - `softmax` and `log_softmax` -> one fused kernel (torch_npu runs one SoftmaxV2 kernel);
   - `group_norm` / `nn.GroupNorm` -> ONE fused kernel (statistics over [N * G, C / G * spatial]
     rows, then the affine over [N * C, spatial] rows);
   - `layer_norm` / `nn.LayerNorm` -> ONE fused kernel (torch_npu runs one LayerNorm kernel), and
     `rms_norm` / `nn.RMSNorm` likewise. RMSNorm written out by hand (pow, mean, add, rsqrt, mul)
     stays five eager kernels, as it is in eager;
   - `matmul`, `mm`, `bmm`, `@`, `linear` / `nn.Linear` (bias fused, as addmm is one kernel),
     `addmm` -> `pypto.matmul`; an operand that is a transposed view is passed with `a_trans`/
     `b_trans` (no copy), as torch_npu's matmul does;
   - convolutions (`conv1d/2d/3d`, `conv_transpose1d/2d/3d`, their `nn` modules) -> ONE cube kernel,
     the implicit GEMM of torch_npu's conv (M = output pixels, K = Cin/groups x taps, N = Cout/groups;
     groups as a batched matmul; transposed: its col2im GEMM); depthwise -> one vector kernel of
     shifted multiply-adds (see eager_ops._classify_conv and docs/op-families.md);
   - `where`, `masked_fill`, comparisons, `clamp`, `maximum`/`minimum`, `cat`, `topk` (values and
     indices), and `contiguous`/`clone` of a two-axis transposed view (-> `pypto.transpose`);
   - max/avg pooling 1-D to 3-D (`nn.MaxPool2d`, `F.avg_pool3d`, ...; stride, padding, dilation,
     ceil_mode, count_include_pad), `cumsum` over the last axis and `flip` of one axis, each ONE
     kernel as torch_npu runs them (eager_pool_scan.py says how each is written).
3. **Tile** each kernel by a simple rule, documented so anyone can check the baseline is fair.
   Elementwise kernels and casts see their tensors with adjacent axes merged where every operand
   spans or broadcasts them alike (a free view of contiguous GM, as eager elementwise kernels see
   it; PyPTO also broadcasts only one axis per operand), down to a flat 1-D buffer when nothing
   broadcasts (the simulator times 1-D tiles up to ~30% faster than the same elements as [1, n];
   the 2-D view is the fallback); norms and softmax fold leading axes into rows.
   A vector tile holds `T` elements, `T = UB (192 KiB) // B`, where `B` is the bytes per element
   that the kernel's largest primitive step keeps in UB (its full-size inputs and output at the
   compute width: 8 for an fp32 unary op, 12 for an fp32 binary op, 6 for an fp32->fp16 cast, 2x
   the input for a reduction, ...). Each op is simulated with the candidates `T`, the power of two
   below `T` (or `T/2`) and, for tensors under 16 tiles, `numel/16` (spreading small tensors over
   cores); the FASTEST counts, the way a tuned eager kernel would be chosen. Tiles fill axes from
   the last inward (a split last axis in whole 32-element blocks); a reduction over a non-last
   axis fills the reduced axis first, keeping >= 128 bytes of the last axis.
   Cube kernels try two tilings: L0 m0 = min(128, M), n0 = min(256, N), k0 = 64 KiB /
   (max(m0, n0) * operand bytes) (128 for fp16) with L1 k1 = 4 * k0 (A and B in at most 3/4 of
   L1); and the same with n0 then m0 halved (down to 64) while there are fewer output tiles than
   cube cores. Measured on the simulator, the per-tile cost dominates: in a sweep of tile shapes
   for fp32 exp/add from 256x512 to 4096x4096 the candidates include the fastest tile (large
   tensors then run at the ~620 GB/s GM bandwidth the simulator delivers), and for
   512x1024x2048 fp16 matmul the first tiling is the fastest of the seven tried. If no candidate compiles, fallbacks (T/2 and T/4 of the smallest
   candidate, fp32 compute for fp16 ops, smaller cube tiles) are tried one at a time.
4. **Simulate** all kernels on a `perf.SimPool` (one child process for many kernels), in
   SIM mode without pass verification (timing only), reading each kernel's
   `AICore End-to-End Time` from its own captured stdout. Identical kernels (same op, shapes,
   dtypes, constants) are simulated once and counted every time they occur. A failed compile
   leaves pypto's process state unusable, so after a failure the child exits and a new child goes
   on with the remaining kernels (safest candidates run first). pypto's two swimlane-drawing
   scripts (about 7 s per kernel; they draw pictures only) are skipped by a `python3` shim first
   on the child's PATH; the script that prints the End-to-End time still runs.
5. **Sum** the per-op times. An op with no PyPTO mapping, or none of whose variants compiled, is
   **estimated** on the calibrated model (hawk/targets/bound.py: the fixed cost of a kernel with its
   inputs and outputs + its larger traffic direction at the simulator's measured streaming rate, or
   its matrix products at the measured cube peak) and listed as `estimated`, with the reason; the
   verdict's `eager_note` names the estimated ops. Without a calibration the nominal memory
   roofline is used (bytes / `spec.gm_bandwidth_gbps`), which ignores the fixed cost.

The result is cached as JSON at `cache_dir/eager/<task source sha>-<sku>-pypto<version>.json`; a
cache hit traces and simulates nothing (a result from an older method version is recomputed).
The scratch directory (`workdir` in the result) keeps the generated kernels, each kernel's log
and the child's events; the simulator's own output folders are deleted once read.

Limits
------
- Kernel launch overhead and host-side dispatch between eager kernels are NOT modelled: the
  simulator times each kernel from its first to its last AICore task. The baseline is therefore a
  lower bound of real eager time (speedups against it are conservative).
- Estimated ops use the calibrated floor of a kernel of their arity and traffic: their own kernel
  could not be faster on this simulator, but may well be slower (eager still errs towards fast).
- The tiling is a small search over a fixed rule, not CANN's tuned tiling; the simulator's
  per-tile cost makes tiling matter (see the pypto-sim notes), so the rule was checked against
  alternatives (above).
- fp16 ops compute natively in fp16 (fp32 only as a fallback); bf16 ops compute in fp32. Integer
  elementwise ops and reductions are estimated.
- Elementwise ops reading a strided view (e.g. `x[..., :64]` of a wider tensor) are timed as if
  the view were contiguous; torch_npu may insert a copy kernel for them.
- Ops that produce new tensors from nothing (`zeros_like`, `arange`, ...), gathers/indexing,
  `cumsum` over a non-last axis, flips of several axes, adaptive pooling and other unlisted ops are
  estimated.
- Ops fusing more than torch_npu fuses are never created; ops that torch_npu fuses beyond the
  ones listed (e.g. its fused RoPE or attention kernels) are not recognised when written out as
  primitives, as eager PyTorch would not recognise them either.
- In SIM mode data values do not matter (only shapes); data-dependent control flow in the
  reference is captured for the seed-0 inputs only. Work on plain tensor attributes of the model
  (not registered as parameters or buffers) is folded into constants by torch.fx and not timed.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import hawk.targets.judging as bounds
from hawk import config
from hawk.fileio import atomic_write_json
from hawk.targets.ascend_pypto.eager_codegen import Kernel, Plan, anonymous, kernel_plan
from hawk.targets.ascend_pypto.eager_ops import map_ops
from hawk.targets.ascend_pypto.perf import PerfKernel, SimPool
from hawk.targets.base import HardwareSpec
from hawk.targets.bound import Calibration
from hawk.targets.tracing import TRACE_VERSION, EagerOp
from hawk.tasks.task import Task

METHOD_VERSION = 1


# ---------------------------------------------------------------------------------- records
@dataclass
class OpTime:
    index: int
    node: str
    torch_op: str
    kind: str
    target_op: str | None
    source: str  # "simulated" | "estimated" | "view"
    time_us: float
    inputs: list[str]
    outputs: list[str]
    detail: str = ""  # tile used, or why estimated


@dataclass
class EagerBaseline:
    task: str
    task_hash: str
    sku: str
    pypto_version: str
    time_us: float
    ops: list[OpTime]
    method: int = METHOD_VERSION
    trace: str = "fx"  # "fx" | "export"
    simulated: int = 0
    estimated: int = 0
    views: int = 0
    kernels_simulated: int = 0  # distinct kernels run (identical ops are simulated once)
    wall_s: float = 0.0
    workdir: str | None = None
    created: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EagerBaseline:
        data = dict(data)
        data["ops"] = [OpTime(**o) for o in data.get("ops", [])]
        return cls(**data)

    def table(self) -> str:
        lines = [f"eager baseline {self.task} on {self.sku} (pypto {self.pypto_version}): {self.time_us:.2f} us, "
                 f"{self.simulated} simulated, {self.estimated} estimated, {self.views} views"]  # fmt: skip
        for o in self.ops:
            lines.append(f"  {o.index:3d} {o.torch_op:28s} {o.source:9s} {o.time_us:9.2f} us  {o.detail}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------- estimation
def roofline_us(op: EagerOp, spec: HardwareSpec) -> float:
    """Lower bound for an op that is not simulated: its GM traffic at streaming bandwidth (and cube peak)."""
    flops = op.consts.get("flops", 0) if isinstance(op.consts, dict) else 0
    read, written = sum(t.nbytes for t in op.inputs), sum(t.nbytes for t in op.outputs)
    return bounds.roofline_us(read, written, flops, spec, duplex=False) or 0.0


def calibrated_us(op: EagerOp, cal: Calibration) -> float:
    """An op that is not simulated, on the calibrated model (hawk/targets/bound.py): the fixed cost of a
    kernel with its inputs and outputs plus its traffic at the simulator's streaming rate (or its
    matrix products at the measured cube peak): what the op's own kernel could not beat."""
    flops = op.consts.get("flops", 0) if isinstance(op.consts, dict) else 0
    read, written = sum(t.nbytes for t in op.inputs), sum(t.nbytes for t in op.outputs)
    return cal.bound_us(read, written, flops, max(1, len(op.inputs)), max(1, len(op.outputs)))


def estimated_note(baseline: EagerBaseline) -> str | None:
    """What the verdict's `eager_note` says when some eager ops were estimated rather than simulated."""
    ops = [o for o in baseline.ops if o.source == "estimated"]
    if not ops:
        return None
    share = sum(o.time_us for o in ops) / baseline.time_us if baseline.time_us else 0.0
    names = "; ".join(f"{o.torch_op} {o.inputs[0] if o.inputs else ''} ({o.detail})" for o in ops[:4])
    more = f" and {len(ops) - 4} more" if len(ops) > 4 else ""
    return (f"{len(ops)} of {baseline.simulated + len(ops)} eager kernels estimated, not simulated "
            f"({share:.0%} of the eager time): {names}{more}")[:500]  # fmt: skip


# ---------------------------------------------------------------------------------- the baseline
def _pypto_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pypto")
    except PackageNotFoundError:
        return "none"


# Bump when the op mapping or the tiling search changes: cached baselines of an older model are
# then recomputed instead of silently reused.
# Calibrated estimates and the GroupNorm mapping change only baselines that had estimated ops: those
# are recomputed by `stale_estimates` instead of a bump here (which would recompute every task's).
EAGER_MODEL_VERSION = 2  # 2: each op's best tiling also tried with the scheduling pass options
CALIBRATED = "calibrated estimate"  # in an estimated op's detail when the calibrated model priced it


def cache_path(task: Task, spec: HardwareSpec, cache_dir: Path) -> Path:
    name = f"{task.source_hash}-{spec.sku}-pypto{_pypto_version()}-eager{EAGER_MODEL_VERSION}-trace{TRACE_VERSION}.json"
    return Path(cache_dir) / "eager" / name


def load_cached(task: Task, spec: HardwareSpec, cache_dir: Path) -> EagerBaseline | None:
    path = cache_path(task, spec, cache_dir)
    try:
        data = json.loads(path.read_text())
        if data.get("method") != METHOD_VERSION:
            return None
        return EagerBaseline.from_dict(data)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def stale_estimates(baseline: EagerBaseline) -> bool:
    """A cached baseline whose estimated ops were priced before the calibrated model existed (or that
    estimated an op, such as group norm or a convolution, mapped since): recomputed when a calibration
    is at hand."""
    from hawk.targets.ascend_pypto.eager_ops import CONV, CONV_TRANSPOSED
    from hawk.targets.ascend_pypto.eager_pool_scan import ESTIMATED_BEFORE

    mapped_since = CONV | CONV_TRANSPOSED | ESTIMATED_BEFORE
    return any(o.source == "estimated" and (CALIBRATED not in o.detail or o.kind in mapped_since) for o in baseline.ops)


def eager_baseline(task: Task, spec: HardwareSpec, cache_dir: Path | None = None, timeout_s: float | None = None,
                   calibration: Calibration | None = None) -> EagerBaseline:  # fmt: skip
    """The task's eager time on `spec`, cached per (task source, SKU, pypto version).

    A cache hit neither traces nor simulates. Otherwise the reference is traced, each op's
    kernels are simulated in one child process (see `simulate`), and the result is written to
    `cache_path(...)` before it is returned. `timeout_s` bounds all simulation (default: 120 s
    plus 60 s per distinct op). Ops that are not simulated are estimated on `calibration` (fixed
    cost included; `calibrated_us`), or without one on the nominal memory roofline.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else config.cache_dir()
    hit = load_cached(task, spec, cache_dir)
    if hit is not None and not (calibration is not None and stale_estimates(hit)):
        return hit
    started = time.perf_counter()
    ops, how = map_ops(task)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", task.id)[:50]
    workdir = config.scratch_root() / f"eager-{slug}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    workdir.mkdir(parents=True)

    plans, op_plan = _plans(ops, spec)
    results = simulate(plans, workdir, timeout_s=timeout_s) if plans else {}
    shutil.rmtree(workdir / "output", ignore_errors=True)  # the simulator's bulky per-kernel folders (~5 MB each)
    times = [_op_time(op, results.get(op_plan.get(op.index, "")), spec, calibration) for op in ops]
    baseline = EagerBaseline(
        task=task.id,
        task_hash=task.source_hash,
        sku=spec.sku,
        pypto_version=_pypto_version(),
        time_us=round(sum(t.time_us for t in times), 4),
        ops=times,
        trace=how,
        simulated=sum(t.source == "simulated" for t in times),
        estimated=sum(t.source == "estimated" for t in times),
        views=sum(t.source == "view" for t in times),
        kernels_simulated=sum(r.runs for r in results.values()),
        wall_s=round(time.perf_counter() - started, 2),
        workdir=str(workdir),
        created=time.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    path = cache_path(task, spec, cache_dir)
    atomic_write_json(path, baseline.to_dict())
    return baseline


def _plans(ops: list, spec: HardwareSpec) -> tuple[dict[str, Plan], dict[int, str]]:
    """The kernel plans to simulate, and which plan each op uses: identical ops (same op, shapes,
    dtypes, constants) share one plan and are simulated once."""
    plans: dict[str, Plan] = {}
    op_plan: dict[int, str] = {}
    for op in ops:
        plan = kernel_plan(op, spec.cube_cores)
        if plan is None or not (plan.candidates or plan.fallbacks):
            continue
        sig = hashlib.sha1("\n".join(anonymous(k) for k in plan.candidates + plan.fallbacks).encode()).hexdigest()
        op_plan[op.index] = sig[:16]
        plans.setdefault(sig[:16], plan)
    return plans, op_plan


def _op_time(op, res: PlanResult | None, spec: HardwareSpec, calibration: Calibration | None) -> OpTime:
    """One op's eager time: 0 for a view, simulated when a variant ran, else estimated (said how)."""
    base = dict(index=op.index, node=op.node, torch_op=op.torch_op, kind=op.kind, target_op=op.target_op,
                inputs=[t.short() for t in op.inputs], outputs=[t.short() for t in op.outputs])  # fmt: skip
    if not op.launches_kernel:
        return OpTime(**base, source="view", time_us=0.0, detail=op.note)
    if res is not None and res.time_us:
        return OpTime(
            **base, source="simulated", time_us=res.time_us, detail=res.tile + (f"; {op.note}" if op.note else "")
        )
    why = op.note if op.target_op is None else f"no kernel variant simulated: {res.error if res else 'not run'}"
    if calibration is not None:
        guess, estimate = calibrated_us(op, calibration), CALIBRATED
    else:
        guess, estimate = roofline_us(op, spec), "roofline estimate"
    return OpTime(**base, source="estimated", time_us=guess, detail=f"{why}; {estimate}")


# ---------------------------------------------------------------------------------- simulation
@dataclass
class PlanResult:
    time_us: float | None = None  # the fastest simulated variant
    tile: str = ""
    error: str = "not run"
    runs: int = 0  # variants that simulated
    tried: dict[str, float | None] = field(default_factory=dict)  # tile -> time (None: failed)


# Eager runs each op as its own kernel, tuned as well as Hawk tunes candidates: every op's fastest
# tiling is tried again with the merge counts the tuner searches (pass_options.py), so a speedup
# never comes from a baseline that was denied the same scheduling options.
EAGER_MERGES = {"vec_nbuffer_setting": (2, 4), "cube_nbuffer_setting": (2,)}


def simulate(plans: dict[str, Plan], workdir: Path, timeout_s: float | None = None) -> dict[str, PlanResult]:
    """Simulate every plan's kernels (performance only, see perf.py); each plan's result is its fastest kernel.

    Order: every plan's first candidate, then every second candidate, ... (the safest tilings
    first), then one fallback at a time for plans with no success; last, each plan's fastest
    kernel with each merge count of EAGER_MERGES.
    """
    module = workdir / "eager_kernels.py"
    src = ["import pypto", ""]
    where: dict[str, str] = {}  # kernel name -> plan
    for sig, plan in plans.items():
        for k in plan.candidates + plan.fallbacks:
            src.append(k.source)
            where[k.name] = sig
    module.write_text("\n".join(src))
    kernels = {k.name: k for p in plans.values() for k in p.candidates + p.fallbacks}

    results = {sig: PlanResult() for sig in plans}
    width = max(len(p.candidates) for p in plans.values())
    todo = [PerfKernel(p.candidates[i].name, str(module), p.candidates[i].name, p.candidates[i].args)
            for i in range(width) for p in plans.values() if i < len(p.candidates)]  # fmt: skip
    falls = {sig: list(p.fallbacks) for sig, p in plans.items()}
    deadline = time.perf_counter() + (timeout_s if timeout_s is not None else 120 + 60 * len(plans))
    merged = False
    with SimPool(workdir / "sim", workers=1) as pool:  # one child for every round while nothing fails
        while todo and time.perf_counter() < deadline:
            timed = pool.run(todo, timeout_s=deadline - time.perf_counter())
            _record_round(todo, timed, kernels, where, results)
            if any((t.error or "").startswith("the simulation child failed to start") for t in timed.values()):
                break  # nothing more will work
            # Candidates done: the next fallback of each plan that has no time yet.
            todo = [PerfKernel(f.name, str(module), f.name, f.args)
                    for f in (falls[sig].pop(0) for sig in plans if results[sig].time_us is None and falls[sig])]  # fmt: skip
            if not todo and not merged:  # last round: each plan's fastest kernel with the merge counts
                merged = True
                for sig, res in results.items():
                    if res.time_us:
                        best = next(k for n, k in kernels.items() if where[n] == sig and k.tile == res.tile)
                        todo += _merged_variants(best, module)
    return results


def _record_round(todo, timed, kernels, where, results) -> None:
    """Each timed kernel into its plan's result: every variant in `tried`, the fastest as the result."""
    for k in todo:
        t = timed[k.name]
        res = results[where[k.function]]
        label = kernels[k.function].tile + "".join(f" +{key}={v[-1]}" for key, v in k.pass_options.items())
        res.tried[label] = t.time_us
        if t.time_us:
            res.runs += 1
            if res.time_us is None or t.time_us < res.time_us:
                res.time_us, res.tile, res.error = t.time_us, label, ""
        elif res.time_us is None:
            res.error = (t.error or "failed")[:400]


def _merged_variants(k: Kernel, module: Path) -> list[PerfKernel]:
    """`k` with each merge count of EAGER_MERGES that applies to it (vector or cube)."""
    cube = "set_cube_tile_shapes" in k.source
    return [
        PerfKernel(f"{k.name}_{key.split('_')[0]}{n}", str(module), k.name, k.args, {key: {-1: n}})
        for key, counts in EAGER_MERGES.items()
        if key.startswith("cube") == cube
        for n in counts
    ]
